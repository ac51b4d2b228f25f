#!/usr/bin/env python3
"""Compare whole-process commands by running them alternately, in pairs.

This machine's speed drifts by a quarter within an hour, so two builds timed one after the
other can differ by more than any change between them. Here every round runs each command
once, in an order that alternates between rounds, and the report gives, per command, the
median wall-clock and CPU time (user + system of the process and its threads), and, for each
command against the first, the median of the paired differences and in how many rounds it
was the faster.

    python3 benches/compare.py 40 \\
        "/tmp/old/artclass score --quiet --model m5.artclass --input test.csv --output o.csv" \\
        "target/release/artclass score --quiet --model m6.artclass --input test.csv --output o.csv"
"""
import resource
import shlex
import statistics
import subprocess
import sys
import time


def run(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("failed: " + shlex.join(command))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    usage = "usage: compare.py ROUNDS COMMAND COMMAND [COMMAND...]\n" + __doc__
    if len(sys.argv) < 4 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit(usage)
    rounds = int(sys.argv[1])
    commands = [shlex.split(c) for c in sys.argv[2:]]
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    for r in range(rounds):
        order = range(len(commands)) if r % 2 == 0 else reversed(range(len(commands)))
        for i in order:
            wall, cpu = run(commands[i])
            walls[i].append(wall)
            cpus[i].append(cpu)
    for i, command in enumerate(sys.argv[2:]):
        print(f"[{i}] wall median {statistics.median(walls[i]):.4f} s, "
              f"CPU median {statistics.median(cpus[i]):.4f} s: {command}")
    for i in range(1, len(commands)):
        wall_gain = [a - b for a, b in zip(walls[0], walls[i])]
        cpu_gain = [a - b for a, b in zip(cpus[0], cpus[i])]
        wall_ms, cpu_ms = statistics.median(wall_gain) * 1e3, statistics.median(cpu_gain) * 1e3
        print(f"[{i}] against [0], {rounds} rounds: wall {abs(wall_ms):.1f} ms "
              f"{'faster' if wall_ms >= 0 else 'slower'} (median), faster in "
              f"{sum(g > 0 for g in wall_gain)}; CPU {abs(cpu_ms):.1f} ms "
              f"{'less' if cpu_ms >= 0 else 'more'}, less in {sum(g > 0 for g in cpu_gain)}")


if __name__ == "__main__":
    main()

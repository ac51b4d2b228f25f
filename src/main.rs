//! The `artclass` command: train, classify, score and eval.

mod cli;

fn main() {
    remove_pending_files_on_signals();
    #[cfg(target_os = "linux")]
    remove_pending_files_on_bus_errors();
    let code = match cli::run() {
        Ok(()) => 0,
        // `artclass classify … | head -1`: the reader left, nothing went wrong.
        Err(error) if error.is_broken_pipe() => 0,
        Err(error) => {
            eprintln!("artclass: {error}");
            match error {
                artclass::Error::Usage(_) => 2,
                _ => 1,
            }
        }
    };
    std::process::exit(code);
}

/// Ctrl-C, kill, hang-up: remove half-written outputs, then die of the signal itself, as if
/// it had not been caught, so that the shell sees 128 + its number (130 for Ctrl-C, 143 for
/// `kill`) and a script's loop stops.
/// A signal the parent set to be ignored (`nohup`, a background job of a script) stays
/// ignored.
#[cfg(unix)]
fn remove_pending_files_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let caught: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&signal| !ignored(signal))
        .collect();
    let Ok(mut signals) = signal_hook::iterator::Signals::new(caught) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            artclass::persist::remove_pending_files();
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}

/// Whether `signal` is set to be ignored, as inherited from the parent.
#[cfg(target_os = "linux")]
fn ignored(signal: i32) -> bool {
    // SAFETY: reads the current action into a zeroed struct; installs nothing.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn ignored(_signal: i32) -> bool {
    false
}

/// A bus error is what reading a mapped file past its end does: the model file truncated in
/// place while in use (`cp new.artclass live.artclass`). Remove half-written outputs, say
/// why in one line, then die of SIGBUS as if it had not been caught (the shell sees 135).
///
/// The fault is synchronous: it is handled on the faulting thread, which may hold any lock
/// or be inside the allocator (signal-hook's iterator thread cannot serve it: returning to
/// the faulting instruction faults again). So the handler only does what is safe in a signal
/// handler: atomics, `unlink` of the paths `artclass::pending` holds ready, `write`, `pause`,
/// and signal-hook's `emulate_default_handler`, documented async-signal-safe (it restores the
/// default action, unblocks the signal and raises it). Several threads may fault at once:
/// the first one cleans up and ends the process, the others wait for it.
#[cfg(target_os = "linux")]
fn remove_pending_files_on_bus_errors() {
    use signal_hook::consts::SIGBUS;
    use std::sync::atomic::{AtomicBool, Ordering};
    static FAULTED: AtomicBool = AtomicBool::new(false);
    const MESSAGE: &[u8] = b"artclass: a file mapped in memory (the model) was truncated while \
        in use; replace a model with mv or train --output, not cp\n";
    let action = || {
        if FAULTED.swap(true, Ordering::SeqCst) {
            loop {
                // SAFETY: pause only waits for a signal; the first thread ends the process.
                unsafe {
                    libc::pause();
                }
            }
        }
        artclass::pending::remove_all();
        // SAFETY: writes a static buffer to stderr's descriptor; a failure changes nothing.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        }
        let _ = signal_hook::low_level::emulate_default_handler(SIGBUS);
        // Not reached: the default action ends the process (failing that, it aborts).
        signal_hook::low_level::exit(128 + SIGBUS);
    };
    // The standard library's own SIGBUS handler (stack overflow detection; Linux reports an
    // overflow as SIGSEGV anyway) would run first, chained by signal-hook, and reset SIGBUS
    // to its default: a second thread faulting then would end the process before the first
    // had cleaned up. With the default action as the one replaced, nothing is chained.
    // SAFETY: a zeroed sigaction with SIG_DFL is a valid argument; no old action is read.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(SIGBUS, &default, std::ptr::null_mut());
    }
    // SAFETY: the action is async-signal-safe (see above) and never returns to the faulting
    // instruction. SIGBUS is not among the signals signal-hook forbids.
    let _ = unsafe { signal_hook::low_level::register(SIGBUS, action) };
}

/// Ctrl-C and termination: remove half-written outputs before going.
#[cfg(not(unix))]
fn remove_pending_files_on_signals() {
    let _ = ctrlc::set_handler(|| {
        artclass::persist::remove_pending_files();
        std::process::exit(130);
    });
}

//! The `artclass` command: train, classify, score and eval.

mod cli;

fn main() {
    remove_pending_files_on_signals();
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
#[cfg(unix)]
fn remove_pending_files_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
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

/// Ctrl-C and termination: remove half-written outputs before going.
#[cfg(not(unix))]
fn remove_pending_files_on_signals() {
    let _ = ctrlc::set_handler(|| {
        artclass::persist::remove_pending_files();
        std::process::exit(130);
    });
}

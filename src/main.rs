//! The `artclass` command: train, classify, score and eval.

mod cli;

fn main() {
    // Ctrl-C, kill, hang-up: remove half-written outputs before going, exit like a shell.
    let _ = ctrlc::set_handler(|| {
        artclass::persist::remove_pending_files();
        std::process::exit(130);
    });
    let code = match cli::run() {
        Ok(()) => 0,
        // `artclass classify … | head -1`: the reader left, nothing went wrong.
        Err(error) if error.is_broken_pipe() => 0,
        Err(error) => {
            eprintln!("artclass: {error}");
            1
        }
    };
    std::process::exit(code);
}

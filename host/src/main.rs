//! The `taskhost` binary; everything is in the library's [`taskhost::cli`].

fn main() -> std::process::ExitCode {
    taskhost::cli::main()
}

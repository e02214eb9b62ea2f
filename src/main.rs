//! The `labelscope` binary: a subcommand runs the CLI; no subcommand opens the window.

fn main() -> std::process::ExitCode {
    labelscope::cli::run()
}

//! The `labelscope` binary: a subcommand runs the CLI; no subcommand opens the window.

/// mimalloc returns freed memory to the system, where glibc's allocator kept gigabytes of it
/// in per-thread arenas after the caches of a million images were read (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    labelscope::cli::run()
}

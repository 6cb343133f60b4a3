//! The `mentorship` program under another name, built with the tests so that they can start it
//! as separate processes (`CARGO_BIN_EXE_mentorship-server`): the concurrency suite races
//! requests across several of them on one database.

fn main() -> std::process::ExitCode {
    mentorship_api::cli::main()
}

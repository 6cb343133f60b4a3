//! `mentorship`: serve the API, migrate the database, print the contract, or seed demo data.

fn main() -> std::process::ExitCode {
    mentorship_api::cli::main()
}

//! `mentorship-bench`: the measuring half of `make bench` (`bench/run.sh` is the other half; it
//! starts the servers, pins them, seeds data and drives wrk). BENCHMARKS.md explains the method.

mod ceilings;
mod measurement;
mod report;
mod sessions;
mod statements;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use mentorship_api::config::{Config, Env};

use crate::ceilings::Read;

const USAGE: &str = "usage: mentorship-bench <command>
  ceiling-server
      serve the bare HTTP ceilings (GET /health, GET /v1/paths/{id} without auth) on
      BIND_ADDR over DATABASE_URL with HTTP_WORKERS workers, as the API reads them
  noauth-server
      serve the API itself, configured as `mentorship serve` is, with GET /v1/paths/{id}
      answered without authentication
  storage get-path --id UUID [--connections N] [--seconds S]
  storage list-paths [--after UUID] [--limit N] [--connections N] [--seconds S]
      the storage ceiling: the endpoint's store call in a closed loop on DATABASE_URL; prints JSON
  seed-sessions --out DIR [--mentors N] [--students N] [--weeks N]
      seed DATABASE_URL with active mentors and their students, and write the bodies of
      bookings that all succeed (bookings.api.jsonl, bookings.storage.jsonl) to DIR
  storage book --bodies FILE [--from N] [--connections N] [--seconds S]
  storage my-sessions --mentor EMAIL [--connections N] [--seconds S]
      the booking and my-sessions ceilings: sessions::book and sessions::list in a closed loop
  seed-statements [--mentors N] [--sessions N]
      seed DATABASE_URL with active mentors, each with a student and completed sessions with
      notes in last month (1,000 and 4 by default)
  storage issue-month
      the issuing ceiling: statements::issue_month of last month on DATABASE_URL, timed; prints JSON
  last-month
      print last month in the platform zone (YYYY-MM)
  argon2 [--seconds S]
      the login ceiling: password verifications with the API's hasher; prints JSON
  report RESULTS_DIR OUT_JSON
      print the table of RESULTS_DIR/<scenario>.<round>.json and write OUT_JSON";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mentorship-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let command: Vec<&str> = args
        .iter()
        .take_while(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    match command.as_slice() {
        ["ceiling-server"] => runtime()?.block_on(ceilings::serve(config()?)),
        // On the multi-thread runtime `mentorship serve` runs on, like the rest of the API.
        ["noauth-server"] => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(ceilings::serve_api_without_auth(config()?)),
        ["seed-sessions"] => {
            let out: String = flag(args, "--out")?.ok_or("seed-sessions needs --out DIR")?;
            let seed = sessions::Seed {
                mentors: flag(args, "--mentors")?.unwrap_or(20),
                students: flag(args, "--students")?.unwrap_or(40),
                weeks: flag(args, "--weeks")?.unwrap_or(40),
            };
            runtime()?.block_on(sessions::seed(&config()?, seed, Path::new(&out)))
        }
        ["seed-statements"] => runtime()?.block_on(statements::seed(
            &config()?,
            flag(args, "--mentors")?.unwrap_or(1000),
            flag(args, "--sessions")?.unwrap_or(4),
        )),
        ["storage", "issue-month"] => {
            print_json(&runtime()?.block_on(statements::issue_month(&config()?))?)
        }
        ["last-month"] => {
            println!("{}", statements::last_month()?);
            Ok(())
        }
        ["storage", "book"] => {
            let bodies: String =
                flag(args, "--bodies")?.ok_or("storage book needs --bodies FILE")?;
            let measured = runtime()?.block_on(sessions::book_loop(
                &config()?,
                Path::new(&bodies),
                flag(args, "--from")?.unwrap_or(0),
                flag(args, "--connections")?.unwrap_or(32),
                seconds(args)?,
            ))?;
            print_json(&measured)
        }
        ["storage", "my-sessions"] => {
            let mentor: String =
                flag(args, "--mentor")?.ok_or("storage my-sessions needs --mentor EMAIL")?;
            let measured = runtime()?.block_on(sessions::list_loop(
                &config()?,
                &mentor,
                flag(args, "--connections")?.unwrap_or(32),
                seconds(args)?,
            ))?;
            print_json(&measured)
        }
        ["storage", query] => {
            let read = match *query {
                "get-path" => {
                    Read::GetPath(flag(args, "--id")?.ok_or("storage get-path needs --id UUID")?)
                }
                "list-paths" => Read::ListPaths {
                    after: flag(args, "--after")?,
                    limit: flag(args, "--limit")?.unwrap_or(50),
                },
                other => return Err(format!("unknown storage query `{other}`\n{USAGE}")),
            };
            let connections = flag(args, "--connections")?.unwrap_or(32);
            let config = config()?;
            let measured = runtime()?.block_on(ceilings::storage(
                &config,
                read,
                connections,
                seconds(args)?,
            ))?;
            print_json(&measured)
        }
        ["argon2"] => print_json(&runtime()?.block_on(ceilings::argon2(seconds(args)?))?),
        ["report", results, out] => report::run(Path::new(results), Path::new(out)),
        _ => Err(USAGE.into()),
    }
}

/// The API's own settings, read from the environment as `mentorship serve` reads them.
fn config() -> Result<Config, String> {
    Config::from_source(&Env).map_err(|e| format!("bad setting {e}"))
}

/// The runtime the in-process ceilings run on. Current-thread, like an actix worker: the API
/// serves each request on its worker's single thread, with SQLite's own threads under it.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn seconds(args: &[String]) -> Result<Duration, String> {
    Ok(Duration::from_secs_f64(
        flag(args, "--seconds")?.unwrap_or(5.0_f64).max(0.1),
    ))
}

/// The value after `name`, parsed; `None` when the flag is absent.
fn flag<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    let Some(at) = args.iter().position(|a| a == name) else {
        return Ok(None);
    };
    let value = args
        .get(at + 1)
        .ok_or_else(|| format!("{name} needs a value"))?;
    value
        .parse()
        .map(Some)
        .map_err(|e| format!("{name} `{value}`: {e}"))
}

fn print_json(measured: &impl serde::Serialize) -> Result<(), String> {
    println!(
        "{}",
        serde_json::to_string(measured).map_err(|e| e.to_string())?
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_are_parsed_or_refused() {
        let a = args("storage get-path --id 0190c7a4-0000-7000-8000-000000000000 --connections 8");
        assert_eq!(flag::<usize>(&a, "--connections").unwrap(), Some(8));
        assert!(flag::<Uuid>(&a, "--id").unwrap().is_some());
        assert_eq!(flag::<u32>(&a, "--limit").unwrap(), None);
        assert!(flag::<usize>(&args("x --connections many"), "--connections").is_err());
        assert!(flag::<usize>(&args("x --connections"), "--connections").is_err());
    }

    #[test]
    fn unknown_commands_get_the_usage() {
        assert!(run(&args("frobnicate")).unwrap_err().starts_with("usage"));
        assert!(run(&args("storage drop-tables")).is_err());
    }
}

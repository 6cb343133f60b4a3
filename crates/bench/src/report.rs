//! The report: every scenario next to its ceiling, as a ratio, against the targets of issue 4.
//! Absolute numbers depend on the machine and on whatever else runs on it; ratios of runs made
//! minutes apart on the same cores mostly do not.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::measurement::Measurement;

/// How a scenario is compared with its ceiling.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Ratio {
    /// Requests per second of the server's CPU over the ceiling's (requests per second when a
    /// CPU time is missing): 1.0 is as cheap as the ceiling.
    Throughput,
    /// p99 latency over the baseline's: 1.0 is no slower.
    P99Rise,
    /// The scenario's own p99 latency in milliseconds (it is its own baseline).
    P99Millis,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn met(self, ratio: f64) -> bool {
        match self {
            Target::AtLeast(t) => ratio >= t,
            Target::AtMost(t) => ratio <= t,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtLeast(t) => format!(">= {t}"),
            Target::AtMost(t) => format!("<= {t}"),
        }
    }
}

/// A measured scenario: its file stem in the results folder, and what it measures against.
struct Scenario {
    name: &'static str,
    what: &'static str,
    /// The scenario it is divided by, how, and the target of issue 4 if there is one.
    against: Option<(&'static str, Ratio, Option<Target>)>,
    /// Paced scenarios run at a fixed request rate: their best round is the lowest p99, not the
    /// highest throughput.
    paced: bool,
    /// Measured only when the run has a PostgreSQL server (`BENCH_POSTGRES_URL`).
    optional: bool,
}

const fn ceiling(name: &'static str, what: &'static str) -> Scenario {
    Scenario {
        name,
        what,
        against: None,
        paced: false,
        optional: false,
    }
}

/// The same scenario, measured only when the run has a PostgreSQL server.
const fn on_postgres(scenario: Scenario) -> Scenario {
    Scenario {
        optional: true,
        ..scenario
    }
}

/// A paced run whose own p99 (in ms) has a target.
const fn p99_of(name: &'static str, what: &'static str, at_most_ms: f64) -> Scenario {
    Scenario {
        name,
        what,
        against: Some((name, Ratio::P99Millis, Some(Target::AtMost(at_most_ms)))),
        paced: true,
        optional: false,
    }
}

const fn versus(
    name: &'static str,
    what: &'static str,
    ceiling: &'static str,
    target: Option<Target>,
) -> Scenario {
    Scenario {
        name,
        what,
        against: Some((ceiling, Ratio::Throughput, target)),
        paced: false,
        optional: false,
    }
}

/// Every scenario `bench/run.sh` measures, in the order of the table.
const SCENARIOS: &[Scenario] = &[
    versus(
        "health",
        "API GET /health",
        "health_bare",
        Some(Target::AtLeast(0.95)),
    ),
    ceiling(
        "health_bare",
        "framework ceiling: bare actix-web, same bytes",
    ),
    versus(
        "path_get",
        "API GET /v1/paths/{id}, JWT",
        "path_get_noauth",
        Some(Target::AtLeast(0.85)),
    ),
    versus(
        "path_get_api_key",
        "API GET /v1/paths/{id}, API key",
        "path_get_noauth",
        None,
    ),
    versus(
        "path_get_noauth",
        "same read on the API, without auth",
        "path_get_bare",
        None,
    ),
    versus(
        "path_get_bare",
        "same read, bare actix-web, no middleware",
        "path_get_storage",
        None,
    ),
    versus(
        "path_get_vs_bare",
        "API GET /v1/paths/{id}, JWT",
        "path_get_bare",
        None,
    ),
    ceiling(
        "path_get_storage",
        "storage ceiling: catalog::get_path loop",
    ),
    versus(
        "path_get_vs_storage",
        "API GET /v1/paths/{id}, JWT",
        "path_get_storage",
        Some(Target::AtLeast(0.9)),
    ),
    versus(
        "paths_list",
        "API GET /v1/paths?limit=50&cursor= (page 2)",
        "paths_list_storage",
        Some(Target::AtLeast(0.9)),
    ),
    ceiling(
        "paths_list_storage",
        "storage ceiling: catalog::list_paths loop",
    ),
    versus(
        "login",
        "API POST /v1/auth/login",
        "argon2",
        Some(Target::AtLeast(0.9)),
    ),
    ceiling("argon2", "login ceiling: argon2id verifications, 1 core"),
    Scenario {
        name: "read_alone",
        what: "API GET /v1/paths/{id}, JWT, paced",
        against: None,
        paced: true,
        optional: false,
    },
    Scenario {
        name: "read_during_flood",
        what: "same, paced, during a login flood",
        against: Some(("read_alone", Ratio::P99Rise, Some(Target::AtMost(1.2)))),
        paced: true,
        optional: false,
    },
    versus(
        "login_during_flood",
        "API POST /v1/auth/login, the flood",
        "argon2",
        None,
    ),
    versus(
        "booking",
        "API POST /v1/sessions (SQLite)",
        "booking_storage",
        Some(Target::AtLeast(0.8)),
    ),
    ceiling(
        "booking_storage",
        "storage ceiling: sessions::book loop (SQLite)",
    ),
    p99_of(
        "booking_paced",
        "API POST /v1/sessions at 80% of its rate (SQLite)",
        10.0,
    ),
    versus(
        "my_sessions",
        "API GET /v1/me/sessions, mentor, 50 (SQLite)",
        "my_sessions_storage",
        Some(Target::AtLeast(0.7)),
    ),
    ceiling(
        "my_sessions_storage",
        "storage ceiling: sessions::list loop (SQLite)",
    ),
    on_postgres(versus(
        "booking_pg",
        "API POST /v1/sessions (PostgreSQL)",
        "booking_pg_storage",
        Some(Target::AtLeast(0.8)),
    )),
    on_postgres(ceiling(
        "booking_pg_storage",
        "storage ceiling: sessions::book loop (PostgreSQL)",
    )),
    on_postgres(p99_of(
        "booking_pg_paced",
        "API POST /v1/sessions at 80% of its rate (PostgreSQL)",
        10.0,
    )),
    on_postgres(versus(
        "my_sessions_pg",
        "API GET /v1/me/sessions, mentor, 50 (PostgreSQL)",
        "my_sessions_pg_storage",
        Some(Target::AtLeast(0.7)),
    )),
    on_postgres(ceiling(
        "my_sessions_pg_storage",
        "storage ceiling: sessions::list loop (PostgreSQL)",
    )),
];

/// Scenarios that reuse another's measurements under a second comparison.
fn measured_as(name: &str) -> &str {
    match name {
        "path_get_vs_storage" | "path_get_vs_bare" => "path_get",
        other => other,
    }
}

/// The goals of issue 4 and the rows that decide them (any one of them meeting its target).
const GOALS: &[(&str, &[&str])] = &[
    (
        "an authenticated read >= 0.85 of the same read without auth",
        &["path_get"],
    ),
    ("/health >= 0.95 of the bare handler", &["health"]),
    (
        "an endpoint >= 0.9 of its storage ceiling",
        &["path_get_vs_storage", "paths_list"],
    ),
    (
        "login limited by argon2 (>= 0.9 of the hash rate)",
        &["login"],
    ),
    (
        "read p99 rises <= 1.2x during a login flood",
        &["read_during_flood"],
    ),
    (
        "booking >= 0.8 of its storage ceiling (SQLite)",
        &["booking"],
    ),
    (
        "my sessions >= 0.7 of its storage ceiling (SQLite)",
        &["my_sessions"],
    ),
    (
        "booking p99 < 10 ms at 80% of its rate (SQLite)",
        &["booking_paced"],
    ),
    (
        "booking >= 0.8 of its storage ceiling (PostgreSQL)",
        &["booking_pg"],
    ),
    (
        "my sessions >= 0.7 of its storage ceiling (PostgreSQL)",
        &["my_sessions_pg"],
    ),
    (
        "booking p99 < 10 ms at 80% of its rate (PostgreSQL)",
        &["booking_pg_paced"],
    ),
];

#[derive(Debug, Serialize)]
struct Row {
    name: &'static str,
    what: &'static str,
    rps: f64,
    /// CPU time the server (or the in-process loop) got during the run.
    cpu_seconds: Option<f64>,
    rps_per_cpu_second: Option<f64>,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    rounds: usize,
    ceiling: Option<&'static str>,
    ratio_kind: Option<Ratio>,
    /// The ratio the target is checked against (per CPU second for throughput, when known): the
    /// median of the per-round ratios.
    ratio: Option<f64>,
    /// Each round's ratio, in round order: the spread the median hides.
    ratio_rounds: Vec<f64>,
    /// The same comparison in wall-clock requests per second, for throughput (median).
    ratio_wall: Option<f64>,
    target: Option<String>,
    met: Option<bool>,
}

#[derive(Debug, Serialize)]
struct Goal {
    goal: &'static str,
    decided_by: Vec<&'static str>,
    met: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    generated_at: String,
    settings: serde_json::Value,
    scenarios: Vec<Row>,
    goals: Vec<Goal>,
}

/// The measurements of each scenario, by round number.
type Rounds = BTreeMap<String, BTreeMap<u32, Measurement>>;

/// Every round of every scenario in `dir`: files `<scenario>.<round>.json`.
fn read_rounds(dir: &Path) -> Result<Rounds, String> {
    let mut rounds = Rounds::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some((scenario, round)) = file.strip_suffix(".json").and_then(|s| s.split_once('.'))
        else {
            continue;
        };
        let Ok(round) = round.parse::<u32>() else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        let measurement: Measurement =
            serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
        rounds
            .entry(scenario.to_owned())
            .or_default()
            .insert(round, measurement);
    }
    Ok(rounds)
}

/// The throughput a ratio divides: per second of the CPU the work got when that is known (so
/// other processes taking the core do not count against the API), per second of wall time if not.
fn throughput(m: &Measurement) -> f64 {
    m.per_cpu_second().unwrap_or(m.rps)
}

/// The round the table shows for a scenario's own numbers (rps, latencies): the one least
/// disturbed by whatever else ran on the machine, since interference only ever makes a run
/// slower, so the fastest (or, at a fixed rate, the one with the lowest p99). Ratios do not use
/// it: they pair rounds, see `paired`.
fn best(rounds: &BTreeMap<u32, Measurement>, paced: bool) -> Option<&Measurement> {
    if paced {
        rounds.values().min_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms))
    } else {
        rounds
            .values()
            .max_by(|a, b| throughput(a).total_cmp(&throughput(b)))
    }
}

/// One round's comparison of a scenario with its ceiling: `(ratio, wall-clock ratio)`.
fn compare(kind: Ratio, m: &Measurement, c: &Measurement) -> (f64, Option<f64>) {
    match kind {
        Ratio::Throughput => {
            let ratio = match (m.per_cpu_second(), c.per_cpu_second()) {
                (Some(a), Some(b)) => a / b,
                _ => m.rps / c.rps,
            };
            (ratio, Some(m.rps / c.rps))
        }
        Ratio::P99Rise => (m.p99_ms / c.p99_ms, None),
        Ratio::P99Millis => (m.p99_ms, None),
    }
}

/// The middle value (the mean of the two middle ones for an even count); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The per-round ratios of `scenario` to `against`, pairing the rounds measured side by side
/// (seconds apart, under the same conditions), and the wall-clock ones for throughput.
fn paired(
    rounds: &Rounds,
    scenario: &str,
    against: &str,
    kind: Ratio,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let of = |name: &str| {
        rounds
            .get(name)
            .ok_or_else(|| format!("no measurement of `{name}` in the results"))
    };
    let (mine, theirs) = (of(scenario)?, of(against)?);
    let pairs: Vec<_> = mine
        .iter()
        .filter_map(|(round, m)| theirs.get(round).map(|c| compare(kind, m, c)))
        .collect();
    if pairs.is_empty() {
        return Err(format!(
            "no round measured both `{scenario}` and `{against}`"
        ));
    }
    Ok((
        pairs.iter().map(|p| p.0).collect(),
        pairs.iter().filter_map(|p| p.1).collect(),
    ))
}

fn build(rounds: &Rounds, settings: serde_json::Value) -> Result<Report, String> {
    let paced = |name: &str| SCENARIOS.iter().any(|s| s.name == name && s.paced);
    let best_of = |name: &str| {
        let measured = measured_as(name);
        rounds
            .get(measured)
            .and_then(|r| best(r, paced(measured)))
            .ok_or_else(|| format!("no measurement of `{measured}` in the results"))
    };
    let mut rows = Vec::new();
    for scenario in SCENARIOS {
        if scenario.optional && !rounds.contains_key(measured_as(scenario.name)) {
            continue;
        }
        let m = best_of(scenario.name)?;
        let mut row = Row {
            name: scenario.name,
            what: scenario.what,
            rps: m.rps,
            cpu_seconds: m.cpu_seconds,
            rps_per_cpu_second: m.per_cpu_second(),
            p50_ms: m.p50_ms,
            p99_ms: m.p99_ms,
            errors: rounds
                .get(measured_as(scenario.name))
                .map_or(0, |r| r.values().map(|m| m.errors).sum()),
            rounds: rounds
                .get(measured_as(scenario.name))
                .map_or(0, BTreeMap::len),
            ceiling: None,
            ratio_kind: None,
            ratio: None,
            ratio_rounds: Vec::new(),
            ratio_wall: None,
            target: None,
            met: None,
        };
        if let Some((against, kind, target)) = scenario.against {
            let (ratios, walls) = paired(rounds, measured_as(scenario.name), against, kind)?;
            let ratio = median(ratios.clone());
            row.ceiling = (kind != Ratio::P99Millis).then_some(against);
            row.ratio_kind = Some(kind);
            row.ratio = ratio;
            row.ratio_rounds = ratios;
            row.ratio_wall = median(walls);
            row.target = target.map(Target::text);
            row.met = target.map(|t| ratio.is_some_and(|r| t.met(r)));
        }
        rows.push(row);
    }
    let measured = |names: &[&str]| names.iter().any(|n| rows.iter().any(|r| r.name == *n));
    let goals = GOALS
        .iter()
        .filter(|(_, decided_by)| measured(decided_by))
        .map(|(goal, decided_by)| Goal {
            goal,
            decided_by: decided_by.to_vec(),
            met: rows
                .iter()
                .any(|r| decided_by.contains(&r.name) && r.met == Some(true)),
        })
        .collect();
    Ok(Report {
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        settings,
        scenarios: rows,
        goals,
    })
}

fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<46} {:>8} {:>9} {:>8} {:>8}  {:<20} {:>6} {:>11} {:>6} {:>7} {:>4}",
        "scenario",
        "what",
        "rps",
        "rps/cpu",
        "p50 ms",
        "p99 ms",
        "vs",
        "ratio",
        "(rounds)",
        "(wall)",
        "target",
        "met"
    );
    let two = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2}"));
    for r in &report.scenarios {
        let per_cpu = r
            .rps_per_cpu_second
            .map_or_else(|| "-".into(), |v| format!("{v:.0}"));
        let vs = match (r.ceiling, r.ratio_kind) {
            (Some(c), Some(Ratio::P99Rise)) => format!("{c} (p99)"),
            (Some(c), _) => c.to_owned(),
            _ => "-".into(),
        };
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        let spread = r
            .ratio_rounds
            .iter()
            .copied()
            .fold(None, |acc: Option<(f64, f64)>, v| {
                Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
            })
            .map_or_else(|| "-".into(), |(lo, hi)| format!("{lo:.2}-{hi:.2}"));
        let _ = writeln!(
            out,
            "{:<20} {:<46} {:>8.0} {:>9} {:>8.2} {:>8.2}  {:<20} {:>6} {:>11} {:>6} {:>7} {:>4}",
            r.name,
            r.what,
            r.rps,
            per_cpu,
            r.p50_ms,
            r.p99_ms,
            vs,
            two(r.ratio),
            spread,
            two(r.ratio_wall),
            r.target.as_deref().unwrap_or(""),
            met
        );
    }
    out.push('\n');
    for g in &report.goals {
        let _ = writeln!(
            out,
            "{} {}",
            if g.met { "[met]   " } else { "[missed]" },
            g.goal
        );
    }
    out
}

/// Reads the rounds in `results`, prints the table, and writes the report to `out`.
/// Fails when a scenario is missing or had errors: its numbers would not mean what they say.
pub fn run(results: &Path, out: &Path) -> Result<(), String> {
    let rounds = read_rounds(results)?;
    let settings = match std::fs::read_to_string(results.join("settings.json")) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("settings.json: {e}"))?,
        Err(_) => serde_json::Value::Null,
    };
    let report = build(&rounds, settings)?;
    print!("{}", table(&report));
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(out, json + "\n").map_err(|e| format!("{}: {e}", out.display()))?;
    println!("\nwritten to {}", out.display());
    let failed: Vec<&str> = report
        .scenarios
        .iter()
        .filter(|r| r.errors > 0)
        .map(|r| r.name)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "errors (non-2xx answers, timeouts or failed queries) in: {}",
            failed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rps: f64, p99_ms: f64) -> Measurement {
        Measurement {
            requests: 1,
            seconds: 1.0,
            rps,
            p50_ms: p99_ms / 2.0,
            p99_ms,
            errors: 0,
            cpu_seconds: None,
        }
    }

    fn by_round(measurements: Vec<Measurement>) -> BTreeMap<u32, Measurement> {
        (1..).zip(measurements).collect()
    }

    /// Three rounds of everything at 100 rps and 1 ms, with `health` and the flood varying.
    fn all_rounds() -> Rounds {
        let mut rounds: Rounds = SCENARIOS
            .iter()
            .filter(|s| measured_as(s.name) == s.name)
            .map(|s| (s.name.to_owned(), by_round(vec![m(100.0, 1.0); 3])))
            .collect();
        rounds.insert(
            "health".into(),
            by_round(vec![m(90.0, 1.0), m(96.0, 1.0), m(99.0, 1.0)]),
        );
        rounds.insert(
            "read_during_flood".into(),
            by_round(vec![m(10.0, 1.5), m(10.0, 1.1), m(10.0, 1.0)]),
        );
        rounds
    }

    fn row<'a>(report: &'a Report, name: &str) -> &'a Row {
        report.scenarios.iter().find(|r| r.name == name).unwrap()
    }

    #[test]
    fn ratios_are_the_median_of_the_rounds_measured_side_by_side() {
        let report = build(&all_rounds(), serde_json::Value::Null).unwrap();
        let health = row(&report, "health");
        assert!((health.ratio.unwrap() - 0.96).abs() < 1e-9);
        assert_eq!(health.ratio_rounds.len(), 3);
        assert_eq!(health.met, Some(true));
        assert!(
            (health.rps - 99.0).abs() < 1e-9,
            "the table shows the best round"
        );
        assert!((row(&report, "read_during_flood").ratio.unwrap() - 1.1).abs() < 1e-9);
        assert_eq!(row(&report, "health_bare").ratio, None);
        assert!(report.goals.iter().all(|g| g.met));
    }

    #[test]
    fn postgres_rows_are_left_out_of_a_run_without_postgres_and_p99_targets_are_in_ms() {
        let mut rounds = all_rounds();
        rounds.retain(|name, _| !name.contains("_pg"));
        rounds.insert(
            "booking_paced".into(),
            by_round(vec![m(80.0, 12.0), m(80.0, 6.0), m(80.0, 8.0)]),
        );
        let report = build(&rounds, serde_json::Value::Null).unwrap();
        assert!(report.scenarios.iter().all(|r| !r.name.contains("_pg")));
        assert!(report.goals.iter().all(|g| !g.goal.contains("PostgreSQL")));
        let paced = row(&report, "booking_paced");
        assert!(
            (paced.ratio.unwrap() - 8.0).abs() < 1e-9,
            "the median p99 in ms"
        );
        assert_eq!(paced.ceiling, None);
        assert_eq!(paced.met, Some(true));
    }

    #[test]
    fn a_slow_ceiling_round_is_compared_with_its_own_round_only() {
        let mut rounds = all_rounds();
        // Round 2 ran while the machine was busy: both sides slowed down, the ratio did not.
        rounds.insert(
            "argon2".into(),
            by_round(vec![m(100.0, 1.0), m(50.0, 1.0), m(100.0, 1.0)]),
        );
        rounds.insert(
            "login".into(),
            by_round(vec![m(95.0, 1.0), m(48.0, 1.0), m(97.0, 1.0)]),
        );
        let report = build(&rounds, serde_json::Value::Null).unwrap();
        assert!((row(&report, "login").ratio.unwrap() - 0.96).abs() < 1e-9);
    }

    #[test]
    fn medians_of_even_counts_average_the_middle_pair() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![f64::NAN]), None);
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn throughput_is_compared_per_cpu_second_when_both_sides_know_it() {
        let mut rounds = all_rounds();
        // The API got half a core, the bare server all of it: per CPU second they cost the same.
        rounds.insert(
            "health".into(),
            by_round(vec![Measurement {
                requests: 50,
                cpu_seconds: Some(0.5),
                ..m(50.0, 1.0)
            }]),
        );
        rounds.insert(
            "health_bare".into(),
            by_round(vec![Measurement {
                requests: 100,
                cpu_seconds: Some(1.0),
                ..m(100.0, 1.0)
            }]),
        );
        let report = build(&rounds, serde_json::Value::Null).unwrap();
        let health = row(&report, "health");
        assert!((health.ratio.unwrap() - 1.0).abs() < 1e-9);
        assert!((health.ratio_wall.unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_ceiling_measured_in_no_round_of_its_scenario_is_an_error() {
        let mut rounds = all_rounds();
        rounds.insert("argon2".into(), (7..8).zip(vec![m(100.0, 1.0)]).collect());
        let e = build(&rounds, serde_json::Value::Null).unwrap_err();
        assert!(e.contains("no round measured both"), "{e}");
    }

    #[test]
    fn a_missing_scenario_is_an_error() {
        let mut rounds = all_rounds();
        rounds.remove("argon2");
        let e = build(&rounds, serde_json::Value::Null).unwrap_err();
        assert!(e.contains("argon2"), "{e}");
    }
}

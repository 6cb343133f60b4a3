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
}

const fn ceiling(name: &'static str, what: &'static str) -> Scenario {
    Scenario {
        name,
        what,
        against: None,
        paced: false,
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
        "same read, no auth, no middleware",
        "path_get_storage",
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
    },
    Scenario {
        name: "read_during_flood",
        what: "same, paced, during a login flood",
        against: Some(("read_alone", Ratio::P99Rise, Some(Target::AtMost(1.2)))),
        paced: true,
    },
    versus(
        "login_during_flood",
        "API POST /v1/auth/login, the flood",
        "argon2",
        None,
    ),
];

/// Scenarios that reuse another's measurements under a second comparison.
fn measured_as(name: &str) -> &str {
    match name {
        "path_get_vs_storage" => "path_get",
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
    /// The ratio the target is checked against (per CPU second for throughput, when known).
    ratio: Option<f64>,
    /// The same comparison in wall-clock requests per second, for throughput.
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

/// Every round of every scenario in `dir`: files `<scenario>.<round>.json`.
fn read_rounds(dir: &Path) -> Result<BTreeMap<String, Vec<Measurement>>, String> {
    let mut rounds: BTreeMap<String, Vec<Measurement>> = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some((scenario, _)) = file.strip_suffix(".json").and_then(|s| s.split_once('.')) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
        let measurement: Measurement =
            serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
        rounds
            .entry(scenario.to_owned())
            .or_default()
            .push(measurement);
    }
    Ok(rounds)
}

/// The throughput a ratio divides: per second of the CPU the work got when that is known (so
/// other processes taking the core do not count against the API), per second of wall time if not.
fn throughput(m: &Measurement) -> f64 {
    m.per_cpu_second().unwrap_or(m.rps)
}

/// The round least disturbed by whatever else ran on the machine: interference only ever makes
/// a run slower, so that is the fastest round (or, at a fixed rate, the one with the lowest p99).
fn best(rounds: &[Measurement], paced: bool) -> Option<&Measurement> {
    if paced {
        rounds.iter().min_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms))
    } else {
        rounds
            .iter()
            .max_by(|a, b| throughput(a).total_cmp(&throughput(b)))
    }
}

fn build(
    rounds: &BTreeMap<String, Vec<Measurement>>,
    settings: serde_json::Value,
) -> Result<Report, String> {
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
                .map_or(0, |r| r.iter().map(|m| m.errors).sum()),
            rounds: rounds.get(measured_as(scenario.name)).map_or(0, Vec::len),
            ceiling: None,
            ratio_kind: None,
            ratio: None,
            ratio_wall: None,
            target: None,
            met: None,
        };
        if let Some((against, kind, target)) = scenario.against {
            let c = best_of(against)?;
            let ratio = match kind {
                Ratio::Throughput => match (m.per_cpu_second(), c.per_cpu_second()) {
                    (Some(a), Some(b)) => a / b,
                    _ => m.rps / c.rps,
                },
                Ratio::P99Rise => m.p99_ms / c.p99_ms,
            };
            row.ceiling = Some(against);
            row.ratio_kind = Some(kind);
            row.ratio = ratio.is_finite().then_some(ratio);
            row.ratio_wall = (kind == Ratio::Throughput)
                .then_some(m.rps / c.rps)
                .filter(|r| r.is_finite());
            row.target = target.map(Target::text);
            row.met = target.map(|t| ratio.is_finite() && t.met(ratio));
        }
        rows.push(row);
    }
    let goals = GOALS
        .iter()
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
        "{:<20} {:<46} {:>8} {:>9} {:>8} {:>8}  {:<20} {:>6} {:>6} {:>7} {:>4}",
        "scenario",
        "what",
        "rps",
        "rps/cpu",
        "p50 ms",
        "p99 ms",
        "vs",
        "ratio",
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
        let _ = writeln!(
            out,
            "{:<20} {:<46} {:>8.0} {:>9} {:>8.2} {:>8.2}  {:<20} {:>6} {:>6} {:>7} {:>4}",
            r.name,
            r.what,
            r.rps,
            per_cpu,
            r.p50_ms,
            r.p99_ms,
            vs,
            two(r.ratio),
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

    fn all_rounds() -> BTreeMap<String, Vec<Measurement>> {
        let mut rounds: BTreeMap<String, Vec<Measurement>> = SCENARIOS
            .iter()
            .filter(|s| measured_as(s.name) == s.name)
            .map(|s| (s.name.to_owned(), vec![m(100.0, 1.0)]))
            .collect();
        rounds.insert("health".into(), vec![m(90.0, 1.0), m(96.0, 1.0)]);
        rounds.insert("read_during_flood".into(), vec![m(10.0, 1.5), m(10.0, 1.1)]);
        rounds
    }

    #[test]
    fn ratios_use_each_scenarios_best_round() {
        let report = build(&all_rounds(), serde_json::Value::Null).unwrap();
        let row = |name: &str| report.scenarios.iter().find(|r| r.name == name).unwrap();
        assert!((row("health").ratio.unwrap() - 0.96).abs() < 1e-9);
        assert_eq!(row("health").met, Some(true));
        assert!((row("read_during_flood").ratio.unwrap() - 1.1).abs() < 1e-9);
        assert_eq!(row("read_during_flood").met, Some(true));
        assert_eq!(row("health_bare").ratio, None);
        assert!(report.goals.iter().all(|g| g.met));
    }

    #[test]
    fn throughput_is_compared_per_cpu_second_when_both_sides_know_it() {
        let mut rounds = all_rounds();
        // The API got half a core, the bare server all of it: per CPU second they cost the same.
        rounds.insert(
            "health".into(),
            vec![Measurement {
                requests: 50,
                cpu_seconds: Some(0.5),
                ..m(50.0, 1.0)
            }],
        );
        rounds.insert(
            "health_bare".into(),
            vec![Measurement {
                requests: 100,
                cpu_seconds: Some(1.0),
                ..m(100.0, 1.0)
            }],
        );
        let report = build(&rounds, serde_json::Value::Null).unwrap();
        let health = report
            .scenarios
            .iter()
            .find(|r| r.name == "health")
            .unwrap();
        assert!((health.ratio.unwrap() - 1.0).abs() < 1e-9);
        assert!((health.ratio_wall.unwrap() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_missing_scenario_is_an_error() {
        let mut rounds = all_rounds();
        rounds.remove("argon2");
        let e = build(&rounds, serde_json::Value::Null).unwrap_err();
        assert!(e.contains("argon2"), "{e}");
    }
}

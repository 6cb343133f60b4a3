//! One scenario's numbers, in the shape both `bench/wrk/measure.lua` and the in-process loops
//! write, so the report reads every scenario alike.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Measurement {
    /// Operations completed (requests, queries or hashes).
    pub requests: u64,
    /// How long the measurement ran.
    pub seconds: f64,
    /// Operations per second.
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Failed operations (for HTTP: connection errors, timeouts and non-2xx answers).
    pub errors: u64,
    /// CPU time the process doing the work (the server, or the loop) got meanwhile, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
}

impl Measurement {
    /// Summarises the latencies of every operation of a closed loop that ran for `elapsed`.
    pub fn from_latencies(mut latencies: Vec<Duration>, elapsed: Duration, errors: u64) -> Self {
        latencies.sort_unstable();
        let seconds = elapsed.as_secs_f64();
        let requests = u64::try_from(latencies.len()).unwrap_or(u64::MAX);
        Measurement {
            requests,
            seconds,
            // Counts stay far below 2^52, where f64 stops being exact.
            rps: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            p50_ms: percentile_ms(&latencies, 50.0),
            p99_ms: percentile_ms(&latencies, 99.0),
            errors,
            cpu_seconds: None,
        }
    }

    /// Operations per second of CPU the work got: what the work costs, whatever else ran on the
    /// machine. `None` without a CPU time.
    pub fn per_cpu_second(&self) -> Option<f64> {
        self.cpu_seconds
            .filter(|s| *s > 0.0)
            .map(|s| self.requests as f64 / s)
    }
}

/// The CPU time (user and system, every thread) this process has used so far, from
/// `/proc/self/stat`; `None` where there is no such file.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_seconds_of_stat(&stat)
}

/// utime and stime, fields 14 and 15 of a `/proc/<pid>/stat` line, in clock ticks of 1/100 s
/// (`USER_HZ`, 100 on every Linux `bench/run.sh` runs on). The command name, field 2, may hold
/// spaces, so fields are counted after its closing parenthesis.
fn cpu_seconds_of_stat(stat: &str) -> Option<f64> {
    const TICKS_PER_SECOND: f64 = 100.0;
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// The nearest-rank percentile of sorted latencies, in milliseconds (0 when there are none).
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let latencies: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let m = Measurement::from_latencies(latencies, Duration::from_secs(2), 0);
        assert_eq!(m.requests, 100);
        assert!((m.rps - 50.0).abs() < 1e-9);
        assert!((m.p50_ms - 50.0).abs() < 1e-9);
        assert!((m.p99_ms - 99.0).abs() < 1e-9);
    }

    #[test]
    fn cpu_time_is_read_past_the_command_name() {
        let stat = "4242 (tokio rt) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 9 0 100";
        assert_eq!(cpu_seconds_of_stat(stat), Some(3.0));
        assert_eq!(cpu_seconds_of_stat("garbage"), None);
        assert!(process_cpu_seconds().is_some_and(|s| s >= 0.0));
    }

    #[test]
    fn throughput_per_cpu_second_needs_a_cpu_time() {
        let mut m = Measurement::from_latencies(
            vec![Duration::from_millis(1); 10],
            Duration::from_secs(1),
            0,
        );
        assert_eq!(m.per_cpu_second(), None);
        m.cpu_seconds = Some(0.5);
        assert_eq!(m.per_cpu_second(), Some(20.0));
    }

    #[test]
    fn nothing_measured_is_all_zero() {
        let m = Measurement::from_latencies(Vec::new(), Duration::ZERO, 3);
        assert_eq!((m.requests, m.rps, m.p99_ms, m.errors), (0, 0.0, 0.0, 3));
    }
}

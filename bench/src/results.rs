//! What a run found, and its two forms: `results.json` (everything, machine-readable) and
//! `results.md` (tables: figures, latencies, targets with verdicts, deliveries).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::latency::{Latencies, Summary};

/// A whole run.
#[derive(Debug, Serialize)]
pub struct Run {
    pub started_unix: u64,
    pub command: String,
    pub quick: bool,
    pub machine: Machine,
    pub scenarios: Vec<Outcome>,
}

/// The machine the run was measured on.
#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
}

/// One scenario's findings.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub id: &'static str,
    pub title: &'static str,
    pub rows: Vec<Row>,
    pub latencies: Vec<LatencyRow>,
    pub targets: Vec<Target>,
    pub deliveries: Vec<Delivery>,
    pub notes: Vec<String>,
    /// Extra charts beyond the latency distribution (drawn unless `--quick`).
    #[serde(skip)]
    pub charts: Vec<Chart>,
}

/// One system measured in one case (e.g. Floorboard with 10,000 boards).
#[derive(Debug, Serialize)]
pub struct Row {
    pub system: String,
    pub case: String,
    pub figures: Vec<Figure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: &'static str,
    pub unit: &'static str,
    pub value: f64,
}

/// A latency distribution of one path (submit to board, to acknowledgement, ...).
#[derive(Debug, Serialize)]
pub struct LatencyRow {
    pub system: String,
    pub case: String,
    pub path: &'static str,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(skip)]
    pub cdf: Vec<(f64, f64)>,
}

/// A target of the issue and how the run did against it; `met` is `None` when the run
/// could not measure it (e.g. peers not prepared).
#[derive(Debug, Serialize)]
pub struct Target {
    pub goal: String,
    pub measured: String,
    pub met: Option<bool>,
}

/// Expected deliveries and how many arrived: anything short of all is a failure.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub what: String,
    pub expected: u64,
    pub delivered: u64,
}

/// A line chart: named series of (x, y) points.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Delivery {
    pub fn new(what: &str, expected: u64, delivered: u64) -> Delivery {
        Delivery { what: what.into(), expected, delivered }
    }

    pub fn complete(&self) -> bool {
        self.delivered >= self.expected
    }

    /// Labels this delivery with the system and case it belongs to.
    pub fn of(mut self, system: &str, case: &str) -> Delivery {
        self.what = format!("{system}, {case}: {}", self.what);
        self
    }
}

impl Figure {
    pub fn new(name: &'static str, unit: &'static str, value: f64) -> Figure {
        Figure { name, unit, value }
    }
}

impl Target {
    /// At most (`lower_is_better`) or at least `limit`.
    pub fn check(
        goal: impl Into<String>,
        measured: Option<f64>,
        limit: f64,
        lower_is_better: bool,
        unit: &str,
    ) -> Target {
        let met = measured.map(|m| if lower_is_better { m <= limit } else { m >= limit });
        let measured = measured.map_or_else(|| "not measured".to_string(), |m| format!("{} {unit}", number(m)));
        Target { goal: goal.into(), measured: measured.trim_end().to_string(), met }
    }
}

impl Outcome {
    pub fn new(id: &'static str, title: &'static str) -> Outcome {
        Outcome { id, title, ..Outcome::default() }
    }

    pub fn row(&mut self, system: &str, case: &str, figures: Vec<Figure>) {
        self.rows.push(Row { system: system.into(), case: case.into(), figures });
    }

    pub fn latency(&mut self, system: &str, case: &str, path: &'static str, lat: &Latencies) -> Summary {
        self.push_latency(system, case, path, lat, lat.cdf())
    }

    /// Like `latency`, but left out of the latency plot (a repeated round of a case).
    pub fn latency_unplotted(&mut self, system: &str, case: &str, path: &'static str, lat: &Latencies) -> Summary {
        self.push_latency(system, case, path, lat, Vec::new())
    }

    fn push_latency(
        &mut self,
        system: &str,
        case: &str,
        path: &'static str,
        lat: &Latencies,
        cdf: Vec<(f64, f64)>,
    ) -> Summary {
        let summary = lat.summary();
        self.latencies.push(LatencyRow { system: system.into(), case: case.into(), path, summary, cdf });
        summary
    }

    /// The value of figure `name` in the row for `system` and `case`.
    pub fn figure(&self, system: &str, case: &str, name: &str) -> Option<f64> {
        let row = self.rows.iter().find(|r| r.system == system && r.case == case)?;
        row.figures.iter().find(|f| f.name == name).map(|f| f.value)
    }

    /// p99 in ms of `path` for `system` and `case`.
    pub fn p99(&self, system: &str, case: &str, path: &str) -> Option<f64> {
        let row = self.latencies.iter().find(|l| l.system == system && l.case == case && l.path == path)?;
        Some(row.summary.p99_ms)
    }

    /// The latency distributions as one chart.
    pub fn latency_chart(&self) -> Option<Chart> {
        let series: Vec<_> = self
            .latencies
            .iter()
            .filter(|l| !l.cdf.is_empty())
            .map(|l| (format!("{} {} {}", l.system, l.case, l.path), l.cdf.clone()))
            .collect();
        (!series.is_empty()).then(|| Chart {
            file: format!("{}-latency.png", self.id.to_lowercase()),
            title: format!("{} {}: latency distribution", self.id, self.title),
            x_label: "latency (ms, log scale)".into(),
            y_label: "share delivered within".into(),
            log_x: true,
            series,
        })
    }

    fn markdown(&self, out: &mut String) {
        let _ = writeln!(out, "### {} {}\n", self.id, self.title);
        self.figures_table(out);
        self.latency_table(out);
        if !self.targets.is_empty() {
            let _ = writeln!(out, "| target | measured | verdict |\n| --- | --- | --- |");
            for t in &self.targets {
                let _ = writeln!(out, "| {} | {} | {} |", t.goal, t.measured, verdict(t.met));
            }
            out.push('\n');
        }
        if !self.deliveries.is_empty() {
            let _ = writeln!(out, "| deliveries | expected | arrived | share |\n| --- | ---: | ---: | ---: |");
            for d in &self.deliveries {
                let share = if d.expected == 0 { 100.0 } else { 100.0 * d.delivered as f64 / d.expected as f64 };
                let _ = writeln!(out, "| {} | {} | {} | {share:.3} % |", d.what, d.expected, d.delivered);
            }
            out.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
    }

    fn figures_table(&self, out: &mut String) {
        let mut columns: Vec<(&str, &str)> = Vec::new();
        for f in self.rows.iter().flat_map(|r| &r.figures) {
            if !columns.contains(&(f.name, f.unit)) {
                columns.push((f.name, f.unit));
            }
        }
        if columns.is_empty() {
            return;
        }
        let head: Vec<String> =
            columns.iter().map(|(n, u)| if u.is_empty() { n.to_string() } else { format!("{n} ({u})") }).collect();
        let _ = writeln!(out, "| system | case | {} |", head.join(" | "));
        let _ = writeln!(out, "| --- | --- |{}", " ---: |".repeat(columns.len()));
        for r in &self.rows {
            let cells: Vec<String> = columns
                .iter()
                .map(|(n, u)| {
                    r.figures.iter().find(|f| f.name == *n && f.unit == *u).map_or("–".into(), |f| number(f.value))
                })
                .collect();
            let _ = writeln!(out, "| {} | {} | {} |", r.system, r.case, cells.join(" | "));
        }
        out.push('\n');
    }

    fn latency_table(&self, out: &mut String) {
        if self.latencies.is_empty() {
            return;
        }
        let _ = writeln!(out, "| system | case | latency | count | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) |");
        let _ = writeln!(out, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for l in &self.latencies {
            let s = &l.summary;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                l.system,
                l.case,
                l.path,
                s.count,
                number(s.p50_ms),
                number(s.p99_ms),
                number(s.p999_ms),
                number(s.max_ms)
            );
        }
        out.push('\n');
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "not measured",
    }
}

/// A figure with sensible precision: three significant digits, thousands grouped.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let magnitude = v.abs();
    if magnitude >= 1000.0 {
        group_thousands(v.round() as i64)
    } else if magnitude >= 100.0 {
        format!("{v:.0}")
    } else if magnitude >= 10.0 {
        format!("{v:.1}")
    } else if magnitude >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if n < 0 { format!("-{grouped}") } else { grouped }
}

impl Run {
    /// Every target's verdict in one table, then each scenario in full.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "## Results\n");
        let _ = writeln!(
            out,
            "Command: `{}`. Machine: {}, {} cores, {:.0} GiB, Linux {}.{}\n",
            self.command,
            m.cpu,
            m.cores,
            m.memory_gib,
            m.kernel,
            if self.quick { " Smoke run (--quick): tiny sizes, figures mean nothing." } else { "" }
        );
        let _ = writeln!(out, "| scenario | target | measured | verdict |\n| --- | --- | --- | --- |");
        for s in &self.scenarios {
            for t in &s.targets {
                let _ = writeln!(out, "| {} | {} | {} | {} |", s.id, t.goal, t.measured, verdict(t.met));
            }
        }
        out.push('\n');
        for s in &self.scenarios {
            s.markdown(&mut out);
        }
        out
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(self)?)?;
        std::fs::write(dir.join("results.md"), self.markdown())?;
        Ok(())
    }
}

impl Machine {
    pub fn describe() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or("unknown CPU".into(), |(_, v)| v.trim().to_string());
        let meminfo = read("/proc/meminfo");
        let kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: kib / 1024.0 / 1024.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        }
    }
}

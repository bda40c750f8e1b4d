//! Latency histograms in microseconds (HdrHistogram, 3 significant digits) and their summary:
//! count, p50, p99, p99.9 and max in milliseconds, plus points for a distribution plot.

use hdrhistogram::Histogram;
use serde::Serialize;

const MAX_MICROS: u64 = 600_000_000;

#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

/// What a latency distribution comes to, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies(Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds"))
    }
}

impl Latencies {
    /// Records one latency; clock steps below zero count as the smallest value.
    pub fn record(&mut self, micros: i64) {
        self.0.saturating_record(micros.clamp(1, MAX_MICROS as i64) as u64);
    }

    pub fn summary(&self) -> Summary {
        let ms = |q: f64| self.0.value_at_quantile(q) as f64 / 1000.0;
        Summary {
            count: self.0.len(),
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: self.0.max() as f64 / 1000.0,
        }
    }

    /// The distribution as (milliseconds, share at or below) points, for a CDF plot.
    pub fn cdf(&self) -> Vec<(f64, f64)> {
        if self.0.is_empty() {
            return Vec::new();
        }
        let mut points: Vec<(f64, f64)> = (0..=200)
            .map(|i| 1.0 - 10f64.powf(-(i as f64) / 50.0))
            .map(|q| (self.0.value_at_quantile(q) as f64 / 1000.0, q))
            .collect();
        points.push((self.0.max() as f64 / 1000.0, 1.0));
        points
    }
}

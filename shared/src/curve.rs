//! The go-live curve, leadership's "are we stabilising?": per hour since go-live, the issues
//! reported and resolved, and the backlog open at each hour's end, by kind or by severity,
//! for the whole go-live and each facility side by side. A pure function of the same records
//! as the summary ([`crate::summary::Record`]), drawn by the app as SVG.
//!
//! Counted, decided: `reported` counts issues by their receipt (elbow-resolved ones
//! included); `resolved` counts resolutions (each move from an open status to resolved or
//! closed, and an elbow-resolved report at its receipt: a reopened issue resolved again
//! counts again); `open` is the number of issues open at the end of each hour, exact however
//! often they moved.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::golive::GoLive;
use crate::ids::FacilityId;
use crate::report::{Kind, Severity};
use crate::summary::Record;

/// The length of one point of the curve, in seconds.
pub const STEP_SECS: u32 = 3600;
/// The most points a curve holds: sixty days of hours (a go-live runs two to five weeks); a
/// longer one shows its last sixty days.
pub const MAX_POINTS: usize = 60 * 24;

/// What the series are broken down by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Breakdown {
    #[default]
    Kind,
    Severity,
}

impl Breakdown {
    /// The wire names of the series' keys, in order.
    pub fn keys(self) -> Vec<&'static str> {
        match self {
            Breakdown::Kind => Kind::ALL.iter().map(|k| k.as_str()).collect(),
            Breakdown::Severity => Severity::ALL.iter().map(|s| s.as_str()).collect(),
        }
    }

    fn key_of(self, r: &Record) -> usize {
        match self {
            Breakdown::Kind => Kind::ALL.iter().position(|&k| k == r.kind),
            Breakdown::Severity => Severity::ALL.iter().position(|&s| s == r.severity),
        }
        .unwrap_or(0)
    }
}

/// One facility's curve (or, `facility` absent, the whole go-live's): for each key, one
/// number per hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Curve {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    /// Issues received in each hour, per key.
    pub reported: Vec<Vec<u32>>,
    /// Resolutions in each hour, per key.
    pub resolved: Vec<Vec<u32>>,
    /// Issues open at each hour's end, per key.
    pub open: Vec<Vec<u32>>,
}

/// `GET /api/v1/curve`: the curves of the go-live and of each facility (or of the one
/// facility the reader sees), hour by hour from `from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Curves {
    pub by: Breakdown,
    /// The wire names of the kinds or severities, the order of each curve's series.
    pub keys: Vec<String>,
    /// The start of the first hour: the go-live's start (or sixty days before `as_of`).
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub from: OffsetDateTime,
    pub step_secs: u32,
    /// When the curves were made; the last hour runs until then.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub as_of: OffsetDateTime,
    pub curves: Vec<Curve>,
}

impl Curves {
    /// Keeps only the curve of `facility`.
    pub fn only(mut self, facility: &FacilityId) -> Curves {
        self.curves.retain(|c| c.facility.as_ref() == Some(facility));
        self
    }
}

/// The curves of `records` (every issue received before `now`) from the go-live's start to
/// `now`: the whole go-live's, then each facility's in catalog order.
pub fn curves(golive: &GoLive, records: &[Record], now: OffsetDateTime, by: Breakdown) -> Curves {
    let step = Duration::seconds(i64::from(STEP_SECS));
    let hours = |span: Duration| (span.whole_seconds().max(0) / i64::from(STEP_SECS)) as usize + 1;
    let mut from = golive.starts_at();
    if now < from {
        from = now;
    }
    if hours(now - from) > MAX_POINTS {
        from += step * (hours(now - from) - MAX_POINTS) as u32;
    }
    let points = hours(now - from);
    let facilities = std::iter::once(None).chain(golive.facilities().iter().map(|f| Some(f.id.clone())));
    let curves = facilities
        .map(|facility| {
            let here = records.iter().filter(|r| facility.as_ref().is_none_or(|f| *f == r.facility));
            curve(facility.clone(), here, from, now, points, by)
        })
        .collect();
    Curves {
        by,
        keys: by.keys().into_iter().map(str::to_owned).collect(),
        from,
        step_secs: STEP_SECS,
        as_of: now,
        curves,
    }
}

fn curve<'a>(
    facility: Option<FacilityId>,
    records: impl Iterator<Item = &'a Record>,
    from: OffsetDateTime,
    now: OffsetDateTime,
    points: usize,
    by: Breakdown,
) -> Curve {
    let keys = by.keys().len();
    let mut reported = vec![vec![0_u32; points]; keys];
    let mut resolved = vec![vec![0_u32; points]; keys];
    // Changes of the open count per hour, and the count before the first hour.
    let mut delta = vec![vec![0_i64; points]; keys];
    let mut before = vec![0_i64; keys];
    // The hour `t` falls in: `Err(())` before the first, `None` after `now`.
    let hour = |t: OffsetDateTime| -> Result<Option<usize>, ()> {
        if t < from {
            return Err(());
        }
        let i = ((t - from).whole_seconds() / i64::from(STEP_SECS)) as usize;
        Ok((t <= now && i < points).then_some(i))
    };
    for r in records {
        let key = by.key_of(r);
        let mut change = |t: OffsetDateTime, d: i64| match hour(t) {
            Err(()) => before[key] += d,
            Ok(Some(i)) => delta[key][i] += d,
            Ok(None) => {}
        };
        let initial = r.moves.first().map_or(r.status, |m| m.from);
        if initial.is_open() {
            change(r.received_at, 1);
        }
        for m in &r.moves {
            match (m.from.is_open(), m.to.is_open()) {
                (true, false) => change(m.at, -1),
                (false, true) => change(m.at, 1),
                _ => {}
            }
        }
        if let Ok(Some(i)) = hour(r.received_at) {
            reported[key][i] += 1;
            resolved[key][i] += u32::from(!initial.is_open());
        }
        for m in r.moves.iter().filter(|m| m.from.is_open() && !m.to.is_open()) {
            if let Ok(Some(i)) = hour(m.at) {
                resolved[key][i] += 1;
            }
        }
    }
    let open = delta
        .iter()
        .zip(&before)
        .map(|(deltas, &start)| {
            deltas
                .iter()
                .scan(start, |open, d| {
                    *open += d;
                    Some((*open).max(0) as u32)
                })
                .collect()
        })
        .collect();
    Curve { facility, reported, resolved, open }
}

#[cfg(test)]
mod tests;

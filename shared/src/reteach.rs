//! The re-teach list: training-gap reports grouped by module and workflow across units over
//! a window, so the training team can schedule refreshers where the same workflow keeps
//! failing. A workflow is a group of reports whose summaries are [`similar`]: the function a
//! later "me too" (a trainer finding the issue they are about to report) reuses.
//!
//! Similarity is over the words that carry meaning: lower-cased, split on anything but
//! letters and digits, without common English words and without a plural or verb ending
//! (`orders`, `ordering`, `ordered` all read `order`); two summaries are similar when the
//! Dice coefficient of their word sets is at least [`SIMILAR`]. Reports join the first group,
//! in time order, whose first report they are similar to.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::ids::{FacilityId, ModuleId, UnitId};
use crate::report::Kind;
use crate::summary::Record;

/// The least similarity at which two summaries describe one workflow.
pub const SIMILAR: f64 = 0.5;

/// Words that say nothing of the workflow.
const STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "cannot", "cant", "does", "doesn", "don", "for",
    "from", "has", "have", "how", "in", "into", "is", "isn", "it", "its", "no", "not", "of", "on", "or", "the",
    "their", "them", "they", "this", "to", "unsure", "was", "when", "where", "which", "while", "who", "why", "will",
    "with", "won", "t", "s",
];

/// The words of `text` that carry its meaning, reduced to a common form.
pub fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty() && !STOP.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Drops one plural or verb ending from a word long enough to keep a stem of three letters.
fn stem(word: &str) -> String {
    for ending in ["ing", "ed", "es", "s"] {
        if let Some(stem) = word.strip_suffix(ending)
            && stem.chars().count() >= 3
            && !stem.ends_with('s')
        {
            return stem.to_owned();
        }
    }
    word.to_owned()
}

/// How alike two summaries are, 0 to 1: the Dice coefficient of their [`words`].
pub fn similarity(a: &str, b: &str) -> f64 {
    dice(&words(a), &words(b))
}

fn dice(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

/// Whether two summaries describe the same workflow.
pub fn similar(a: &str, b: &str) -> bool {
    similarity(a, b) >= SIMILAR
}

/// One workflow to teach again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workflow {
    pub module: ModuleId,
    /// The first report's summary, naming the workflow.
    pub workflow: String,
    /// The units it was reported on, most reports first.
    pub units: Vec<UnitId>,
    pub reports: u32,
    /// Different people who reported it.
    pub reporters: u32,
    /// Users affected, as reported.
    pub affected_users: u64,
    /// Reports per day of the window, oldest first.
    pub per_day: Vec<u32>,
    /// Reports in the window's second half against its first.
    pub trend: Trend,
}

/// Whether a workflow is reported more or less often lately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Rising,
    Steady,
    Falling,
}

/// `GET /api/v1/reteach`: the workflows reported as training gaps in a window, most reports
/// first; only those reported more than once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reteach {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub to: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    pub workflows: Vec<Workflow>,
}

/// Reports of one workflow: its first report's words, and its reports.
type Group<'a> = (BTreeSet<String>, Vec<&'a Record>);

/// The re-teach list of the training-gap `records` received in `[from, to)` (of `facility`
/// only, when given).
pub fn reteach(records: &[Record], from: OffsetDateTime, to: OffsetDateTime, facility: Option<&FacilityId>) -> Reteach {
    let days = ((to - from).whole_seconds().max(1) as u64).div_ceil(86_400).max(1) as usize;
    let mut gaps: Vec<&Record> = records
        .iter()
        .filter(|r| r.kind == Kind::TrainingGap && (from..to).contains(&r.received_at))
        .filter(|r| facility.is_none_or(|f| *f == r.facility))
        .collect();
    gaps.sort_by_key(|r| (r.received_at, r.id.0));
    let mut groups: BTreeMap<&ModuleId, Vec<Group<'_>>> = BTreeMap::new();
    for r in gaps {
        let mine = words(&r.summary);
        let module = groups.entry(&r.module).or_default();
        match module.iter_mut().find(|(first, _)| dice(&mine, first) >= SIMILAR) {
            Some((_, members)) => members.push(r),
            None => module.push((mine, vec![r])),
        }
    }
    let mut workflows: Vec<Workflow> = groups
        .into_iter()
        .flat_map(|(module, groups)| groups.into_iter().map(move |(_, members)| (module, members)))
        .filter(|(_, members)| members.len() > 1)
        .map(|(module, members)| workflow(module, &members, from, days))
        .collect();
    workflows.sort_by(|a, b| b.reports.cmp(&a.reports).then_with(|| a.workflow.cmp(&b.workflow)));
    Reteach { from, to, facility: facility.cloned(), workflows }
}

fn workflow(module: &ModuleId, members: &[&Record], from: OffsetDateTime, days: usize) -> Workflow {
    let mut per_unit: BTreeMap<&UnitId, u32> = BTreeMap::new();
    let mut per_day = vec![0_u32; days];
    for r in members {
        *per_unit.entry(&r.unit).or_default() += 1;
        let day = ((r.received_at - from).whole_seconds() / Duration::DAY.whole_seconds()) as usize;
        if let Some(n) = per_day.get_mut(day) {
            *n += 1;
        }
    }
    let mut units: Vec<(&UnitId, u32)> = per_unit.into_iter().collect();
    units.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let (early, late) = per_day.split_at(days / 2);
    let (early, late): (u32, u32) = (early.iter().sum(), late.iter().sum());
    let trend = match late.cmp(&early) {
        _ if days < 2 => Trend::Steady,
        std::cmp::Ordering::Greater => Trend::Rising,
        std::cmp::Ordering::Less => Trend::Falling,
        std::cmp::Ordering::Equal => Trend::Steady,
    };
    Workflow {
        module: module.clone(),
        workflow: members.first().map(|r| r.summary.clone()).unwrap_or_default(),
        units: units.into_iter().map(|(u, _)| u.clone()).collect(),
        reports: members.len() as u32,
        reporters: members.iter().map(|r| &r.reporter).collect::<BTreeSet<_>>().len() as u32,
        affected_users: members.iter().map(|r| u64::from(r.affected_users)).sum(),
        per_day,
        trend,
    }
}

#[cfg(test)]
mod tests;

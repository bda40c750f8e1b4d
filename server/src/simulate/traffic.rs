//! The seeded traffic model: Poisson incidents, some of them bursts of one problem on one unit;
//! trainers checked in to Zipf-weighted units who move now and then; kinds, severities and
//! elbow fixes in field proportions.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::ops::RangeInclusive;
use std::time::Duration;

use floorboard_shared::golive::Unit;
use floorboard_shared::{GoLive, Kind, ReportDraft, ReportId, Severity};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use time::OffsetDateTime;

use super::phrases::{Area, Problem};

/// Kind weights in `Kind::ALL` order: training gap, configuration, access, process.
const KIND_WEIGHTS: [u32; 4] = [45, 25, 20, 10];
/// Severity weights in `Severity::ALL` order: patient safety, high, medium, low.
const SEVERITY_WEIGHTS: [u32; 4] = [2, 13, 45, 40];
/// Share of training gaps fixed on the spot.
const ELBOW_SHARE: f64 = 0.6;
/// Share of incidents that are a burst: one problem reported several times within seconds.
const BURST_PROBABILITY: f64 = 0.08;
const BURST_SIZE: RangeInclusive<u32> = 3..=7;
/// Mean seconds between the reports of one burst.
const BURST_GAP_SECS: f64 = 0.6;
/// Share of single reports that are the unit's recurring problem of that kind.
const REPEAT_PROBABILITY: f64 = 0.4;
/// Share of single reports that affect several users.
const SEVERAL_USERS_PROBABILITY: f64 = 0.25;
const SEVERAL_USERS: RangeInclusive<u32> = 2..=6;
/// Chance that a trainer moves to another unit after an incident.
const MOVE_PROBABILITY: f64 = 1.0 / 12.0;
/// Unit weights fall as 1 / rank^s.
const ZIPF_EXPONENT: f64 = 1.0;
/// Model time run before the first report, longer than any plausible burst.
const WARM_UP: Duration = Duration::from_secs(30);

/// Reports per incident on average, so incidents arrive at `rate / MEAN_INCIDENT_SIZE`.
fn mean_incident_size() -> f64 {
    let mean_burst = f64::from(BURST_SIZE.start() + BURST_SIZE.end()) / 2.0;
    (1.0 - BURST_PROBABILITY) + BURST_PROBABILITY * mean_burst
}

/// One report the model has planned: who reports what, where, and when (from the start).
/// Ordered by time, then by the order of planning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Planned {
    pub(super) at: Duration,
    seq: u64,
    pub(super) trainer: usize,
    unit: usize,
    kind: Kind,
    severity: Severity,
    problem: Problem,
    affected_users: u32,
    resolved_at_elbow: bool,
}

/// A unit as the model sees it: where it is, what can go wrong there, and what keeps going
/// wrong (one recurring problem per kind).
struct UnitProfile {
    facility: String,
    unit: String,
    /// Problems by kind, in `Kind::ALL` order; never empty (generic phrases cover every kind).
    problems: [Vec<Problem>; 4],
    recurring: [Problem; 4],
}

impl UnitProfile {
    fn new(facility: &str, unit: &Unit, modules: &[String], rng: &mut StdRng) -> UnitProfile {
        let area = Area::of(unit);
        tracing::debug!(unit = %unit.id, area = area.name, "unit profile");
        let problems = Kind::ALL.map(|kind| area.problems(kind, modules, rng));
        let recurring = problems.each_ref().map(|list| *list.choose(rng).expect("generic phrases cover every kind"));
        UnitProfile { facility: facility.to_owned(), unit: unit.id.to_string(), problems, recurring }
    }
}

/// The index of a kind in `Kind::ALL` (declaration order).
fn kind_index(kind: Kind) -> usize {
    kind as usize
}

/// The seeded traffic model: an endless, time-ordered stream of planned reports.
pub(super) struct Traffic {
    rng: StdRng,
    modules: Vec<String>,
    units: Vec<UnitProfile>,
    unit_weights: WeightedIndex<f64>,
    kinds: WeightedIndex<u32>,
    severities: WeightedIndex<u32>,
    /// The unit each trainer is checked in to.
    check_ins: Vec<usize>,
    incident_rate: f64,
    /// When the next incident happens; reports planned up to then can be handed out.
    next_incident: Duration,
    planned: BinaryHeap<Reverse<Planned>>,
    seq: u64,
}

impl Traffic {
    pub(super) fn new(golive: &GoLive, trainers: usize, rate: f64, seed: u64) -> Traffic {
        let mut rng = StdRng::seed_from_u64(seed);
        let modules: Vec<String> = golive.modules().iter().map(|m| m.id.to_string()).collect();
        let units: Vec<UnitProfile> =
            golive.units().map(|(f, u)| UnitProfile::new(f.id.as_str(), u, &modules, &mut rng)).collect();
        let unit_weights = zipf_weights(units.len(), &mut rng);
        let check_ins = (0..trainers.max(1)).map(|_| unit_weights.sample(&mut rng)).collect();
        let incident_rate = rate / mean_incident_size();
        let next_incident = exp_gap(&mut rng, incident_rate);
        Traffic {
            rng,
            modules,
            units,
            unit_weights,
            kinds: WeightedIndex::new(KIND_WEIGHTS).expect("constant weights are valid"),
            severities: WeightedIndex::new(SEVERITY_WEIGHTS).expect("constant weights are valid"),
            check_ins,
            incident_rate,
            next_incident,
            planned: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// The next report in time order. The stream starts in its steady state: the model runs
    /// for `WARM_UP` first, so bursts begun before the start spill into it, as bursts near the
    /// end spill past it, and the rate holds even over a few seconds.
    pub(super) fn next_report(&mut self) -> Planned {
        loop {
            let planned = self.next_planned();
            if let Some(at) = planned.at.checked_sub(WARM_UP) {
                return Planned { at, ..planned };
            }
        }
    }

    fn next_planned(&mut self) -> Planned {
        loop {
            if let Some(first) = self.planned.peek_mut()
                && first.0.at <= self.next_incident
            {
                return PeekMut::pop(first).0;
            }
            self.plan_incident();
        }
    }

    /// Plans the incident due at `next_incident`: one report, or a burst of the unit's
    /// recurring problem; then the trainer may move on.
    fn plan_incident(&mut self) {
        let at = self.next_incident;
        self.next_incident += exp_gap(&mut self.rng, self.incident_rate);
        let trainer = self.rng.random_range(0..self.check_ins.len());
        let unit = self.check_ins[trainer];
        let kind = Kind::ALL[self.kinds.sample(&mut self.rng)];
        let profile = &self.units[unit];
        if self.rng.random_bool(BURST_PROBABILITY) {
            let problem = profile.recurring[kind_index(kind)];
            let mut when = at;
            for _ in 0..self.rng.random_range(BURST_SIZE) {
                self.plan(Planned { at: when, trainer, unit, kind, problem, ..Planned::default() });
                when += exp_gap(&mut self.rng, 1.0 / BURST_GAP_SECS);
            }
        } else {
            let problem = if self.rng.random_bool(REPEAT_PROBABILITY) {
                profile.recurring[kind_index(kind)]
            } else {
                *profile.problems[kind_index(kind)].choose(&mut self.rng).expect("generic phrases cover every kind")
            };
            let affected_users =
                if self.rng.random_bool(SEVERAL_USERS_PROBABILITY) { self.rng.random_range(SEVERAL_USERS) } else { 1 };
            self.plan(Planned { at, trainer, unit, kind, problem, affected_users, ..Planned::default() });
        }
        if self.rng.random_bool(MOVE_PROBABILITY) {
            self.check_ins[trainer] = self.unit_weights.sample(&mut self.rng);
        }
    }

    /// Queues a report, drawing what varies from one report to the next.
    fn plan(&mut self, report: Planned) {
        self.seq += 1;
        let severity = Severity::ALL[self.severities.sample(&mut self.rng)];
        let resolved_at_elbow = report.kind == Kind::TrainingGap && self.rng.random_bool(ELBOW_SHARE);
        self.planned.push(Reverse(Planned { seq: self.seq, severity, resolved_at_elbow, ..report }));
    }

    /// The report as a trainer's device would send it.
    pub(super) fn draft(&self, planned: &Planned, id: ReportId, reported_at: OffsetDateTime) -> ReportDraft {
        let unit = &self.units[planned.unit];
        ReportDraft {
            id,
            facility: unit.facility.clone(),
            unit: unit.unit.clone(),
            module: self.modules[planned.problem.module].clone(),
            kind: planned.kind,
            severity: planned.severity,
            summary: planned.problem.summary.to_owned(),
            details: None,
            affected_role: Some(planned.problem.role.to_owned()),
            affected_users: planned.affected_users,
            resolved_at_elbow: planned.resolved_at_elbow,
            reporter: trainer_name(planned.trainer),
            reported_at,
        }
    }
}

impl Default for Planned {
    fn default() -> Planned {
        Planned {
            at: Duration::ZERO,
            seq: 0,
            trainer: 0,
            unit: 0,
            kind: Kind::TrainingGap,
            severity: Severity::Low,
            problem: Problem { summary: "", module: 0, role: "" },
            affected_users: 1,
            resolved_at_elbow: false,
        }
    }
}

/// Simulated trainers' badge names: `trainer-01`, `trainer-02`...
pub(super) fn trainer_name(index: usize) -> String {
    format!("trainer-{:02}", index + 1)
}

/// Weights 1 / rank^s over the units in a seeded random order: a few hot units, a long tail.
fn zipf_weights(units: usize, rng: &mut StdRng) -> WeightedIndex<f64> {
    let mut ranks: Vec<usize> = (1..=units).collect();
    ranks.shuffle(rng);
    WeightedIndex::new(ranks.iter().map(|&rank| (rank as f64).powf(-ZIPF_EXPONENT))).expect("a go-live has units")
}

/// An exponential gap between Poisson arrivals at `rate` per second.
fn exp_gap(rng: &mut StdRng, rate: f64) -> Duration {
    let u: f64 = rng.random(); // in [0, 1), so ln(1 - u) is finite and at most 0
    Duration::from_secs_f64((1.0 - u).ln().abs() / rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use floorboard_shared::phi;
    use std::collections::HashMap;
    use uuid::Uuid;

    fn plan(rate: f64, seed: u64, n: usize) -> (Traffic, Vec<Planned>) {
        let mut traffic = Traffic::new(&GoLive::example(), 8, rate, seed);
        let planned = (0..n).map(|_| traffic.next_report()).collect();
        (traffic, planned)
    }

    fn share(planned: &[Planned], pred: impl Fn(&Planned) -> bool) -> f64 {
        planned.iter().filter(|p| pred(p)).count() as f64 / planned.len() as f64
    }

    #[test]
    fn kinds_severities_and_elbow_fixes_follow_field_proportions() {
        let (_, planned) = plan(5.0, 7, 100_000);
        for (kind, weight) in Kind::ALL.into_iter().zip(KIND_WEIGHTS) {
            let got = share(&planned, |p| p.kind == kind);
            assert!((got - f64::from(weight) / 100.0).abs() < 0.015, "{kind:?}: {got}");
        }
        for (severity, weight) in Severity::ALL.into_iter().zip(SEVERITY_WEIGHTS) {
            let got = share(&planned, |p| p.severity == severity);
            assert!((got - f64::from(weight) / 100.0).abs() < 0.01, "{severity:?}: {got}");
        }
        let gaps: Vec<Planned> = planned.iter().filter(|p| p.kind == Kind::TrainingGap).copied().collect();
        let elbow = share(&gaps, |p| p.resolved_at_elbow);
        assert!((elbow - ELBOW_SHARE).abs() < 0.02, "{elbow}");
        assert!(planned.iter().all(|p| p.kind == Kind::TrainingGap || !p.resolved_at_elbow));
    }

    #[test]
    fn reports_arrive_in_time_order_at_the_requested_rate() {
        let rate = 20.0;
        let mut traffic = Traffic::new(&GoLive::example(), 8, rate, 11);
        let horizon = Duration::from_secs(500);
        let mut last = Duration::ZERO;
        let mut count = 0;
        loop {
            let p = traffic.next_report();
            assert!(p.at >= last, "out of order");
            last = p.at;
            if p.at >= horizon {
                break;
            }
            count += 1;
        }
        let expected = rate * horizon.as_secs_f64();
        assert!((f64::from(count) - expected).abs() < expected * 0.05, "{count} vs {expected}");
    }

    #[test]
    fn a_few_hot_units_carry_most_of_the_traffic() {
        let (traffic, planned) = plan(5.0, 3, 50_000);
        let mut counts = vec![0usize; traffic.units.len()];
        planned.iter().for_each(|p| counts[p.unit] += 1);
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let n = planned.len() as f64;
        assert!(counts[0] as f64 / n > 0.08, "hottest unit: {}", counts[0]);
        assert!(counts[..10].iter().sum::<usize>() as f64 / n > 0.4, "top ten: {:?}", &counts[..10]);
    }

    #[test]
    fn problems_recur_on_a_unit() {
        let (traffic, planned) = plan(5.0, 5, 50_000);
        let mut counts = vec![0usize; traffic.units.len()];
        planned.iter().for_each(|p| counts[p.unit] += 1);
        let hottest = (0..counts.len()).max_by_key(|&u| counts[u]).unwrap();
        for kind in Kind::ALL {
            let mut summaries: HashMap<&str, usize> = HashMap::new();
            for p in planned.iter().filter(|p| p.unit == hottest && p.kind == kind) {
                *summaries.entry(p.problem.summary).or_default() += 1;
            }
            let total: usize = summaries.values().sum();
            let top = summaries.values().max().copied().unwrap_or(0);
            assert!(top as f64 > 0.4 * total as f64, "{kind:?}: {top} of {total}");
            let recurring = traffic.units[hottest].recurring[kind_index(kind)].summary;
            assert_eq!(summaries.get(recurring).copied(), Some(top), "{kind:?}");
        }
    }

    #[test]
    fn bursts_put_several_reports_of_one_problem_on_one_unit_within_seconds() {
        // At a slow rate, chance seldom puts three of one problem on one unit within 5 s.
        let (_, planned) = plan(0.5, 9, 20_000);
        let window = Duration::from_secs(5);
        let clustered = planned
            .iter()
            .enumerate()
            .filter(|&(i, p)| {
                let earlier = planned[..i].iter().rev().take_while(|q| p.at - q.at <= window);
                earlier.filter(|q| q.unit == p.unit && q.problem == p.problem).count() >= 2
            })
            .count();
        assert!(clustered as f64 > 0.08 * planned.len() as f64, "{clustered}");
    }

    #[test]
    fn the_same_seed_gives_the_same_traffic() {
        let (_, a) = plan(5.0, 42, 500);
        let (_, b) = plan(5.0, 42, 500);
        let (_, c) = plan(5.0, 43, 500);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_generated_report_validates() {
        let golive = GoLive::example();
        let (traffic, planned) = plan(5.0, 1, 5_000);
        let now = OffsetDateTime::now_utc();
        for p in &planned {
            let draft = traffic.draft(p, ReportId(Uuid::now_v7()), now);
            assert_eq!(phi::screen(&draft.summary), None);
            assert!(draft.reporter.starts_with("trainer-"));
            if let Err(e) = draft.validate(&golive) {
                panic!("{:?} on {:?}: {}", e.code, e.field, e.message);
            }
        }
    }

    #[test]
    fn the_rate_holds_from_the_first_second() {
        let (rate, horizon, runs) = (50.0, Duration::from_secs(5), 100);
        let total: usize = (0..runs)
            .map(|seed| {
                let mut traffic = Traffic::new(&GoLive::example(), 8, rate, seed);
                std::iter::from_fn(|| Some(traffic.next_report())).take_while(|p| p.at < horizon).count()
            })
            .sum();
        let mean = total as f64 / runs as f64;
        let expected = rate * horizon.as_secs_f64();
        assert!((mean - expected).abs() < expected * 0.03, "{mean} vs {expected}");
    }
}

//! `floorboard simulate`: drives a running server with realistic go-live traffic, as a real
//! protocol client, so a board comes alive for a demonstration (and, later, under load).
//!
//! Three parts:
//! - The traffic model (`Traffic`), pure and seeded. Incidents arrive as a Poisson
//!   process; most are one report, some are bursts of the same problem on one unit within
//!   seconds. Each simulated trainer is checked in to one unit and moves now and then, to a
//!   unit drawn from Zipf-like weights, so a few hot units carry most of the traffic. Each
//!   unit has one recurring problem per kind (same summary, same module) that keeps coming
//!   back. Kinds, severities and "resolved at the elbow" follow field proportions; modules
//!   follow the unit's line of work (ASAP in the ED, OpTime in the OR, Stork on L&D...).
//! - The trainers: one websocket each, submissions pipelined and tracked by report id. After
//!   a dropped connection the unanswered ones are resent with the same id (the protocol's
//!   idempotency), and each report's answer is counted once.
//! - The optional board watcher, printing one line per coalesced `board_update`.
//!
//! Report free text (summaries, roles) is never printed or logged.

use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::convert::Infallible;
use std::fmt;
use std::ops::RangeInclusive;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use floorboard_shared::golive::Unit;
use floorboard_shared::heatmap::Cell;
use floorboard_shared::protocol::{ClientMsg, Receipt, ServerMsg, Topic};
use floorboard_shared::{ErrorBody, GoLive, Kind, ReportDraft, ReportId, Severity};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, Stream, StreamExt};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// `floorboard simulate`: realistic go-live traffic against a running server.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// The server's websocket address.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    pub url: String,
    /// Reports per second, on average (Poisson arrivals, bursts included).
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// How long to send reports, in seconds.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Simulated trainers, each on its own websocket, checked in to one unit at a time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub trainers: u32,
    /// Seed for reproducible traffic (units, kinds, timing); random when absent.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also follow the all-facility board on another connection and print each update.
    #[arg(long)]
    pub watch_board: bool,
}

const RATE_RANGE: RangeInclusive<f64> = 0.001..=1_000_000.0;
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

impl SimulateArgs {
    /// The rate and duration, once checked.
    fn checked(&self) -> anyhow::Result<(f64, Duration)> {
        if !RATE_RANGE.contains(&self.rate) {
            bail!("--rate must be {} to {} reports per second", RATE_RANGE.start(), RATE_RANGE.end());
        }
        let duration = Duration::try_from_secs_f64(self.duration)
            .ok()
            .filter(|d| !d.is_zero() && *d <= MAX_DURATION)
            .with_context(|| {
            format!("--duration must be more than 0 and at most {} seconds", MAX_DURATION.as_secs())
        })?;
        Ok((self.rate, duration))
    }
}

/// How long to wait for outstanding acknowledgements once sending stops.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// How long the board watcher keeps listening after the last acknowledgement, for the last
/// coalesced update.
const BOARD_SETTLE: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);

/// Runs `floorboard simulate` and prints its summary. An error when the arguments are bad,
/// the server cannot be reached, or nothing could be sent.
pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let summary = simulate(&args).await?;
    println!("{summary}");
    if summary.tally.sent == 0 {
        bail!("nothing could be sent to {}", args.url);
    }
    Ok(())
}

/// Runs the whole simulation: catalog, trainers, traffic, drain, board watcher.
async fn simulate(args: &SimulateArgs) -> anyhow::Result<Summary> {
    let (rate, duration) = args.checked()?;
    let golive = fetch_golive(&args.url).await?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let trainers = args.trainers as usize;
    println!(
        "simulating {rate} reports/s for {} s with {trainers} trainers on \"{}\" ({} units), seed {seed}",
        duration.as_secs_f64(),
        golive.name(),
        golive.units().count(),
    );
    let mut traffic = Traffic::new(&golive, trainers, rate, seed);

    let board_stop = CancellationToken::new();
    let board = args.watch_board.then(|| tokio::spawn(watch_board(args.url.clone(), board_stop.clone())));

    let trainer_stop = CancellationToken::new();
    let (inboxes, handles): (Vec<_>, Vec<_>) =
        (0..trainers).map(|i| spawn_trainer(i, &args.url, trainer_stop.clone())).unzip();
    let started = Instant::now();
    let generated = drive(&mut traffic, &inboxes, duration).await;
    drop(inboxes);
    let tally = collect(handles, &trainer_stop, DRAIN_GRACE).await;
    let elapsed = started.elapsed();

    let board_updates = match board {
        Some(task) => {
            tokio::time::sleep(BOARD_SETTLE).await;
            board_stop.cancel();
            Some(task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "the board watcher failed");
                0
            }))
        }
        None => None,
    };
    Ok(Summary::new(generated, elapsed, tally, board_updates))
}

// ---------------------------------------------------------------------------------------
// The traffic model
// ---------------------------------------------------------------------------------------

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

/// A problem as reported: summary, module (an index into the go-live's modules) and role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Problem {
    summary: &'static str,
    module: usize,
    role: &'static str,
}

/// One report the model has planned: who reports what, where, and when (from the start).
/// Ordered by time, then by the order of planning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Planned {
    at: Duration,
    seq: u64,
    trainer: usize,
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
struct Traffic {
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
    fn new(golive: &GoLive, trainers: usize, rate: f64, seed: u64) -> Traffic {
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
    fn next_report(&mut self) -> Planned {
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
    fn draft(&self, planned: &Planned, id: ReportId, reported_at: OffsetDateTime) -> ReportDraft {
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
fn trainer_name(index: usize) -> String {
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

// ---------------------------------------------------------------------------------------
// What goes wrong where: the phrase catalog
// ---------------------------------------------------------------------------------------

/// A summary a trainer might type: about the system only, never about a patient (no names,
/// record numbers, long digit runs or dates). `module` and `role` default to the area's.
#[derive(Clone, Copy, Debug)]
struct Phrase {
    kind: Kind,
    text: &'static str,
    module: Option<&'static str>,
    role: Option<&'static str>,
}

const fn say(kind: Kind, text: &'static str) -> Phrase {
    Phrase { kind, text, module: None, role: None }
}

const fn gap(text: &'static str) -> Phrase {
    say(Kind::TrainingGap, text)
}

const fn config(text: &'static str) -> Phrase {
    say(Kind::Configuration, text)
}

const fn access(text: &'static str) -> Phrase {
    say(Kind::Access, text)
}

const fn process(text: &'static str) -> Phrase {
    say(Kind::Process, text)
}

impl Phrase {
    const fn module(self, module: &'static str) -> Phrase {
        Phrase { module: Some(module), ..self }
    }

    const fn role(self, role: &'static str) -> Phrase {
        Phrase { role: Some(role), ..self }
    }
}

/// Problems met on any unit.
static GENERIC: &[Phrase] = &[
    gap("Cannot find patient list column layout from training"),
    gap("Does not know where to acknowledge new orders"),
    gap("Unsure how to sign notes from the In Basket"),
    gap("Cannot find the handoff report shown in class"),
    gap("Forgot how to add an order to preference list favourites"),
    gap("Secure chat not found in the sidebar"),
    gap("Unsure how to document a late entry"),
    config("Print job routes to the wrong unit printer"),
    config("Default activity tab differs from training build"),
    config("SmartText drop-down list is empty"),
    config("Order panel missing the unit's usual defaults"),
    access("Agency nurse has no Epic login yet").role("agency RN"),
    access("Badge tap login fails on WOW in hall"),
    access("New hire sees read-only chart, wrong security class"),
    access("Float staff cannot open this unit's patient list"),
    access("Label printer not mapped to workstation"),
    access("Barcode scanner not recognised on workstation"),
    process("Downtime report location not posted on unit"),
    process("Super user pulled to staffing, no floor support"),
    process("Staff unsure whom to call for after-hours support"),
    process("Shift huddle not covering the go-live tip sheet"),
];

/// A line of work: how to recognise its units, its modules in order of preference, its
/// roles, and what goes wrong there in particular.
struct Area {
    name: &'static str,
    /// Whole words of the unit's id or name that mark this area, space-separated.
    keywords: &'static str,
    modules: &'static [&'static str],
    roles: &'static [&'static str],
    phrases: &'static [Phrase],
}

/// The default: inpatient nursing units.
static INPATIENT: Area = Area {
    name: "inpatient",
    keywords: "",
    modules: &["clindoc"],
    roles: &["RN", "charge nurse", "CNA", "unit clerk", "physician"],
    phrases: &[
        gap("Med rec step skipped at admission").role("RN"),
        gap("Cannot find the I&O flowsheet row").role("RN"),
        config("BP med SmartSet does not load for RN role").module("clindoc").role("RN"),
        config("MAR shows scheduled dose at the wrong time").module("willow").role("RN"),
        config("Fall risk BPA fires twice per chart open"),
        access("Charge nurse cannot assign beds").role("charge nurse"),
        process("Discharge navigator order changed after training"),
        process("Bedside scanning workflow differs from class"),
    ],
};

/// Other lines of work, first match wins (procedural before lab, for the cath lab).
static SPECIALTIES: [Area; 9] = [
    Area {
        name: "emergency",
        keywords: "ed emergency",
        modules: &["asap", "clindoc"],
        roles: &["ED RN", "triage nurse", "ED physician", "charge nurse"],
        phrases: &[
            gap("Cannot find the triage navigator from the track board"),
            gap("Unsure how to assign self to the treatment team"),
            config("Track board missing the bed column").role("charge nurse"),
            config("ED disposition order set does not load").role("ED physician"),
            access("Scribe role cannot pend orders").role("scribe"),
            process("Quick registration and triage order of steps unclear"),
        ],
    },
    Area {
        name: "procedural",
        keywords: "or pacu preop pre sds surgery endo endoscopy cath ir interventional sedation",
        modules: &["optime", "clindoc"],
        roles: &["circulator RN", "PACU RN", "pre-op RN", "surgeon", "anesthesia provider"],
        phrases: &[
            gap("Unsure how to record case times in the intraop navigator").role("circulator RN"),
            gap("Cannot find the PACU phase of care activity").role("PACU RN"),
            config("Case request does not show the preference card"),
            config("Implant log does not file to the case"),
            access("Anesthesia provider cannot sign the record").role("anesthesia provider"),
            process("Time-out documentation step moved after training"),
        ],
    },
    Area {
        name: "obstetrics",
        keywords: "ld labor delivery mb mother ob obstetrics",
        modules: &["stork", "clindoc"],
        roles: &["L&D RN", "mother-baby RN", "obstetrician", "charge nurse"],
        phrases: &[
            gap("Unsure how to open the delivery summary").role("L&D RN"),
            config("Fetal monitoring flowsheet does not file"),
            config("Newborn chart not linked to the delivery episode"),
            process("Feeding documentation changed after training").role("mother-baby RN"),
        ],
    },
    Area {
        name: "oncology",
        keywords: "onc oncology heme hematology bmt marrow infusion",
        modules: &["beacon", "clindoc"],
        roles: &["oncology RN", "infusion RN", "oncologist"],
        phrases: &[
            gap("Cannot find the treatment plan day view"),
            config("Treatment plan cycle does not release orders"),
            config("Chemo verification queue is empty").role("pharmacist"),
            process("Dual sign-off step for infusions unclear"),
        ],
    },
    Area {
        name: "pharmacy",
        keywords: "pharm pharmacy",
        modules: &["willow", "clindoc"],
        roles: &["pharmacist", "pharmacy tech"],
        phrases: &[
            gap("Verification queue filter not set as trained").role("pharmacist"),
            config("IV compounding label prints without barcode"),
            config("Dispense location defaults to main pharmacy"),
            access("Pharmacy tech cannot release orders").role("pharmacy tech"),
        ],
    },
    Area {
        name: "lab",
        keywords: "lab laboratory",
        modules: &["beaker", "clindoc"],
        roles: &["lab tech", "phlebotomist"],
        phrases: &[
            gap("Unsure how to receive specimens in the lab").role("lab tech"),
            config("Specimen label prints in the wrong format"),
            config("Result routing skips the ordering provider pool"),
            process("Courier drop-off point changed after training"),
        ],
    },
    Area {
        name: "imaging",
        keywords: "rad radiology imaging",
        modules: &["radiant", "clindoc"],
        roles: &["rad tech", "radiologist"],
        phrases: &[
            gap("Cannot find the exam begin button").role("rad tech"),
            config("Imaging order questions repeat on every order"),
            process("Transport request workflow changed after training"),
        ],
    },
    Area {
        name: "registration",
        keywords: "reg registration admitting",
        modules: &["prelude", "cadence"],
        roles: &["registrar", "admitting clerk"],
        phrases: &[
            gap("Cannot find the guarantor activity").role("registrar"),
            config("Check-in skips the consent form step").module("prelude"),
            config("Appointment desk shows the wrong provider templates").module("cadence").role("scheduler"),
            config("Charge not dropping for this visit type").module("resolute").role("billing specialist"),
            process("Walk-in registration path changed after training"),
        ],
    },
    Area {
        name: "clinic",
        keywords: "clinic clinics rhc fm pt therapy wound",
        modules: &["ambulatory", "cadence"],
        roles: &["medical assistant", "front desk", "clinic RN", "provider"],
        phrases: &[
            gap("Cannot find the visit navigator SmartSet").role("provider"),
            config("Rooming tab missing the vitals section").role("medical assistant"),
            config("Provider schedule template shows blocked slots").module("cadence").role("scheduler"),
            config("Charge review workqueue empty after visits").module("resolute").role("billing specialist"),
            access("Medical assistant cannot pend refills").role("medical assistant"),
            process("Check-out scheduling moved to front desk after training"),
        ],
    },
];

impl Area {
    /// The area of a unit, by whole words of its id and name; inpatient when none matches.
    fn of(unit: &Unit) -> &'static Area {
        let text = format!("{} {}", unit.id, unit.name).to_lowercase();
        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        SPECIALTIES
            .iter()
            .find(|area| area.keywords.split_whitespace().any(|k| words.contains(&k)))
            .unwrap_or(&INPATIENT)
    }

    /// What can go wrong of `kind` on a unit of this area, the area's own problems first.
    fn problems(&self, kind: Kind, modules: &[String], rng: &mut StdRng) -> Vec<Problem> {
        self.phrases
            .iter()
            .chain(GENERIC)
            .filter(|p| p.kind == kind)
            .map(|p| Problem {
                summary: p.text,
                module: self.module_for(p, modules),
                role: p.role.or_else(|| self.roles.choose(rng).copied()).unwrap_or("staff"),
            })
            .collect()
    }

    /// The phrase's module, else the area's, as present in the go-live; else its first module.
    fn module_for(&self, phrase: &Phrase, modules: &[String]) -> usize {
        phrase.module.iter().chain(self.modules).find_map(|id| modules.iter().position(|m| m == id)).unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------
// Talking to the server
// ---------------------------------------------------------------------------------------

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type WsSink = SplitSink<Ws, Message>;

/// The go-live catalog's HTTP address, next to the websocket: `ws://h:p/ws` gives
/// `http://h:p/api/v1/golive`.
fn golive_url(ws_url: &str) -> anyhow::Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(ws_url).with_context(|| format!("--url `{ws_url}` is not a URL"))?;
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => bail!("--url must be a ws:// or wss:// address, not {other}://"),
    };
    url.set_scheme(scheme).map_err(|()| anyhow!("cannot derive an HTTP address from {ws_url}"))?;
    let path = format!("{}/api/v1/golive", url.path().strip_suffix("/ws").unwrap_or(""));
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

async fn fetch_golive(ws_url: &str) -> anyhow::Result<GoLive> {
    let url = golive_url(ws_url)?;
    let client = reqwest::Client::builder().timeout(CONNECT_TIMEOUT).build()?;
    let response = client.get(url.clone()).send().await.with_context(|| format!("cannot reach the server at {url}"))?;
    let response = response.error_for_status().with_context(|| format!("the server refused {url}"))?;
    response.json().await.with_context(|| format!("{url} did not return a valid go-live"))
}

/// Opens a websocket and reads the server's `welcome`.
async fn open(url: &str) -> anyhow::Result<Ws> {
    let (mut ws, _) =
        tokio::time::timeout(CONNECT_TIMEOUT, connect_async(url)).await.context("connection timed out")??;
    let first =
        tokio::time::timeout(CONNECT_TIMEOUT, next_text(&mut ws)).await.context("no welcome from the server")??;
    match serde_json::from_str::<ServerMsg>(&first) {
        Ok(ServerMsg::Welcome { server, head_seq, .. }) => {
            tracing::debug!(%server, head_seq, "connected");
            Ok(ws)
        }
        _ => bail!("the server did not open with `welcome`"),
    }
}

/// Opens a websocket, retrying with backoff; `None` once `stop` is cancelled.
async fn connect(url: &str, stop: &CancellationToken) -> Option<Ws> {
    let mut delay = RETRY_FIRST;
    loop {
        match stop.run_until_cancelled(open(url)).await? {
            Ok(ws) => return Some(ws),
            Err(e) => {
                tracing::warn!(url, error = %e, retry_in_ms = delay.as_millis() as u64, "cannot connect")
            }
        }
        stop.run_until_cancelled(tokio::time::sleep(delay)).await?;
        delay = (delay * 2).min(RETRY_MAX);
    }
}

/// The next text frame; pings are answered by the library, other frames skipped. An error
/// once the connection is closed or broken.
async fn next_text<S>(stream: &mut S) -> anyhow::Result<Utf8Bytes>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text),
            Some(Ok(Message::Close(_))) | None => bail!("the server closed the connection"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

fn encode(msg: &ClientMsg) -> anyhow::Result<Utf8Bytes> {
    Ok(serde_json::to_string(msg)?.into())
}

fn parse(text: &str) -> Option<ServerMsg> {
    serde_json::from_str(text)
        .inspect_err(|e| tracing::warn!(error = ?e.classify(), line = e.line(), column = e.column(), "unreadable server message"))
        .ok()
}

// ---------------------------------------------------------------------------------------
// Trainers: one connection each, pipelined submissions, resends after a drop
// ---------------------------------------------------------------------------------------

/// What one trainer (or all of them) saw.
#[derive(Debug, Default)]
struct Tally {
    /// Reports submitted on a live connection (each counted once, however often resent).
    sent: u64,
    acknowledged: u64,
    /// Acknowledgements saying the report was already committed (a resend after a drop).
    duplicates: u64,
    /// Refused reports by error code.
    refused: BTreeMap<&'static str, u64>,
    resent: u64,
    reconnects: u64,
    /// Submitted but never answered before the drain deadline.
    unanswered: u64,
    /// Never submitted: no connection before the drain deadline.
    unsent: u64,
    /// Submit-to-acknowledgement, from the first send.
    latencies: Vec<Duration>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.sent += other.sent;
        self.acknowledged += other.acknowledged;
        self.duplicates += other.duplicates;
        for (code, n) in other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        self.resent += other.resent;
        self.reconnects += other.reconnects;
        self.unanswered += other.unanswered;
        self.unsent += other.unsent;
        self.latencies.extend(other.latencies);
    }
}

/// A submission waiting for its answer: the exact frame, for a resend with the same id.
struct Outstanding {
    frame: Utf8Bytes,
    first_sent: Instant,
}

struct Trainer {
    name: String,
    inbox: mpsc::UnboundedReceiver<ReportDraft>,
    inbox_closed: bool,
    outstanding: HashMap<ReportId, Outstanding>,
    tally: Tally,
}

fn spawn_trainer(
    index: usize,
    url: &str,
    stop: CancellationToken,
) -> (mpsc::UnboundedSender<ReportDraft>, JoinHandle<Tally>) {
    let (tx, inbox) = mpsc::unbounded_channel();
    let trainer = Trainer::new(index, inbox);
    (tx, tokio::spawn(trainer.run(url.to_owned(), stop)))
}

impl Trainer {
    fn new(index: usize, inbox: mpsc::UnboundedReceiver<ReportDraft>) -> Trainer {
        Trainer {
            name: trainer_name(index),
            inbox,
            inbox_closed: false,
            outstanding: HashMap::new(),
            tally: Tally::default(),
        }
    }

    /// Submits what arrives in the inbox until it is closed and every report is answered,
    /// or until `stop`; reconnects and resends after a drop.
    async fn run(mut self, url: String, stop: CancellationToken) -> Tally {
        while !self.done() {
            let Some(ws) = connect(&url, &stop).await else {
                break;
            };
            match self.session(ws, &stop).await {
                Ok(()) => break,
                Err(e) => {
                    self.tally.reconnects += 1;
                    let unanswered = self.outstanding.len();
                    tracing::warn!(trainer = %self.name, error = %e, unanswered, "connection lost; reconnecting to resend");
                }
            }
        }
        self.tally.unanswered = self.outstanding.len() as u64;
        self.tally.unsent = self.inbox.len() as u64;
        self.tally
    }

    fn done(&self) -> bool {
        self.inbox_closed && self.outstanding.is_empty()
    }

    /// One connection's life: `Ok` when done or stopped, `Err` when the connection failed.
    async fn session(&mut self, ws: Ws, stop: &CancellationToken) -> anyhow::Result<()> {
        let (mut sink, mut stream) = ws.split();
        for pending in self.outstanding.values() {
            sink.send(Message::Text(pending.frame.clone())).await?;
            self.tally.resent += 1;
        }
        while !self.done() {
            tokio::select! {
                () = stop.cancelled() => break,
                draft = self.inbox.recv(), if !self.inbox_closed => match draft {
                    Some(draft) => self.submit(&mut sink, draft).await?,
                    None => self.inbox_closed = true,
                },
                text = next_text(&mut stream) => self.on_text(&text?),
            }
        }
        let _ = sink.close().await;
        Ok(())
    }

    /// Sends without waiting for the answer; the report stays outstanding until answered,
    /// even if this send fails (it is resent after reconnecting).
    async fn submit(&mut self, sink: &mut WsSink, draft: ReportDraft) -> anyhow::Result<()> {
        let id = draft.id;
        let frame = encode(&ClientMsg::Submit { report: draft })?;
        self.outstanding.insert(id, Outstanding { frame: frame.clone(), first_sent: Instant::now() });
        self.tally.sent += 1;
        sink.send(Message::Text(frame)).await?;
        Ok(())
    }

    fn on_text(&mut self, text: &str) {
        match parse(text) {
            Some(ServerMsg::Submitted(receipt)) => self.on_receipt(&receipt),
            Some(ServerMsg::Error(body)) => self.on_error(&body),
            _ => {}
        }
    }

    fn on_receipt(&mut self, receipt: &Receipt) {
        // A second answer for a report already counted (its resend raced the first answer).
        let Some(pending) = self.outstanding.remove(&receipt.id) else {
            tracing::debug!(trainer = %self.name, id = %receipt.id, "answer for a report already counted");
            return;
        };
        self.tally.acknowledged += 1;
        self.tally.duplicates += u64::from(receipt.duplicate);
        self.tally.latencies.push(pending.first_sent.elapsed());
    }

    fn on_error(&mut self, body: &ErrorBody) {
        let refused = body.id.and_then(|id| self.outstanding.remove(&id)).is_some();
        if refused {
            *self.tally.refused.entry(body.code.as_str()).or_default() += 1;
        }
        // Error messages never echo a report's free text; the summary is not logged here either.
        tracing::warn!(
            trainer = %self.name,
            code = body.code.as_str(),
            field = body.field.as_deref(),
            message = %body.message,
            refused,
            "the server answered with an error"
        );
    }
}

/// Hands each planned report, at its time, to the trainer who makes it. Stops after
/// `duration` or on Ctrl-C; returns how many reports were generated.
async fn drive(traffic: &mut Traffic, inboxes: &[mpsc::UnboundedSender<ReportDraft>], duration: Duration) -> u64 {
    let start = Instant::now();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut generated = 0;
    loop {
        let planned = traffic.next_report();
        if planned.at >= duration {
            break;
        }
        tokio::select! {
            _ = &mut interrupted => {
                println!("interrupted; waiting for outstanding acknowledgements");
                break;
            }
            () = tokio::time::sleep_until(start + planned.at) => {}
        }
        let draft = traffic.draft(&planned, ReportId(Uuid::new_v4()), OffsetDateTime::now_utc());
        let delivered = inboxes.get(planned.trainer).is_some_and(|inbox| inbox.send(draft).is_ok());
        if delivered {
            generated += 1;
        } else {
            tracing::warn!(trainer = planned.trainer, "trainer has stopped; report dropped");
        }
    }
    generated
}

/// Waits for every trainer, cancelling `stop` after `grace` for those still waiting.
async fn collect(handles: Vec<JoinHandle<Tally>>, stop: &CancellationToken, grace: Duration) -> Tally {
    let deadline = tokio::spawn({
        let stop = stop.clone();
        async move {
            tokio::time::sleep(grace).await;
            stop.cancel();
        }
    });
    let mut total = Tally::default();
    for handle in handles {
        match handle.await {
            Ok(tally) => total.merge(tally),
            Err(e) => tracing::error!(error = %e, "a trainer task failed"),
        }
    }
    deadline.abort();
    total
}

// ---------------------------------------------------------------------------------------
// The board watcher
// ---------------------------------------------------------------------------------------

/// Cells named in one board line; the rest are counted.
const SHOWN_CELLS: usize = 3;

/// Follows the all-facility board until `stop`, resubscribing after a drop; returns how
/// many `board_update`s arrived.
async fn watch_board(url: String, stop: CancellationToken) -> u64 {
    let mut updates = 0;
    while let Some(ws) = connect(&url, &stop).await {
        match stop.run_until_cancelled(follow_board(ws, &mut updates)).await {
            None => break,
            Some(Err(e)) => tracing::warn!(error = %e, "board connection lost; resubscribing"),
        }
    }
    updates
}

async fn follow_board(mut ws: Ws, updates: &mut u64) -> anyhow::Result<Infallible> {
    let subscribe = ClientMsg::Subscribe { topic: Topic::Board { facility: None }, resume_from: None };
    ws.send(Message::Text(encode(&subscribe)?)).await?;
    loop {
        match parse(&next_text(&mut ws).await?) {
            Some(ServerMsg::Snapshot { seq, cells, .. }) => {
                println!("board snapshot seq={seq}: {} cells", cells.len())
            }
            Some(ServerMsg::BoardUpdate { seq, cells, .. }) => {
                *updates += 1;
                println!("board update seq={seq}: {}", describe_cells(&cells));
            }
            Some(ServerMsg::Error(body)) => {
                tracing::warn!(code = body.code.as_str(), message = %body.message, "board subscription refused");
            }
            _ => {}
        }
    }
}

/// `4 cells changed (rmc-4w training_gap open=3 last_hour=5, ..., +1 more)`.
fn describe_cells(cells: &[Cell]) -> String {
    let shown: Vec<String> = cells.iter().take(SHOWN_CELLS).map(describe_cell).collect();
    let more = match cells.len().saturating_sub(SHOWN_CELLS) {
        0 => String::new(),
        n => format!(", +{n} more"),
    };
    let plural = if cells.len() == 1 { "" } else { "s" };
    format!("{} cell{plural} changed ({}{more})", cells.len(), shown.join(", "))
}

fn describe_cell(cell: &Cell) -> String {
    let c = &cell.counts;
    let safety = if c.safety_open > 0 { format!(" safety_open={}", c.safety_open) } else { String::new() };
    format!("{} {} open={} last_hour={}{safety}", cell.unit, cell.kind.as_str(), c.open, c.last_hour)
}

// ---------------------------------------------------------------------------------------
// The summary
// ---------------------------------------------------------------------------------------

struct Summary {
    generated: u64,
    elapsed: Duration,
    tally: Tally,
    board_updates: Option<u64>,
}

impl Summary {
    fn new(generated: u64, elapsed: Duration, mut tally: Tally, board_updates: Option<u64>) -> Summary {
        tally.latencies.sort_unstable();
        Summary { generated, elapsed, tally, board_updates }
    }
}

/// The nearest-rank percentile (`q` in 0..=1) of sorted values.
fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

fn millis(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        let refused: u64 = t.refused.values().sum();
        let by_code: Vec<String> = t.refused.iter().map(|(code, n)| format!("{code} {n}")).collect();
        let by_code = if by_code.is_empty() { String::new() } else { format!(" ({})", by_code.join(", ")) };
        let lat = &t.latencies;
        writeln!(f, "summary after {:.1} s:", self.elapsed.as_secs_f64())?;
        writeln!(f, "  generated     {}", self.generated)?;
        writeln!(f, "  sent          {}", t.sent)?;
        writeln!(f, "  acknowledged  {} ({} duplicates)", t.acknowledged, t.duplicates)?;
        writeln!(f, "  refused       {refused}{by_code}")?;
        writeln!(f, "  unanswered    {}", t.unanswered)?;
        writeln!(f, "  not sent      {}", t.unsent)?;
        writeln!(f, "  resent        {} after {} reconnects", t.resent, t.reconnects)?;
        write!(
            f,
            "  ack latency   p50 {}, p99 {}, max {}",
            millis(percentile(lat, 0.50)),
            millis(percentile(lat, 0.99)),
            millis(lat.last().copied())
        )?;
        if let Some(updates) = self.board_updates {
            write!(f, "\n  board updates {updates}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use floorboard_shared::heatmap::CellCounts;
    use floorboard_shared::phi;
    use floorboard_shared::report::SUMMARY_MAX;

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
    fn every_phrase_is_about_the_system_and_fits() {
        let phrases = GENERIC.iter().chain(std::iter::once(&INPATIENT).chain(&SPECIALTIES).flat_map(|a| a.phrases));
        for p in phrases {
            assert_eq!(phi::screen(p.text), None, "{}", p.text);
            assert!(p.text.chars().count() <= SUMMARY_MAX, "{}", p.text);
        }
        let roles = std::iter::once(&INPATIENT).chain(&SPECIALTIES).flat_map(|a| a.roles.iter().copied());
        for role in roles.chain(GENERIC.iter().filter_map(|p| p.role)) {
            assert_eq!(phi::screen(role), None, "{role}");
        }
        for kind in Kind::ALL {
            assert!(GENERIC.iter().any(|p| p.kind == kind), "no generic phrase for {kind:?}");
        }
    }

    #[test]
    fn every_generated_report_validates() {
        let golive = GoLive::example();
        let (traffic, planned) = plan(5.0, 1, 5_000);
        let now = OffsetDateTime::now_utc();
        for p in &planned {
            let draft = traffic.draft(p, ReportId(Uuid::new_v4()), now);
            assert_eq!(phi::screen(&draft.summary), None);
            assert!(draft.reporter.starts_with("trainer-"));
            if let Err(e) = draft.validate(&golive) {
                panic!("{:?} on {:?}: {}", e.code, e.field, e.message);
            }
        }
    }

    fn example_unit(id: &str) -> Unit {
        GoLive::example().units().map(|(_, u)| u.clone()).find(|u| u.id.as_str() == id).unwrap()
    }

    #[test]
    fn units_are_classed_by_line_of_work() {
        for (unit, area) in [
            ("rmc-ed", "emergency"),
            ("lch-ped-ed", "emergency"),
            ("rmc-cath", "procedural"),
            ("rmc-ir", "procedural"),
            ("sjh-sds", "procedural"),
            ("rmc-preop", "procedural"),
            ("rmc-lab", "lab"),
            ("sjh-infusion", "oncology"),
            ("lch-bmt", "oncology"),
            ("rmc-ld", "obstetrics"),
            ("nvc-ob", "obstetrics"),
            ("wrh-pharm", "pharmacy"),
            ("lch-rad", "imaging"),
            ("sjh-reg", "registration"),
            ("nvc-rhc", "clinic"),
            ("nvc-surg", "inpatient"),
            ("rmc-sicu", "inpatient"),
            ("rmc-4w", "inpatient"),
        ] {
            assert_eq!(Area::of(&example_unit(unit)).name, area, "{unit}");
        }
    }

    #[test]
    fn modules_follow_the_area_and_fall_back_to_what_the_golive_has() {
        let ed = &SPECIALTIES[0];
        let modules = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let generic = config("x");
        assert_eq!(ed.module_for(&generic, &modules(&["clindoc", "asap"])), 1);
        assert_eq!(ed.module_for(&generic, &modules(&["beaker", "clindoc"])), 1, "asap absent: clindoc");
        assert_eq!(ed.module_for(&generic, &modules(&["beaker"])), 0, "nothing preferred: any module");
        let resolute = config("x").module("resolute");
        assert_eq!(ed.module_for(&resolute, &modules(&["asap", "resolute"])), 1);

        let golive = GoLive::example();
        let (traffic, planned) = plan(5.0, 2, 5_000);
        for p in planned.iter().filter(|p| traffic.units[p.unit].unit == "rmc-ed" && p.kind == Kind::Configuration) {
            assert!(["asap", "clindoc"].contains(&traffic.modules[p.problem.module].as_str()));
        }
        assert!(golive.module("radiant").is_none(), "imaging falls back to clindoc in the example");
    }

    #[test]
    fn the_catalog_address_sits_next_to_the_websocket() {
        assert_eq!(golive_url("ws://127.0.0.1:8080/ws").unwrap().as_str(), "http://127.0.0.1:8080/api/v1/golive");
        assert_eq!(
            golive_url("wss://cc.example/floorboard/ws?x=1").unwrap().as_str(),
            "https://cc.example/floorboard/api/v1/golive"
        );
        assert!(golive_url("http://127.0.0.1:8080/ws").is_err());
        assert!(golive_url("not a url").is_err());
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&ms, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&ms[..1], 0.99), Some(Duration::from_millis(1)));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn board_lines_name_a_few_cells_and_count_the_rest() {
        let cell = |unit: &str, open, safety_open| Cell {
            facility: "rmc".into(),
            unit: unit.into(),
            kind: Kind::TrainingGap,
            counts: CellCounts { open, safety_open, last_hour: 5, ..CellCounts::default() },
        };
        let cells = [cell("rmc-4w", 3, 0), cell("rmc-ed", 1, 1), cell("rmc-or", 2, 0), cell("rmc-lab", 1, 0)];
        assert_eq!(
            describe_cells(&cells),
            "4 cells changed (rmc-4w training_gap open=3 last_hour=5, rmc-ed training_gap open=1 last_hour=5 safety_open=1, \
             rmc-or training_gap open=2 last_hour=5, +1 more)"
        );
        assert_eq!(describe_cells(&cells[..1]), "1 cell changed (rmc-4w training_gap open=3 last_hour=5)");
    }

    #[test]
    fn tallies_add_up() {
        let mut a = Tally { sent: 2, acknowledged: 1, latencies: vec![Duration::from_millis(3)], ..Tally::default() };
        a.refused.insert("phi_suspected", 1);
        let mut b = Tally { sent: 3, acknowledged: 3, duplicates: 1, ..Tally::default() };
        b.refused.insert("phi_suspected", 2);
        a.merge(b);
        assert_eq!((a.sent, a.acknowledged, a.duplicates, a.latencies.len()), (5, 4, 1, 1));
        assert_eq!(a.refused.get("phi_suspected"), Some(&3));
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

    fn args(url: &str) -> SimulateArgs {
        SimulateArgs { url: url.to_owned(), rate: 40.0, duration: 1.5, trainers: 3, seed: Some(1), watch_board: true }
    }

    /// A real server on a free port, in this process, until the sender is dropped.
    async fn serve() -> (String, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/ws", listener.local_addr().unwrap());
        let mut config = crate::Config::new(dir.path(), GoLive::example());
        config.board_interval = Duration::from_millis(50);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(crate::run(config, listener, async {
            let _ = stopped.await;
        }));
        (url, stop, dir)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_run_against_a_real_server_gets_every_report_acknowledged() {
        let (url, _server, _dir) = serve().await;
        let summary = simulate(&args(&url)).await.unwrap();
        let t = &summary.tally;
        assert!(t.sent > 20, "{summary}");
        assert_eq!((t.acknowledged, t.unanswered, t.unsent), (t.sent, 0, 0), "{summary}");
        assert!(t.refused.is_empty(), "{summary}");
        assert_eq!(t.latencies.len() as u64, t.acknowledged);
        assert!(summary.board_updates.is_some_and(|n| n > 0), "{summary}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_resend_after_a_lost_answer_reuses_the_id_and_counts_once() {
        let (url, _server, _dir) = serve().await;
        let mut traffic = Traffic::new(&GoLive::example(), 1, 1.0, 3);
        let planned = traffic.next_report();
        let draft = traffic.draft(&planned, ReportId(Uuid::new_v4()), OffsetDateTime::now_utc());
        let run = |trainer: Trainer| {
            let url = url.clone();
            async move {
                let stop = CancellationToken::new();
                tokio::time::timeout(Duration::from_secs(10), trainer.run(url, stop)).await.unwrap()
            }
        };

        // The first submission is committed and answered.
        let (tx, inbox) = mpsc::unbounded_channel();
        tx.send(draft.clone()).unwrap();
        drop(tx);
        let first = run(Trainer::new(0, inbox)).await;
        assert_eq!((first.sent, first.acknowledged, first.duplicates), (1, 1, 0));

        // Its answer was lost: the trainer still holds it and resends it on a new connection.
        let (tx, inbox) = mpsc::unbounded_channel();
        drop(tx);
        let mut trainer = Trainer::new(0, inbox);
        let frame = encode(&ClientMsg::Submit { report: draft.clone() }).unwrap();
        let first_sent = Instant::now();
        trainer.outstanding.insert(draft.id, Outstanding { frame, first_sent });
        let second = run(trainer).await;
        assert_eq!((second.sent, second.resent, second.acknowledged, second.duplicates), (0, 1, 1, 1));
    }

    #[test]
    fn an_answer_is_counted_once_and_refusals_by_code() {
        let (_tx, inbox) = mpsc::unbounded_channel();
        let mut trainer = Trainer::new(0, inbox);
        let [a, b] = [(); 2].map(|()| ReportId(Uuid::new_v4()));
        for id in [a, b] {
            let (frame, first_sent) = (Utf8Bytes::from("{}"), Instant::now());
            trainer.outstanding.insert(id, Outstanding { frame, first_sent });
        }
        let receipt =
            Receipt { id: a, seq: 1, status: floorboard_shared::Status::New, queues: Vec::new(), duplicate: false };
        trainer.on_receipt(&receipt);
        trainer.on_receipt(&Receipt { duplicate: true, ..receipt });
        let phi = floorboard_shared::ErrorCode::PhiSuspected;
        trainer.on_error(&ErrorBody::new(phi, "rephrase").with_id(b));
        trainer.on_error(&ErrorBody::new(phi, "rephrase").with_id(b));
        let t = &trainer.tally;
        assert_eq!((t.acknowledged, t.duplicates, t.latencies.len()), (1, 0, 1));
        assert_eq!(t.refused.get("phi_suspected"), Some(&1));
        assert!(trainer.outstanding.is_empty());
    }

    #[tokio::test]
    async fn an_unreachable_server_is_an_error() {
        let mut args = args("ws://127.0.0.1:1/ws");
        args.watch_board = false;
        assert!(run(args).await.is_err());
    }
}

//! The go-live's catalog and rules: facilities and their units, the Epic modules in play,
//! the command-center queues, the routing rules, and the schedule (start, shift boundaries).
//! A `GoLive` can only be built through `GoLiveSpec` checks, so every reference in it holds.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::ids::{FacilityId, ModuleId, QueueId, ResolutionId, UnitId, is_slug};
use crate::report::{Kind, Severity};
use crate::routing::Rule;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub id: FacilityId,
    pub name: String,
    pub units: Vec<Unit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub id: ModuleId,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
}

/// A way an issue is resolved, which the summary counts and the reporter sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    pub id: ResolutionId,
    pub name: String,
}

/// The resolution codes of a go-live that lists none.
pub const DEFAULT_RESOLUTIONS: [(&str, &str); 8] = [
    ("trained-at-elbow", "Trained at the elbow"),
    ("workaround", "Workaround given"),
    ("build-fixed", "Build fixed and migrated"),
    ("access-granted", "Access granted"),
    ("device-fixed", "Device fixed"),
    ("deferred", "Enhancement deferred to optimisation"),
    ("duplicate", "Duplicate"),
    ("not-an-issue", "Not an issue"),
];

fn default_resolutions() -> Vec<Resolution> {
    DEFAULT_RESOLUTIONS.iter().map(|&(id, name)| Resolution { id: id.into(), name: name.into() }).collect()
}

/// The go-live as written in its TOML file (and sent to clients), before its references
/// are checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GoLiveSpec {
    pub name: String,
    /// When support started, RFC 3339 with offset, e.g. `2026-11-21T07:00:00-05:00`.
    pub starts_at: String,
    /// The hospitals' fixed offset from UTC, e.g. `-05:00`: give this or `time_zone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
    /// The hospitals' time zone, an IANA name such as `America/Chicago`: day and shift
    /// boundaries follow its daylight-saving changes. The server works out its offsets
    /// (`offsets`) from the time-zone database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `time_zone`'s offsets from UTC, in order, each from its instant until the next's: what
    /// the server sends clients, which have no time-zone database. Not written in a file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offsets: Vec<ZoneOffset>,
    /// Local times at which shifts change, e.g. `["07:00", "19:00"]`.
    pub shift_starts: Vec<String>,
    /// Where a report goes when no rule matches.
    pub fallback_queue: QueueId,
    pub modules: Vec<Module>,
    pub facilities: Vec<Facility>,
    pub queues: Vec<Queue>,
    /// Ordered routing rules; the first match without `continue` ends routing.
    pub rules: Vec<Rule>,
    /// How issues may be resolved (`DEFAULT_RESOLUTIONS` when left out).
    #[serde(default = "default_resolutions")]
    pub resolutions: Vec<Resolution>,
}

/// From `from` (RFC 3339) on, the hospitals' clocks are `offset` (`±HH:MM`) from UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ZoneOffset {
    pub from: String,
    pub offset: String,
}

/// The `±HH:MM` spelling of an offset.
const OFFSET_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");

impl ZoneOffset {
    pub fn new(from: OffsetDateTime, offset: UtcOffset) -> ZoneOffset {
        ZoneOffset {
            from: from.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            offset: offset.format(OFFSET_FORMAT).unwrap_or_default(),
        }
    }
}

/// Why a go-live file was refused. Messages name the offending entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GoLiveError {
    #[error("{what} id `{id}` is not a valid code (use 1-64 of a-z, 0-9, '-', '_', '.')")]
    BadId { what: &'static str, id: String },
    #[error("{what} id `{id}` is defined twice")]
    Duplicate { what: &'static str, id: String },
    #[error("{place} names {what} `{id}`, which is not defined")]
    Dangling { place: String, what: &'static str, id: String },
    #[error("the go-live needs at least one {0}")]
    Empty(&'static str),
    #[error("{field} `{value}` is not valid: {why}")]
    BadValue { field: &'static str, value: String, why: &'static str },
}

/// A checked go-live with lookup indexes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GoLiveSpec", into = "GoLiveSpec")]
pub struct GoLive {
    spec: GoLiveSpec,
    starts_at: OffsetDateTime,
    /// The local offset from UTC, each from its instant on; never empty, the first from the
    /// beginning of time.
    offsets: Vec<(OffsetDateTime, UtcOffset)>,
    /// Sorted, distinct local shift start times.
    shift_starts: Vec<Time>,
    facility_index: HashMap<FacilityId, usize>,
    unit_facility: HashMap<UnitId, FacilityId>,
}

impl From<GoLive> for GoLiveSpec {
    fn from(g: GoLive) -> Self {
        g.spec
    }
}

/// The offsets a go-live's clock keeps: its fixed `utc_offset`, or its `time_zone`'s
/// `offsets` (which the server works out).
fn offsets_of(spec: &GoLiveSpec) -> Result<Vec<(OffsetDateTime, UtcOffset)>, GoLiveError> {
    let bad = |field: &'static str, value: &str, why: &'static str| GoLiveError::BadValue {
        field,
        value: value.to_owned(),
        why,
    };
    let offset =
        |field, value: &str| UtcOffset::parse(value, OFFSET_FORMAT).map_err(|_| bad(field, value, "expected ±HH:MM"));
    let beginning = PrimitiveDateTime::MIN.assume_utc();
    match (&spec.utc_offset, &spec.time_zone) {
        (Some(fixed), None) if spec.offsets.is_empty() => Ok(vec![(beginning, offset("utc_offset", fixed)?)]),
        (Some(_), None) => Err(bad("offsets", "", "offsets come from a time_zone, which this go-live does not name")),
        (Some(_), Some(zone)) => Err(bad("time_zone", zone, "give time_zone or utc_offset, not both")),
        (None, None) => Err(GoLiveError::Empty("utc_offset or time_zone")),
        (None, Some(_)) if spec.offsets.is_empty() => Err(GoLiveError::Empty("offset of its time_zone in offsets")),
        (None, Some(_)) => {
            let mut offsets = Vec::with_capacity(spec.offsets.len());
            for (i, o) in spec.offsets.iter().enumerate() {
                let from = OffsetDateTime::parse(&o.from, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| bad("offsets", &o.from, "expected an RFC 3339 time"))?;
                if offsets.last().is_some_and(|(last, _)| *last >= from) {
                    return Err(bad("offsets", &o.from, "offsets go in time order"));
                }
                // The first holds from the beginning: a time before it is still local time.
                offsets.push((if i == 0 { beginning } else { from }, offset("offsets", &o.offset)?));
            }
            Ok(offsets)
        }
    }
}

impl TryFrom<GoLiveSpec> for GoLive {
    type Error = GoLiveError;

    fn try_from(spec: GoLiveSpec) -> Result<Self, GoLiveError> {
        let starts_at = OffsetDateTime::parse(&spec.starts_at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| GoLiveError::BadValue {
                field: "starts_at",
                value: spec.starts_at.clone(),
                why: "expected an RFC 3339 time such as 2026-11-21T07:00:00-05:00",
            })?;
        let offsets = offsets_of(&spec)?;
        let mut shift_starts = spec
            .shift_starts
            .iter()
            .map(|s| {
                Time::parse(s, time::macros::format_description!("[hour]:[minute]")).map_err(|_| {
                    GoLiveError::BadValue {
                        field: "shift_starts",
                        value: s.clone(),
                        why: "expected a 24-hour HH:MM time",
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        shift_starts.sort();
        shift_starts.dedup();
        if shift_starts.is_empty() {
            return Err(GoLiveError::Empty("shift start in shift_starts"));
        }

        let modules = distinct("module", spec.modules.iter().map(|m| m.id.as_str()))?;
        let queues = distinct("queue", spec.queues.iter().map(|q| q.id.as_str()))?;
        let facilities = distinct("facility", spec.facilities.iter().map(|f| f.id.as_str()))?;
        let resolutions = distinct("resolution", spec.resolutions.iter().map(|r| r.id.as_str()))?;
        distinct("unit", spec.facilities.iter().flat_map(|f| f.units.iter().map(|u| u.id.as_str())))?;
        for (what, set) in
            [("module", &modules), ("facility", &facilities), ("queue", &queues), ("resolution", &resolutions)]
        {
            if set.is_empty() {
                return Err(GoLiveError::Empty(what));
            }
        }
        if let Some(f) = spec.facilities.iter().find(|f| f.units.is_empty()) {
            return Err(GoLiveError::BadValue {
                field: "facilities",
                value: f.id.to_string(),
                why: "a facility needs at least one unit",
            });
        }

        let dangling = |place: String, what, id: &str, set: &HashSet<&str>| {
            if set.contains(id) { Ok(()) } else { Err(GoLiveError::Dangling { place, what, id: id.to_owned() }) }
        };
        dangling("fallback_queue".into(), "queue", spec.fallback_queue.as_str(), &queues)?;
        for (i, rule) in spec.rules.iter().enumerate() {
            let place = format!("rule {}", i + 1);
            dangling(place.clone(), "queue", rule.queue.as_str(), &queues)?;
            if let Some(m) = &rule.module {
                dangling(place.clone(), "module", m.as_str(), &modules)?;
            }
            if let Some(f) = &rule.facility {
                dangling(place, "facility", f.as_str(), &facilities)?;
            }
        }

        let facility_index = spec.facilities.iter().enumerate().map(|(i, f)| (f.id.clone(), i)).collect();
        let unit_facility =
            spec.facilities.iter().flat_map(|f| f.units.iter().map(|u| (u.id.clone(), f.id.clone()))).collect();
        Ok(GoLive { starts_at, offsets, shift_starts, facility_index, unit_facility, spec })
    }
}

/// Checks that every id is a slug and none repeats; returns the set.
fn distinct<'a>(what: &'static str, ids: impl Iterator<Item = &'a str>) -> Result<HashSet<&'a str>, GoLiveError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !is_slug(id) {
            return Err(GoLiveError::BadId { what, id: id.to_owned() });
        }
        if !seen.insert(id) {
            return Err(GoLiveError::Duplicate { what, id: id.to_owned() });
        }
    }
    Ok(seen)
}

impl GoLive {
    pub fn spec(&self) -> &GoLiveSpec {
        &self.spec
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn starts_at(&self) -> OffsetDateTime {
        self.starts_at
    }

    pub fn facilities(&self) -> &[Facility] {
        &self.spec.facilities
    }

    pub fn modules(&self) -> &[Module] {
        &self.spec.modules
    }

    pub fn queues(&self) -> &[Queue] {
        &self.spec.queues
    }

    pub fn resolutions(&self) -> &[Resolution] {
        &self.spec.resolutions
    }

    pub fn resolution(&self, id: &ResolutionId) -> Option<&Resolution> {
        self.spec.resolutions.iter().find(|r| r.id == *id)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.spec.rules
    }

    pub fn fallback_queue(&self) -> &QueueId {
        &self.spec.fallback_queue
    }

    pub fn facility(&self, id: &str) -> Option<&Facility> {
        self.facility_index.get(id).map(|&i| &self.spec.facilities[i])
    }

    /// The facility a unit belongs to, if the unit exists.
    pub fn unit_facility(&self, unit: &str) -> Option<&FacilityId> {
        self.unit_facility.get(unit)
    }

    pub fn module(&self, id: &str) -> Option<&Module> {
        self.spec.modules.iter().find(|m| m.id.as_str() == id)
    }

    pub fn queue(&self, id: &str) -> Option<&Queue> {
        self.spec.queues.iter().find(|q| q.id.as_str() == id)
    }

    /// Every unit, facility by facility, in catalog order.
    pub fn units(&self) -> impl Iterator<Item = (&Facility, &Unit)> {
        self.spec.facilities.iter().flat_map(|f| f.units.iter().map(move |u| (f, u)))
    }

    /// The local times shifts start at, sorted.
    pub fn shift_starts(&self) -> &[Time] {
        &self.shift_starts
    }

    /// The hospitals' offset from UTC at `instant`.
    pub fn offset_at(&self, instant: OffsetDateTime) -> UtcOffset {
        let after = self.offsets.partition_point(|(from, _)| *from <= instant);
        self.offsets.get(after.saturating_sub(1)).map_or(UtcOffset::UTC, |(_, offset)| *offset)
    }

    /// `now` on the hospitals' clock.
    pub fn local(&self, now: OffsetDateTime) -> OffsetDateTime {
        now.to_offset(self.offset_at(now))
    }

    /// The instant the hospitals' clocks read `local`. Across a change of offset the offset
    /// in force at that instant wins: 07:00 is 07:00 by the clock on the wall, on the day
    /// the clocks go back as on any other. (A time the clocks skip reads as the offset after.)
    pub fn at_local(&self, local: PrimitiveDateTime) -> OffsetDateTime {
        let guess = local.assume_offset(self.offset_at(local.assume_utc()));
        local.assume_offset(self.offset_at(guess))
    }

    /// The start of the shift that `now` falls in, by the hospitals' local clock.
    pub fn shift_start(&self, now: OffsetDateTime) -> OffsetDateTime {
        let local = self.local(now);
        let today = local.date();
        let start = |date: Date, t: Time| self.at_local(date.with_time(t));
        match self.shift_starts.iter().rev().find(|&&t| t <= local.time()) {
            Some(&t) => start(today, t),
            None => start(today - Duration::days(1), *self.shift_starts.last().expect("checked non-empty")),
        }
    }

    /// Local midnight starting the day that `now` falls in.
    pub fn day_start(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.at_local(self.local(now).date().midnight())
    }

    /// A realistic go-live: a five-hospital system with about a hundred units, the modules
    /// of a typical big-bang Epic install, one analyst queue per module, IT access, one
    /// training queue per facility, operations and the command-center lead. The server runs
    /// on it when no `--config` is given, and tests use it as their catalog.
    pub fn example() -> GoLive {
        example::spec().try_into().expect("the built-in go-live is valid")
    }
}

mod example {
    use super::*;

    const MODULES: [(&str, &str); 11] = [
        ("clindoc", "ClinDoc"),
        ("ambulatory", "Ambulatory"),
        ("cadence", "Cadence"),
        ("willow", "Willow"),
        ("asap", "ASAP"),
        ("beaker", "Beaker"),
        ("optime", "OpTime"),
        ("beacon", "Beacon"),
        ("stork", "Stork"),
        ("resolute", "Resolute"),
        ("prelude", "Prelude"),
    ];

    type FacilityDef = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

    const FACILITIES: [FacilityDef; 5] = [
        (
            "rmc",
            "Riverbend Medical Center",
            &[
                ("ed", "Emergency Department"),
                ("icu", "Medical ICU"),
                ("sicu", "Surgical ICU"),
                ("cvicu", "Cardiovascular ICU"),
                ("ccu", "Coronary Care Unit"),
                ("2n", "2 North Med-Surg"),
                ("2s", "2 South Med-Surg"),
                ("3n", "3 North Telemetry"),
                ("3s", "3 South Telemetry"),
                ("4w", "4 West Med-Surg"),
                ("4e", "4 East Orthopedics"),
                ("5w", "5 West Oncology"),
                ("5e", "5 East Neurology"),
                ("6w", "6 West Renal"),
                ("6e", "6 East Step-Down"),
                ("ld", "Labor & Delivery"),
                ("mb", "Mother-Baby"),
                ("nicu", "Neonatal ICU"),
                ("peds", "Pediatrics"),
                ("or", "Main OR"),
                ("pacu", "PACU"),
                ("preop", "Pre-Op"),
                ("endo", "Endoscopy"),
                ("cath", "Cath Lab"),
                ("ir", "Interventional Radiology"),
                ("rad", "Radiology"),
                ("lab", "Core Lab"),
                ("pharm", "Inpatient Pharmacy"),
                ("rehab", "Inpatient Rehab"),
                ("reg", "Patient Registration"),
            ],
        ),
        (
            "sjh",
            "St. Jude's Hospital",
            &[
                ("ed", "Emergency Department"),
                ("icu", "ICU"),
                ("pcu", "Progressive Care"),
                ("2a", "2A Med-Surg"),
                ("2b", "2B Med-Surg"),
                ("3a", "3A Telemetry"),
                ("3b", "3B Surgical"),
                ("4a", "4A Oncology"),
                ("ld", "Labor & Delivery"),
                ("mb", "Mother-Baby"),
                ("nicu", "Special Care Nursery"),
                ("or", "Surgical Services"),
                ("pacu", "PACU"),
                ("sds", "Same-Day Surgery"),
                ("endo", "Endoscopy"),
                ("rad", "Imaging"),
                ("lab", "Laboratory"),
                ("pharm", "Pharmacy"),
                ("bh", "Behavioral Health"),
                ("wound", "Wound Care Clinic"),
                ("reg", "Admitting"),
                ("infusion", "Infusion Center"),
            ],
        ),
        (
            "nvc",
            "North Valley Community Hospital",
            &[
                ("ed", "Emergency Department"),
                ("icu", "ICU"),
                ("med", "Medical Unit"),
                ("surg", "Surgical Unit"),
                ("tele", "Telemetry"),
                ("ob", "Obstetrics"),
                ("or", "OR"),
                ("pacu", "PACU"),
                ("rad", "Radiology"),
                ("lab", "Laboratory"),
                ("pharm", "Pharmacy"),
                ("reg", "Registration"),
                ("swing", "Swing Beds"),
                ("rhc", "Rural Health Clinic"),
                ("fm", "Family Medicine Clinic"),
                ("pt", "Outpatient Therapy"),
            ],
        ),
        (
            "lch",
            "Lakeside Children's Hospital",
            &[
                ("ped-ed", "Pediatric Emergency"),
                ("picu", "Pediatric ICU"),
                ("nicu", "Level IV NICU"),
                ("cicu", "Cardiac ICU"),
                ("heme", "Hematology-Oncology"),
                ("bmt", "Bone Marrow Transplant"),
                ("gen-a", "General Pediatrics A"),
                ("gen-b", "General Pediatrics B"),
                ("surg", "Pediatric Surgery"),
                ("or", "Pediatric OR"),
                ("pacu", "PACU"),
                ("sedation", "Sedation Unit"),
                ("rad", "Pediatric Imaging"),
                ("lab", "Laboratory"),
                ("pharm", "Pharmacy"),
                ("clinic", "Specialty Clinics"),
            ],
        ),
        (
            "wrh",
            "Westridge Regional Hospital",
            &[
                ("ed", "Emergency Department"),
                ("icu", "ICU"),
                ("stepdown", "Step-Down"),
                ("med", "Medical"),
                ("surg", "Surgical"),
                ("ortho", "Orthopedics"),
                ("onc", "Oncology"),
                ("ld", "Labor & Delivery"),
                ("or", "OR"),
                ("pacu", "PACU"),
                ("cath", "Cath Lab"),
                ("rad", "Radiology"),
                ("lab", "Laboratory"),
                ("pharm", "Pharmacy"),
                ("dialysis", "Dialysis"),
                ("reg", "Registration"),
            ],
        ),
    ];

    pub(super) fn spec() -> GoLiveSpec {
        let modules = MODULES.iter().map(|&(id, name)| Module { id: id.into(), name: name.into() }).collect();
        let facilities = FACILITIES
            .iter()
            .map(|&(fid, name, units)| Facility {
                id: fid.into(),
                name: name.into(),
                units: units
                    .iter()
                    .map(|&(uid, uname)| Unit { id: UnitId::new(format!("{fid}-{uid}")), name: uname.into() })
                    .collect(),
            })
            .collect();

        let mut queues = vec![Queue { id: "cc-lead".into(), name: "Command-center lead".into() }];
        queues.extend(
            MODULES.iter().map(|&(id, name)| Queue {
                id: QueueId::new(format!("analysts-{id}")),
                name: format!("{name} analysts"),
            }),
        );
        queues.push(Queue { id: "it-access".into(), name: "IT access & security".into() });
        queues.extend(FACILITIES.iter().map(|&(fid, name, _)| Queue {
            id: QueueId::new(format!("training-{fid}")),
            name: format!("Training, {name}"),
        }));
        queues.push(Queue { id: "operations".into(), name: "Operations & clinical informatics".into() });

        let rule = |kind, queue: &str| Rule::to(queue).kind(kind);
        let mut rules = vec![Rule::to("cc-lead").severity(Severity::PatientSafety).and_continue()];
        rules.extend(MODULES.iter().map(|&(id, _)| rule(Kind::Configuration, &format!("analysts-{id}")).module(id)));
        rules.push(rule(Kind::Access, "it-access"));
        rules.extend(
            FACILITIES.iter().map(|&(fid, _, _)| rule(Kind::TrainingGap, &format!("training-{fid}")).facility(fid)),
        );
        rules.push(rule(Kind::Process, "operations"));

        GoLiveSpec {
            name: "Riverbend Health Epic go-live".into(),
            starts_at: "2026-11-21T07:00:00-05:00".into(),
            utc_offset: Some("-05:00".into()),
            time_zone: None,
            offsets: vec![],
            shift_starts: vec!["07:00".into(), "19:00".into()],
            fallback_queue: "cc-lead".into(),
            modules,
            facilities,
            queues,
            rules,
            resolutions: default_resolutions(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_example_is_a_five_hospital_system_of_about_a_hundred_units() {
        let g = GoLive::example();
        assert_eq!(g.facilities().len(), 5);
        let units = g.units().count();
        assert!((90..=110).contains(&units), "{units}");
        assert_eq!(g.unit_facility("rmc-4w").map(|f| f.as_str()), Some("rmc"));
        assert!(g.queue("analysts-clindoc").is_some());
    }

    #[test]
    fn a_go_live_that_lists_no_resolutions_gets_the_defaults_and_a_repeated_one_is_refused() {
        let mut json = serde_json::to_value(example::spec()).unwrap();
        json.as_object_mut().unwrap().remove("resolutions");
        let g: GoLive = serde_json::from_value(json).unwrap();
        let ids: Vec<&str> = g.resolutions().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, DEFAULT_RESOLUTIONS.map(|(id, _)| id));
        assert_eq!(g.resolution(&"build-fixed".into()).map(|r| r.name.as_str()), Some("Build fixed and migrated"));
        assert!(g.resolution(&"fixed-by-magic".into()).is_none());

        let mut spec = example::spec();
        spec.resolutions.push(spec.resolutions[0].clone());
        assert!(matches!(GoLive::try_from(spec), Err(GoLiveError::Duplicate { what: "resolution", .. })));
        let mut spec = example::spec();
        spec.resolutions.clear();
        assert!(matches!(GoLive::try_from(spec), Err(GoLiveError::Empty("resolution"))));
    }

    #[test]
    fn dangling_rule_references_are_refused_with_the_rule_named() {
        let mut spec = example::spec();
        spec.rules[2].queue = QueueId::new("analysts-nowhere");
        let err = GoLive::try_from(spec).unwrap_err();
        assert_eq!(err.to_string(), "rule 3 names queue `analysts-nowhere`, which is not defined");
    }

    #[test]
    fn duplicate_units_across_facilities_are_refused() {
        let mut spec = example::spec();
        let dup = spec.facilities[0].units[0].clone();
        spec.facilities[1].units.push(dup);
        assert!(matches!(GoLive::try_from(spec), Err(GoLiveError::Duplicate { what: "unit", .. })));
    }

    #[test]
    fn bad_schedule_values_are_refused() {
        let mut spec = example::spec();
        spec.shift_starts = vec!["7am".into()];
        assert!(matches!(GoLive::try_from(spec), Err(GoLiveError::BadValue { field: "shift_starts", .. })));
        let mut spec = example::spec();
        spec.utc_offset = Some("EST".into());
        assert!(matches!(GoLive::try_from(spec), Err(GoLiveError::BadValue { field: "utc_offset", .. })));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut json = serde_json::to_value(example::spec()).unwrap();
        json["colour"] = "blue".into();
        assert!(serde_json::from_value::<GoLive>(json).unwrap_err().to_string().contains("colour"));
    }

    #[test]
    fn shifts_and_days_follow_the_local_clock() {
        let g = GoLive::example(); // shifts at 07:00 and 19:00, UTC-5
        // 13:00 UTC is 08:00 local: the day shift that began at 07:00 local (12:00 UTC).
        assert_eq!(g.shift_start(datetime!(2026-11-22 13:00 UTC)), datetime!(2026-11-22 12:00 UTC));
        // 03:00 UTC is 22:00 local the day before: the night shift from 19:00 local.
        assert_eq!(g.shift_start(datetime!(2026-11-22 03:00 UTC)), datetime!(2026-11-22 00:00 UTC));
        // 11:00 UTC is 06:00 local: still the night shift that began 19:00 local yesterday.
        assert_eq!(g.shift_start(datetime!(2026-11-22 11:00 UTC)), datetime!(2026-11-22 00:00 UTC));
        assert_eq!(g.day_start(datetime!(2026-11-22 03:00 UTC)), datetime!(2026-11-21 05:00 UTC));
    }

    #[test]
    fn round_trips_through_its_wire_form() {
        let g = GoLive::example();
        let back: GoLive = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
        assert_eq!(back, g);
    }
}

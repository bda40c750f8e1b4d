//! Who is on which unit: a tablet checks its person in to a unit at the start of a shift (and
//! again when they move), the server keeps each check-in (who, where, since when, until
//! when), and the board shows, beside each unit's heat, how many people are checked in there.
//!
//! A check-in ends at the next check-in of the same person, at their check-out or sign-out,
//! or `CHECK_IN_LASTS` after it began (a shift and its hand-over: a tablet left checked in
//! overnight does not count as cover the next morning).

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::ids::{FacilityId, ReporterId, UnitId};

/// How long a check-in counts without being renewed: a 12-hour shift and its hand-over.
pub const CHECK_IN_LASTS: Duration = Duration::hours(13);

/// `POST /api/v1/check-ins`: the signed-in person is on this unit from now on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub unit: UnitId,
}

/// A check-in as kept: who, on which unit of which facility, since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckIn {
    pub login: ReporterId,
    pub facility: FacilityId,
    pub unit: UnitId,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub since: OffsetDateTime,
}

impl CheckIn {
    /// Whether it still counts at `now` (it has not ended otherwise).
    pub fn counts_at(&self, now: OffsetDateTime) -> bool {
        self.since <= now && now - self.since < CHECK_IN_LASTS
    }
}

/// How many people are checked in on one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCoverage {
    pub unit: UnitId,
    pub people: u32,
}

/// `GET /api/v1/coverage`: the units of every facility (or of one) with at least one person
/// checked in, by unit id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    pub units: Vec<UnitCoverage>,
}

impl Coverage {
    /// The coverage at `now` from the open check-ins (at most one per person), of one
    /// facility or of all.
    pub fn of(open: &[CheckIn], facility: Option<&FacilityId>, now: OffsetDateTime) -> Coverage {
        let mut counts = std::collections::BTreeMap::<&UnitId, u32>::new();
        for c in open.iter().filter(|c| c.counts_at(now) && facility.is_none_or(|f| *f == c.facility)) {
            *counts.entry(&c.unit).or_default() += 1;
        }
        Coverage {
            facility: facility.cloned(),
            units: counts.into_iter().map(|(unit, people)| UnitCoverage { unit: unit.clone(), people }).collect(),
        }
    }

    /// The people checked in on `unit`.
    pub fn people(&self, unit: &UnitId) -> u32 {
        self.units.iter().find(|c| c.unit == *unit).map_or(0, |c| c.people)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_in(login: &str, facility: &str, unit: &str, since: OffsetDateTime) -> CheckIn {
        CheckIn {
            login: ReporterId::parse(login).expect("a login"),
            facility: FacilityId::new(facility),
            unit: UnitId::new(unit),
            since,
        }
    }

    #[test]
    fn counts_people_per_unit_of_the_facility_asked_while_their_check_in_lasts() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a time");
        let open = [
            check_in("a", "rmc", "rmc-ed", now - Duration::hours(1)),
            check_in("b", "rmc", "rmc-ed", now - Duration::minutes(5)),
            check_in("c", "rmc", "rmc-4w", now - CHECK_IN_LASTS),
            check_in("d", "nch", "nch-icu", now),
            check_in("e", "rmc", "rmc-4w", now + Duration::minutes(1)),
        ];
        let all = Coverage::of(&open, None, now);
        assert_eq!(all.people(&UnitId::new("rmc-ed")), 2);
        assert_eq!(all.people(&UnitId::new("rmc-4w")), 0, "expired, or not yet begun");
        assert_eq!(all.people(&UnitId::new("nch-icu")), 1);
        let rmc = Coverage::of(&open, Some(&FacilityId::new("rmc")), now);
        assert_eq!(rmc.units, vec![UnitCoverage { unit: UnitId::new("rmc-ed"), people: 2 }]);
        assert_eq!(rmc.facility, Some(FacilityId::new("rmc")));
    }
}

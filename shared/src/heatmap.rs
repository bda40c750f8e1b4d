//! Heatmap folding: issues by unit and kind, with open and patient-safety counts and totals
//! over the board's time windows (last hour, this shift, today, since go-live). The fold is
//! pure: the caller supplies the facts and the time, and asks which cells changed since it
//! last asked, so a board receives only the cells that moved.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::golive::GoLive;
use crate::ids::{FacilityId, UnitId};
use crate::report::{Kind, Severity, Status};

/// The board's time windows, for clients choosing which total to colour by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Window {
    LastHour,
    ThisShift,
    Today,
    SinceGoLive,
}

/// The numbers in one cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellCounts {
    /// Issues not yet resolved or closed.
    pub open: u32,
    /// Open issues of patient-safety severity.
    pub safety_open: u32,
    /// Reports received in the last sixty minutes.
    pub last_hour: u32,
    /// Reports received since the current shift began.
    pub this_shift: u32,
    /// Reports received since local midnight.
    pub today: u32,
    /// Every report received for this cell.
    pub since_go_live: u32,
}

impl CellCounts {
    pub fn in_window(&self, window: Window) -> u32 {
        match window {
            Window::LastHour => self.last_hour,
            Window::ThisShift => self.this_shift,
            Window::Today => self.today,
            Window::SinceGoLive => self.since_go_live,
        }
    }
}

/// One cell of the board: a unit and a kind of problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cell {
    pub facility: FacilityId,
    pub unit: UnitId,
    pub kind: Kind,
    #[serde(flatten)]
    pub counts: CellCounts,
}

/// What the fold needs to know about a change to an issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    Reported { facility: FacilityId, unit: UnitId, kind: Kind, severity: Severity, status: Status, at: OffsetDateTime },
    StatusChanged { facility: FacilityId, unit: UnitId, kind: Kind, severity: Severity, from: Status, to: Status },
}

#[derive(Debug, Default)]
struct CellState {
    facility: FacilityId,
    open: u32,
    safety_open: u32,
    total: u32,
    /// Receipt times inside the longest window still needed, oldest first.
    recent: VecDeque<OffsetDateTime>,
    /// The counts last handed out by [`Heatmap::changes`].
    shown: CellCounts,
    dirty: bool,
}

impl CellState {
    fn counts(&self, bounds: &Bounds) -> CellCounts {
        let since = |t: OffsetDateTime| (self.recent.len() - self.recent.partition_point(|&r| r < t)) as u32;
        CellCounts {
            open: self.open,
            safety_open: self.safety_open,
            last_hour: since(bounds.hour),
            this_shift: since(bounds.shift),
            today: since(bounds.day),
            since_go_live: self.total,
        }
    }

    fn count_open(&mut self, severity: Severity, delta: i32) {
        self.open = self.open.saturating_add_signed(delta);
        if severity == Severity::PatientSafety {
            self.safety_open = self.safety_open.saturating_add_signed(delta);
        }
    }
}

/// The start of each window at one moment.
struct Bounds {
    hour: OffsetDateTime,
    shift: OffsetDateTime,
    day: OffsetDateTime,
}

impl Bounds {
    fn at(golive: &GoLive, now: OffsetDateTime) -> Bounds {
        // "Last hour" excludes a report exactly sixty minutes old.
        Bounds {
            hour: now - Duration::hours(1) + Duration::nanoseconds(1),
            shift: golive.shift_start(now),
            day: golive.day_start(now),
        }
    }

    fn oldest(&self) -> OffsetDateTime {
        self.hour.min(self.shift).min(self.day)
    }
}

/// A fingerprint of a board's cells: equal boards have equal digests on every node and
/// version, so a board that reconnects can show it still holds the current board and be
/// answered `resumed` instead of sent the whole board again. Cells with nothing to show
/// are left out, so a snapshot and the updates that led to the same board agree.
/// On the wire: 32 lowercase hex digits (XXH3-128 of the cells in (unit, kind) order;
/// docs/protocol.md §7.5 gives the exact bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
#[serde(try_from = "String", into = "String")]
pub struct BoardDigest(u128);

impl BoardDigest {
    /// The digest of cells given in (unit, kind) order.
    fn of<'a>(cells: impl Iterator<Item = (&'a FacilityId, &'a UnitId, Kind, &'a CellCounts)>) -> BoardDigest {
        let mut bytes = Vec::new();
        for (facility, unit, kind, counts) in cells.filter(|(.., counts)| **counts != CellCounts::default()) {
            for text in [facility.as_str(), unit.as_str(), kind.as_str()] {
                bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
                bytes.extend_from_slice(text.as_bytes());
            }
            let CellCounts { open, safety_open, last_hour, this_shift, today, since_go_live } = *counts;
            for n in [open, safety_open, last_hour, this_shift, today, since_go_live] {
                bytes.extend_from_slice(&n.to_le_bytes());
            }
        }
        BoardDigest(xxhash_rust::xxh3::xxh3_128(&bytes))
    }
}

impl std::fmt::Display for BoardDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl From<BoardDigest> for String {
    fn from(digest: BoardDigest) -> String {
        digest.to_string()
    }
}

impl TryFrom<String> for BoardDigest {
    type Error = &'static str;

    fn try_from(text: String) -> Result<BoardDigest, Self::Error> {
        let hex = text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match u128::from_str_radix(&text, 16) {
            Ok(n) if hex => Ok(BoardDigest(n)),
            _ => Err("expected a board digest: 32 lowercase hex digits"),
        }
    }
}

/// The folded board of one go-live.
#[derive(Debug, Default)]
pub struct Heatmap {
    cells: BTreeMap<(UnitId, Kind), CellState>,
}

impl Heatmap {
    pub fn new() -> Heatmap {
        Heatmap::default()
    }

    /// Folds one fact in. Cells change only in [`Heatmap::changes`], so a burst of facts
    /// becomes one update.
    pub fn apply(&mut self, fact: &Fact) {
        match fact {
            Fact::Reported { facility, unit, kind, severity, status, at } => {
                let cell = self.cell(facility, unit, *kind);
                cell.total += 1;
                // Receipts nearly always arrive in order: appended without a search.
                if cell.recent.back().is_none_or(|last| last <= at) {
                    cell.recent.push_back(*at);
                } else {
                    let slot = cell.recent.partition_point(|r| r <= at);
                    cell.recent.insert(slot, *at);
                }
                if status.is_open() {
                    cell.count_open(*severity, 1);
                }
            }
            Fact::StatusChanged { facility, unit, kind, severity, from, to } => {
                if from.is_open() != to.is_open() {
                    let cell = self.cell(facility, unit, *kind);
                    cell.count_open(*severity, if to.is_open() { 1 } else { -1 });
                }
            }
        }
    }

    fn cell(&mut self, facility: &FacilityId, unit: &UnitId, kind: Kind) -> &mut CellState {
        let cell = self
            .cells
            .entry((unit.clone(), kind))
            .or_insert_with(|| CellState { facility: facility.clone(), ..CellState::default() });
        cell.dirty = true;
        cell
    }

    /// The cells whose counts differ from what was last handed out, as of `now`: those
    /// touched by facts, and those whose window totals moved with the clock. Marks them
    /// handed out and forgets receipt times no window needs any more.
    pub fn changes(&mut self, golive: &GoLive, now: OffsetDateTime) -> Vec<Cell> {
        let bounds = Bounds::at(golive, now);
        let oldest = bounds.oldest();
        let mut changed = Vec::new();
        for ((unit, kind), cell) in &mut self.cells {
            if !cell.dirty && cell.recent.is_empty() {
                continue;
            }
            cell.dirty = false;
            let counts = cell.counts(&bounds);
            let expired = cell.recent.partition_point(|&r| r < oldest);
            cell.recent.drain(..expired);
            if counts != cell.shown {
                cell.shown = counts;
                changed.push(Cell { facility: cell.facility.clone(), unit: unit.clone(), kind: *kind, counts });
            }
        }
        changed
    }

    /// The digest of the board as last handed out, for every facility or one.
    pub fn digest(&self, facility: Option<&FacilityId>) -> BoardDigest {
        let shown = self.cells.iter().filter(|(_, c)| facility.is_none_or(|f| *f == c.facility));
        BoardDigest::of(shown.map(|((unit, kind), c)| (&c.facility, unit, *kind, &c.shown)))
    }

    /// Every cell with anything to show, as last handed out by [`Heatmap::changes`].
    pub fn snapshot(&self) -> Vec<Cell> {
        self.cells
            .iter()
            .filter(|(_, c)| c.shown != CellCounts::default())
            .map(|((unit, kind), c)| Cell {
                facility: c.facility.clone(),
                unit: unit.clone(),
                kind: *kind,
                counts: c.shown,
            })
            .collect()
    }
}

/// A client's copy of the board: a snapshot, then updates applied cell by cell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardView {
    cells: BTreeMap<(UnitId, Kind), Cell>,
}

impl BoardView {
    pub fn from_cells(cells: impl IntoIterator<Item = Cell>) -> BoardView {
        let mut view = BoardView::default();
        view.apply(cells);
        view
    }

    /// Cells carry absolute counts, so applying an update twice is harmless.
    pub fn apply(&mut self, cells: impl IntoIterator<Item = Cell>) {
        for cell in cells {
            self.cells.insert((cell.unit.clone(), cell.kind), cell);
        }
    }

    /// The digest of the cells held: equal to the server's board digest when this view
    /// holds exactly the board it was sent.
    pub fn digest(&self) -> BoardDigest {
        BoardDigest::of(self.cells.iter().map(|((unit, kind), c)| (&c.facility, unit, *kind, &c.counts)))
    }

    pub fn get(&self, unit: &UnitId, kind: Kind) -> CellCounts {
        self.cells.get(&(unit.clone(), kind)).map(|c| c.counts).unwrap_or_default()
    }

    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.values()
    }

    /// Totals over a facility's cells (all facilities when `None`) for one kind or all.
    pub fn total(&self, facility: Option<&FacilityId>, kind: Option<Kind>, window: Window) -> u32 {
        self.cells
            .values()
            .filter(|c| facility.is_none_or(|f| *f == c.facility) && kind.is_none_or(|k| k == c.kind))
            .map(|c| c.counts.in_window(window))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-22 13:00 UTC); // 08:00 local, day shift

    fn reported(unit: &str, kind: Kind, severity: Severity, status: Status, at: OffsetDateTime) -> Fact {
        let facility = FacilityId::new(unit.split('-').next().unwrap());
        Fact::Reported { facility, unit: UnitId::new(unit), kind, severity, status, at }
    }

    fn counts(h: &mut Heatmap, now: OffsetDateTime) -> BTreeMap<(String, Kind), CellCounts> {
        h.changes(&GoLive::example(), now).into_iter().map(|c| ((c.unit.to_string(), c.kind), c.counts)).collect()
    }

    #[test]
    fn a_burst_of_reports_folds_into_one_change_per_cell() {
        let mut h = Heatmap::new();
        for _ in 0..1000 {
            h.apply(&reported("rmc-4w", Kind::TrainingGap, Severity::Low, Status::New, T0));
        }
        h.apply(&reported("rmc-4w", Kind::Access, Severity::PatientSafety, Status::New, T0));
        let changed = counts(&mut h, T0);
        assert_eq!(changed.len(), 2);
        let gap = changed[&("rmc-4w".into(), Kind::TrainingGap)];
        assert_eq!((gap.open, gap.last_hour, gap.today, gap.since_go_live), (1000, 1000, 1000, 1000));
        assert_eq!(changed[&("rmc-4w".into(), Kind::Access)].safety_open, 1);
        assert!(counts(&mut h, T0).is_empty(), "nothing changed since the last call");
    }

    #[test]
    fn resolved_reports_count_in_totals_but_not_open() {
        let mut h = Heatmap::new();
        h.apply(&reported("sjh-ed", Kind::TrainingGap, Severity::Low, Status::Resolved, T0));
        let c = counts(&mut h, T0)[&("sjh-ed".into(), Kind::TrainingGap)];
        assert_eq!((c.open, c.since_go_live), (0, 1));
    }

    #[test]
    fn status_changes_move_open_and_safety_counts() {
        let mut h = Heatmap::new();
        h.apply(&reported("sjh-ed", Kind::Configuration, Severity::PatientSafety, Status::New, T0));
        counts(&mut h, T0);
        let change = |from, to| Fact::StatusChanged {
            facility: "sjh".into(),
            unit: "sjh-ed".into(),
            kind: Kind::Configuration,
            severity: Severity::PatientSafety,
            from,
            to,
        };
        h.apply(&change(Status::New, Status::InProgress));
        assert!(counts(&mut h, T0).is_empty(), "still open: nothing to send");
        h.apply(&change(Status::InProgress, Status::Resolved));
        let c = counts(&mut h, T0)[&("sjh-ed".into(), Kind::Configuration)];
        assert_eq!((c.open, c.safety_open, c.since_go_live), (0, 0, 1));
        h.apply(&change(Status::Resolved, Status::InProgress));
        assert_eq!(counts(&mut h, T0)[&("sjh-ed".into(), Kind::Configuration)].safety_open, 1);
    }

    #[test]
    fn windows_slide_with_the_clock() {
        let mut h = Heatmap::new();
        // 06:30 local: the night shift, today.
        h.apply(&reported("nvc-ed", Kind::Process, Severity::Medium, Status::New, T0 - Duration::minutes(90)));
        // 07:50 local: the day shift.
        h.apply(&reported("nvc-ed", Kind::Process, Severity::Medium, Status::New, T0 - Duration::minutes(10)));
        let c = counts(&mut h, T0)[&("nvc-ed".into(), Kind::Process)];
        assert_eq!((c.last_hour, c.this_shift, c.today, c.since_go_live), (1, 1, 2, 2));

        // Fifty minutes later the 07:50 report leaves the last hour.
        let later = T0 + Duration::minutes(50);
        let c = counts(&mut h, later)[&("nvc-ed".into(), Kind::Process)];
        assert_eq!((c.last_hour, c.this_shift, c.today), (0, 1, 2));

        // Past local midnight, today and the shift empty out; the total stays.
        let tomorrow = datetime!(2026-11-23 05:30 UTC);
        let c = counts(&mut h, tomorrow)[&("nvc-ed".into(), Kind::Process)];
        assert_eq!((c.last_hour, c.this_shift, c.today, c.since_go_live, c.open), (0, 0, 0, 2, 2));
        assert!(counts(&mut h, tomorrow + Duration::hours(1)).is_empty(), "old receipts were forgotten");
    }

    #[test]
    fn snapshots_hold_what_was_handed_out() {
        let mut h = Heatmap::new();
        h.apply(&reported("lch-picu", Kind::Access, Severity::High, Status::New, T0));
        assert!(h.snapshot().is_empty(), "not handed out yet");
        let sent = h.changes(&GoLive::example(), T0);
        assert_eq!(h.snapshot(), sent);
    }

    #[test]
    fn a_board_view_totals_by_facility_and_kind() {
        let mut h = Heatmap::new();
        h.apply(&reported("rmc-4w", Kind::Access, Severity::High, Status::New, T0));
        h.apply(&reported("rmc-ed", Kind::Access, Severity::High, Status::New, T0));
        h.apply(&reported("sjh-ed", Kind::Process, Severity::High, Status::New, T0));
        let view = BoardView::from_cells(h.changes(&GoLive::example(), T0));
        assert_eq!(view.total(Some(&"rmc".into()), None, Window::Today), 2);
        assert_eq!(view.total(None, Some(Kind::Process), Window::SinceGoLive), 1);
        assert_eq!(view.get(&"rmc-4w".into(), Kind::Access).open, 1);
    }

    #[test]
    fn a_view_built_from_updates_has_the_boards_digest() {
        let golive = GoLive::example();
        let mut h = Heatmap::new();
        h.apply(&reported("rmc-4w", Kind::Access, Severity::High, Status::New, T0));
        h.apply(&reported("sjh-ed", Kind::Process, Severity::High, Status::New, T0));
        let mut view = BoardView::from_cells(h.changes(&golive, T0));
        let first = h.digest(None);
        assert_eq!(view.digest(), first);

        // An update applied to the view keeps them equal; the board's digest moved.
        h.apply(&reported("rmc-4w", Kind::Access, Severity::Low, Status::New, T0));
        view.apply(h.changes(&golive, T0));
        assert_ne!(h.digest(None), first, "a changed count changes the digest");
        assert_eq!(view.digest(), h.digest(None));
        assert_eq!(view, BoardView::from_cells(h.snapshot()));

        // A window moving with the clock changes the digest too.
        let later = T0 + Duration::hours(2);
        let before = h.digest(None);
        view.apply(h.changes(&golive, later));
        assert_ne!(h.digest(None), before);
        assert_eq!(view.digest(), h.digest(None));
    }

    #[test]
    fn a_facility_boards_digest_covers_that_facility_only() {
        let golive = GoLive::example();
        let mut h = Heatmap::new();
        h.apply(&reported("rmc-4w", Kind::Access, Severity::High, Status::New, T0));
        h.apply(&reported("sjh-ed", Kind::Process, Severity::High, Status::New, T0));
        let cells = h.changes(&golive, T0);
        let rmc: FacilityId = "rmc".into();
        let rmc_view = BoardView::from_cells(cells.iter().filter(|c| c.facility == rmc).cloned());
        assert_eq!(rmc_view.digest(), h.digest(Some(&rmc)));
        assert_ne!(h.digest(Some(&rmc)), h.digest(None));

        // Another facility's change leaves this one's digest alone.
        let before = h.digest(Some(&rmc));
        h.apply(&reported("sjh-ed", Kind::Process, Severity::High, Status::New, T0));
        h.changes(&golive, T0);
        assert_eq!(h.digest(Some(&rmc)), before);
    }

    #[test]
    fn digests_are_32_hex_digits_on_the_wire() {
        let digest = BoardView::default().digest();
        let text = serde_json::to_string(&digest).unwrap();
        assert_eq!(text.len(), 34);
        assert_eq!(serde_json::from_str::<BoardDigest>(&text).unwrap(), digest);
        for bad in ["\"abc\"", "\"0123456789ABCDEF0123456789abcdef\"", "\"+123456789abcdef0123456789abcdef\"", "7"] {
            assert!(serde_json::from_str::<BoardDigest>(bad).is_err(), "{bad} accepted");
        }
    }
}

//! Proptest strategies for what a client may send: whole report drafts and status changes
//! over the whole input space, weighted so that most drafts validate against the example
//! go-live and the edges (years 0 and 9999, offsets of ±23:59, text at and past its limit,
//! NUL and other characters no screen shows) come up often. Shared by every property test.

use std::sync::LazyLock;

use floorboard_shared::protocol::StatusChange;
use floorboard_shared::report::{DETAILS_MAX, NOTE_MAX, ROLE_MAX, SUMMARY_MAX};
use floorboard_shared::{GoLive, Kind, ReportDraft, ReportId, Severity, Status};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The catalog drafts are drawn from: the go-live the server runs when given no other.
static GOLIVE: LazyLock<GoLive> = LazyLock::new(GoLive::example);

/// Every `(facility, unit)` pair of the example go-live.
fn places() -> Vec<(String, String)> {
    GOLIVE.units().map(|(facility, unit)| (facility.id.as_str().to_owned(), unit.id.as_str().to_owned())).collect()
}

/// A draft as a device might send it. Its id is any UUID: a property that commits drafts
/// to one store over many cases (and while shrinking) should give each a fresh id, or the
/// second run of the same draft is a retry.
pub fn report_draft() -> impl Strategy<Value = ReportDraft> {
    let what = (place(), module(), select(Kind::ALL.to_vec()), select(Severity::ALL.to_vec()));
    let text = (free_text(SUMMARY_MAX), optional_text(DETAILS_MAX), optional_text(ROLE_MAX));
    let who = (affected_users(), any::<bool>(), reporter(), reported_at(), any::<u128>());
    (what, text, who).prop_map(
        |(
            ((facility, unit), module, kind, severity),
            (summary, details, affected_role),
            (affected_users, resolved_at_elbow, reporter, reported_at, id),
        )| ReportDraft {
            id: ReportId(uuid::Uuid::from_u128(id)),
            facility,
            unit,
            module,
            kind,
            severity,
            summary,
            details,
            affected_role,
            affected_users,
            resolved_at_elbow,
            reporter,
            reported_at,
        },
    )
}

/// A facility and a unit: nearly always a unit of that facility, sometimes two catalog ids
/// that do not belong together, sometimes anything at all.
pub fn place() -> impl Strategy<Value = (String, String)> {
    let places = places();
    let facilities: Vec<String> = GOLIVE.facilities().iter().map(|f| f.id.as_str().to_owned()).collect();
    let units: Vec<String> = places.iter().map(|(_, u)| u.clone()).collect();
    prop_oneof![
        16 => select(places),
        1 => (select(facilities), select(units)),
        1 => (identifier(), identifier()),
    ]
}

/// A module of the catalog, or now and then anything.
pub fn module() -> impl Strategy<Value = String> {
    let modules: Vec<String> = GOLIVE.modules().iter().map(|m| m.id.as_str().to_owned()).collect();
    prop_oneof![12 => select(modules), 1 => identifier()]
}

/// What a client might put where a catalog id goes: a well-formed slug that may or may not
/// exist, or arbitrary text.
pub fn identifier() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9._-]{1,64}", free_text(80)]
}

/// A reporter's login: mostly a trainer's, sometimes arbitrary text (of any length, with
/// controls the validator should refuse and characters it lets through).
pub fn reporter() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "trainer-[0-9]{2}",
        2 => select(vec!["trainer.kim", "super-user.ortiz", "atE-4", "ÅSA.lindqvist", " padded-trainer "])
            .prop_map(str::to_owned),
        3 => free_text(70),
    ]
}

/// How many users a report says are affected: usually in bounds, often at the bounds, and
/// sometimes any `u32` at all.
pub fn affected_users() -> impl Strategy<Value = u32> {
    prop_oneof![
        12 => 1..=10_000u32,
        4 => select(vec![1, 10_000]),
        1 => select(vec![0, 10_001, u32::MAX]),
        1 => any::<u32>(),
    ]
}

const NANOS_PER_DAY: u64 = 86_400 * 1_000_000_000;
/// The widest offset RFC 3339 (the wire) can carry, in minutes: ±23:59.
const OFFSET_MAX_MINUTES: i32 = 23 * 60 + 59;

/// Any moment the `time` crate represents (years -9999 to 9999), with any whole-minute UTC
/// offset the wire can carry. Each part picks its edges often (year 0 or 9999, the first or
/// last day, midnight or the last nanosecond, ±23:59), and one case in five is a corner of
/// the range, every part at an edge at once (the first moment of year 0 east of UTC, the
/// last of 9999 west of it). Local years below 0 cannot be written in RFC 3339 and so
/// cannot come over the wire; they are rare here, for callers that build drafts in code.
pub fn reported_at() -> impl Strategy<Value = OffsetDateTime> {
    let year = prop_oneof![
        2 => Just(0),
        2 => Just(9999),
        1 => select(vec![1, 9998, 1970, 2000]),
        3 => 2024..=2028,
        // The years a report may carry: most drafts must get past validation to the store.
        10 => 2000..=2099,
        4 => 0..=9999,
        1 => -9999..=-1,
    ];
    // Clamped to the year's length below: 366 is the last day of any year.
    let ordinal = prop_oneof![1 => Just(1u16), 1 => Just(366u16), 2 => 1..=366u16];
    let nanos = prop_oneof![1 => Just(0u64), 1 => Just(NANOS_PER_DAY - 1), 2 => 0..NANOS_PER_DAY];
    // Shrinking prefers earlier alternatives: UTC first, then the smallest offsets.
    let offset = prop_oneof![
        1 => Just(0),
        1 => select(vec![1, -1, 60, -300, 330]),
        1 => Just(OFFSET_MAX_MINUTES),
        1 => Just(-OFFSET_MAX_MINUTES),
        3 => -OFFSET_MAX_MINUTES..=OFFSET_MAX_MINUTES,
    ];
    let anywhere = (year, ordinal, nanos, offset);
    let corner = (
        select(vec![0, 9999]),
        select(vec![1u16, 366]),
        select(vec![0, NANOS_PER_DAY - 1]),
        select(vec![0, 1, -1, OFFSET_MAX_MINUTES, -OFFSET_MAX_MINUTES]),
    );
    prop_oneof![4 => anywhere, 1 => corner]
        .prop_map(|(year, ordinal, nanos, offset)| moment(year, ordinal, nanos, offset))
}

/// The moment `nanos` into day `ordinal` (clamped to the year) of `year`, at `offset_minutes`
/// east of UTC, as the device's clock would show it.
pub fn moment(year: i32, ordinal: u16, nanos: u64, offset_minutes: i32) -> OffsetDateTime {
    let ordinal = ordinal.clamp(1, time::util::days_in_year(year));
    let date = Date::from_ordinal_date(year, ordinal).expect("a day of a representable year");
    let second = nanos / 1_000_000_000;
    let time = Time::from_hms_nano(
        (second / 3600) as u8,
        (second / 60 % 60) as u8,
        (second % 60) as u8,
        (nanos % 1_000_000_000) as u32,
    )
    .expect("a time of day");
    let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).expect("an offset within ±23:59");
    PrimitiveDateTime::new(date, time).assume_offset(offset)
}

/// A status, any of them.
pub fn status() -> impl Strategy<Value = Status> {
    select(Status::ALL.to_vec())
}

/// A status change as a client sends it: any status, with or without a note of any text.
pub fn status_change() -> impl Strategy<Value = StatusChange> {
    (status(), prop_oneof![1 => Just(None), 3 => free_text(NOTE_MAX).prop_map(Some)])
        .prop_map(|(status, note)| StatusChange { resolution: resolution_for(status), status, note })
}

/// Up to `max` status changes in a row.
/// The resolution a move to `status` takes: one of the built-in go-live's when resolving,
/// none otherwise.
pub fn resolution_for(status: Status) -> Option<floorboard_shared::ResolutionId> {
    (status == Status::Resolved).then(|| floorboard_shared::ResolutionId::new("workaround"))
}

pub fn status_changes(max: usize) -> impl Strategy<Value = Vec<StatusChange>> {
    vec(status_change(), 0..=max)
}

// ---------------------------------------------------------------------------------------
// Text

/// What trainers write about the system (never about a patient).
const SENTENCES: [&str; 12] = [
    "Flowsheet row for pain reassessment missing from RN template",
    "Badge tap on the workstation on wheels does not open Hyperspace",
    "Charge nurses unsure how to assign beds from the unit board",
    "Downtime printer still prints wristbands on the old label stock",
    "BPA fires twice when the order set is signed from the sidebar",
    "Scanner in room 12 reads the barcode but the MAR does not refresh",
    "Secure chat notifications arrive late on the shared iPhones",
    "Print group for discharge paperwork sends to the wrong tray",
    "Résumé of the handoff report cuts off after the third section",
    "Smart phrase for wound care pulls last week's LDA data",
    "The elbow team says the SmartSet loads blank on the Rover",
    "Order entry freezes for a few seconds after Accept",
];

/// Words that make up realistic text around the odd characters.
const WORDS: [&str; 16] = [
    "flowsheet",
    "template",
    "SmartSet",
    "order",
    "BPA",
    "MAR",
    "badge",
    "printer",
    "row",
    "Hyperspace",
    "scan",
    "label",
    "queue",
    "sign",
    "refresh",
    "café",
];

/// Characters that are easy to type, paste or receive from a scanner and hard to see: NUL and
/// the other C0 and C1 controls, DEL, bidirectional overrides and isolates, zero-width and
/// other format characters, odd whitespace, noncharacters and the replacement character.
const INVISIBLE: [char; 34] = [
    '\0',
    '\u{1}',
    '\u{7}',
    '\u{8}',
    '\t',
    '\n',
    '\u{b}',
    '\u{c}',
    '\r',
    '\u{1b}',
    '\u{1f}',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{9f}',
    '\u{ad}',
    '\u{61c}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{200f}',
    '\u{2028}',
    '\u{2029}',
    '\u{202a}',
    '\u{202d}',
    '\u{202e}',
    '\u{2060}',
    '\u{2066}',
    '\u{2069}',
    '\u{feff}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{10ffff}',
];

/// Whitespace that `str::trim` removes, ASCII and not.
const WHITESPACE: [char; 10] =
    [' ', '\t', '\n', '\r', '\u{a0}', '\u{1680}', '\u{2007}', '\u{2028}', '\u{3000}', '\u{85}'];

/// Sequences that are more than one character: decomposed accents (not NFC), stacked
/// combining marks, Hangul jamo, emoji with skin tones and joiners, a flag, right-to-left
/// script, CJK.
const CLUSTERS: [&str; 10] = [
    "e\u{301}",
    "a\u{308}\u{301}\u{323}",
    "\u{1100}\u{1161}\u{11a8}",
    "👩🏽\u{200d}⚕\u{fe0f}",
    "🇺🇸",
    "😀",
    "עברית",
    "العربية",
    "病棟",
    "x\u{20dd}",
];

/// One character from anywhere: invisible, whitespace, a combining mark, an emoji, or any
/// Unicode scalar value.
pub fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => select(INVISIBLE.to_vec()),
        1 => select(WHITESPACE.to_vec()),
        1 => (0x300u32..=0x36f).prop_map(|c| char::from_u32(c).expect("a combining mark")),
        1 => (0x1f300u32..=0x1faff).prop_filter_map("a scalar value", char::from_u32),
        3 => any::<char>(),
        3 => proptest::char::range(' ', '~'),
    ]
}

/// A piece of text: a word, a space, an odd character, or a cluster of them.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(WORDS.to_vec()).prop_map(str::to_owned),
        3 => Just(" ".to_owned()),
        4 => any_char().prop_map(String::from),
        1 => select(CLUSTERS.to_vec()).prop_map(str::to_owned),
    ]
}

/// Free text bounded by `max` characters on the server: mostly realistic sentences, often
/// with invisible characters or padding, and text of any Unicode, including runs of one
/// character (of one byte or of four) just under, at and just past `max`.
pub fn free_text(max: usize) -> BoxedStrategy<String> {
    let sentence = select(SENTENCES.to_vec()).prop_map(str::to_owned);
    let mixed = vec(fragment(), 1..24).prop_map(|parts| parts.concat());
    let anything = vec(any_char(), 0..48).prop_map(|chars| chars.into_iter().collect::<String>());
    let at_limit = (
        prop_oneof![Just('x'), Just('é'), Just('😀'), Just('\u{200b}'), Just('\0'), any_char()],
        max.saturating_sub(2)..=max + 2,
    )
        .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect::<String>());
    let body = prop_oneof![
        16 => sentence,
        4 => mixed,
        2 => anything,
        1 => at_limit,
    ];
    (padding(), body, padding()).prop_map(|(before, body, after)| format!("{before}{body}{after}")).boxed()
}

/// Optional free text: absent, empty, or any text `free_text` makes.
pub fn optional_text(max: usize) -> impl Strategy<Value = Option<String>> {
    prop_oneof![2 => Just(None), 1 => Just(Some(String::new())), 5 => free_text(max).prop_map(Some)]
}

/// Leading or trailing whitespace, half the time none.
fn padding() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => vec(select(WHITESPACE.to_vec()), 1..4).prop_map(|cs| cs.into_iter().collect()),
    ]
}

//! Patients' and relatives' names, found as Philter finds them: word lists of names, a list
//! of names that are also everyday words (`Will`, `Rose`, `Ward`), and the context that makes
//! a word a patient's name (`Mrs.`, `pt`, `daughter`, `Lastname, Firstname`, `in bed 14`,
//! `Garcia's chart`). Names after a staff title or before a credential (`Dr. Patel`,
//! `charge nurse Linda`, `Linda Chen, RN`) are users of the system and are cleared.
//!
//! The lists are the most frequent names of the 1990 US census (public domain): 2,500
//! surnames (18 KB) and 1,641 given names (11 KB), plus 289 names that are also common words
//! (2 KB), each sorted, one lowercase name a line, about 30 KB in all in the browser bundle.
//! They are searched in place by bisection, without an index or an allocation.

use super::context;
use super::tokens::{Kind, Scan};
use super::{Category, Hit, THRESHOLD};

static GIVEN: &str = include_str!("data/given_names.txt");
static SURNAMES: &str = include_str!("data/surnames.txt");
static COMMON: &str = include_str!("data/common_words.txt");

/// Whether the sorted, newline-separated `list` holds `key`: a binary search over bytes that
/// steps back from each probe to the start of its line.
fn listed(list: &str, key: &str) -> bool {
    if key.is_empty() {
        return false;
    }
    let bytes = list.as_bytes();
    let (mut lo, mut hi) = (0, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[lo..mid].iter().rposition(|b| *b == b'\n').map_or(lo, |p| lo + p + 1);
        let end = bytes[start..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |p| start + p);
        match bytes[start..end].cmp(key.as_bytes()) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

pub(super) fn is_given(key: &str) -> bool {
    listed(GIVEN, key)
}

pub(super) fn is_surname(key: &str) -> bool {
    listed(SURNAMES, key)
}

/// What a token looks like as a name.
#[derive(Clone, Copy, Debug)]
struct Look {
    given: bool,
    surname: bool,
    /// Also an everyday word, or a word of the system.
    common: bool,
    /// Capitalised (or in capitals), as names are written.
    cap: bool,
}

impl Look {
    fn of(scan: &Scan, i: usize) -> Option<Look> {
        if scan.kind(i) != Some(Kind::Word) || scan.raw(i).len() < 2 {
            return None;
        }
        let key = scan.key(i);
        let (given, surname, cap) = (is_given(key), is_surname(key), scan.capitalised(i));
        // The common-word checks matter only for a listed or capitalised word.
        let common =
            (given || surname || cap) && (listed(COMMON, key) || system_word(key) || context::staff_title(key));
        Some(Look { given, surname, common, cap })
    }

    fn listed(&self) -> bool {
        self.given || self.surname
    }

    /// A listed name, capitalised, or not also a common word.
    fn name(&self) -> bool {
        self.listed() && (self.cap || !self.common)
    }

    /// Any capitalised word that is not a word of the system: unknown surnames such as
    /// `Okonkwo` after `Mrs.`.
    fn capitalised_unknown(&self) -> bool {
        self.cap && !self.common
    }
}

pub(super) fn find(scan: &Scan) -> Option<Hit> {
    for i in 0..scan.len() {
        if !scan.is_word(i) {
            continue;
        }
        if let Some((score, last)) = score_at(scan, i)
            && score >= THRESHOLD
        {
            return Some(Hit::new(Category::Name, scan.span(i, last)));
        }
    }
    None
}

/// The best name rule anchored at token `i`: its score and the last token of the match.
fn score_at(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let key = scan.key(i);
    if honorific(key) {
        let j = skip(scan, i + 1, &["."]);
        let look = Look::of(scan, j)?;
        return (look.name() || look.capitalised_unknown()).then_some((90, j));
    }
    if matches!(key, "pt" | "patient" | "pts" | "patient's") && !scan.possessive(i) {
        return after_patient_word(scan, i);
    }
    if relation(key) {
        let j = skip(scan, i + 1, &[",", ":", "(", "named", "name", "is", "was", "-", "member", "of"]);
        let look = Look::of(scan, j)?;
        if staff_before(scan, i) {
            return None;
        }
        let score = if look.name() {
            85
        } else if look.capitalised_unknown() && key != "family" {
            60
        } else {
            0
        };
        return Some((score, j));
    }
    // Every rule from here on starts at a capitalised name.
    if !scan.capitalised(i) {
        return None;
    }
    let look = Look::of(scan, i)?;
    if !look.listed() || !look.cap || staff_before(scan, i) {
        return None;
    }
    // `Garcia's chart`, `Maria's daughter`.
    if scan.possessive(i) {
        let noun = scan.after(i, 1).next().map(|k| scan.key(k)).unwrap_or("");
        return (patient_noun(noun) && !look.common).then_some((85, i));
    }
    // `Lastname, Firstname` with an optional initial.
    if look.surname && scan.is_punct(i + 1, ',') {
        let first = Look::of(scan, i + 2)?;
        if first.given && first.cap && !first.common && !credential_after(scan, i + 2) {
            return Some((75, i + 2));
        }
    }
    // `Johnson in bed 14`, `Garcia (rm 12)`, `bed 14 Johnson`.
    if !look.common && (bed_after(scan, i) || bed_before(scan, i)) {
        return Some((80, i));
    }
    // `Maria (daughter)`, `Maria, her daughter`.
    if look.given && !look.common && relation_after(scan, i) {
        return Some((80, i));
    }
    // `Maria Lopez` alone is as likely a user as a patient; the context decides.
    if look.given && !look.common {
        let last = Look::of(scan, i + 1)?;
        if last.surname && last.cap && !credential_after(scan, i + 1) {
            let mut score: i32 = 40;
            let owns = scan.possessive(i + 1) && scan.after(i + 1, 1).next().is_some_and(|k| patient_noun(scan.key(k)));
            if name_context(scan, i, i + 1) || owns {
                score += 35;
            }
            if user_verb_after(scan, i + 1) {
                score -= 40;
            }
            return Some((score.clamp(0, 100) as u8, i + 1));
        }
    }
    None
}

/// `pt Garcia`, `patient: John Smith`, `pt john smith`.
fn after_patient_word(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let j = skip(scan, i + 1, &[":", ",", "-", "named", "name", "is", "was", "mr", "mrs", "ms", "."]);
    let look = Look::of(scan, j)?;
    // `Patient Station`, `Patient Lists`: a title-cased activity, not a person.
    let title_case = scan.capitalised(i) && !scan.all_caps(i) && scan.capitalised(j);
    let score = if look.listed() && !look.common {
        if title_case && !Look::of(scan, j + 1).is_some_and(|n| n.surname && n.cap) { 55 } else { 85 }
    } else if look.listed() && look.cap && !title_case {
        60
    } else if look.capitalised_unknown() && !title_case && !scan.all_caps(j) {
        55
    } else {
        0
    };
    let last = if Look::of(scan, j + 1).is_some_and(|n| n.surname && n.cap) { j + 1 } else { j };
    Some((score, last))
}

fn honorific(key: &str) -> bool {
    matches!(key, "mr" | "mrs" | "ms" | "miss" | "mister" | "mx" | "mrs." | "sra" | "senor" | "senora")
}

fn relation(key: &str) -> bool {
    matches!(
        key,
        "daughter"
            | "son"
            | "wife"
            | "husband"
            | "mother"
            | "mom"
            | "father"
            | "dad"
            | "sister"
            | "brother"
            | "niece"
            | "nephew"
            | "grandson"
            | "granddaughter"
            | "grandmother"
            | "grandfather"
            | "grandma"
            | "grandpa"
            | "spouse"
            | "partner"
            | "fiance"
            | "fiancee"
            | "boyfriend"
            | "girlfriend"
            | "aunt"
            | "uncle"
            | "cousin"
            | "friend"
            | "caregiver"
            | "guardian"
            | "neighbor"
            | "roommate"
            | "poa"
            | "nok"
            | "kin"
            | "stepson"
            | "stepdaughter"
            | "family"
            | "visitor"
            | "sibling"
    )
}

/// What a possessive name may own to be a patient: `Garcia's chart`.
fn patient_noun(key: &str) -> bool {
    matches!(
        key,
        "chart"
            | "wristband"
            | "armband"
            | "meds"
            | "medications"
            | "labs"
            | "allergies"
            | "allergy"
            | "vitals"
            | "family"
            | "daughter"
            | "son"
            | "wife"
            | "husband"
            | "mother"
            | "father"
            | "room"
            | "bed"
            | "mar"
            | "results"
            | "discharge"
            | "admission"
            | "insurance"
            | "address"
            | "phone"
            | "dob"
            | "mrn"
            | "diet"
            | "iv"
            | "pump"
            | "specimen"
            | "label"
            | "blood"
            | "surgery"
            | "visit"
            | "appointment"
            | "appt"
            | "care"
            | "condition"
            | "diagnosis"
            | "pain"
            | "fall"
            | "home"
            | "belongings"
            | "kids"
            | "children"
            | "insulin"
            | "tray"
            | "heparin"
            | "drip"
            | "consent"
    )
}

/// Capitalised words of the system that may follow `pt` or `Mrs` but are not names.
fn system_word(key: &str) -> bool {
    matches!(
        key,
        "name"
            | "names"
            | "list"
            | "lists"
            | "station"
            | "header"
            | "banner"
            | "lookup"
            | "search"
            | "summary"
            | "education"
            | "portal"
            | "friendly"
            | "class"
            | "type"
            | "status"
            | "movement"
            | "location"
            | "demographics"
            | "info"
            | "information"
            | "sidebar"
            | "report"
            | "reports"
            | "chart"
            | "record"
            | "records"
            | "identification"
            | "id"
            | "safety"
            | "profile"
            | "instructions"
            | "level"
            | "storyboard"
            | "priority"
            | "track"
            | "transport"
            | "census"
            | "count"
            | "access"
            | "encounter"
            | "encounters"
            | "worklist"
            | "workqueue"
            | "activity"
            | "details"
            | "wristband"
            | "armband"
            | "label"
            | "labels"
            | "care"
            | "registration"
            | "schedule"
            | "scheduling"
            | "entry"
            | "queue"
            | "board"
            | "tracking"
            | "flowsheet"
            | "flowsheets"
            | "handoff"
            | "story"
            | "overview"
            | "snapshot"
            | "sticker"
            | "stickers"
            | "select"
            | "column"
            | "field"
            | "tab"
            | "icon"
            | "photo"
            | "questionnaire"
            | "timeline"
            | "assignment"
            | "assignments"
            | "relationship"
            | "contacts"
            | "contact"
            | "comments"
            | "notes"
            | "note"
            | "preferences"
            | "rights"
            | "experience"
            | "identifier"
            | "alert"
            | "alerts"
            | "flag"
            | "flags"
            | "mychart"
            | "epic"
            | "haiku"
            | "canto"
            | "rover"
            | "hyperspace"
            | "mar"
            | "rn"
            | "ed"
            | "icu"
            | "or"
            | "pacu"
            | "lab"
            | "labs"
            | "bpa"
            | "avs"
            | "adt"
            | "bca"
            | "ok"
            | "who"
            | "whose"
            | "with"
            | "has"
            | "had"
            | "in"
            | "on"
            | "not"
            | "no"
            | "and"
            | "the"
            | "was"
            | "is"
            | "said"
            | "says"
            | "states"
            | "refused"
            | "unable"
            | "cannot"
            | "can't"
            | "needs"
            | "needed"
            | "wants"
            | "went"
            | "left"
            | "came"
            | "arrived"
            | "fell"
            | "discharged"
            | "admitted"
            | "transferred"
            | "moved"
            | "got"
            | "received"
            | "requested"
            | "asked"
            | "called"
            | "gets"
            | "goes"
            | "will"
            | "should"
            | "would"
            | "could"
            | "does"
            | "did"
            | "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "saturday"
            | "sunday"
            | "today"
            | "tonight"
            | "yesterday"
            | "tomorrow"
            | "cart"
            | "pharmacy"
            | "medicine"
            | "practice"
            | "meeting"
            | "room"
            | "waiting"
            | "lounge"
            | "member"
            | "members"
            | "friendly's"
            | "centered"
            | "satisfaction"
            | "safety's"
            | "kardex"
            | "brain"
            | "synopsis"
            | "review"
            | "navigator"
            | "bestpractice"
            | "smarttext"
            | "welcome"
            | "bedside"
            | "whiteboard"
            | "transfer"
            | "discharge"
            | "admission"
            | "belongings"
            | "call"
            | "tablet"
            | "monitor"
            | "pump"
            | "phone"
            | "tv"
    )
}

/// `the`, a name's own punctuation and the given filler words after `i`.
fn skip(scan: &Scan, mut i: usize, fillers: &[&str]) -> usize {
    for _ in 0..3 {
        let key = scan.key(i);
        if fillers.contains(&key) {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// A staff title just before the name (`Dr.`, `charge nurse`, `RN`).
fn staff_before(scan: &Scan, i: usize) -> bool {
    scan.before(i, 2).any(|k| context::staff_title(scan.key(k)))
}

/// `, RN` or `MD` after the name.
fn credential_after(scan: &Scan, i: usize) -> bool {
    scan.after(i, 1).next().is_some_and(|k| context::credential(scan.key(k)))
}

fn bed_after(scan: &Scan, i: usize) -> bool {
    // `Dorothy in 12`: a room number alone, unless a unit name follows (`in 4 West`).
    if scan.key(i + 1) == "in" && scan.is_number(i + 2) && scan.digits(i + 2) <= 4 {
        let unit = scan.is_word(i + 3) && scan.capitalised(i + 3);
        if !unit {
            return true;
        }
    }
    let k = skip(scan, i + 1, &["in", "(", "-", ",", "at"]);
    matches!(scan.key(k), "bed" | "room" | "rm" | "bay") && matches!(scan.kind(k + 1), Some(Kind::Number | Kind::Mixed))
}

fn bed_before(scan: &Scan, i: usize) -> bool {
    let mut k = i;
    for _ in 0..2 {
        if k > 0 && matches!(scan.key(k - 1), "-" | ":" | ",") {
            k -= 1;
        }
    }
    k >= 2
        && matches!(scan.kind(k - 1), Some(Kind::Number | Kind::Mixed))
        && matches!(scan.key(k - 2), "bed" | "room" | "rm" | "bay")
}

fn relation_after(scan: &Scan, i: usize) -> bool {
    let k = skip(scan, i + 1, &["(", ",", "-", "the", "her", "his", "pt's", "patient's"]);
    k > i + 1 && relation(scan.key(k))
}

/// A patient nearby: the words that make a full name a patient's rather than a user's.
fn name_context(scan: &Scan, first: usize, last: usize) -> bool {
    let telling = |k: usize| {
        let key = scan.key(k);
        matches!(
            key,
            "pt" | "pts"
                | "patient"
                | "patients"
                | "patient's"
                | "bed"
                | "room"
                | "rm"
                | "chart"
                | "armband"
                | "wristband"
                | "admitted"
                | "discharged"
                | "allergy"
                | "allergies"
                | "visitor"
                | "visiting"
                | "label"
                | "specimen"
                | "mrn"
                | "dob"
                | "fell"
                | "refused"
                | "coded"
                | "died"
                | "expired"
                | "eloped"
                | "vomited"
                | "complained"
                | "transferred"
                | "insulin"
                | "diet"
                | "tray"
                | "vitals"
                | "meds"
        ) || relation(key)
    };
    scan.before(first, 5).any(telling) || scan.after(last, 5).any(telling)
}

/// A verb of using the system right after a name: the name is a user's.
fn user_verb_after(scan: &Scan, last: usize) -> bool {
    scan.after(last, 1).next().is_some_and(|k| {
        matches!(
            scan.key(k),
            "can't"
                | "cannot"
                | "couldn't"
                | "could"
                | "unable"
                | "asked"
                | "says"
                | "said"
                | "reports"
                | "reported"
                | "needs"
                | "wants"
                | "logged"
                | "tried"
                | "trained"
                | "found"
                | "doesn't"
                | "didn't"
                | "from"
                | "in"
                | "on"
                | "at"
                | "has"
                | "is"
                | "was"
                | "signed"
                | "placed"
                | "entered"
                | "documented"
                | "paged"
                | "called"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Category, screen};
    use super::{COMMON, GIVEN, SURNAMES, is_given, is_surname, listed};

    fn category(text: &str) -> Option<Category> {
        screen(text).map(|f| f.category)
    }

    #[test]
    fn the_name_lists_are_sorted_lowercase_and_searchable() {
        for list in [GIVEN, SURNAMES, COMMON] {
            let lines: Vec<&str> = list.lines().collect();
            assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
            assert!(lines.iter().all(|l| l.bytes().all(|b| b.is_ascii_lowercase())));
            assert!(lines.iter().all(|l| listed(list, l)), "every line is found");
        }
        assert!(is_given("maria") && is_surname("garcia") && is_surname("nguyen"));
        assert!(!is_given("printer") && !listed(SURNAMES, "zzz") && !listed(SURNAMES, "aaa"));
    }

    #[test]
    fn flags_a_name_after_a_title() {
        for text in
            ["Mrs. Garcia cannot see her MyChart", "Mr Okonkwo's armband printed blank", "ms. lopez moved rooms"]
        {
            assert_eq!(category(text), Some(Category::Name), "{text}");
        }
    }

    #[test]
    fn flags_a_name_after_pt_or_patient() {
        for text in ["pt Johnson has no diet order", "patient: John Smith", "pt john smith label blank"] {
            assert_eq!(category(text), Some(Category::Name), "{text}");
        }
    }

    #[test]
    fn flags_lastname_comma_firstname() {
        assert_eq!(category("Garcia, Maria (bed 14) shows two allergies lists"), Some(Category::Name));
        assert_eq!(category("SMITH, JOHN printed on the wrong label"), Some(Category::Name));
    }

    #[test]
    fn flags_a_relatives_name() {
        assert_eq!(category("called her daughter Maria about the portal"), Some(Category::Name));
        assert_eq!(category("son, Kevin, wants proxy access"), Some(Category::Name));
    }

    #[test]
    fn flags_a_name_next_to_a_bed_or_possessive() {
        assert_eq!(category("Johnson in bed 14 has no MAR"), Some(Category::Name));
        assert_eq!(category("bed 12 - Nguyen, the scanner fails"), Some(Category::Name));
        assert_eq!(category("Garcia's wristband will not scan"), Some(Category::Name));
    }

    #[test]
    fn clears_staff_named_as_users() {
        for text in [
            "Dr. Patel asked how to sign orders",
            "charge nurse Linda couldn't find the list",
            "Linda Chen, RN cannot log in",
            "Maria Lopez cannot print the AVS",
            "Patient Name column is cut off",
            "Patient Station does not refresh",
            "pt will need a new armband reprinted",
            "Dr. Garcia's orders are stuck",
        ] {
            assert_eq!(category(text), None, "{text}");
        }
    }
}

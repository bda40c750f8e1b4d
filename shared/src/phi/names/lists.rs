//! Whether a word is a name: the census lists of names, searched in place, and the hand-made
//! lists of capitalised words that are not people (words of the system, devices and
//! products, eponyms, words that never stand in a name), which [`Look`] reads together.
//!
//! The census lists, each sorted with one lowercase name a line (69 KB in all in the browser
//! bundle), searched in place by bisection without an index or an allocation:
//! - surnames (5,004; 36 KB): the 2,500 most frequent of the 1990 US census and the 5,000
//!   most frequent of the 2010 census (both public domain), so `Nguyen`, `Zhang`, `Siddiqui`
//!   and `Wisniewski` are listed;
//! - given names (4,285; 29 KB): the 1990 census's 1,641 and the 4,250 of Tzioumis's list
//!   of first names from US mortgage applications (2018, CC0), which holds names of every
//!   origin (`Ahmad`, `Siobhan`, `Yelena`, `Delphine`);
//! - names that are also words (686; 4 KB): the 289 chosen by hand, and every name added
//!   with the 2010 and Tzioumis lists that is an English word in SCOWL's `american-english`
//!   list or a word of the corpus's clean texts (`bear`, `box`, `can`, `he`, `to`).

use crate::phi::context;
use crate::phi::tokens::{Kind, Scan};

static GIVEN: &str = include_str!("../data/given_names.txt");
static SURNAMES: &str = include_str!("../data/surnames.txt");
static COMMON: &str = include_str!("../data/common_words.txt");

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

/// A listed given name, by its lowercase key.
pub(super) fn is_given(key: &str) -> bool {
    listed(GIVEN, key)
}

/// A listed surname, by its lowercase key.
pub(super) fn is_surname(key: &str) -> bool {
    listed(SURNAMES, key)
}

/// A name that is also an everyday word: `will`, `rose`, `bear`.
pub(super) fn is_common(key: &str) -> bool {
    listed(COMMON, key)
}

/// What a token looks like as a name.
#[derive(Clone, Copy, Debug)]
pub(super) struct Look {
    pub(super) given: bool,
    pub(super) surname: bool,
    /// Also an everyday word, or a word of the system.
    pub(super) common: bool,
    /// Capitalised (or in capitals), as names are written.
    pub(super) cap: bool,
}

impl Look {
    pub(super) fn of(scan: &Scan, i: usize) -> Option<Look> {
        if scan.kind(i) != Some(Kind::Word) || scan.raw(i).len() < 2 {
            return None;
        }
        // `O'Brien` is listed as `obrien`.
        let mut buf = [0u8; 16];
        let mut n = 0;
        for b in scan.key(i).bytes().filter(|b| *b != b'\'') {
            buf[n] = b;
            n += 1;
        }
        let key = std::str::from_utf8(&buf[..n]).unwrap_or("");
        let (given, surname, cap) = (is_given(key), is_surname(key), scan.capitalised(i));
        // The common-word checks matter only for a listed or capitalised word.
        let common = (given || surname || cap) && (is_common(key) || system_word(key) || context::staff_title(key));
        Some(Look { given, surname, common, cap })
    }

    pub(super) fn listed(&self) -> bool {
        self.given || self.surname
    }

    /// A listed name, capitalised, or not also a common word.
    pub(super) fn name(&self) -> bool {
        self.listed() && (self.cap || !self.common)
    }

    /// Any capitalised word that is not a word of the system: unknown surnames such as
    /// `Okonkwo` after `Mrs.`.
    pub(super) fn capitalised_unknown(&self) -> bool {
        self.cap && !self.common
    }
}

/// Capitalised words of the system that may follow `pt` or `Mrs` but are not names.
pub(super) fn system_word(key: &str) -> bool {
    matches!(
        key,
        "north"
            | "south"
            | "east"
            | "central"
            | "name"
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

/// Words that never stand in a name.
pub(super) fn stop_word(key: &str) -> bool {
    matches!(
        key,
        "a" | "an"
            | "the"
            | "and"
            | "or"
            | "but"
            | "for"
            | "from"
            | "with"
            | "without"
            | "about"
            | "into"
            | "onto"
            | "over"
            | "under"
            | "after"
            | "before"
            | "this"
            | "that"
            | "then"
            | "than"
            | "them"
            | "they"
            | "their"
            | "there"
            | "here"
            | "what"
            | "when"
            | "where"
            | "which"
            | "while"
            | "cant"
            | "wont"
            | "dont"
            | "didnt"
            | "doesnt"
            | "isnt"
            | "hasnt"
            | "also"
            | "just"
            | "only"
            | "still"
            | "again"
            | "back"
            | "off"
            | "out"
            | "can"
            | "may"
            | "must"
            | "shall"
            | "should"
            | "says"
            | "says's"
            | "were"
            | "are"
            | "been"
            | "being"
            | "keeps"
            | "shows"
            | "wants"
            | "gets"
            | "got"
            | "has"
            | "have"
            | "per"
            | "via"
            | "at"
            | "to"
            | "of"
            | "by"
            | "up"
    )
}

/// Products and devices that name themselves with a capital: not people.
pub(super) fn device(key: &str) -> bool {
    matches!(
        key,
        "alaris"
            | "pyxis"
            | "omnicell"
            | "vocera"
            | "spectralink"
            | "zebra"
            | "stryker"
            | "masimo"
            | "philips"
            | "baxter"
            | "dell"
            | "lenovo"
            | "citrix"
            | "imprivata"
            | "cerner"
            | "meditech"
            | "willow"
            | "cadence"
            | "prelude"
            | "beaker"
            | "stork"
            | "cupid"
            | "radiant"
            | "optime"
            | "beacon"
            | "phoenix"
            | "lucy"
            | "tapestry"
            | "kaleidoscope"
            | "cosmos"
            | "caboodle"
            | "clarity"
            | "chronicles"
            | "hyperdrive"
            | "honeywell"
            | "glucometer"
            | "accu"
            | "carelink"
            | "teams"
            | "zoom"
            | "outlook"
            | "excel"
            | "windows"
            | "ipad"
            | "iphone"
            | "android"
            | "printer"
            | "scanner"
            | "pump"
            | "monitor"
            | "phone"
            | "cow"
            | "wow"
            | "tablet"
            | "badge"
            | "cart"
            | "pc"
            | "tv"
            | "door"
            | "bed"
            | "sink"
            | "chair"
            | "toilet"
            | "screen"
            | "keyboard"
            | "mouse"
            | "light"
            | "alarm"
            | "bathroom"
            | "shower"
            | "fridge"
            | "isolation"
            | "isolette"
            | "crib"
            | "bassinet"
            | "stretcher"
            | "wheelchair"
            | "lift"
            | "hallway"
            | "med"
            | "meds"
            | "supply"
            | "lab"
            | "vent"
            | "tele"
            | "everywhere"
            | "together"
            | "secure"
            | "chat"
            | "dragon"
            | "muse"
            | "kardex"
            | "rover"
            | "haiku"
            | "canto"
            | "hyperspace"
            | "mychart"
            | "storyboard"
            | "snapboard"
            | "kaiser"
            | "permanente"
            | "sutter"
            | "providence"
            | "ascension"
            | "atrium"
            | "intermountain"
            | "geisinger"
            | "northwell"
            | "ochsner"
            | "allina"
            | "sanford"
            | "baylor"
            | "emory"
            | "vanderbilt"
            | "hopkins"
            | "cedars"
            | "sinai"
            | "welch"
            | "allyn"
            | "medtronic"
            | "abbott"
            | "hillrom"
            | "epic"
    )
}

/// Names of diseases, scales and instruments: `Crohn's diet`, `Parkinson's protocol`.
pub(super) fn eponym(key: &str) -> bool {
    matches!(
        key,
        "crohn"
            | "parkinson"
            | "alzheimer"
            | "cushing"
            | "hodgkin"
            | "graves"
            | "addison"
            | "bell"
            | "tourette"
            | "huntington"
            | "raynaud"
            | "guillain"
            | "barre"
            | "kawasaki"
            | "wilson"
            | "hashimoto"
            | "meniere"
            | "sjogren"
            | "lou"
            | "gehrig"
            | "down"
            | "asperger"
            | "kaposi"
            | "burkitt"
            | "bright"
            | "murphy"
            | "mcburney"
            | "homan"
            | "apgar"
            | "braden"
            | "morse"
            | "glasgow"
            | "foley"
            | "swan"
            | "ganz"
            | "broselow"
            | "mayo"
            | "kelly"
            | "allen"
            | "heimlich"
            | "trendelenburg"
            | "fowler"
            | "sims"
    )
}

#[cfg(test)]
mod tests {
    use super::{COMMON, GIVEN, SURNAMES, is_given, is_surname, listed};

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
}

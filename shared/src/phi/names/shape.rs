//! Where a name runs: one to four name words (`Maria`, `Okafor`, `Smith-Jones`, `Juan Pablo
//! Reyes`, `van der Berg`), a given name and an initial (`Ana R.`), or initials and a surname
//! (`C.J. Broussard`), and what the run says of itself ([`Person`]).
//!
//! Two capitalised words that read as names are a name even when neither is listed
//! (`Wanjiru Kamau`); at the start of the text, where any two capitalised words may stand,
//! and in lowercase, where an unknown word may be any word, such a pair is a guess that only
//! a patient word or a bed beside it bears out.

use super::lists::{Look, device, eponym, is_common, stop_word, system_word};
use super::staff::place_word;
use crate::phi::context;
use crate::phi::tokens::Scan;

/// A run of tokens that reads as a person's name: one or more name words (`Maria`, `Okafor`,
/// `Smith-Jones`, `Juan Pablo Reyes`), or a given name and an initial (`Ana R.`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Person {
    pub(super) last: usize,
    pub(super) parts: usize,
    /// At least one word is in the census lists.
    pub(super) listed: bool,
    /// The first word is also an everyday word.
    pub(super) common: bool,
    /// A listed given name then a listed surname.
    pub(super) full: bool,
    /// A given name not also an everyday word comes first.
    pub(super) given_first: bool,
    /// A given name and an initial.
    pub(super) initial: bool,
    /// Two words in no list, at the start of the text or in lowercase: a name only where
    /// the context says a patient.
    pub(super) guess: bool,
}

/// The name that starts at token `i`, when the words there read as one.
pub(super) fn person(scan: &Scan, i: usize) -> Option<Person> {
    if let Some(p) = initials_then_surname(scan, i) {
        return Some(p);
    }
    let first = Look::of(scan, i)?;
    let cap = first.cap;
    // `mark jablonski`, `rich tolbert`: in lowercase, a given name that is also a word is one
    // only before a listed surname that is not.
    let lower_pair = !cap
        && first.given
        && scan.spaced(i + 1)
        && !scan.capitalised(i + 1)
        && Look::of(scan, i + 1).is_some_and(|l| l.surname && !l.common);
    if !(first.name() || first.capitalised_unknown() && !scan.all_caps(i) || lower_pair) {
        return None;
    }
    let given_first = first.given && !first.common;
    let mut p = Person {
        last: i,
        parts: 1,
        listed: first.listed(),
        common: first.common,
        full: false,
        given_first,
        initial: false,
        guess: false,
    };
    while p.parts < 4 {
        let mut next = p.last + 1;
        // `Smith-Jones`, `fitzgerald-ward`: one surname.
        if scan.is_punct(next, '-')
            && !scan.spaced(next)
            && !scan.spaced(next + 1)
            && scan.capitalised(next + 1) == cap
            && let Some(part) = Look::of(scan, next + 1).filter(|l| !cap || l.name() || l.capitalised_unknown())
        {
            p.listed |= part.listed();
            p.last = next + 1;
            continue;
        }
        // `Ana R.`
        if p.parts == 1 && (given_first || plain(scan, i)) && cap && initial(scan, next) {
            p.initial = true;
            p.last = if scan.is_punct(next + 1, '.') { next + 1 } else { next };
            break;
        }
        if !scan.spaced(next) {
            break;
        }
        // `van der Berg`, `St. Pierre`, `Ní Bhriain`: particles before a capitalised surname.
        let mut particles = 0;
        while cap && particles < 2 && particle(scan.key(next)) && scan.spaced(next) && !scan.possessive(next) {
            let after = scan.skip_punct(next + 1, &['.']);
            if !scan.spaced(after) {
                break;
            }
            particles += 1;
            next = after;
        }
        if particles > 0
            && !(scan.capitalised(next) && Look::of(scan, next).is_some_and(|l| l.name() || l.capitalised_unknown()))
        {
            break;
        }
        let Some(part) = Look::of(scan, next) else { break };
        // `Grady ED`: a word in capitals joins only a name in capitals (`JOHN SMITH`).
        let shouted = scan.all_caps(next) && !scan.all_caps(i);
        let joins = if cap {
            scan.capitalised(next) && !shouted && (part.name() || part.capitalised_unknown())
        } else {
            // `ahmad rahimi's wife`: a listed given name and an unknown possessive surname.
            let owned = given_first && p.parts == 1 && scan.possessive(next) && plain_lower(scan, next);
            // `aisha rahimi in bay 5`: the same before a bed, a guess the context must bear out.
            let unknown = given_first && p.parts == 1 && plain_lower(scan, next);
            p.guess |= unknown && !part.listed() && !owned;
            !scan.capitalised(next) && (part.listed() && !part.common || owned || unknown)
        };
        if !joins || scan.possessive(p.last) || place_word(scan.key(next)) {
            break;
        }
        // A given name then a surname, or two words that read as names where neither is
        // listed (`Olek Wisniewski`, `Wanjiru Kamau`; at the start of the text, where any two
        // capitalised words may stand, such a pair is a guess the context must bear out).
        let first_like = given_first || first.listed() && !first.common || plain(scan, i);
        let part_like = part.surname || part.listed() && !part.common || plain(scan, next);
        let some_listed = first.listed() && !first.common || part.listed() && !part.common;
        let surname_next = part.surname && !part.common;
        if p.parts == 1 && cap && first_like && part_like {
            p.full = true;
            p.guess |= !some_listed && i == 0;
        }
        // `Hunter Baptiste`, `guy hernandez`, `eleanor ellie`.
        if p.parts == 1 && (first.given && surname_next || given_first && part.listed() && !part.common) {
            p.full = true;
        }
        if p.parts == 1 && !cap && p.guess {
            p.full = true;
        }
        p.listed |= part.listed();
        p.parts += 1;
        p.last = next;
    }
    (p.parts > 1 || !lower_pair || first.name()).then_some(p)
}

/// `J. Whitfield`, `C.J. Broussard`: initials with stops, then a capitalised surname.
fn initials_then_surname(scan: &Scan, i: usize) -> Option<Person> {
    let mut k = i;
    let mut n = 0;
    while n < 3 && scan.is_word(k) && scan.raw(k).len() == 1 && scan.capitalised(k) && scan.is_punct(k + 1, '.') {
        k += 2;
        n += 1;
    }
    if n == 0 || !scan.spaced(k) && n == 1 || !scan.capitalised(k) || scan.all_caps(k) {
        return None;
    }
    let look = Look::of(scan, k)?;
    let surname = look.surname && !look.common || plain(scan, k);
    surname.then_some(Person {
        last: k,
        parts: 2,
        listed: look.listed(),
        common: false,
        full: false,
        given_first: false,
        initial: true,
        guess: false,
    })
}

/// Words that join the parts of a surname: `van der Berg`, `de la Cruz`, `St. Pierre`.
fn particle(key: &str) -> bool {
    matches!(
        key,
        "van"
            | "von"
            | "der"
            | "den"
            | "de"
            | "del"
            | "della"
            | "di"
            | "da"
            | "du"
            | "la"
            | "le"
            | "st"
            | "ni"
            | "bin"
            | "ibn"
            | "al"
            | "el"
            | "dos"
            | "das"
            | "ter"
            | "ten"
            | "y"
            | "ben"
            | "mac"
            | "abu"
    )
}

/// A single capital letter standing as an initial.
pub(super) fn initial(scan: &Scan, i: usize) -> bool {
    scan.is_word(i) && scan.raw(i).len() == 1 && scan.capitalised(i) && scan.spaced(i) && !scan.possessive(i)
}

/// A capitalised word that is in no name list but may still be a surname (`Okafor`), not an
/// English word that happens to start a sentence (`Printer in room 6`).
pub(super) fn plain(scan: &Scan, i: usize) -> bool {
    let key = scan.key(i);
    let english = english_ending(key);
    scan.capitalised(i)
        && !scan.all_caps(i)
        && key.len() >= 3
        && !english
        && !device(key)
        && !eponym(key)
        && Look::of(scan, i).is_some_and(|l| l.capitalised_unknown())
}

/// A lowercase word that may be an unknown surname after a title: three letters or more,
/// no English ending, in no list of words.
pub(super) fn plain_lower(scan: &Scan, i: usize) -> bool {
    let key = scan.key(i);
    scan.is_word(i)
        && key.len() >= 3
        && key.bytes().all(|b| b.is_ascii_alphabetic() || b == b'\'')
        && !english_ending(key)
        && !device(key)
        && !system_word(key)
        && !context::staff_title(key)
        && !stop_word(key)
        && !is_common(key)
}

/// Endings of English words that names rarely have.
fn english_ending(key: &str) -> bool {
    ["er", "ing", "ion", "ment", "ness", "ity", "ble", "ed", "ly", "ure", "ance", "ence", "ist", "ies", "ics", "ive"]
        .iter()
        .any(|s| key.ends_with(s))
}

//! Patients' and relatives' names, found as Philter finds them: word lists of names, a list
//! of names that are also everyday words (`Will`, `Rose`, `Ward`), and the context that makes
//! a run of name words (`Maria`, `Okafor`, `Smith-Jones`, `Ana R.`) a patient's: `Mrs.`,
//! `pt`, `daughter`, `Lastname, Firstname`, `in bed 14`, `Garcia's chart`, `admitted Garcia`,
//! `Gutierrez was transferred`, `the Gonzalez family`, or a full name with a patient word
//! near it. Names with a staff title or credential beside them (`Dr. Patel`, `Linda Chen,
//! RN`, `Marcus Bell, unit educator`), a user's verb after them (`cannot`, `asked`) or a
//! user's context (`showed`, `access`, `cc`), and places or products named after people
//! (`Henry Ford Hospital`, `Crohn's diet`) are cleared.
//!
//! This module holds the rules, one per word that can introduce a name, each scoring what
//! follows it; the rest is split by what it answers:
//! - [`lists`]: is this word a name? The census lists, the words that look like names but
//!   are not, and what a token looks like as a name ([`lists::Look`]);
//! - [`shape`]: where does the name run? A run of name words, with its particles,
//!   hyphens and initials ([`shape::Person`]);
//! - [`patient`]: what makes a name a patient's: beds and rooms, words of care, relatives,
//!   what a patient owns, verbs that take a patient in;
//! - [`staff`]: what makes it a colleague's, a place's or a product's.

mod lists;
mod patient;
mod shape;
mod staff;
#[cfg(test)]
mod tests;

use self::lists::{Look, eponym, stop_word, system_word};
use self::patient::{
    bed_after, bed_before, bed_word_after, family_after, lower_taken_in, owned_by_patient, patient_noun,
    patient_verb_after, plural_family, relation, relation_after, room_id_after, room_number_after, strong_context,
    taken_in, weak_context,
};
use self::shape::{Person, initial, person, plain, plain_lower};
use self::staff::{
    hospital_before, place_after, staff_after, staff_before, user_after, user_before, user_context_word,
};
use super::context;
use super::tokens::Scan;
use super::{Category, Hit, THRESHOLD};

/// The first patient's name in the text.
pub(super) fn find(scan: &Scan) -> Option<Hit> {
    Hit::first(scan, Category::Name, |i| {
        if !scan.is_word(i) {
            return None;
        }
        let (score, last) = score_at(scan, i)?;
        (score >= THRESHOLD).then_some(last)
    })
}

/// The best name rule anchored at token `i`: its score and the last token of the match. A
/// word that introduces a name (a title, `baby boy`, `the`, `pt`, a relative, a word that
/// takes a patient in, a name label) decides alone; any other word is tried as the first of
/// a name standing on its own.
fn score_at(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let key = scan.key(i);
    if honorific(key) {
        return after_title(scan, i);
    }
    // `baby boy Castellanos`, `baby girl Nguyen`: how a newborn is registered.
    if key == "baby" && matches!(scan.key(i + 1), "boy" | "girl") {
        let j = i + 2;
        let look = Look::of(scan, j)?;
        return (look.name() || look.capitalised_unknown()).then_some((85, j));
    }
    // `the Abernathys at bedside`: a family named by its surname in the plural.
    if key == "the"
        && let Some(last) = plural_family(scan, i + 1)
    {
        return Some((75, last));
    }
    if matches!(key, "pt" | "patient" | "pts" | "patient's") && !scan.possessive(i) {
        return after_patient_word(scan, i);
    }
    if relation(key) {
        return after_relation(scan, i);
    }
    if let Some(score) = taken_in(scan, i) {
        return after_taking_in(scan, i, score);
    }
    // `last name Castillo`, `goes by Bobby`.
    if matches!(key, "name" | "named" | "surname" | "aka" | "nickname")
        || (key == "by" && scan.key(i.wrapping_sub(1)) == "goes")
    {
        return after_name_label(scan, i);
    }
    standing_alone(scan, i)
}

/// `Mrs. Garcia`, `mr price's wife`, `mrs. okafor`, unless a role follows.
fn after_title(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let key = scan.key(i);
    let j = scan.skip_keys(i + 1, &["."]);
    let look = Look::of(scan, j)?;
    // `mrs. okafor`: a title written out (or with its stop) takes an unknown word too.
    let spelled = key != "ms" || scan.is_punct(i + 1, '.') || scan.capitalised(i);
    let lower_unknown = spelled && !look.listed() && !look.common && plain_lower(scan, j);
    // `mr price's wife`, `mrs cook in 11`: a listed surname, even one that is also a word.
    let word = scan.key(j);
    let lower_surname = spelled
        && key != "miss"
        && look.surname
        && !system_word(word)
        && !context::staff_title(word)
        && !stop_word(word);
    // `Ms Green the unit manager`: a colleague.
    let named = look.name() || look.capitalised_unknown() || lower_unknown || lower_surname;
    (named && !staff_after(scan, j, 4)).then_some((90, j))
}

/// `her daughter Maria`, `son, Kevin`, `family of Smith`, `family (the Abernathys)`.
fn after_relation(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let key = scan.key(i);
    let j = scan.skip_keys(i + 1, &[",", ":", "(", "named", "name", "is", "was", "-", "member", "of"]);
    if scan.key(j) == "the"
        && let Some(last) = plural_family(scan, j + 1)
    {
        return Some((80, last));
    }
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
    Some((score, j))
}

/// `admitted Harold Jenkins`, `the AVS for O'Brien`: a name taken in as a patient, by a word
/// that gives it `score`.
fn after_taking_in(scan: &Scan, i: usize, score: u8) -> Option<(u8, usize)> {
    let j =
        scan.skip_keys(i + 1, &["the", "of", "for", "to", "on", "mr", "mrs", "ms", ".", "\"", "baby", "boy", "girl"]);
    if let Some(last) = lower_taken_in(scan, j) {
        return Some((score, last));
    }
    let p = person(scan, j)?;
    let unknown_ok = score >= 80;
    // Two or more name-like words (`Wanjiru Kamau`) are a name whatever the lists say.
    let fits =
        scan.capitalised(j) && (p.listed || p.full || (unknown_ok && p.parts > 1) || unknown_ok && plain(scan, j));
    (fits && !staff_before(scan, j) && !staff_after(scan, p.last, 3) && !place_after(scan, p.last))
        .then_some((score, p.last))
}

/// `last name Castillo`, `goes by Bobby`, `aka Bobby`; `name` alone labels a field, not a
/// person.
fn after_name_label(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let key = scan.key(i);
    let j = scan.skip_keys(i + 1, &[":", "is", "was", "-"]);
    let p = person(scan, j)?;
    let labelled =
        key != "name" || matches!(scan.key(i.wrapping_sub(1)), "last" | "first" | "given" | "family" | "maiden");
    (labelled && scan.capitalised(j) && !scan.all_caps(j)).then_some((80, p.last))
}

/// A name with no word before it to introduce it: borne out as a patient's by a bed, a
/// possession, a verb of care, a relative, the `Lastname, Firstname` form, or the context
/// around a full name; cleared by a staff title, a saint's or a place's name.
fn standing_alone(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let p = person(scan, i)?;
    if staff_before(scan, i) || hospital_before(scan, i) || staff_after(scan, p.last, 3) || place_after(scan, p.last) {
        return None;
    }
    // A guess needs the context: a bed for two lowercase words in no list, a word of care
    // for two capitalised ones at the start.
    let guess_borne = if scan.capitalised(i) {
        strong_context(scan, i, p.last) || weak_context(scan, i, p.last)
    } else {
        bed_after(scan, p.last) || bed_before(scan, i) || room_number_after(scan, p.last)
    };
    if p.guess && !guess_borne {
        return None;
    }
    // A single word must be a name that is not also an everyday word (`Rose`, `Brooks`).
    let plain_single = p.parts > 1 || (p.listed && !p.common) || (!p.listed && plain(scan, i));
    // `Johnson in bed 14`, `Garcia (rm 12)`, `bed 14 Johnson`, `Maria Lopez 412`.
    // `Sarah Okafor in ICU 4 can't log in` is a user where she works.
    let user_talk = scan
        .keys_after(p.last, 8)
        .any(|key| matches!(key, "log" | "login" | "password" | "access" | "credentials" | "pin"));
    if plain_single && (bed_after(scan, p.last) || bed_before(scan, i)) && !user_talk {
        return Some((80, p.last));
    }
    // `Bishop in room 5`: a surname that is also a word, with the bed named.
    let surname_only = p.parts == 1
        && !matches!(scan.key(i), "north" | "south" | "east" | "west")
        && Look::of(scan, i).is_some_and(|l| l.surname && !l.given && l.cap);
    if surname_only && bed_word_after(scan, i) {
        return Some((75, i));
    }
    let listed_surname = Look::of(scan, p.last).is_some_and(|l| l.surname && !l.common);
    if (p.full || p.parts > 1 && listed_surname) && room_number_after(scan, p.last)
        || listed_surname && p.parts == 1 && room_id_after(scan, p.last)
    {
        return Some((75, p.last));
    }
    if scan.possessive(p.last) {
        return possessed(scan, i, &p, plain_single);
    }
    // `Gutierrez was transferred`, `Kowalski refused`, `the Gonzalez family`.
    let written = scan.capitalised(i) || p.full;
    if plain_single && written && (patient_verb_after(scan, p.last) || family_after(scan, p.last)) {
        return Some((80, p.last));
    }
    // `Maria (daughter)`, `Maria, her daughter`.
    if p.listed && plain_single && scan.capitalised(i) && relation_after(scan, p.last) {
        return Some((80, p.last));
    }
    // `Lastname, Firstname`.
    if let Some(hit) = last_comma_first(scan, i) {
        return Some(hit);
    }
    full_name_in_context(scan, i, &p)
}

/// `Garcia's chart`, `Maria's daughter`, `Okonkwo's labs`: a possessive name that owns
/// something of a patient's.
fn possessed(scan: &Scan, i: usize, p: &Person, plain_single: bool) -> Option<(u8, usize)> {
    let noun = scan.next_key(p.last);
    let surely = plain_single || p.listed && owned_by_patient(noun);
    let eponym = eponym(scan.key(p.last));
    // Lowercase, only a full name with something only a patient has: `ahmad rahimi's wife`.
    let written = scan.capitalised(i)
        || p.parts > 1 && owned_by_patient(noun)
        || p.listed && !p.common && relation(noun) && noun != "family";
    ((patient_noun(noun) || relation(noun)) && surely && !eponym && written).then_some((85, p.last))
}

/// `Maria Lopez` or `Ana R.` alone is as likely a user as a patient; the context decides: a
/// word of care raises the score, a user's verb or context lowers it.
fn full_name_in_context(scan: &Scan, i: usize, p: &Person) -> Option<(u8, usize)> {
    if p.parts < 2 || !p.full && !p.initial && !p.given_first {
        return None;
    }
    if !(scan.capitalised(i) || p.full && strong_context(scan, i, p.last)) {
        return None;
    }
    // `Bernard Kim and Ruth Goldstein are the night trainers`.
    if staff_after(scan, p.last, 8) {
        return None;
    }
    let mut score: i32 = 40;
    if strong_context(scan, i, p.last) {
        score += 35;
    } else if weak_context(scan, i, p.last) {
        score += 15;
    }
    score -= user_after(scan, p.last);
    if user_before(scan, i) || scan.keys_around(i, p.last, 6, 8).any(user_context_word) {
        score -= 40;
    }
    Some((score.clamp(0, 100) as u8, p.last))
}

/// `pt Garcia`, `patient: John Smith`, `pt john smith`.
fn after_patient_word(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    let j = scan.skip_keys(i + 1, &[":", ",", "-", "(", "named", "name", "is", "was", "mr", "mrs", "ms", "."]);
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

/// Titles before a surname: `Mr`, `Mrs.`, `Sra`.
fn honorific(key: &str) -> bool {
    matches!(key, "mr" | "mrs" | "ms" | "miss" | "mister" | "mx" | "mrs." | "sra" | "senor" | "senora")
}

/// `Garcia, Maria`, `Okafor, Grace`, `Patel, Ravi in the wrong bed`: each side adds to the
/// score by how surely it is a name, the context by how surely it is a patient.
fn last_comma_first(scan: &Scan, i: usize) -> Option<(u8, usize)> {
    if !scan.is_punct(i + 1, ',') || !scan.capitalised(i) || !scan.capitalised(i + 2) {
        return None;
    }
    let last = Look::of(scan, i)?;
    let first = Look::of(scan, i + 2).unwrap_or(Look { given: false, surname: false, common: false, cap: true });
    let mut score = match (last.surname, last.common) {
        (true, false) => 25,
        (true, true) => 5,
        _ if plain(scan, i) => 15,
        _ => return None,
    };
    score += match (first.given, first.common) {
        (true, false) => 30,
        (true, true) => 10,
        // `Jenkins, H.`
        _ if initial(scan, i + 2) => 10,
        _ if plain(scan, i + 2) => 10,
        _ => return None,
    };
    let mut end = if initial(scan, i + 3) { i + 3 } else { i + 2 };
    if initial(scan, end) && scan.is_punct(end + 1, '.') {
        end += 1;
    }
    if staff_after(scan, end, 7) || user_after(scan, end) > 0 && !strong_context(scan, i, end) {
        return None;
    }
    if strong_context(scan, i, end) || room_number_after(scan, end) || room_id_after(scan, end) {
        score += 35;
    } else if weak_context(scan, i, end) {
        score += 15;
    }
    Some((score, end))
}

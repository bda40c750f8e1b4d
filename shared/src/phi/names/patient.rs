//! What makes a name a patient's: a bed or room beside it (`Johnson in bed 14`, `Maria Lopez
//! 412`, `Morrison 12B`), a word of care near it (`armband`, `NPO`, `allergies`), a relative
//! (`her daughter Maria`), something a patient owns (`Garcia's chart`), a verb of care after
//! it (`was transferred`, `refused`) or a word that takes a patient in before it (`admitted`,
//! `the AVS for`).

use super::lists::{Look, is_common, is_surname, stop_word};
use super::shape::{plain, plain_lower};
use crate::phi::context;
use crate::phi::tokens::{Kind, Scan};

/// Verbs and nouns that take a patient in: `admitted Garcia`, `armband of Mr Chen`. The score
/// says whether a capitalised word in no list is taken too (80) or only listed names (75).
pub(super) fn taken_in(scan: &Scan, i: usize) -> Option<u8> {
    let key = scan.key(i);
    let next = scan.key(i + 1);
    match key {
        "admitted" | "admitting" | "readmitted" | "discharged" | "discharging" | "transferred" | "roomed"
        | "triaged" | "registered" | "transported" | "bedded" | "boarded" | "transferring" | "rooming" | "triaging"
        | "registering" | "transporting" | "bedding" => {
            (!matches!(next, "to" | "from" | "at" | "by" | "on")).then_some(80)
        }
        // `can't discharge D'Angelo Price`, `trying to admit Ruiz`: the noun used as a verb.
        "discharge" | "admit" | "transfer" | "room" | "readmit" | "triage" if modal(scan.prev_key(i)) => Some(80),
        "scanned" | "rescanned" | "identified" | "moved" | "bumped" | "given" | "administered" => Some(75),
        // `the RN for Ezekiel Tanaka`, `sitter for Ruiz`.
        _ if (context::staff_title(key) || key == "sitter") && next == "for" && key != "user" && key != "users" => {
            Some(75)
        }
        "avs" | "discharge" | "admission" | "transfer" | "chart" | "armband" | "wristband" | "label" | "labels"
        | "specimen" | "specimens" | "meds" | "tray" | "visitor" | "visitors" | "allergies" | "allergy"
        | "paperwork" | "consent" | "family" | "belongings" | "sitter" | "transport" | "labs" | "results"
        | "vitals" | "correction" | "status" | "band" | "armbands" | "wristbands" | "diet" | "insulin" | "dose"
        | "bed" | "room"
            if matches!(next, "for" | "of") =>
        {
            Some(75)
        }
        _ => None,
    }
}

/// Words before a verb that make a noun such as `discharge` one: `can't discharge Price`.
fn modal(key: &str) -> bool {
    matches!(
        key,
        "can't"
            | "cant"
            | "cannot"
            | "couldn't"
            | "couldnt"
            | "won't"
            | "wont"
            | "to"
            | "unable"
            | "please"
            | "pls"
            | "trying"
            | "tried"
            | "need"
            | "needs"
            | "must"
    )
}

/// `consent for faith nwosu`, `discharging will in 16`: after a word that takes a patient in,
/// a lowercase given name, even one that is also a word, before an unknown word or a bed.
pub(super) fn lower_taken_in(scan: &Scan, j: usize) -> Option<usize> {
    let look = Look::of(scan, j)?;
    if look.cap || !look.given || stop_word(scan.key(j)) {
        return None;
    }
    let auxiliary = matches!(scan.key(j), "will" | "may" | "can" | "must");
    let surname = scan.spaced(j + 1) && plain_lower(scan, j + 1) && !scan.capitalised(j + 1);
    if surname && !auxiliary {
        return Some(j + 1);
    }
    bed_after(scan, j).then_some(j)
}

/// `Abernathys` after `the`: a capitalised plural whose singular is a surname or reads as
/// one, with the family, a visit or the bedside near it. Returns the plural's token.
pub(super) fn plural_family(scan: &Scan, k: usize) -> Option<usize> {
    let key = scan.key(k);
    let stem = key.strip_suffix('s')?;
    let surname = is_surname(stem) || is_surname(key.strip_suffix("es").unwrap_or(""));
    let plain_stem = stem.len() >= 4 && !is_common(stem) && plain(scan, k);
    let near = scan
        .keys_around(k, k, 4, 4)
        .any(|key| matches!(key, "family" | "visiting" | "visitors" | "visitor" | "bedside" | "kids") || relation(key));
    (scan.capitalised(k) && !scan.all_caps(k) && (surname || plain_stem) && near).then_some(k)
}

/// `was transferred`, `fell`, `refused`, `is NPO` after a name: the name is a patient's.
pub(super) fn patient_verb_after(scan: &Scan, last: usize) -> bool {
    let mut k = last + 1;
    let mut passive = false;
    for _ in 0..2 {
        if matches!(scan.key(k), "was" | "got" | "is" | "been" | "has" | "just" | "had" | "then") {
            passive |= matches!(scan.key(k), "was" | "got" | "is" | "been");
            k += 1;
        }
    }
    match scan.key(k) {
        "fell" | "coded" | "eloped" | "vomited" | "expired" | "died" | "refused" | "refuses" | "desatted"
        | "seized" | "complained" | "complains" | "npo" | "pulled" | "ambulated" | "voided" | "aspirated"
        | "deceased" => true,
        "admitted" | "discharged" | "transferred" | "roomed" | "triaged" | "readmitted" | "intubated" | "extubated"
        | "moved" | "registered" | "allergic" => passive,
        _ => false,
    }
}

/// `the Gonzalez family`, `Hernandez family is waiting`, but not `Family Medicine`.
pub(super) fn family_after(scan: &Scan, last: usize) -> bool {
    matches!(scan.key(last + 1), "family" | "fam" | "families")
        && scan.spaced(last + 1)
        && !scan.capitalised(last + 2)
        && !matches!(scan.key(last + 2), "medicine" | "practice" | "room" | "foundation" | "center" | "health")
}

/// Relatives and others close to a patient: a name beside them is theirs.
pub(super) fn relation(key: &str) -> bool {
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

/// `Maria (daughter)`, `Maria, her daughter`: a relative named right after the name.
pub(super) fn relation_after(scan: &Scan, i: usize) -> bool {
    let k = scan.skip_keys(i + 1, &["(", ",", "-", "the", "her", "his", "pt's", "patient's"]);
    k > i + 1 && relation(scan.key(k))
}

/// What a possessive name may own to be a patient: `Garcia's chart`.
pub(super) fn patient_noun(key: &str) -> bool {
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
            | "avs"
            | "portal"
            | "proxy"
            | "mychart"
            | "labels"
            | "encounter"
            | "weight"
            | "paperwork"
            | "records"
            | "bill"
            | "orders"
    ) || close_family(key)
}

/// The next of kin, a mother or a father: what a patient has and a possessive name may own.
fn close_family(key: &str) -> bool {
    context::next_of_kin(key) || matches!(key, "mother" | "father")
}

/// What a patient owns so surely that a name that is also a word (`Baker's armband`) is one.
pub(super) fn owned_by_patient(noun: &str) -> bool {
    matches!(
        noun,
        "armband"
            | "wristband"
            | "allergies"
            | "allergy"
            | "meds"
            | "medications"
            | "vitals"
            | "labs"
            | "family"
            | "diet"
            | "tray"
            | "insulin"
            | "belongings"
            | "mrn"
            | "dob"
    ) || close_family(noun)
}

/// A word of care within five words before a name or six after it, or a bed after it.
pub(super) fn strong_context(scan: &Scan, first: usize, last: usize) -> bool {
    context_has(scan, first, last, patient_context_word) || bed_after(scan, last)
}

/// A word that makes a patient a little more likely within five words before a name or six
/// after it.
pub(super) fn weak_context(scan: &Scan, first: usize, last: usize) -> bool {
    context_has(scan, first, last, weak_context_word)
}

/// Whether a `word` stands within five words before `first` or six after `last`.
fn context_has(scan: &Scan, first: usize, last: usize, word: impl Fn(&str) -> bool) -> bool {
    scan.keys_around(first, last, 5, 6).any(word)
}

/// Words that make a name nearby a patient's beyond doubt.
pub(super) fn patient_context_word(key: &str) -> bool {
    matches!(
        key,
        "bed"
            | "rm"
            | "armband"
            | "wristband"
            | "armbands"
            | "wristbands"
            | "admitted"
            | "discharged"
            | "transferred"
            | "allergy"
            | "allergies"
            | "visitor"
            | "visiting"
            | "specimen"
            | "mrn"
            | "dob"
            | "fell"
            | "fall"
            | "refused"
            | "coded"
            | "died"
            | "expired"
            | "eloped"
            | "vomited"
            | "complained"
            | "insulin"
            | "heparin"
            | "diet"
            | "tray"
            | "npo"
            | "vitals"
            | "meds"
            | "encounter"
            | "encounters"
            | "census"
            | "merge"
            | "merged"
            | "bariatric"
            | "interpreter"
            | "weight"
            | "i/o"
            | "bedside"
            | "portal"
            | "proxy"
            | "mychart"
            | "isolation"
            | "pain"
            | "band"
            | "ama"
            | "dnr"
            | "iso"
            | "drip"
            | "infusion"
            | "transfusion"
            | "wound"
            | "postop"
            | "sitter"
            | "restraints"
            | "bg"
            | "glucose"
            | "prbc"
            | "prbcs"
            | "platelets"
            | "ffp"
            | "dialysis"
            | "crrt"
            | "charts"
            | "fetal"
            | "lovenox"
            | "telemetry"
    ) || relation(key)
}

/// Words that make a name nearby a little more likely a patient's.
fn weak_context_word(key: &str) -> bool {
    context::says_patient(key)
        || matches!(
            key,
            "room"
                | "chart"
                | "label"
                | "labels"
                | "avs"
                | "labs"
                | "results"
                | "his"
                | "her"
                | "discharge"
                | "admission"
                | "mar"
        )
}

/// A bed or room right after the name: `in bed 14`, `in 12`, `in ICU 4`, `in 5b`.
pub(super) fn bed_after(scan: &Scan, i: usize) -> bool {
    // `Maria Lopez is still in 412`.
    // `(Kowalczyk) in 12`: the name's own bracket.
    let i = if scan.is_punct(i + 1, ')') { i + 1 } else { i };
    let i = {
        let mut k = i;
        while k < i + 2 && matches!(scan.key(k + 1), "is" | "are" | "was" | "both" | "still" | "now") {
            k += 1;
        }
        k
    };
    // `Dorothy in 12`: a room number alone, unless a unit name or a time follows (`in 4
    // West`, `in 5 min`).
    if scan.key(i + 1) == "in" && scan.is_number(i + 2) && scan.digits(i + 2) <= 4 {
        let unit = scan.is_word(i + 3) && scan.capitalised(i + 3);
        let time = matches!(
            scan.key(i + 3),
            "min"
                | "mins"
                | "minutes"
                | "sec"
                | "secs"
                | "seconds"
                | "hr"
                | "hrs"
                | "hours"
                | "days"
                | "weeks"
                | "am"
                | "pm"
        );
        if !unit && !time {
            return true;
        }
    }
    // `in L&D 3`, `in ICU 4`, `(ICU 4)`: a unit in capitals, then its bed.
    if matches!(scan.key(i + 1), "in" | "(") {
        let mut k = i + 2;
        let caps =
            |k: usize| scan.is_word(k) && scan.raw(k).len() <= 4 && scan.raw(k).bytes().all(|b| b.is_ascii_uppercase());
        while k < i + 5 && (caps(k) || scan.is_punct(k, '&') || scan.is_punct(k, '/')) {
            k += 1;
        }
        if k > i + 2 && scan.is_number(k) && scan.digits(k) <= 3 && caps(k - 1) {
            return true;
        }
    }
    // `mcwilliams in 5b`, `Kowalczyk in 306A`: a room and bed as one token; `in 5S` is a unit
    // (north, south, east, west) unless a bed follows it (`in 5S bed 2`).
    if scan.key(i + 1) == "in" && room_id(scan, i + 2) {
        let unit = scan.key(i + 2).ends_with(['n', 's', 'e', 'w']);
        if !unit || bed_word_after(scan, i + 2) {
            return true;
        }
    }
    bed_word_after(scan, i)
}

/// `in bed 14`, `(rm 12)`, `- room 4`, `(trauma 2)`, `from ED room 11`.
pub(super) fn bed_word_after(scan: &Scan, i: usize) -> bool {
    let mut k = scan.skip_keys(i + 1, &["in", "(", "-", ",", "at", "from", "on"]);
    // `from ED room 11`, `on 4W bed 2`: a unit between the name and its bed.
    if k > i + 1 && (scan.all_caps(k) && scan.raw(k).len() <= 4 || room_id(scan, k)) {
        k += 1;
    }
    // `hallway bed H4`, `trauma bay 2`.
    if bed_word(scan.key(k)) && bed_word(scan.key(k + 1)) {
        k += 1;
    }
    bed_word(scan.key(k)) && matches!(scan.kind(k + 1), Some(Kind::Number | Kind::Mixed))
}

/// Where a patient lies: `bed`, `room`, `bay`, `trauma 2`, `hall 3`.
fn bed_word(key: &str) -> bool {
    matches!(
        key,
        "bed" | "room" | "rm" | "bay" | "trauma" | "resus" | "hall" | "hallway" | "stretcher" | "pod" | "chair"
    )
}

/// A bed or room with its number just before the name: `bed 12 - Nguyen`.
pub(super) fn bed_before(scan: &Scan, i: usize) -> bool {
    let mut k = i;
    for _ in 0..2 {
        if k > 0 && matches!(scan.key(k - 1), "-" | ":" | "," | "is" | "=") {
            k -= 1;
        }
    }
    // `3N-14 Hildegard V.`: a unit and a bed before the name.
    let unit_bed = k >= 3 && scan.is_number(k - 1) && scan.is_punct(k - 2, '-') && room_id(scan, k - 3);
    unit_bed || k >= 2 && matches!(scan.kind(k - 1), Some(Kind::Number | Kind::Mixed)) && bed_word(scan.key(k - 2))
}

/// `5b`, `306A`, `12-B`'s first part: a room number with a bed or unit letter.
fn room_id(scan: &Scan, k: usize) -> bool {
    let key = scan.key(k);
    let letters = key.trim_start_matches(|c: char| c.is_ascii_digit());
    scan.kind(k) == Some(Kind::Mixed)
        && key.len() <= 5
        && letters.len() == 1
        && letters.len() < key.len()
        && letters.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `Morrison 12B`: a room and bed written as one token after a surname.
pub(super) fn room_id_after(scan: &Scan, last: usize) -> bool {
    let key = scan.key(last + 1);
    scan.kind(last + 1) == Some(Kind::Mixed)
        && scan.spaced(last + 1)
        && key.len() <= 5
        && key.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && key.bytes().last().is_some_and(|b| b.is_ascii_alphabetic())
        && !matches!(
            key.trim_start_matches(|c: char| c.is_ascii_digit()),
            "th" | "st" | "nd" | "rd" | "h" | "am" | "pm" | "mg" | "ml" | "yo" | "x" | "k" | "g" | "min"
        )
}

/// `Maria Lopez 412`, `Marlene Fischer 401-B`: a room number right after a full name.
pub(super) fn room_number_after(scan: &Scan, last: usize) -> bool {
    let k = last + 1;
    match scan.kind(k) {
        Some(Kind::Number) => {
            scan.digits(k) <= 4
                && scan.spaced(k)
                && !matches!(scan.next_key(k), "units" | "mg" | "ml" | "minutes" | "min" | "hours" | "times" | "orders")
        }
        Some(Kind::Mixed) => scan.key(k).bytes().next().is_some_and(|b| b.is_ascii_digit()) && scan.key(k).len() <= 5,
        _ => false,
    }
}

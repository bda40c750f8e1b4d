//! What clears a name: a staff title or credential beside it (`Dr. Patel`, `Linda Chen, RN`,
//! `Marcus Bell, unit educator`), a user's verb after it (`cannot`, `asked`), a user's
//! context around it (`cc`, `showed`, `access`), or a place named after a person (`Henry
//! Ford Hospital`, `St. Joseph's`).

use super::patient::patient_context_word;
use crate::phi::context;
use crate::phi::tokens::Scan;

/// A staff title just before the name (`Dr.`, `charge nurse`, `RN`).
pub(super) fn staff_before(scan: &Scan, i: usize) -> bool {
    // `the RN for Ezekiel Tanaka`: the name after `for` is the one cared for.
    if scan.prev_key(i) == "for" {
        return false;
    }
    scan.keys_before(i, 2).any(context::staff_title)
}

/// A staff title or credential just after the name: `Linda Chen, RN`, `Marcus Bell, unit
/// educator`, `Stephanie Turner (ED manager)`, `Amanda Scott is the Epic trainer`.
pub(super) fn staff_after(scan: &Scan, last: usize, window: usize) -> bool {
    if credential_after(scan, last) {
        return true;
    }
    // `Thompson's chart shows the wrong attending`: what the name owns is not its role.
    if scan.possessive(last) {
        return false;
    }
    let staff = |k: &usize| {
        let key = scan.key(*k);
        // `pca pump` is a device, not a patient care assistant.
        let device_next = matches!(scan.key(*k + 1), "pump" | "pumps");
        context::staff_title(key) && !device_next || staff_place(key) && (key != "it" || scan.all_caps(*k))
    };
    scan.after(last, window).take_while(|k| !patient_context_word(scan.key(*k))).any(|k| staff(&k))
}

/// `, RN` or `MD` after the name.
fn credential_after(scan: &Scan, i: usize) -> bool {
    context::credential(scan.next_key(i))
}

/// Where users of the system work: `Linda from pharmacy`, `Okafor at the help desk`.
fn staff_place(key: &str) -> bool {
    matches!(
        key,
        "informatics"
            | "pharmacy"
            | "registration"
            | "it"
            | "build"
            | "command"
            | "helpdesk"
            | "desk"
            | "analyst"
            | "team"
            | "credentialed"
            | "ate"
            | "elbow"
            | "float"
            | "nights"
            | "days"
    )
}

/// What a verb right after a name says of it: a user's act (`cannot`, `asked`) takes 40 off
/// the score, a want (`needs`) 25. `on the pt list` or `in bed` is where a patient is, not a
/// user.
pub(super) fn user_after(scan: &Scan, last: usize) -> i32 {
    let key = scan.next_key(last);
    if matches!(key, "on" | "in" | "from") {
        let k = scan.skip_keys(last + 2, &["the", "a", "my", "our", "your"]);
        if matches!(scan.key(k), "pt" | "pts" | "patient" | "census" | "bed" | "rm" | "room" | "tracking" | "board") {
            return 0;
        }
    }
    match key {
        "can't" | "cannot" | "couldn't" | "could" | "unable" | "asked" | "asks" | "says" | "said" | "reports"
        | "reported" | "logged" | "tried" | "trained" | "found" | "doesn't" | "didn't" | "from" | "in" | "on"
        | "at" | "signed" | "placed" | "entered" | "documented" | "paged" | "called" | "will" | "showed"
        | "covered" | "emailed" | "texted" | "opened" | "submitted" | "wants" | "wanted" => 40,
        "needs" | "needed" | "requested" => 25,
        _ => 0,
    }
}

/// Words before a name that make it a colleague's: `cc Maria Lopez`, `per Rebecca Wallace`,
/// `escalated to Brian Kelly`.
pub(super) fn user_before(scan: &Scan, first: usize) -> bool {
    scan.keys_before(first, 4).any(|key| {
        matches!(
            key,
            "cc" | "per"
                | "thanks"
                | "thank"
                | "thx"
                | "escalated"
                | "assigned"
                | "ask"
                | "asked"
                | "paged"
                | "texted"
                | "emailed"
                | "contact"
                | "fyi"
                | "by"
                | "from"
                | "@"
                | "showed"
                | "show"
                | "walked"
                | "helped"
                | "trained"
                | "train"
                | "reminded"
                | "taught"
                | "coached"
                | "told"
                | "tell"
                | "met"
                | "shadowed"
                | "behalf"
                | "hire"
                | "hired"
                | "welcome"
                | "congrats"
                | "kudos"
        )
    })
}

/// What users of the system do and have: `access`, `login`, `her Rover`, `sign his notes`.
pub(super) fn user_context_word(key: &str) -> bool {
    matches!(
        key,
        "access"
            | "login"
            | "log"
            | "password"
            | "pin"
            | "template"
            | "templates"
            | "class"
            | "training"
            | "trained"
            | "helpful"
            | "sick"
            | "credentials"
            | "rover"
            | "haiku"
            | "canto"
            | "hyperspace"
            | "imprivata"
            | "citrix"
            | "inbasket"
            | "cosign"
            | "notes"
            | "smartphrase"
            | "preference"
            | "shift"
            | "covering"
            | "concert"
            | "lunch"
            | "break"
            | "schedule"
            | "comfortable"
            | "confused"
    )
}

/// `St. Joseph's`, `San Jose`: a saint's name is a hospital's.
pub(super) fn hospital_before(scan: &Scan, i: usize) -> bool {
    matches!(scan.prev_key(i), "st" | "saint" | "san" | "santa" | "sainte" | "mt" | "mount")
}

/// Nouns of a place after a name: `Jackson Memorial`, `Gonzalez Pavilion`, `Martin Luther
/// King Jr. Hospital`, `O'Brien Hall`, `Smith SmartSet`.
pub(super) fn place_after(scan: &Scan, last: usize) -> bool {
    let k = scan.skip_punct(last + 1, &['.']);
    // `Smith Family Foundation`, but not `the Gonzalez family`.
    let word = |k: usize| place_word(scan.key(k)) && (scan.key(k) != "family" || scan.capitalised(k));
    word(k) || (scan.key(k) == "and" && scan.capitalised(k + 1) && word(k + 2))
}

/// Nouns that make the name before them a place's or a thing's.
pub(super) fn place_word(key: &str) -> bool {
    matches!(
        key,
        "hospital"
            | "memorial"
            | "medical"
            | "center"
            | "centre"
            | "clinic"
            | "pavilion"
            | "tower"
            | "building"
            | "bldg"
            | "wing"
            | "hall"
            | "house"
            | "institute"
            | "foundation"
            | "auditorium"
            | "campus"
            | "health"
            | "healthcare"
            | "children's"
            | "childrens"
            | "cancer"
            | "heart"
            | "university"
            | "college"
            | "school"
            | "library"
            | "street"
            | "st"
            | "avenue"
            | "ave"
            | "road"
            | "rd"
            | "jr"
            | "sr"
            | "smartset"
            | "smartphrase"
            | "protocol"
            | "report"
            | "template"
            | "style"
            | "scale"
            | "score"
            | "conference"
            | "suite"
            | "unit"
            | "lobby"
            | "annex"
            | "plaza"
            | "family"
    )
}

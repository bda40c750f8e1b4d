//! The words around a match that raise or clear it, as Presidio's context words do: a label
//! (`MRN`, `DOB`, `cell`) makes a number an identifier, a system noun (`order`, `INC`,
//! `ext`, `badge`) makes it part of the build. Every function takes a token's lowercase key.

use super::tokens::Scan;

/// What the nearest telling word before a number says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cue {
    Record,
    Ssn,
    Phone,
    /// The help desk, a vendor line, a pager: the system's own numbers.
    HelpDesk,
    /// An order, ticket, badge, printer, version...: a number of the build or the staff.
    System,
}

/// Labels of record, account and plan numbers (HIPAA identifiers 8 to 10).
fn record_label(key: &str) -> bool {
    matches!(
        key,
        "mrn"
            | "mrns"
            | "mrn#"
            | "acct"
            | "accts"
            | "account"
            | "csn"
            | "har"
            | "fin"
            | "encounter"
            | "enc"
            | "chart"
            | "medrec"
            | "member"
            | "subscriber"
            | "policy"
            | "medicaid"
            | "medicare"
            | "beneficiary"
            | "insurance"
            | "accession"
            | "visit"
            | "mr"
            | "hospital"
            | "pt"
            | "patient"
            | "patient's"
            | "ein"
            | "dl"
            | "license"
            | "passport"
            | "plate"
            | "vin"
    )
}

/// Nouns whose numbers belong to the build, the staff or the devices, never a patient.
pub(super) fn system_noun(key: &str) -> bool {
    matches!(
        key,
        "order"
            | "orders"
            | "ord"
            | "smartset"
            | "smartsets"
            | "orderset"
            | "flowsheet"
            | "fsr"
            | "row"
            | "rows"
            | "template"
            | "smartphrase"
            | "smarttext"
            | "smartlink"
            | "smartlist"
            | "smartform"
            | "panel"
            | "pref"
            | "erx"
            | "report"
            | "rpt"
            | "record"
            | "inc"
            | "ritm"
            | "chg"
            | "req"
            | "slg"
            | "prb"
            | "task"
            | "ticket"
            | "tickets"
            | "incident"
            | "request"
            | "change"
            | "problem"
            | "case"
            | "ext"
            | "extension"
            | "x"
            | "pager"
            | "pgr"
            | "beeper"
            | "vocera"
            | "spectralink"
            | "badge"
            | "employee"
            | "emp"
            | "staff"
            | "user"
            | "userid"
            | "login"
            | "printer"
            | "device"
            | "workstation"
            | "ws"
            | "pc"
            | "computer"
            | "lws"
            | "ip"
            | "port"
            | "version"
            | "ver"
            | "v"
            | "build"
            | "release"
            | "patch"
            | "pkg"
            | "queue"
            | "workqueue"
            | "wq"
            | "pool"
            | "dept"
            | "department"
            | "tray"
            | "drawer"
            | "pyxis"
            | "omnicell"
            | "cabinet"
            | "pocket"
            | "lot"
            | "ndc"
            | "barcode"
            | "serial"
            | "sn"
            | "asset"
            | "tag"
            | "model"
            | "error"
            | "code"
            | "event"
            | "interface"
            | "msg"
            | "message"
            | "batch"
            | "job"
            | "step"
            | "line"
            | "item"
            | "erx#"
            | "medication"
            | "procedure"
            | "proc"
            | "eap"
            | "component"
            | "rule"
            | "bpa"
            | "alert"
            | "section"
            | "navigator"
            | "activity"
            | "room"
            | "rm"
            | "bed"
            | "bay"
            | "floor"
            | "suite"
            | "unit"
            | "cost"
            | "center"
            | "sku"
            | "item#"
            | "supply"
            | "kb"
            | "article"
            | "doc"
            | "document"
            | "form"
            | "provider"
            | "npi"
            | "dea"
            | "sig"
            | "network"
            | "vlan"
            | "server"
            | "host"
            | "ticket#"
            | "inc#"
            | "ser"
            | "dep"
            | "flo"
            | "pump"
            | "pumps"
            | "monitor"
            | "monitors"
            | "scanner"
            | "scanners"
            | "tablet"
            | "handheld"
            | "channel"
    )
}

/// Words that make the number after them a phone number.
fn phone_label(key: &str) -> bool {
    matches!(
        key,
        "phone"
            | "ph"
            | "tel"
            | "telephone"
            | "cell"
            | "cellphone"
            | "mobile"
            | "mob"
            | "home"
            | "call"
            | "called"
            | "calling"
            | "callback"
            | "cb"
            | "contact"
            | "reach"
            | "text"
            | "texted"
            | "fax"
            | "number"
            | "work"
            | "wk"
            | "hm"
            | "family"
    ) || next_of_kin(key)
}

/// The system's own lines: the help desk, a vendor, a pager line, a bridge.
fn help_desk(key: &str) -> bool {
    matches!(
        key,
        "help"
            | "helpdesk"
            | "desk"
            | "servicedesk"
            | "support"
            | "it"
            | "hotline"
            | "vendor"
            | "command"
            | "epic"
            | "tsc"
            | "nurseline"
            | "operator"
            | "switchboard"
            | "informatics"
            | "ehr"
            | "pharmacy"
            | "lab"
            | "bridge"
            | "conference"
            | "dial-in"
            | "dial"
            | "office"
            | "staffing"
            | "security"
            | "biomed"
            | "facilities"
            | "option"
    )
}

/// The nearest telling word within `window` words before token `i`.
pub(super) fn cue_before(scan: &Scan, i: usize, window: usize) -> Option<Cue> {
    let mut after_id = false;
    for k in scan.before(i, window) {
        let key = scan.key(k);
        // `id`, `number`, `no` and `#` take their meaning from the word before.
        if matches!(key, "id" | "number" | "num" | "no" | "nbr") {
            after_id = true;
            continue;
        }
        if matches!(key, "ssn" | "ss" | "social" | "ssn#" | "ss#") {
            return Some(Cue::Ssn);
        }
        if key == "rec" || key == "records" {
            return Some(Cue::Record);
        }
        if key == "record" {
            // `medical record 123`, `patient record 123`; `record 40012` alone is a build record.
            if matches!(scan.prev_key(k), "med" | "medical" | "patient" | "pt" | "health") {
                return Some(Cue::Record);
            }
            return Some(Cue::System);
        }
        if matches!(key, "pt" | "patient" | "patient's" | "hospital" | "visit" | "mr" | "member") && !after_id {
            // Only `pt id 123`, `MR# 123` or `hospital account 123` label; `pt 123` is weaker.
            if key == "mr" && scan.is_punct(k + 1, '#') {
                return Some(Cue::Record);
            }
            if key == "visit" || key == "member" {
                return Some(Cue::Record);
            }
            continue;
        }
        if record_label(key) {
            return Some(Cue::Record);
        }
        // `armband barcode 004829173`: what an armband's barcode or label holds is the MRN.
        if matches!(key, "barcode" | "label" | "sticker") && matches!(scan.prev_key(k), "armband" | "wristband") {
            return Some(Cue::Record);
        }
        if help_desk(key) {
            return Some(Cue::HelpDesk);
        }
        if system_noun(key) {
            return Some(Cue::System);
        }
        if phone_label(key) {
            return Some(Cue::Phone);
        }
        after_id = false;
    }
    None
}

/// The patient, named as such: `pt`, `patients`, `patient's`.
pub(super) fn says_patient(key: &str) -> bool {
    matches!(key, "pt" | "pts" | "patient" | "patients" | "patient's")
}

/// The relatives who call and visit: `daughter`, `son`, `wife`, `husband`.
pub(super) fn next_of_kin(key: &str) -> bool {
    matches!(key, "daughter" | "son" | "wife" | "husband")
}

/// Words that say the text is about a person in care, not the system.
pub(super) fn patient_word(key: &str) -> bool {
    says_patient(key)
        || next_of_kin(key)
        || matches!(
            key,
            "his"
                | "her"
                | "him"
                | "he"
                | "she"
                | "family"
                | "chart"
                | "armband"
                | "wristband"
                | "admitted"
                | "discharged"
                | "mrs"
                | "mr"
                | "ms"
                | "mother"
                | "father"
                | "mom"
                | "dad"
                | "sister"
                | "brother"
                | "guardian"
                | "caregiver"
                | "resident"
                | "newborn"
                | "baby"
                | "infant"
                | "child"
                | "kid"
                | "member"
                | "client"
        )
}

/// Whether a patient word stands within `window` words of token `i`, either side.
pub(super) fn near_patient(scan: &Scan, i: usize, window: usize) -> bool {
    scan.keys_around(i, i, window, window).any(patient_word)
}

/// Labels that make a date a birth date.
pub(super) fn birth_label(key: &str) -> bool {
    matches!(key, "dob" | "birthdate" | "birthday" | "bday" | "born" | "birth" | "yob" | "dob#" | "b-day" | "birthdt")
}

/// Events in a patient's stay that make a date theirs; the bool says whether the word alone
/// is enough (`admitted`) or needs a patient nearby (`appointment`).
pub(super) fn patient_event(key: &str) -> Option<bool> {
    match key {
        "admitted" | "admit" | "admission" | "readmitted" | "readmit" | "discharged" | "died" | "expired"
        | "deceased" | "death" | "passed" | "seen" | "dos" | "dod" | "transferred" | "delivered" | "arrived"
        | "presented" | "injured" | "fell" | "intubated" | "extubated" | "coded" | "dc'd" | "transfused" => Some(true),
        "appt" | "appointment" | "surgery" | "procedure" | "delivery" | "visit" | "scheduled" | "arrival" | "had"
        | "section" | "replacement" | "biopsy" | "op" | "postop" | "operation" | "dc" | "d/c" | "birth" => Some(false),
        _ => None,
    }
}

/// The event before `date` in a field that holds a patient's date: `dc date`, `admit date`,
/// `transfer date`, `surgery date`.
pub(super) fn event_date_label(key: &str) -> bool {
    matches!(
        key,
        "admit"
            | "admission"
            | "dc"
            | "discharge"
            | "transfer"
            | "arrival"
            | "surgery"
            | "procedure"
            | "delivery"
            | "death"
            | "service"
            | "injury"
            | "event"
            | "visit"
            | "appt"
            | "appointment"
    )
}

/// Words that make a date the system's: a go-live, an upgrade, a ticket, a shift.
pub(super) fn system_date(key: &str) -> bool {
    matches!(
        key,
        "since"
            | "go-live"
            | "golive"
            | "live"
            | "cutover"
            | "upgrade"
            | "upgraded"
            | "build"
            | "downtime"
            | "release"
            | "released"
            | "effective"
            | "starting"
            | "start"
            | "started"
            | "until"
            | "through"
            | "thru"
            | "patch"
            | "deadline"
            | "migration"
            | "migrated"
            | "training"
            | "class"
            | "session"
            | "shift"
            | "meeting"
            | "huddle"
            | "rollout"
            | "launch"
            | "conversion"
            | "ticket"
            | "updated"
            | "update"
            | "installed"
            | "reported"
            | "opened"
            | "logged"
            | "version"
            | "from"
            | "after"
            | "before"
            | "week"
            | "weekend"
            | "report"
            | "printed"
            | "batch"
            | "job"
            | "expires"
            | "expiring"
            | "renewal"
            | "audit"
            | "survey"
            | "refresh"
            | "refreshed"
            | "push"
            | "cleared"
    )
}

/// Titles and roles of staff: a name after them is a user of the system, not a patient.
pub(super) fn staff_title(key: &str) -> bool {
    matches!(
        key,
        "dr" | "doctor"
            | "nurse"
            | "rn"
            | "rns"
            | "lpn"
            | "lvn"
            | "np"
            | "pa"
            | "md"
            | "do"
            | "crna"
            | "cna"
            | "pca"
            | "charge"
            | "pharmacist"
            | "pharmd"
            | "tech"
            | "technician"
            | "trainer"
            | "trainers"
            | "nurses"
            | "techs"
            | "analysts"
            | "managers"
            | "educators"
            | "doctors"
            | "pharmacists"
            | "superusers"
            | "educator"
            | "manager"
            | "director"
            | "superuser"
            | "su"
            | "provider"
            | "resident"
            | "attending"
            | "fellow"
            | "intern"
            | "hospitalist"
            | "surgeon"
            | "physician"
            | "secretary"
            | "clerk"
            | "scheduler"
            | "registrar"
            | "analyst"
            | "coordinator"
            | "supervisor"
            | "therapist"
            | "dietitian"
            | "chaplain"
            | "user"
            | "users"
            | "colleague"
            | "coworker"
            | "preceptor"
            | "student"
            | "midwife"
            | "rt"
            | "ot"
            | "slp"
            | "cnm"
            | "aprn"
            | "dpt"
            | "prof"
            | "professor"
    )
}

/// Staff credentials written after a name: `Linda Chen, RN`, `Patel MD`.
pub(super) fn credential(key: &str) -> bool {
    matches!(
        key,
        "rn" | "md"
            | "np"
            | "pa"
            | "do"
            | "lpn"
            | "cna"
            | "crna"
            | "pharmd"
            | "rph"
            | "bsn"
            | "msn"
            | "dnp"
            | "aprn"
            | "rt"
    )
}

//! What goes wrong where: phrases about the system only (never about a patient), and each
//! unit's line of work, with its modules and roles.

use floorboard_shared::Kind;
use floorboard_shared::golive::Unit;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

/// A problem as reported: summary, module (an index into the go-live's modules) and role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Problem {
    pub(super) summary: &'static str,
    pub(super) module: usize,
    pub(super) role: &'static str,
}

/// A summary a trainer might type: about the system only, never about a patient (no names,
/// record numbers, long digit runs or dates). `module` and `role` default to the area's.
#[derive(Clone, Copy, Debug)]
struct Phrase {
    kind: Kind,
    text: &'static str,
    module: Option<&'static str>,
    role: Option<&'static str>,
}

const fn say(kind: Kind, text: &'static str) -> Phrase {
    Phrase { kind, text, module: None, role: None }
}

const fn gap(text: &'static str) -> Phrase {
    say(Kind::TrainingGap, text)
}

const fn config(text: &'static str) -> Phrase {
    say(Kind::Configuration, text)
}

const fn access(text: &'static str) -> Phrase {
    say(Kind::Access, text)
}

const fn process(text: &'static str) -> Phrase {
    say(Kind::Process, text)
}

impl Phrase {
    const fn module(self, module: &'static str) -> Phrase {
        Phrase { module: Some(module), ..self }
    }

    const fn role(self, role: &'static str) -> Phrase {
        Phrase { role: Some(role), ..self }
    }
}

/// Problems met on any unit.
static GENERIC: &[Phrase] = &[
    gap("Cannot find patient list column layout from training"),
    gap("Does not know where to acknowledge new orders"),
    gap("Unsure how to sign notes from the In Basket"),
    gap("Cannot find the handoff report shown in class"),
    gap("Forgot how to add an order to preference list favourites"),
    gap("Secure chat not found in the sidebar"),
    gap("Unsure how to document a late entry"),
    config("Print job routes to the wrong unit printer"),
    config("Default activity tab differs from training build"),
    config("SmartText drop-down list is empty"),
    config("Order panel missing the unit's usual defaults"),
    access("Agency nurse has no Epic login yet").role("agency RN"),
    access("Badge tap login fails on WOW in hall"),
    access("New hire sees read-only chart, wrong security class"),
    access("Float staff cannot open this unit's patient list"),
    access("Label printer not mapped to workstation"),
    access("Barcode scanner not recognised on workstation"),
    process("Downtime report location not posted on unit"),
    process("Super user pulled to staffing, no floor support"),
    process("Staff unsure whom to call for after-hours support"),
    process("Shift huddle not covering the go-live tip sheet"),
];

/// A line of work: how to recognise its units, its modules in order of preference, its
/// roles, and what goes wrong there in particular.
pub(super) struct Area {
    pub(super) name: &'static str,
    /// Whole words of the unit's id or name that mark this area, space-separated.
    keywords: &'static str,
    modules: &'static [&'static str],
    roles: &'static [&'static str],
    phrases: &'static [Phrase],
}

/// The default: inpatient nursing units.
static INPATIENT: Area = Area {
    name: "inpatient",
    keywords: "",
    modules: &["clindoc"],
    roles: &["RN", "charge nurse", "CNA", "unit clerk", "physician"],
    phrases: &[
        gap("Med rec step skipped at admission").role("RN"),
        gap("Cannot find the I&O flowsheet row").role("RN"),
        config("BP med SmartSet does not load for RN role").module("clindoc").role("RN"),
        config("MAR shows scheduled dose at the wrong time").module("willow").role("RN"),
        config("Fall risk BPA fires twice per chart open"),
        access("Charge nurse cannot assign beds").role("charge nurse"),
        process("Discharge navigator order changed after training"),
        process("Bedside scanning workflow differs from class"),
    ],
};

/// Other lines of work, first match wins (procedural before lab, for the cath lab).
static SPECIALTIES: [Area; 9] = [
    Area {
        name: "emergency",
        keywords: "ed emergency",
        modules: &["asap", "clindoc"],
        roles: &["ED RN", "triage nurse", "ED physician", "charge nurse"],
        phrases: &[
            gap("Cannot find the triage navigator from the track board"),
            gap("Unsure how to assign self to the treatment team"),
            config("Track board missing the bed column").role("charge nurse"),
            config("ED disposition order set does not load").role("ED physician"),
            access("Scribe role cannot pend orders").role("scribe"),
            process("Quick registration and triage order of steps unclear"),
        ],
    },
    Area {
        name: "procedural",
        keywords: "or pacu preop pre sds surgery endo endoscopy cath ir interventional sedation",
        modules: &["optime", "clindoc"],
        roles: &["circulator RN", "PACU RN", "pre-op RN", "surgeon", "anesthesia provider"],
        phrases: &[
            gap("Unsure how to record case times in the intraop navigator").role("circulator RN"),
            gap("Cannot find the PACU phase of care activity").role("PACU RN"),
            config("Case request does not show the preference card"),
            config("Implant log does not file to the case"),
            access("Anesthesia provider cannot sign the record").role("anesthesia provider"),
            process("Time-out documentation step moved after training"),
        ],
    },
    Area {
        name: "obstetrics",
        keywords: "ld labor delivery mb mother ob obstetrics",
        modules: &["stork", "clindoc"],
        roles: &["L&D RN", "mother-baby RN", "obstetrician", "charge nurse"],
        phrases: &[
            gap("Unsure how to open the delivery summary").role("L&D RN"),
            config("Fetal monitoring flowsheet does not file"),
            config("Newborn chart not linked to the delivery episode"),
            process("Feeding documentation changed after training").role("mother-baby RN"),
        ],
    },
    Area {
        name: "oncology",
        keywords: "onc oncology heme hematology bmt marrow infusion",
        modules: &["beacon", "clindoc"],
        roles: &["oncology RN", "infusion RN", "oncologist"],
        phrases: &[
            gap("Cannot find the treatment plan day view"),
            config("Treatment plan cycle does not release orders"),
            config("Chemo verification queue is empty").role("pharmacist"),
            process("Dual sign-off step for infusions unclear"),
        ],
    },
    Area {
        name: "pharmacy",
        keywords: "pharm pharmacy",
        modules: &["willow", "clindoc"],
        roles: &["pharmacist", "pharmacy tech"],
        phrases: &[
            gap("Verification queue filter not set as trained").role("pharmacist"),
            config("IV compounding label prints without barcode"),
            config("Dispense location defaults to main pharmacy"),
            access("Pharmacy tech cannot release orders").role("pharmacy tech"),
        ],
    },
    Area {
        name: "lab",
        keywords: "lab laboratory",
        modules: &["beaker", "clindoc"],
        roles: &["lab tech", "phlebotomist"],
        phrases: &[
            gap("Unsure how to receive specimens in the lab").role("lab tech"),
            config("Specimen label prints in the wrong format"),
            config("Result routing skips the ordering provider pool"),
            process("Courier drop-off point changed after training"),
        ],
    },
    Area {
        name: "imaging",
        keywords: "rad radiology imaging",
        modules: &["radiant", "clindoc"],
        roles: &["rad tech", "radiologist"],
        phrases: &[
            gap("Cannot find the exam begin button").role("rad tech"),
            config("Imaging order questions repeat on every order"),
            process("Transport request workflow changed after training"),
        ],
    },
    Area {
        name: "registration",
        keywords: "reg registration admitting",
        modules: &["prelude", "cadence"],
        roles: &["registrar", "admitting clerk"],
        phrases: &[
            gap("Cannot find the guarantor activity").role("registrar"),
            config("Check-in skips the consent form step").module("prelude"),
            config("Appointment desk shows the wrong provider templates").module("cadence").role("scheduler"),
            config("Charge not dropping for this visit type").module("resolute").role("billing specialist"),
            process("Walk-in registration path changed after training"),
        ],
    },
    Area {
        name: "clinic",
        keywords: "clinic clinics rhc fm pt therapy wound",
        modules: &["ambulatory", "cadence"],
        roles: &["medical assistant", "front desk", "clinic RN", "provider"],
        phrases: &[
            gap("Cannot find the visit navigator SmartSet").role("provider"),
            config("Rooming tab missing the vitals section").role("medical assistant"),
            config("Provider schedule template shows blocked slots").module("cadence").role("scheduler"),
            config("Charge review workqueue empty after visits").module("resolute").role("billing specialist"),
            access("Medical assistant cannot pend refills").role("medical assistant"),
            process("Check-out scheduling moved to front desk after training"),
        ],
    },
];

impl Area {
    /// The area of a unit, by whole words of its id and name; inpatient when none matches.
    pub(super) fn of(unit: &Unit) -> &'static Area {
        let text = format!("{} {}", unit.id, unit.name).to_lowercase();
        let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        SPECIALTIES
            .iter()
            .find(|area| area.keywords.split_whitespace().any(|k| words.contains(&k)))
            .unwrap_or(&INPATIENT)
    }

    /// What can go wrong of `kind` on a unit of this area, the area's own problems first.
    pub(super) fn problems(&self, kind: Kind, modules: &[String], rng: &mut StdRng) -> Vec<Problem> {
        self.phrases
            .iter()
            .chain(GENERIC)
            .filter(|p| p.kind == kind)
            .map(|p| Problem {
                summary: p.text,
                module: self.module_for(p, modules),
                role: p.role.or_else(|| self.roles.choose(rng).copied()).unwrap_or("staff"),
            })
            .collect()
    }

    /// The phrase's module, else the area's, as present in the go-live; else its first module.
    fn module_for(&self, phrase: &Phrase, modules: &[String]) -> usize {
        phrase.module.iter().chain(self.modules).find_map(|id| modules.iter().position(|m| m == id)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use floorboard_shared::GoLive;
    use floorboard_shared::phi;
    use floorboard_shared::report::SUMMARY_MAX;
    use rand::SeedableRng;

    #[test]
    fn every_phrase_is_about_the_system_and_fits() {
        let phrases = GENERIC.iter().chain(std::iter::once(&INPATIENT).chain(&SPECIALTIES).flat_map(|a| a.phrases));
        for p in phrases {
            assert_eq!(phi::screen(p.text), None, "{}", p.text);
            assert!(p.text.chars().count() <= SUMMARY_MAX, "{}", p.text);
        }
        let roles = std::iter::once(&INPATIENT).chain(&SPECIALTIES).flat_map(|a| a.roles.iter().copied());
        for role in roles.chain(GENERIC.iter().filter_map(|p| p.role)) {
            assert_eq!(phi::screen(role), None, "{role}");
        }
        for kind in Kind::ALL {
            assert!(GENERIC.iter().any(|p| p.kind == kind), "no generic phrase for {kind:?}");
        }
    }

    fn example_unit(id: &str) -> Unit {
        GoLive::example().units().map(|(_, u)| u.clone()).find(|u| u.id.as_str() == id).unwrap()
    }

    #[test]
    fn units_are_classed_by_line_of_work() {
        for (unit, area) in [
            ("rmc-ed", "emergency"),
            ("lch-ped-ed", "emergency"),
            ("rmc-cath", "procedural"),
            ("rmc-ir", "procedural"),
            ("sjh-sds", "procedural"),
            ("rmc-preop", "procedural"),
            ("rmc-lab", "lab"),
            ("sjh-infusion", "oncology"),
            ("lch-bmt", "oncology"),
            ("rmc-ld", "obstetrics"),
            ("nvc-ob", "obstetrics"),
            ("wrh-pharm", "pharmacy"),
            ("lch-rad", "imaging"),
            ("sjh-reg", "registration"),
            ("nvc-rhc", "clinic"),
            ("nvc-surg", "inpatient"),
            ("rmc-sicu", "inpatient"),
            ("rmc-4w", "inpatient"),
        ] {
            assert_eq!(Area::of(&example_unit(unit)).name, area, "{unit}");
        }
    }

    #[test]
    fn modules_follow_the_area_and_fall_back_to_what_the_golive_has() {
        let ed = &SPECIALTIES[0];
        let modules = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let generic = config("x");
        assert_eq!(ed.module_for(&generic, &modules(&["clindoc", "asap"])), 1);
        assert_eq!(ed.module_for(&generic, &modules(&["beaker", "clindoc"])), 1, "asap absent: clindoc");
        assert_eq!(ed.module_for(&generic, &modules(&["beaker"])), 0, "nothing preferred: any module");
        let resolute = config("x").module("resolute");
        assert_eq!(ed.module_for(&resolute, &modules(&["asap", "resolute"])), 1);

        let golive = GoLive::example();
        let ids: Vec<String> = golive.modules().iter().map(|m| m.id.to_string()).collect();
        let rmc_ed = Area::of(&example_unit("rmc-ed"));
        for p in rmc_ed.problems(Kind::Configuration, &ids, &mut StdRng::seed_from_u64(2)) {
            assert!(["asap", "clindoc"].contains(&ids[p.module].as_str()));
        }
        assert!(golive.module("radiant").is_none(), "imaging falls back to clindoc in the example");
    }
}

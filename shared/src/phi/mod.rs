//! The patient-data screen: free text is refused, never scrubbed, when it seems to hold one of
//! the HIPAA Safe Harbor identifiers that turn up in floor reports. Reports are about the
//! system; the trainer is asked to rephrase.
//!
//! It works as de-identification tools such as Presidio and Philter do, on a smaller scale:
//! the text is folded first ([`normalise`]) so look-alike characters and invisible ones do not
//! hide a label or a number, then cut into tokens, then each recogniser proposes a match with
//! a score that context words raise (`MRN`, `DOB`, `cell`, `pt`, `daughter`) or clear
//! (`order`, `INC`, `ext`, `since`, `Dr.`, `field`). A match scoring [`THRESHOLD`] or more is
//! reported. Names come from census word lists ([`names`]), used only in context.
//!
//! Where things are:
//! - [`normalise`] folds the text, [`tokens`] cuts it and walks it ([`tokens::Scan`]: the
//!   words before and after a token, within its clause);
//! - [`context`] holds the words around a match that raise or clear it, shared by all;
//! - one recogniser a file, tried in this order, the first match winning: [`identifiers`]
//!   (e-mail, SSN, phone, record numbers), [`dates`], [`age`], [`address`], [`names`].

mod address;
mod age;
mod context;
mod dates;
mod identifiers;
mod names;
mod normalise;
mod tokens;

use serde::{Deserialize, Serialize};

/// What kind of identifier the screen found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Name,
    RecordNumber,
    Ssn,
    Phone,
    Email,
    Address,
    BirthDate,
    PatientDate,
    Age,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Name,
        Category::RecordNumber,
        Category::Ssn,
        Category::Phone,
        Category::Email,
        Category::Address,
        Category::BirthDate,
        Category::PatientDate,
        Category::Age,
    ];

    /// The snake_case spelling, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Name => "name",
            Category::RecordNumber => "record_number",
            Category::Ssn => "ssn",
            Category::Phone => "phone",
            Category::Email => "email",
            Category::Address => "address",
            Category::BirthDate => "birth_date",
            Category::PatientDate => "patient_date",
            Category::Age => "age",
        }
    }

    /// What was found, for a person: `summary looks like it holds {describe}`.
    pub fn describe(self) -> &'static str {
        match self {
            Category::Name => "a patient's name",
            Category::RecordNumber => "a record or account number",
            Category::Ssn => "a social security number",
            Category::Phone => "a phone number",
            Category::Email => "an email address",
            Category::Address => "a street address",
            Category::BirthDate => "a date of birth",
            Category::PatientDate => "a date of a patient's care",
            Category::Age => "an age over 89",
        }
    }
}

/// One identifier the screen found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub category: Category,
    /// Byte range of the match in the text as given. Never shown to anyone: messages name
    /// only the category, so the screen never repeats what was typed.
    pub span: std::ops::Range<usize>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.category.describe())
    }
}

/// Scores are percentages; a match at or above this is refused.
pub(crate) const THRESHOLD: u8 = 50;

/// A recogniser's match, in the folded text.
#[derive(Clone, Copy, Debug)]
struct Hit {
    category: Category,
    start: usize,
    end: usize,
}

impl Hit {
    fn new(category: Category, (start, end): (usize, usize)) -> Hit {
        Hit { category, start, end }
    }

    /// The first match of a recogniser that tries each token in turn as the start of one:
    /// `match_at(i)` is the last token of a match starting at token `i`. Inlined so that each
    /// recogniser's checks inline into its loop as they would in a loop of its own.
    #[inline(always)]
    fn first(scan: &tokens::Scan, category: Category, mut match_at: impl FnMut(usize) -> Option<usize>) -> Option<Hit> {
        (0..scan.len()).find_map(|i| match_at(i).map(|last| Hit::new(category, scan.span(i, last))))
    }
}

/// The first identifier found in `text`, or `None` when it reads as talk about the system.
pub fn screen(text: &str) -> Option<Finding> {
    let folded = normalise::normalise(text);
    let scan = tokens::Scan::new(folded.text());
    let hit = identifiers::find(&scan)
        .or_else(|| dates::find(&scan))
        .or_else(|| age::find(&scan))
        .or_else(|| address::find(&scan))
        .or_else(|| names::find(&scan))?;
    Some(Finding { category: hit.category, span: folded.original(hit.start, hit.end) })
}

/// What every recogniser's tests ask of the screen.
#[cfg(test)]
mod test_support {
    use super::{Category, screen};

    /// The category the screen finds in `text`, if any.
    pub(super) fn category(text: &str) -> Option<Category> {
        screen(text).map(|f| f.category)
    }

    /// Each of `texts` screens as `expected`.
    #[track_caller]
    pub(super) fn assert_each(expected: Option<Category>, texts: &[&str]) {
        for text in texts {
            assert_eq!(category(text), expected, "{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Category, screen};

    #[test]
    fn names_each_category_in_snake_case() {
        for c in Category::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }

    #[test]
    fn reports_where_the_match_is_in_the_original_text() {
        let text = "call back ５５５–１２３–４５６７ today";
        let finding = screen(text).unwrap();
        assert_eq!(finding.category, Category::Phone);
        assert_eq!(&text[finding.span], "５５５–１２３–４５６７");
    }

    #[test]
    fn displays_what_was_found_without_the_text() {
        let finding = screen("MRN 5512093").unwrap();
        assert_eq!(finding.to_string(), "a record or account number");
    }

    #[test]
    fn passes_ordinary_system_talk() {
        for ok in [
            "BP med SmartSet does not load for RN role",
            "Order 12345 stuck in pending; 3 RNs and 4 techs affected",
            "since 11/21/2026 the MAR shows the old layout",
            "Printer PRN-4W-02 maps to the wrong tray",
            "Workqueue 204 empty after 07:00 shift change",
            "Stationsdrucker für Ärzte druckt nicht",
        ] {
            assert_eq!(screen(ok), None, "{ok}");
        }
    }
}

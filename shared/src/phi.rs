//! A guard on free text before it is stored: reports are about the system, never about a
//! patient. This catches the common slips (a record number, a phone number, a birth date,
//! the words that introduce them); it is a seatbelt, not a de-identification engine, so the
//! message tells the trainer to rephrase rather than silently scrubbing.

/// Returns what the text seems to hold, e.g. `"a record or phone number"`, or `None`.
pub fn screen(text: &str) -> Option<&'static str> {
    // ASCII text (nearly every report) is compared without case where it lies; other text is
    // lowercased first, since Unicode case changes more than single letters.
    let lowered;
    let text_lower = if text.is_ascii() {
        text
    } else {
        lowered = text.to_lowercase();
        &lowered
    };
    const WORDS: [&str; 4] = ["mrn", "mrns", "dob", "ssn"];
    let mut words = text_lower.split(|c: char| !c.is_alphanumeric());
    if words.any(|w| WORDS.iter().any(|id| w.eq_ignore_ascii_case(id))) {
        return Some("a patient identifier (MRN, DOB or SSN)");
    }
    const PHRASES: [&str; 4] = ["date of birth", "medical record number", "social security", "patient name"];
    if PHRASES.iter().any(|p| contains_ignoring_ascii_case(text_lower, p)) {
        return Some("a patient identifier");
    }
    if has_long_number(text) {
        return Some("a record or phone number");
    }
    if text.split_whitespace().any(is_birth_date) {
        return Some("a date of birth");
    }
    None
}

/// Whether `haystack` holds `needle`, ASCII letters compared without case.
fn contains_ignoring_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Seven or more digits in one number, allowing the separators of phone and record numbers
/// (`555-123-4567`, `(555) 123-4567`, `00.482.913`).
fn has_long_number(text: &str) -> bool {
    let mut digits = 0;
    let mut prev = ' ';
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 7 {
                return true;
            }
        } else {
            let joins = matches!(c, '-' | '.' | '(' | ')') || (c == ' ' && prev == ')');
            if !(joins && (digits > 0 || c == '(')) {
                digits = 0;
            }
        }
        prev = c;
    }
    false
}

/// A full date whose year is long past, as in `3/14/1962` or `14-03-1962`.
fn is_birth_date(token: &str) -> bool {
    let token = token.trim_matches(|c: char| !c.is_ascii_digit());
    let mut parts = token.split(['/', '-']);
    let (Some(a), Some(b), Some(year), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let short = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    short(a) && short(b) && year.len() == 4 && year.parse::<u32>().is_ok_and(|y| (1900..=2015).contains(&y))
}

#[cfg(test)]
mod tests {
    use super::screen;

    #[test]
    fn flags_identifier_words() {
        assert!(screen("pt MRN unavailable in header").is_some());
        assert!(screen("pt mRn unavailable in header").is_some());
        assert!(screen("Dob: asked twice").is_some());
        assert!(screen("SSN").is_some());
        assert!(screen("Ärztin asked for the MRN").is_some(), "non-ASCII text too");
        assert!(screen("Patient Name shown in the banner").is_some());
        assert!(screen("DATE OF BIRTH field greyed out").is_some());
        assert!(screen("asked for DOB twice").is_some());
        assert!(screen("Date of birth field greyed out").is_some());
    }

    #[test]
    fn flags_record_and_phone_numbers() {
        assert!(screen("chart 00482913 will not open").is_some());
        assert!(screen("call back 555-123-4567").is_some());
        assert!(screen("call (555) 123-4567").is_some());
    }

    #[test]
    fn flags_old_full_dates() {
        assert!(screen("born 3/14/1962, wrong age shown").is_some());
        assert!(screen("date 14-03-1962").is_some());
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

//! Free text, as a trainer may type any: the PHI screen and the text rule (`text::clean`,
//! `text::scrub`) must not panic and must keep their promises.
//!
//! The screen is only relied on to return an `Option` (it is being rebuilt with a richer
//! finding): it is deterministic, and text it passes still passes with ASCII whitespace
//! around it, since fields are trimmed before they are screened and a check must not depend
//! on where the text sits in the field.

#![no_main]

use floorboard_shared::ids::{MAX_ID_LEN, ReporterId};
use floorboard_shared::phi::screen;
use floorboard_shared::text::{self, Lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let flagged = screen(text).is_some();
    assert_eq!(screen(text).is_some(), flagged, "the screen is not deterministic");
    if !flagged {
        for padded in [format!(" {text}"), format!("{text}\n"), format!("\t {text} \r\n")] {
            assert!(screen(&padded).is_none(), "passes, but not with whitespace around it: {padded:?}");
        }
    }

    for lines in [Lines::One, Lines::Many] {
        let scrubbed = text::scrub(text, lines);
        assert_eq!(
            text::clean(scrubbed.clone(), lines),
            Ok(scrubbed.clone()),
            "scrubbed text is not clean ({lines:?})"
        );
        if let Ok(cleaned) = text::clean(text.to_owned(), lines) {
            assert_eq!(
                text::clean(cleaned.clone(), lines).as_ref(),
                Ok(&cleaned),
                "clean is not idempotent ({lines:?})"
            );
            assert_eq!(scrubbed, cleaned, "scrub and clean differ on text clean accepts ({lines:?})");
            assert_eq!(text::normalised(&cleaned), cleaned.as_str(), "cleaned text is not trimmed NFC ({lines:?})");
            assert!(!cleaned.chars().any(|c| text::refused(c, lines)), "cleaned text holds a refused character");
            if lines == Lines::Many {
                assert!(!cleaned.contains('\r'), "a carriage return kept in many lines");
            }
        }
    }
    // One line is the stricter rule: what it accepts, many lines accept as the same.
    if let Ok(one) = text::clean(text.to_owned(), Lines::One) {
        assert_eq!(text::clean(text.to_owned(), Lines::Many), Ok(one));
    }

    let cleaned = text::clean(text.to_owned(), Lines::One);
    match ReporterId::parse(text) {
        Some(reporter) => {
            assert_eq!(cleaned.as_deref(), Ok(reporter.as_str()));
            assert!((1..=MAX_ID_LEN).contains(&reporter.as_str().chars().count()));
        }
        None => {
            if let Ok(c) = cleaned {
                assert!(c.is_empty() || c.chars().count() > MAX_ID_LEN, "a good reporter refused: {c:?}");
            }
        }
    }
});

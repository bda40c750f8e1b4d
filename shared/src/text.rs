//! The one rule for text a client sends, at the trust boundary: what is accepted can be held
//! by every layer behind it (PostgreSQL text, JSON, a terminal, the command-center screen)
//! and displays as what it is. Text is trimmed and put in Unicode NFC, so the same words
//! typed on two devices are stored, compared and counted alike. Refused: control characters
//! (C0, DEL, C1; PostgreSQL cannot store NUL at all), format characters (Unicode category
//! Cf: bidi overrides and isolates, zero-width spaces and joiners, the byte-order mark, soft
//! hyphens...), which can make a report display as something it is not, and the line and
//! paragraph separators. Multi-line fields also take newlines and tabs; `\r\n` and a lone
//! `\r` become `\n`.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Whether a field is one line (a summary, a role, a name) or may hold several (details, notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// A character no field may hold, by code point (never the surrounding text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused(pub char);

impl Refused {
    /// What to tell the client: names the field and the code point, never the text.
    pub fn message(self, field: &str) -> String {
        let what = if self.0.is_control() { "a control character" } else { "an invisible formatting character" };
        format!("{field} holds {what} (U+{:04X}); remove it", u32::from(self.0))
    }
}

/// `text` trimmed, in NFC, with line breaks as `\n` (`Lines::Many`), or the first character
/// no layer may hold. Keeps `text`'s allocation when it is already clean (nearly always).
pub fn clean(text: String, lines: Lines) -> Result<String, Refused> {
    let text = trim_in_place(text);
    if text.is_ascii() {
        // ASCII is NFC; only its controls need a look.
        return match text.bytes().find(|&b| (b.is_ascii_control()) && !allowed_control(b as char, lines)) {
            Some(b) => Err(Refused(b as char)),
            None if lines == Lines::Many && text.contains('\r') => Ok(unify_line_breaks(&text)),
            None => Ok(text),
        };
    }
    if let Some(c) = text.chars().find(|&c| refused(c, lines)) {
        return Err(Refused(c));
    }
    let text = match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => text,
        _ => text.nfc().collect(),
    };
    // Composition never yields a control or format character from allowed ones, nor
    // whitespace at the ends from inner characters: only line breaks are left to unify.
    Ok(if lines == Lines::Many && text.contains('\r') { unify_line_breaks(&text) } else { text })
}

/// `text` made acceptable: what `clean` refuses is dropped, the rest trimmed and put in NFC,
/// so `clean(scrub(t))` is `Ok(scrub(t))`. For text stored before the rule (a start-up
/// repair), never for what a client sends now, which is refused instead.
pub fn scrub(text: &str, lines: Lines) -> String {
    // A line break or tab in a one-line field separated words: it becomes a space.
    let kept: String = text
        .chars()
        .filter_map(|c| match c {
            c if !refused(c, lines) => Some(c),
            c if c.is_whitespace() => Some(' '),
            _ => None,
        })
        .collect();
    let kept = trim_in_place(kept.nfc().collect());
    if lines == Lines::Many && kept.contains('\r') { unify_line_breaks(&kept) } else { kept }
}

/// `text` in NFC (trimmed), without checking it: for comparing stored text written before
/// the rule with text cleaned now.
pub fn normalised(text: &str) -> Cow<'_, str> {
    let text = text.trim();
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    }
}

/// Whether `c` is refused in a field of `lines`.
pub fn refused(c: char, lines: Lines) -> bool {
    (c.is_control() && !allowed_control(c, lines)) || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

fn allowed_control(c: char, lines: Lines) -> bool {
    lines == Lines::Many && matches!(c, '\n' | '\r' | '\t')
}

/// Unicode's format characters (general category Cf, Unicode 16).
pub fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The whitespace `clean` trims from the ends: Unicode's White_Space, as `char::is_whitespace`.
const TRIMMED: &[(char, char)] = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{A0}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// `is_format`'s characters as ranges, for the API document (a test holds the two equal).
const FORMAT: &[(char, char)] = &[
    ('\u{AD}', '\u{AD}'),
    ('\u{600}', '\u{605}'),
    ('\u{61C}', '\u{61C}'),
    ('\u{6DD}', '\u{6DD}'),
    ('\u{70F}', '\u{70F}'),
    ('\u{890}', '\u{891}'),
    ('\u{8E2}', '\u{8E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// What `refused` refuses in a field of `lines`, as ranges.
fn refused_ranges(lines: Lines) -> Vec<(char, char)> {
    let controls: &[(char, char)] = match lines {
        Lines::One => &[('\0', '\u{1F}'), ('\u{7F}', '\u{9F}')],
        Lines::Many => &[('\0', '\u{8}'), ('\u{B}', '\u{C}'), ('\u{E}', '\u{1F}'), ('\u{7F}', '\u{9F}')],
    };
    [controls, FORMAT, &[('\u{2028}', '\u{2029}')]].concat()
}

/// The body of a regex character class holding `ranges`: `\uXXXX` escapes in the Basic
/// Multilingual Plane, which ECMA-262, Python's `re` and Rust's `regex` read alike, and the
/// characters themselves beyond it, since the three spell those escapes differently.
fn class_body(ranges: &[(char, char)]) -> String {
    let one = |c: char| if u32::from(c) <= 0xFFFF { format!("\\u{:04x}", u32::from(c)) } else { c.to_string() };
    ranges.iter().map(|&(a, b)| if a == b { one(a) } else { format!("{}-{}", one(a), one(b)) }).collect()
}

/// A JSON Schema `pattern` matching the text `clean` accepts for a field of `lines` whose
/// cleaned text is at most `max` characters long (`max` at least 2), and not empty when
/// `required`: any whitespace at the ends (trimmed away), then text with nothing `refused`,
/// counting `\r\n` as the one `\n` it becomes. The one rule it cannot say: a length is counted
/// after NFC, which may join a letter and a combining mark into one character.
pub fn pattern(lines: Lines, max: usize, required: bool) -> String {
    let space = class_body(TRIMMED);
    let refused = class_body(&refused_ranges(lines));
    let unit = match lines {
        Lines::One => format!("[^{refused}]"),
        Lines::Many => format!("(?:\\r\\n|[^{refused}])"),
    };
    let edge = format!("[^{refused}{space}]");
    let core = format!("{edge}(?:{unit}{{0,{}}}{edge})?", max.saturating_sub(2));
    let core = if required { core } else { format!("(?:{core})?") };
    format!("^[{space}]*{core}[{space}]*$")
}

fn unify_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// `s` without leading and trailing whitespace, in its own allocation.
pub fn trim_in_place(mut s: String) -> String {
    s.truncate(s.trim_end().len());
    let leading = s.len() - s.trim_start().len();
    s.drain(..leading);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Result<String, Refused> {
        clean(s.to_owned(), Lines::One)
    }

    fn many(s: &str) -> Result<String, Refused> {
        clean(s.to_owned(), Lines::Many)
    }

    #[test]
    fn ordinary_text_is_kept_trimmed() {
        assert_eq!(one("  BP SmartSet does not load \t").unwrap(), "BP SmartSet does not load");
        assert_eq!(one("Stationsdrucker für Ärzte").unwrap(), "Stationsdrucker für Ärzte");
        assert_eq!(one("👩‍⚕ signs in twice").unwrap_err(), Refused('\u{200D}'), "a joiner is a format character");
    }

    #[test]
    fn text_is_put_in_nfc() {
        // "é" as e + combining acute becomes the one precomposed character.
        assert_eq!(one("Cafe\u{301} printer").unwrap(), "Caf\u{e9} printer");
        assert_eq!(normalised(" Cafe\u{301} "), "Caf\u{e9}");
        assert_eq!(normalised("plain"), "plain");
    }

    #[test]
    fn controls_are_refused_everywhere_but_line_breaks_and_tabs_in_many_lines() {
        for bad in ["a\0b", "a\u{7}b", "a\u{7f}b", "a\u{85}b", "a\u{9b}b"] {
            assert!(one(bad).is_err(), "{bad:?}");
            assert!(many(bad).is_err(), "{bad:?}");
        }
        assert_eq!(one("line\nbreak").unwrap_err(), Refused('\n'));
        assert_eq!(one("tab\there").unwrap_err(), Refused('\t'));
        assert_eq!(many("step 1\r\nstep 2\rstep 3\n\tdone").unwrap(), "step 1\nstep 2\nstep 3\n\tdone");
        assert_eq!(many("Schritt 1\r\nSchritt 2 für Ärzte").unwrap(), "Schritt 1\nSchritt 2 für Ärzte");
    }

    #[test]
    fn format_characters_and_separators_are_refused() {
        for c in ['\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{AD}', '\u{2028}', '\u{2029}', '\u{E0041}'] {
            let text = format!("order{c}set");
            assert_eq!(one(&text).unwrap_err(), Refused(c));
            assert_eq!(many(&text).unwrap_err(), Refused(c));
        }
    }

    #[test]
    fn refusals_name_the_code_point_not_the_text() {
        let message = one("secret\u{202E}words").unwrap_err().message("summary");
        assert_eq!(message, "summary holds an invisible formatting character (U+202E); remove it");
        assert!(one("x\0").unwrap_err().message("details").contains("control character (U+0000)"));
    }

    #[test]
    fn scrubbed_text_is_clean_text() {
        for (s, lines) in [
            ("\u{202E}dexif\0 order set\u{200B} ", Lines::One),
            ("step 1\r\nstep\u{7} 2\u{2028}", Lines::Many),
            ("Cafe\u{301}", Lines::One),
            ("\0\0", Lines::One),
        ] {
            let scrubbed = scrub(s, lines);
            assert_eq!(clean(scrubbed.clone(), lines), Ok(scrubbed), "{s:?}");
        }
        assert_eq!(scrub("\u{202E}dexif\0 order set\u{200B} ", Lines::One), "dexif order set");
        assert_eq!(scrub("Order set\nmissing\u{2028}today", Lines::One), "Order set missing today", "words stay apart");
    }

    #[test]
    fn the_document_ranges_are_the_rule() {
        let within = |ranges: &[(char, char)], c: char| ranges.iter().any(|&(a, b)| (a..=b).contains(&c));
        let (one, many) = (refused_ranges(Lines::One), refused_ranges(Lines::Many));
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(within(TRIMMED, c), c.is_whitespace(), "{c:?}");
            assert_eq!(within(FORMAT, c), is_format(c), "{c:?}");
            assert_eq!(within(&one, c), refused(c, Lines::One), "{c:?}");
            assert_eq!(within(&many, c), refused(c, Lines::Many), "{c:?}");
        }
    }

    #[test]
    fn patterns_bound_the_cleaned_text() {
        let summary = pattern(Lines::One, 200, true);
        assert!(summary.starts_with("^[\\u0009-\\u000d\\u0020"), "{summary}");
        assert!(summary.contains("{0,198}"), "{summary}");
        assert!(pattern(Lines::Many, 2000, false).contains("(?:\\r\\n|"));
    }

    #[test]
    fn cleaning_is_idempotent() {
        for s in ["  Cafe\u{301}\r\n ok ", "a\tb", "Ω and Å"] {
            let once = many(s).unwrap();
            assert_eq!(many(&once).unwrap(), once);
        }
    }
}

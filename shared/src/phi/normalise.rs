//! Folds the characters people (and keyboards) use to disguise text into the plain ASCII the
//! recognisers read, and keeps a map back to the original bytes.
//!
//! The folds are NFKC's compatibility mappings for the ranges that can carry an identifier
//! (full-width forms, mathematical letters and digits, super- and subscript digits,
//! ligatures, odd spaces), written out by hand rather than pulling the `unicode-normalization`
//! tables into the browser bundle. On top of NFKC: format characters and combining marks are
//! dropped (so `M\u{200B}R\u{200B}N` reads `MRN`), every dash becomes `-`, Latin-1 and
//! Latin Extended-A accents (`José`, `Wiśniewski`) and the Cyrillic and Greek look-alikes of
//! Latin letters become their Latin letter, and other scripts' decimal digits become ASCII
//! digits.

use std::borrow::Cow;

/// The text the recognisers read, and where each of its bytes came from.
pub(super) struct Normalised<'a> {
    text: Cow<'a, str>,
    /// For a folded text, the original byte offset of each byte of `text`; empty when `text`
    /// is the original.
    origin: Vec<usize>,
    original_len: usize,
}

impl<'a> Normalised<'a> {
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The byte range in the original text that `start..end` of the folded text came from.
    pub(super) fn original(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        if self.origin.is_empty() {
            return start..end;
        }
        let at = |i: usize| self.origin.get(i).copied().unwrap_or(self.original_len);
        at(start)..at(end)
    }
}

/// Folds `text`. ASCII text, nearly every report, is returned as it is without allocating.
pub(super) fn normalise(text: &str) -> Normalised<'_> {
    if text.is_ascii() {
        return Normalised { text: Cow::Borrowed(text), origin: Vec::new(), original_len: text.len() };
    }
    let mut out = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        match fold(c) {
            Fold::Drop => {}
            Fold::Keep => out.push(c),
            Fold::Char(f) => out.push(f),
            Fold::Str(s) => out.push_str(s),
        }
        origin.resize(out.len(), at);
    }
    Normalised { text: Cow::Owned(out), origin, original_len: text.len() }
}

enum Fold {
    Drop,
    Keep,
    Char(char),
    Str(&'static str),
}

/// The ASCII digit `n`.
fn digit(n: u32) -> Fold {
    Fold::Char(char::from_digit(n % 10, 10).unwrap_or('0'))
}

/// What `c` reads as.
fn fold(c: char) -> Fold {
    let u = c as u32;
    match c {
        // Format characters (Unicode Cf), soft hyphen, combining marks, variation selectors
        // and tags: invisible, so they can split a word without the reader seeing it.
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' => Fold::Drop,
        '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' => Fold::Drop,
        '\u{300}'..='\u{36F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE00}'..='\u{FE0F}' => {
            Fold::Drop
        }
        '\u{E0000}'..='\u{E007F}' => Fold::Drop,
        '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' => {
            Fold::Char(' ')
        }
        '\u{3000}' => Fold::Char(' '),
        '\u{2010}'..='\u{2015}' | '\u{2043}' | '\u{2212}' | '\u{2E3A}' | '\u{2E3B}' | '\u{FE58}' | '\u{FE63}' => {
            Fold::Char('-')
        }
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{2BC}' => Fold::Char('\''),
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => Fold::Char('"'),
        '\u{2044}' | '\u{2215}' | '\u{29F8}' => Fold::Char('/'),
        '\u{2024}' | '\u{3002}' | '\u{FF61}' => Fold::Char('.'),
        '\u{FE6B}' => Fold::Char('@'),
        '\u{FE55}' => Fold::Char(':'),
        // Full-width ASCII.
        '\u{FF01}'..='\u{FF5E}' => Fold::Char(char::from_u32(u - 0xFEE0).unwrap_or(c)),
        // Super- and subscript digits, circled and dingbat digits.
        '\u{2070}' | '\u{2080}' | '\u{24EA}' | '\u{24FF}' => digit(0),
        '\u{B9}' => digit(1),
        '\u{B2}' => digit(2),
        '\u{B3}' => digit(3),
        '\u{2074}'..='\u{2079}' => digit(u - 0x2070),
        '\u{2081}'..='\u{2089}' => digit(u - 0x2080),
        '\u{2460}'..='\u{2468}' => digit(u - 0x245F),
        '\u{2776}'..='\u{277E}' => digit(u - 0x2775),
        '\u{2780}'..='\u{2788}' => digit(u - 0x277F),
        '\u{278A}'..='\u{2792}' => digit(u - 0x2789),
        // Other scripts' decimal digits (not NFKC, but they read as digits to a person).
        '\u{660}'..='\u{669}' => digit(u - 0x660),
        '\u{6F0}'..='\u{6F9}' => digit(u - 0x6F0),
        '\u{966}'..='\u{96F}' => digit(u - 0x966),
        '\u{9E6}'..='\u{9EF}' => digit(u - 0x9E6),
        // Mathematical alphanumerics: 52-letter alphabets, then 10-digit sets.
        '\u{1D7CE}'..='\u{1D7FF}' => digit(u - 0x1D7CE),
        '\u{1D400}'..='\u{1D6A3}' => {
            let n = (u - 0x1D400) % 52;
            let letter = if n < 26 { b'A' + n as u8 } else { b'a' + (n - 26) as u8 };
            Fold::Char(letter as char)
        }
        '\u{FB00}' => Fold::Str("ff"),
        '\u{FB01}' => Fold::Str("fi"),
        '\u{FB02}' => Fold::Str("fl"),
        '\u{FB03}' => Fold::Str("ffi"),
        '\u{FB04}' => Fold::Str("ffl"),
        '\u{C0}'..='\u{FF}' => latin1(c),
        '\u{100}'..='\u{17F}' => latin_extended_a(u),
        '\u{370}'..='\u{3FF}' | '\u{400}'..='\u{4FF}' => lookalike(c),
        _ => Fold::Keep,
    }
}

/// Latin-1 letters without their accents, so `José` is looked up as `Jose`.
fn latin1(c: char) -> Fold {
    let base = match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' => 'Y',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        '×' => 'x',
        _ => return Fold::Keep,
    };
    Fold::Char(base)
}

/// Latin Extended-A letters (Polish, Czech, Turkish, Baltic...) without their marks, so
/// `Wiśniewski` is looked up as `Wisniewski`; `Ł` is `L`, `Œ` is `O`.
fn latin_extended_a(u: u32) -> Fold {
    const BASE: &[u8; 128] =
        b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
    BASE.get((u - 0x100) as usize).map_or(Fold::Keep, |b| Fold::Char(*b as char))
}

/// Cyrillic and Greek letters drawn like Latin ones (`МRN` with a Cyrillic `М`).
fn lookalike(c: char) -> Fold {
    let latin = match c {
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'Е' | 'Ε' => 'E',
        'Ζ' => 'Z',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'С' => 'C',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'Υ' | 'Ү' => 'Y',
        'а' => 'a',
        'е' => 'e',
        'і' => 'i',
        'ј' => 'j',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'с' => 'c',
        'ѕ' => 's',
        'у' => 'y',
        'х' => 'x',
        _ => return Fold::Keep,
    };
    Fold::Char(latin)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn leaves_ascii_text_borrowed() {
        let n = normalise("Order 12345 stuck");
        assert!(matches!(n.text, std::borrow::Cow::Borrowed(_)));
        assert_eq!(n.original(6, 11), 6..11);
    }

    #[test]
    fn drops_zero_width_and_format_characters() {
        assert_eq!(normalise("M\u{200B}R\u{200D}N\u{AD} 12\u{FEFF}34").text(), "MRN 1234");
        assert_eq!(normalise("D\u{202E}O\u{2060}B").text(), "DOB");
    }

    #[test]
    fn folds_full_width_and_mathematical_digits() {
        assert_eq!(normalise("５５５－１２３－４５６７").text(), "555-123-4567");
        assert_eq!(normalise("\u{1D7CF}\u{1D7D0}\u{1D7D1}").text(), "123");
        assert_eq!(normalise("\u{1D40C}\u{1D411}\u{1D40D}").text(), "MRN");
    }

    #[test]
    fn unifies_dashes_and_spaces() {
        assert_eq!(normalise("555\u{2013}123\u{2014}4567\u{A0}x").text(), "555-123-4567 x");
        assert_eq!(normalise("\u{2212}5").text(), "-5");
    }

    #[test]
    fn folds_accents_and_lookalike_letters() {
        assert_eq!(normalise("José").text(), "Jose");
        assert_eq!(normalise("Wiśniewski Łukasz Dvořák").text(), "Wisniewski Lukasz Dvorak");
        assert_eq!(normalise("\u{41C}RN").text(), "MRN");
    }

    #[test]
    fn maps_folded_bytes_back_to_the_original() {
        let original = "é ５５";
        let n = normalise(original);
        assert_eq!(n.text(), "e 55");
        let span = n.original(2, 4);
        assert_eq!(&original[span], "５５");
    }
}

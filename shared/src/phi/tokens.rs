//! Splits folded text into words, numbers and punctuation, each with a short lowercase key
//! that the recognisers match on, and joins spelled-out labels (`M R N`, `d.o.b.`) into one.

/// Longest key kept; longer words match no list.
const KEY_MAX: usize = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Word,
    Number,
    /// Letters and digits in one run: `INC0012345`, `92yo`, `4B`, `3rd`.
    Mixed,
    Punct,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: Kind,
    /// Whitespace stands between this token and the one before (or it is the first).
    pub(super) spaced: bool,
    /// A possessive `'s` (or the `'` of `Jones'`) followed it; it is not part of the token.
    pub(super) possessive: bool,
    key: [u8; KEY_MAX],
    key_len: u8,
}

impl Token {
    fn new(text: &str, start: usize, end: usize, kind: Kind, spaced: bool) -> Token {
        let mut t = Token { start, end, kind, spaced, possessive: false, key: [0; KEY_MAX], key_len: 0 };
        t.set_key(&text[start..end]);
        t
    }

    fn set_key(&mut self, s: &str) {
        if s.len() <= KEY_MAX && s.is_ascii() {
            self.key[..s.len()].copy_from_slice(s.as_bytes());
            self.key[..s.len()].make_ascii_lowercase();
            self.key_len = s.len() as u8;
        } else {
            self.key_len = 0;
        }
    }

    /// The token in ASCII lowercase, or `""` when it is long or not ASCII.
    pub(super) fn key(&self) -> &str {
        std::str::from_utf8(&self.key[..self.key_len as usize]).unwrap_or("")
    }
}

/// Single letters that, spelled out, make these labels.
const SPELLED_LABELS: [&str; 15] =
    ["mrn", "dob", "ssn", "csn", "har", "fin", "pt", "mr", "mrs", "ms", "yo", "yof", "yom", "po", "dod"];

/// Which way [`Scan::clause`] walks from a token.
#[derive(Clone, Copy)]
enum Direction {
    Back,
    Ahead,
}

/// The folded text and its tokens.
pub(super) struct Scan<'t> {
    pub(super) text: &'t str,
    pub(super) tokens: Vec<Token>,
}

impl<'t> Scan<'t> {
    pub(super) fn new(text: &'t str) -> Scan<'t> {
        let mut tokens = Vec::with_capacity(text.len() / 4 + 4);
        tokenise(text, &mut tokens);
        join_spelled_labels(&mut tokens);
        Scan { text, tokens }
    }

    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }

    pub(super) fn key(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", Token::key)
    }

    pub(super) fn raw(&self, i: usize) -> &'t str {
        self.tokens.get(i).map_or("", |t| &self.text[t.start..t.end])
    }

    pub(super) fn kind(&self, i: usize) -> Option<Kind> {
        self.tokens.get(i).map(|t| t.kind)
    }

    pub(super) fn is_word(&self, i: usize) -> bool {
        self.kind(i) == Some(Kind::Word)
    }

    pub(super) fn is_number(&self, i: usize) -> bool {
        self.kind(i) == Some(Kind::Number)
    }

    pub(super) fn is_punct(&self, i: usize, c: char) -> bool {
        self.tokens.get(i).is_some_and(|t| t.kind == Kind::Punct && self.text[t.start..].starts_with(c))
    }

    pub(super) fn spaced(&self, i: usize) -> bool {
        self.tokens.get(i).is_none_or(|t| t.spaced)
    }

    pub(super) fn possessive(&self, i: usize) -> bool {
        self.tokens.get(i).is_some_and(|t| t.possessive)
    }

    /// Starts with a capital letter.
    pub(super) fn capitalised(&self, i: usize) -> bool {
        self.raw(i).chars().next().is_some_and(char::is_uppercase)
    }

    /// Two or more letters, all capitals.
    pub(super) fn all_caps(&self, i: usize) -> bool {
        let raw = self.raw(i);
        raw.len() >= 2 && raw.chars().all(|c| !c.is_lowercase())
    }

    /// The digits of a number token.
    pub(super) fn digits(&self, i: usize) -> usize {
        if self.is_number(i) { self.raw(i).len() } else { 0 }
    }

    /// A number token's value, when it fits.
    pub(super) fn value(&self, i: usize) -> Option<u32> {
        if self.is_number(i) && self.raw(i).len() <= 9 { self.raw(i).parse().ok() } else { None }
    }

    /// Byte range from the start of token `a` to the end of token `b`.
    pub(super) fn span(&self, a: usize, b: usize) -> (usize, usize) {
        let start = self.tokens.get(a).map_or(self.text.len(), |t| t.start);
        let end = self.tokens.get(b).map_or(self.text.len(), |t| t.end);
        (start, end.max(start))
    }

    /// Up to `n` word, number or mixed tokens before `i`, nearest first; stops at `;`, `!`,
    /// `?`, `|` and at a full stop that ends a sentence.
    pub(super) fn before(&self, i: usize, n: usize) -> impl Iterator<Item = usize> + '_ {
        self.clause(i, n, Direction::Back)
    }

    /// Up to `n` word, number or mixed tokens after `i`, nearest first, within the clause.
    pub(super) fn after(&self, i: usize, n: usize) -> impl Iterator<Item = usize> + '_ {
        self.clause(i, n, Direction::Ahead)
    }

    /// The words within `back` tokens before `first` and `ahead` tokens after `last`: the
    /// context of a match from `first` to `last`.
    pub(super) fn around(
        &self,
        first: usize,
        last: usize,
        back: usize,
        ahead: usize,
    ) -> impl Iterator<Item = usize> + '_ {
        self.before(first, back).chain(self.after(last, ahead))
    }

    /// The keys of [`Scan::before`].
    pub(super) fn keys_before(&self, i: usize, n: usize) -> impl Iterator<Item = &str> + '_ {
        self.before(i, n).map(|k| self.key(k))
    }

    /// The keys of [`Scan::after`].
    pub(super) fn keys_after(&self, i: usize, n: usize) -> impl Iterator<Item = &str> + '_ {
        self.after(i, n).map(|k| self.key(k))
    }

    /// The keys of [`Scan::around`].
    pub(super) fn keys_around(
        &self,
        first: usize,
        last: usize,
        back: usize,
        ahead: usize,
    ) -> impl Iterator<Item = &str> + '_ {
        self.around(first, last, back, ahead).map(|k| self.key(k))
    }

    /// The key of the nearest word before `i` in its clause, or `""`.
    pub(super) fn prev_key(&self, i: usize) -> &str {
        self.keys_before(i, 1).next().unwrap_or("")
    }

    /// The key of the nearest word after `i` in its clause, or `""`.
    pub(super) fn next_key(&self, i: usize) -> &str {
        self.keys_after(i, 1).next().unwrap_or("")
    }

    /// `i + 1` when token `i` is one of the punctuation `marks`, else `i`: steps over an
    /// optional `.` or separator.
    pub(super) fn skip_punct(&self, i: usize, marks: &[char]) -> usize {
        if marks.iter().any(|c| self.is_punct(i, *c)) { i + 1 } else { i }
    }

    /// Steps over up to three tokens from `i` whose keys are among `fillers` (`the`, `:`,
    /// `named`...); returns the first token that is not.
    pub(super) fn skip_keys(&self, mut i: usize, fillers: &[&str]) -> usize {
        for _ in 0..3 {
            if fillers.contains(&self.key(i)) {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// Up to `n` non-punctuation tokens from `i` in one direction, nearest first, stopping
    /// where the clause ends.
    fn clause(&self, i: usize, n: usize, direction: Direction) -> impl Iterator<Item = usize> + '_ {
        let mut k = i;
        let mut left = n;
        std::iter::from_fn(move || {
            while left > 0 {
                k = match direction {
                    Direction::Back => k.checked_sub(1)?,
                    Direction::Ahead => Some(k + 1).filter(|next| *next < self.tokens.len())?,
                };
                if self.tokens[k].kind == Kind::Punct {
                    if self.ends_clause(k) {
                        left = 0;
                        return None;
                    }
                    continue;
                }
                left -= 1;
                return Some(k);
            }
            None
        })
    }

    /// Punctuation that closes a clause: `;`, `!`, `?`, `|`, or a `.` followed by a space
    /// and a capital (a sentence end, not `Mr.` or `d.o.b`).
    fn ends_clause(&self, k: usize) -> bool {
        let t = &self.tokens[k];
        match self.text.as_bytes().get(t.start) {
            Some(b';' | b'!' | b'?' | b'|') => true,
            Some(b'.') => {
                let prev_short = k > 0 && self.tokens[k - 1].end - self.tokens[k - 1].start <= 3;
                self.tokens.get(k + 1).is_some_and(|n| n.spaced && self.capitalised(k + 1)) && !prev_short
            }
            _ => false,
        }
    }
}

/// Cuts `text` into runs of letters and digits (a possessive `'s` marked, not kept) and one
/// token for each other character that is not a space.
fn tokenise(text: &str, tokens: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    let mut spaced = true;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            spaced = true;
            continue;
        }
        if !c.is_alphanumeric() {
            tokens.push(Token::new(text, start, start + c.len_utf8(), Kind::Punct, spaced));
            spaced = false;
            continue;
        }
        let mut end = start + c.len_utf8();
        let (mut letters, mut digits) = (!c.is_ascii_digit(), c.is_ascii_digit());
        let mut possessive = false;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_alphanumeric() {
                letters |= !d.is_ascii_digit();
                digits |= d.is_ascii_digit();
                end = j + d.len_utf8();
                chars.next();
                continue;
            }
            if d != '\'' || digits {
                break;
            }
            // An apostrophe: a possessive ends the word, `O'Brien` and `can't` go on.
            let next = text[j + 1..].chars().next();
            let after_next = text[j + 1..].chars().nth(1);
            let ends = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            if matches!(next, Some('s' | 'S')) && ends(after_next) {
                possessive = true;
                chars.next();
                chars.next();
                break;
            }
            if ends(next) && matches!(bytes.get(end - 1), Some(b's' | b'S')) {
                possessive = true;
                chars.next();
                break;
            }
            if next.is_some_and(char::is_alphabetic) {
                chars.next();
                continue;
            }
            break;
        }
        let kind = match (letters, digits) {
            (true, true) => Kind::Mixed,
            (false, true) => Kind::Number,
            _ => Kind::Word,
        };
        let mut token = Token::new(text, start, end, kind, spaced);
        token.possessive = possessive;
        tokens.push(token);
        spaced = false;
    }
}

/// Replaces single letters spelled out with spaces, dots, dashes or slashes (`M R N`,
/// `D.O.B.`, `y/o`) by one word token keyed by the label they spell.
fn join_spelled_labels(tokens: &mut Vec<Token>) {
    let single = |t: &Token| t.kind == Kind::Word && t.key_len == 1;
    let mut write = 0;
    let mut read = 0;
    while read < tokens.len() {
        let mut joined = None;
        if single(&tokens[read]) {
            let mut letters = [0u8; 4];
            let mut n = 0;
            let mut last = read;
            let mut k = read;
            while k < tokens.len() && single(&tokens[k]) && n < letters.len() {
                letters[n] = tokens[k].key[0];
                n += 1;
                last = k;
                let sep = tokens.get(k + 1).filter(|t| t.kind == Kind::Punct && t.key_len == 1);
                match sep.map(|t| t.key[0]) {
                    Some(b'.' | b'-' | b'/') if tokens.get(k + 2).is_some_and(single) => k += 2,
                    Some(_) => break,
                    None if tokens.get(k + 1).is_some_and(|t| t.spaced) => k += 1,
                    None => break,
                }
            }
            let spelled = std::str::from_utf8(&letters[..n]).unwrap_or("");
            if n >= 2 {
                joined = SPELLED_LABELS.iter().find(|l| **l == spelled).map(|l| (*l, last));
            }
        }
        match joined {
            Some((label, last)) => {
                let mut t = tokens[read];
                t.end = tokens[last].end;
                t.possessive = tokens[last].possessive;
                t.set_key(label);
                tokens[write] = t;
                read = last + 1;
            }
            None => {
                tokens[write] = tokens[read];
                read += 1;
            }
        }
        write += 1;
    }
    tokens.truncate(write);
}

#[cfg(test)]
mod tests {
    use super::{Kind, Scan};

    fn keys(text: &str) -> Vec<String> {
        let scan = Scan::new(text);
        (0..scan.len()).map(|i| scan.key(i).to_owned()).collect()
    }

    #[test]
    fn splits_words_numbers_and_punctuation() {
        assert_eq!(keys("MRN: 1234-567"), ["mrn", ":", "1234", "-", "567"]);
        let scan = Scan::new("INC0012345 and 92yo");
        assert_eq!(scan.kind(0), Some(Kind::Mixed));
        assert_eq!(scan.kind(2), Some(Kind::Mixed));
    }

    #[test]
    fn strips_possessives_but_keeps_inner_apostrophes() {
        let scan = Scan::new("Garcia's chart, O'Brien and Jones' meds");
        assert_eq!(scan.key(0), "garcia");
        assert!(scan.possessive(0));
        assert_eq!(scan.key(3), "o'brien");
        assert_eq!(scan.key(5), "jones");
        assert!(scan.possessive(5));
    }

    #[test]
    fn joins_spelled_out_labels() {
        assert_eq!(keys("M R N 1234567"), ["mrn", "1234567"]);
        assert_eq!(keys("d.o.b. 3/4/51"), ["dob", ".", "3", "/", "4", "/", "51"]);
        assert_eq!(keys("92 y/o"), ["92", "yo"]);
        assert_eq!(keys("a b c"), ["a", "b", "c"]);
    }
}

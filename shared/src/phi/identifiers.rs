//! Numbers and addresses that identify a person by themselves: e-mail addresses, SSNs, phone
//! numbers, record and account numbers. Numbers of the system (IP addresses, versions, shift
//! times, tickets, orders, badges, extensions) are recognised too, so they can be cleared.

use super::context::{self, Cue};
use super::tokens::{Kind, Scan};
use super::{Category, Hit, THRESHOLD};

/// Digit groups read as one number: `(555) 123-4567`, `123 45 6789`, `10.20.4.17`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Groups {
    /// First token, including a leading `(` or `+`.
    pub(super) first: usize,
    /// Last number token.
    pub(super) last: usize,
    pub(super) lens: [u8; 6],
    pub(super) values: [u32; 6],
    /// Separator before each group after the first: `-`, `.`, `/`, `)` or a space.
    pub(super) seps: [u8; 6],
    pub(super) n: usize,
    pub(super) paren: bool,
}

impl Groups {
    /// The groups starting at number token `i`.
    pub(super) fn parse(scan: &Scan, i: usize) -> Groups {
        let mut g = Groups { first: i, last: i, lens: [0; 6], values: [0; 6], seps: [0; 6], n: 0, paren: false };
        if i > 0 && scan.is_punct(i - 1, '(') && scan.is_punct(i + 1, ')') {
            g.paren = true;
            g.first = i - 1;
        } else if i > 0 && scan.is_punct(i - 1, '+') && !scan.spaced(i) {
            g.first = i - 1;
        }
        g.push(scan, i, 0);
        let mut k = i;
        while g.n < g.lens.len() {
            let mut next = k + 1;
            let mut sep = b' ';
            if g.paren && g.n == 1 && scan.is_punct(next, ')') {
                next += 1;
                sep = b')';
            }
            for c in ['-', '.', '/'] {
                if scan.is_punct(next, c) {
                    sep = c as u8;
                    next += 1;
                    break;
                }
            }
            if !scan.is_number(next) {
                break;
            }
            // `11/20-11/22` is two dates, not one number.
            if g.n >= 2 && sep != g.seps[g.n - 1] && (sep == b'/' || g.seps[g.n - 1] == b'/') {
                break;
            }
            if sep == b' ' {
                // Spaces join only groups of phone and SSN shape, not `bed 14 2 RNs`.
                let prev = g.lens[g.n - 1];
                let leading_one = g.n == 1 && g.values[0] == 1;
                // A phone's or an SSN's last group has four digits: `0200 0400 0600` are times.
                // `07700 900461`: a trunk `0` group of four or five digits, then six; after a
                // `+` (`+44 7700 900461`), groups of any length up to thirteen digits.
                let trunk =
                    g.n == 1 && (4..=5).contains(&prev) && scan.raw(i).starts_with('0') && scan.digits(next) >= 6;
                let international =
                    g.first + 1 == i && scan.is_punct(g.first, '+') && g.digits() + scan.digits(next) <= 13;
                let trunk = trunk || international;
                if !scan.spaced(next) || prev >= 4 && !trunk || !((prev >= 2 || leading_one) && scan.digits(next) >= 2)
                {
                    break;
                }
            }
            g.push(scan, next, sep);
            k = next;
        }
        g
    }

    fn push(&mut self, scan: &Scan, i: usize, sep: u8) {
        self.lens[self.n] = scan.digits(i).min(255) as u8;
        self.values[self.n] = scan.value(i).unwrap_or(u32::MAX);
        self.seps[self.n] = sep;
        self.n += 1;
        self.last = i;
    }

    pub(super) fn lens(&self) -> &[u8] {
        &self.lens[..self.n]
    }

    pub(super) fn digits(&self) -> usize {
        self.lens().iter().map(|l| *l as usize).sum()
    }

    /// One separator throughout (after the first group).
    fn same_sep(&self, sep: u8) -> bool {
        self.seps[1..self.n].iter().all(|s| *s == sep)
    }

    /// `10.20.4.17`: four dotted groups of at most three digits, each at most 255.
    fn is_ip(&self) -> bool {
        self.n == 4
            && self.same_sep(b'.')
            && self.lens().iter().all(|l| *l <= 3)
            && self.values.iter().all(|v| *v <= 255)
    }

    /// `0700-1900`: a shift, two 24-hour times.
    fn is_time_range(&self) -> bool {
        let hhmm = |v: u32| v / 100 <= 24 && v % 100 < 60;
        self.n == 2 && self.seps[1] == b'-' && self.lens() == [4, 4] && hhmm(self.values[0]) && hhmm(self.values[1])
    }

    /// Shaped like a date (`3/14/62`, `2026-11-21`, `14.03.1962`, `3/14`); `dates` judges it.
    pub(super) fn is_date_shaped(&self) -> bool {
        let sep = self.seps[1];
        if self.n < 2 || !matches!(sep, b'/' | b'-' | b'.') || !self.same_sep(sep) {
            return false;
        }
        let l = self.lens();
        match l {
            [1..=2, 1..=2, 2 | 4] | [4, 1..=2, 1..=2] => true,
            [1..=2, 1..=2] | [1..=2, 4] => sep == b'/',
            _ => false,
        }
    }

    /// With a leading `1` (country code) dropped, the group lengths.
    fn national(&self) -> &[u8] {
        let l = self.lens();
        if l.len() > 1 && self.values[0] == 1 && l[0] == 1 { &l[1..] } else { l }
    }
}

/// The first e-mail address, SSN, phone or record number in the text.
pub(super) fn find(scan: &Scan) -> Option<Hit> {
    if let Some(hit) = email(scan) {
        return Some(hit);
    }
    let mut i = 0;
    while i < scan.len() {
        match scan.kind(i) {
            Some(Kind::Number) => {
                if let Some(hit) = spelled_digits(scan, i) {
                    return Some(hit);
                }
                let g = Groups::parse(scan, i);
                if let Some(hit) = judge_number(scan, &g) {
                    return Some(hit);
                }
                i = g.last + 1;
            }
            Some(Kind::Mixed) => {
                if let Some(hit) = labelled_mixed(scan, i).or_else(|| lettered_record(scan, i)) {
                    return Some(hit);
                }
                i += 1;
            }
            Some(Kind::Word) => {
                let (digits, last) = spoken_digits(scan, i);
                if digits >= 7
                    && let Some(hit) = spelled_category(scan, i, last)
                {
                    return Some(hit);
                }
                i = last + 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// What digit groups are, by their shape and the label before them: the best of the SSN,
/// phone and record-number scores when it reaches the threshold.
fn judge_number(scan: &Scan, g: &Groups) -> Option<Hit> {
    if g.is_ip() || g.is_time_range() || g.is_date_shaped() {
        return None;
    }
    let cue = context::cue_before(scan, g.first, 4);
    // A version (`v2.3.1`, `Epic 2023.1.2`) or a decimal: dotted groups after a word; but
    // `call back at 555.0190` is a local number.
    let local = g.lens() == [3, 4] && cue == Some(Cue::Phone);
    if g.n >= 2 && g.same_sep(b'.') && !matches!(g.lens(), [3, 3, 4] | [3, 2, 4]) && !local {
        return None;
    }
    let span = scan.span(g.first, g.last);
    let digits = g.digits();
    let national = g.national();
    let mut scores = [(Category::Ssn, 0u8), (Category::Phone, 0), (Category::RecordNumber, 0)];

    if g.lens() == [3, 2, 4] && g.seps[1] == g.seps[2] {
        scores[0].1 = 85;
    }
    if digits == 9 && g.n == 1 && cue == Some(Cue::Ssn) {
        scores[0].1 = 90;
    }
    if cue == Some(Cue::Ssn) && (4..=9).contains(&digits) {
        scores[0].1 = scores[0].1.max(80);
    }
    match national {
        [3, 3, 4] => scores[1].1 = 80,
        [3, 4] if g.seps[g.n - 1] != b'/' => scores[1].1 = 40,
        [10] => scores[1].1 = 35,
        _ if g.n == 1 && digits == 11 && g.values[0] == u32::MAX && scan.raw(g.first).starts_with('1') => {
            scores[1].1 = 35
        }
        _ => {}
    }
    if g.paren && national.len() >= 2 {
        scores[1].1 = scores[1].1.max(70);
    }
    // `+44 7700 900461`, `07700 900461`: another country's plan, ten to thirteen digits in
    // two to four groups after a `+` or a trunk `0`.
    let trunk = scan.raw(g.first).starts_with('0') || scan.is_punct(g.first, '+');
    if g.n >= 2 && (10..=13).contains(&digits) && trunk {
        scores[1].1 = scores[1].1.max(45);
    }
    if scores[1].1 > 0 {
        match cue {
            Some(Cue::Phone) => scores[1].1 += 35,
            Some(Cue::HelpDesk | Cue::System) => scores[1].1 = 0,
            _ if context::near_patient(scan, g.first, 6) => scores[1].1 += 20,
            _ => {}
        }
    }
    if digits >= 4 {
        let base = match digits {
            4 => 0,
            5 | 6 => 20,
            _ => 55,
        };
        let score = match cue {
            Some(Cue::Record) => 90,
            Some(Cue::System | Cue::HelpDesk) => 0,
            Some(Cue::Phone) if scores[1].1 == 0 => base,
            Some(Cue::Phone) => 0,
            _ if base > 0 && context::near_patient(scan, g.first, 6) => base + 35,
            _ => base,
        };
        // A count or dose after the number (`1500000 units`) is not an identifier.
        let unit = measure(scan.next_key(g.last));
        scores[2].1 = if unit || followed_by_system_noun(scan, g.last) { 0 } else { score };
    }
    let (category, score) = scores.into_iter().max_by_key(|(_, s)| *s)?;
    (score >= THRESHOLD).then(|| Hit::new(category, span))
}

/// `4 4 7 1 8 8 2`: a number typed a digit at a time, read by its label.
fn spelled_digits(scan: &Scan, i: usize) -> Option<Hit> {
    let mut last = i;
    let mut count = 0;
    while scan.digits(last + 1) == 1 && scan.spaced(last + 1) && count < 16 {
        last += 1;
        count += 1;
    }
    if scan.digits(i) != 1 || count + 1 < 7 {
        return None;
    }
    let cue = context::cue_before(scan, i, 4);
    let category = labelled_category(cue)
        .or_else(|| (cue.is_none() && context::near_patient(scan, i, 6)).then_some(Category::RecordNumber))?;
    Some(Hit::new(category, scan.span(i, last)))
}

/// `two two nine four four one`, `five five five oh one two three`, `fifty-five`: a number
/// read out word by word. Returns how many digits it spells and its last token.
pub(super) fn spoken_digits(scan: &Scan, i: usize) -> (usize, usize) {
    let mut digits = 0;
    let mut last = i;
    let mut k = i;
    loop {
        let n = match scan.key(k) {
            "zero" | "oh" | "one" | "two" | "three" | "four" | "five" | "six" | "seven" | "eight" | "nine" => 1,
            "o" if digits > 0 => 1,
            "ten" | "eleven" | "twelve" | "thirteen" | "fourteen" | "fifteen" | "sixteen" | "seventeen"
            | "eighteen" | "nineteen" | "twenty" | "thirty" | "forty" | "fifty" | "sixty" | "seventy" | "eighty"
            | "ninety" => 2,
            _ => 0,
        };
        if n == 0 || !scan.is_word(k) {
            break;
        }
        // `fifty-five` is two digits, not four.
        let ones = digits > 0 && scan.is_punct(k - 1, '-') && n == 1;
        digits += if ones { 0 } else { n };
        last = k;
        k += if scan.is_punct(k + 1, '-') || scan.is_punct(k + 1, ',') { 2 } else { 1 };
    }
    (digits, last)
}

/// What a number read out word by word is, by its label.
fn spelled_category(scan: &Scan, i: usize, last: usize) -> Option<Hit> {
    let category = labelled_category(context::cue_before(scan, i, 4))
        .or_else(|| scan.keys_before(i, 3).any(context::birth_label).then_some(Category::BirthDate))?;
    Some(Hit::new(category, scan.span(i, last)))
}

/// What a label alone makes a number spelled out digit by digit or word by word.
fn labelled_category(cue: Option<Cue>) -> Option<Category> {
    match cue? {
        Cue::Ssn => Some(Category::Ssn),
        Cue::Phone => Some(Category::Phone),
        Cue::Record => Some(Category::RecordNumber),
        Cue::HelpDesk | Cue::System => None,
    }
}

/// `MRN1234567`, `acct#4455667`, `SSN123456789` run together.
fn labelled_mixed(scan: &Scan, i: usize) -> Option<Hit> {
    let key = scan.key(i);
    let split = key.find(|c: char| c.is_ascii_digit())?;
    let (label, digits) = key.split_at(split);
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let category = match label {
        "mrn" | "acct" | "csn" | "har" | "fin" | "enc" | "mr" => Category::RecordNumber,
        "ssn" => Category::Ssn,
        "ph" | "tel" | "cell" if digits.len() >= 7 => Category::Phone,
        _ => return None,
    };
    Some(Hit::new(category, scan.span(i, i)))
}

/// `MRN E1234567`, `acct A0044812`: a letter-prefixed number after a record label.
fn lettered_record(scan: &Scan, i: usize) -> Option<Hit> {
    let key = scan.key(i);
    let digits = key.bytes().filter(u8::is_ascii_digit).count();
    let cue = context::cue_before(scan, i, 3);
    // `merge Z4471920 into the older mrn`: one or two letters and six digits or more, with a
    // record word in the clause after it, and nothing of the system before.
    let prefix = key.bytes().take_while(u8::is_ascii_alphabetic).count();
    let lettered = (1..=2).contains(&prefix) && digits >= 6 && prefix + digits == key.len();
    let record_after = lettered
        && cue.is_none()
        && scan
            .keys_after(i, 6)
            .any(|key| matches!(key, "mrn" | "mrns" | "chart" | "acct" | "account" | "csn" | "har"));
    // `pt E7731902`: the same shape right after a patient word.
    let after_patient =
        lettered && scan.keys_before(i, 2).any(|key| matches!(key, "pt" | "patient" | "pt's" | "patient's"));
    (digits >= 5 && cue == Some(Cue::Record) || record_after || after_patient)
        .then(|| Hit::new(Category::RecordNumber, scan.span(i, i)))
}

/// Units, counts and doses after a number: `1500000 units`, `40 rows`.
fn measure(key: &str) -> bool {
    matches!(
        key,
        "units"
            | "unit"
            | "mg"
            | "mcg"
            | "ml"
            | "g"
            | "kg"
            | "ms"
            | "sec"
            | "seconds"
            | "min"
            | "mins"
            | "minutes"
            | "hours"
            | "hrs"
            | "days"
            | "kb"
            | "mb"
            | "gb"
            | "bytes"
            | "rows"
            | "records"
            | "users"
            | "clicks"
            | "times"
            | "orders"
            | "results"
            | "messages"
            | "errors"
            | "cells"
            | "steps"
    )
}

/// `1234567 order`, `40012 smartset`: the noun comes after.
fn followed_by_system_noun(scan: &Scan, last: usize) -> bool {
    let key = scan.next_key(last);
    context::system_noun(key) && !matches!(key, "x" | "v" | "room" | "bed" | "unit" | "line")
}

/// An e-mail address: `name@host.tld`, or spelled out as `name at host dot com`. Mailboxes of
/// teams (`help`, `support`, `noreply`) at the organisation are cleared.
fn email(scan: &Scan) -> Option<Hit> {
    let text = scan.text;
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let host = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
    let mut from = 0;
    while let Some(at) = text[from..].find('@').map(|p| p + from) {
        from = at + 1;
        // `jdoe @ gmail.com`: spaces around the `@` do not hide it.
        let mut start = at;
        while start > 0 && bytes[start - 1] == b' ' {
            start -= 1;
        }
        let local_end = start;
        while start > 0 && local(bytes[start - 1]) {
            start -= 1;
        }
        let mut host_start = at + 1;
        while host_start < bytes.len() && bytes[host_start] == b' ' {
            host_start += 1;
        }
        let mut end = host_start;
        while end < bytes.len() && host(bytes[end]) {
            end += 1;
        }
        let domain = text[host_start..end].trim_end_matches('.');
        let dotted = domain.rfind('.').is_some_and(|d| domain.len() - d > 2 && d > 0);
        if start < local_end && dotted && !team_mailbox(&text[start..local_end], domain) {
            return Some(Hit::new(Category::Email, (start, host_start + domain.len())));
        }
    }
    spelled_email(scan)
}

/// A team's mailbox at the organisation (`epic-support@rmc.org`), not a person's.
fn team_mailbox(local: &str, domain: &str) -> bool {
    const PERSONAL: [&str; 12] =
        ["gmail", "yahoo", "hotmail", "outlook", "aol", "icloud", "comcast", "msn", "live", "att", "verizon", "proton"];
    let lower_domain = domain.to_ascii_lowercase();
    if PERSONAL.iter().any(|p| lower_domain.starts_with(p)) {
        return false;
    }
    let local = local.to_ascii_lowercase();
    const TEAMS: [&str; 14] = [
        "help",
        "support",
        "desk",
        "noreply",
        "no-reply",
        "epic",
        "ehr",
        "training",
        "admin",
        "team",
        "service",
        "informatics",
        "command",
        "golive",
    ];
    TEAMS.iter().any(|t| local.contains(t)) || local == "it"
}

/// `jdoe at gmail dot com`, `jdoe(at)gmail.com`: an address spelled out to dodge the `@`.
fn spelled_email(scan: &Scan) -> Option<Hit> {
    for i in 1..scan.len() {
        if scan.key(i) != "at" {
            continue;
        }
        let bracketed = scan.is_punct(i - 1, '(') || scan.is_punct(i - 1, '[');
        let host = if bracketed && (scan.is_punct(i + 1, ')') || scan.is_punct(i + 1, ']')) { i + 2 } else { i + 1 };
        if !scan.is_word(host) {
            continue;
        }
        // `(dot)` as well as `dot`.
        let bracketed_dot = scan.is_punct(host + 1, '(') && scan.key(host + 2) == "dot" && scan.is_punct(host + 3, ')');
        let spelled_dot = bracketed_dot || scan.key(host + 1) == "dot";
        if !spelled_dot && !scan.is_punct(host + 1, '.') {
            continue;
        }
        let tld = if bracketed_dot { host + 4 } else { host + 2 };
        if !matches!(scan.key(tld), "com" | "net" | "org" | "edu" | "gov" | "us") {
            continue;
        }
        let personal =
            matches!(scan.key(host), "gmail" | "yahoo" | "hotmail" | "outlook" | "aol" | "icloud" | "comcast" | "msn");
        if personal || bracketed || spelled_dot {
            let start = if bracketed { i.saturating_sub(2) } else { i - 1 };
            return Some(Hit::new(Category::Email, scan.span(start, tld)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::Category;
    use super::super::test_support::{assert_each, category};

    #[test]
    fn flags_a_phone_number_with_dots() {
        assert_eq!(category("daughter wants a call at 555.867.5309"), Some(Category::Phone));
    }

    #[test]
    fn flags_phone_numbers_with_any_separator() {
        assert_each(
            Some(Category::Phone),
            &[
                "call back 555-123-4567",
                "call (555) 123-4567",
                "cell 555 123 4567",
                "ph: 555/123/4567",
                "wife at +1 555 123 4567",
                "reach her at 1-555-123-4567",
                "home number 5551234567",
                "son's cell 555-0134",
            ],
        );
    }

    #[test]
    fn flags_an_ssn_in_any_form() {
        assert_each(
            Some(Category::Ssn),
            &["SSN 123-45-6789 on the facesheet", "ss# 123456789", "typed 123 45 6789 in the comment"],
        );
    }

    #[test]
    fn flags_labelled_record_numbers() {
        assert_each(
            Some(Category::RecordNumber),
            &[
                "Wrong allergy banner for MRN 5512093",
                "acct # 88120456 shows the wrong payer",
                "CSN: 1004587723 stuck",
                "HAR 30021 has no coverage",
                "encounter 78812345 will not close",
                "chart 00482913 will not open",
                "MRN1234567 in the header",
                "pt 4471023 label printed twice",
            ],
        );
    }

    #[test]
    fn flags_an_email_address() {
        assert_eq!(category("pt emailed from jdoe82@gmail.com"), Some(Category::Email));
        assert_eq!(category("her address is maria dot lopez at gmail dot com"), Some(Category::Email));
    }

    #[test]
    fn reads_a_number_said_out_loud_by_its_label() {
        assert_eq!(category("social is one two three four five six seven eight nine"), Some(Category::Ssn));
        assert_eq!(category("reach her son at five five five oh one two three"), Some(Category::Phone));
        assert_eq!(category("one two three four five six seven steps to sign"), None);
    }

    #[test]
    fn flags_another_countrys_phone_plan() {
        assert_eq!(category("her mobile 07700 900461 for reminders"), Some(Category::Phone));
        assert_eq!(category("cell +44 7700 900461"), Some(Category::Phone));
    }

    #[test]
    fn clears_a_ticket_number() {
        assert_eq!(category("INC0012345 opened for the scanner"), None);
        assert_eq!(category("see ticket 4412098 and RITM0045521"), None);
    }

    #[test]
    fn clears_an_ip_address_and_a_version() {
        assert_eq!(category("printer at 10.20.4.17 offline"), None);
        assert_eq!(category("client version 2023.1.14 on the COWs"), None);
    }

    #[test]
    fn clears_shift_times_and_extensions() {
        assert_eq!(category("0700-1900 shift cannot see the list"), None);
        assert_eq!(category("call the help desk at ext 4-4357 or 555-201-4400"), None);
        assert_eq!(category("pager 3321 for pharmacy"), None);
    }

    #[test]
    fn clears_build_and_staff_ids() {
        assert_each(
            None,
            &[
                "order 1234567 will not release",
                "SmartSet 40012 missing the heparin panel",
                "badge 00481234 does not tap in",
                "EMP 48213 cannot log in",
                "flowsheet row 3040100012 hidden",
                "team mailbox epic-support@rmc.org never answered",
                "heparin 25000 units in 250 mL",
            ],
        );
    }

    #[test]
    fn clears_a_label_that_names_a_field() {
        assert_eq!(category("MRN field is blank on the wristband reprint"), None);
        assert_eq!(category("SSN field is masked for registrars"), None);
    }
}

//! Dates of birth and dates of a patient's care. Any date is read (`3/14/62`, `1948-03-12`,
//! `March 3rd, 1948`, `3-Mar-1948`, `03MAR1948`); the words before it decide: a birth label
//! makes it a birth date, an event of a stay (`admitted`, `died`) a patient date, a system
//! word (`since`, `go-live`, `upgrade`) clears it. A full date with a year before 2010 and no
//! telling word is taken as a birth date: the system's own dates are recent.

use super::context;
use super::identifiers::Groups;
use super::tokens::{Kind, Scan};
use super::{Category, Hit};

/// Years before this, in a full date with nothing around it, read as someone's birth.
const OLD_YEAR: u32 = 2010;

#[derive(Clone, Copy, Debug)]
struct Date {
    first: usize,
    last: usize,
    year: Option<u32>,
    /// Day and month both known (`3/14`, `March 3`), not a month and year alone.
    day: bool,
}

/// The first date of birth or of a patient's care: every date is read, then judged by the
/// words around it.
pub(super) fn find(scan: &Scan) -> Option<Hit> {
    let mut i = 0;
    while i < scan.len() {
        let (date, next) = match scan.kind(i) {
            Some(Kind::Number) => {
                let g = Groups::parse(scan, i);
                let date = if g.is_date_shaped() { numeric(&g) } else { None };
                match date.or_else(|| day_then_month(scan, i)) {
                    Some(d) => (Some(d), d.last + 1),
                    None => {
                        if let Some(hit) = birth_year(scan, i) {
                            return Some(hit);
                        }
                        (None, g.last + 1)
                    }
                }
            }
            Some(Kind::Word) => match month_first(scan, i) {
                Some(d) => (Some(d), d.last + 1),
                None => (None, i + 1),
            },
            Some(Kind::Mixed) => (packed(scan, i), i + 1),
            _ => (None, i + 1),
        };
        if let Some(d) = date
            && let Some(category) = judge(scan, &d)
        {
            return Some(Hit::new(category, scan.span(d.first, d.last)));
        }
        i = next.max(i + 1);
    }
    None
}

/// What the words around a date make it: a birth date, a date of care, or nothing.
fn judge(scan: &Scan, d: &Date) -> Option<Category> {
    // `1948-03-12 (DOB)`: a label right after counts too.
    if context::birth_label(scan.next_key(d.last)) {
        return Some(Category::BirthDate);
    }
    for k in scan.before(d.first, 5) {
        let key = scan.key(k);
        // `date of birth`.
        if context::birth_label(key) || key == "date" && scan.key(k + 2) == "birth" {
            return Some(Category::BirthDate);
        }
        match context::patient_event(key) {
            Some(true) => return Some(Category::PatientDate),
            Some(false) if context::near_patient(scan, k, 6) || context::near_patient(scan, d.last, 6) => {
                return Some(Category::PatientDate);
            }
            _ => {}
        }
        if context::system_date(key) || context::system_noun(key) {
            return None;
        }
    }
    // `dc date for pt in 610 entered 5/30`: a patient's date field named earlier in the clause,
    // with nothing of the system between.
    for k in scan.before(d.first, 10) {
        let key = scan.key(k);
        if context::system_date(key) || context::system_noun(key) && key != "room" && key != "bed" {
            break;
        }
        let event_before = context::event_date_label(scan.prev_key(k));
        // `date of service`, `date of admission`.
        let event_after = scan.key(k + 1) == "of" && context::event_date_label(scan.key(k + 2));
        if key == "date" && (event_before || event_after) {
            return Some(Category::PatientDate);
        }
    }
    // `on 11/23 the pt was admitted`: the event may follow the date.
    let event_after = scan.keys_after(d.last, 5).any(|key| context::patient_event(key) == Some(true));
    if event_after && context::near_patient(scan, d.last, 5) {
        return Some(Category::PatientDate);
    }
    if let Some(y) = d.year
        && y < OLD_YEAR
        && (d.day || y < 2000)
    {
        return Some(Category::BirthDate);
    }
    // `his last dialysis was 3/3`, `CABG 2023-05-19 for the pt in 14`: a day of the month
    // beside a patient, with no word of the system on either side, is a day of their care.
    let system_after = scan.keys_after(d.last, 4).any(|key| {
        context::system_date(key) || context::system_noun(key) && !matches!(key, "bed" | "room" | "rm" | "bay")
    });
    (d.day && !system_after && near_patient_or_bed(scan, d.first, d.last)).then_some(Category::PatientDate)
}

/// A patient word within six words of the date (not one naming a screen: `pt list`,
/// `patient portal`), or a bed or room with its number.
fn near_patient_or_bed(scan: &Scan, first: usize, last: usize) -> bool {
    let bed = |k: usize| matches!(scan.key(k), "bed" | "rm" | "room" | "bay") && scan.is_number(k + 1);
    let screen = |k: usize| {
        matches!(
            scan.key(k + 1),
            "list" | "lists" | "census" | "portal" | "header" | "banner" | "board" | "station" | "education" | "search"
        )
    };
    let patient = |k: usize| context::patient_word(scan.key(k)) && !screen(k);
    scan.around(first, last, 6, 6).any(|k| patient(k) || bed(k))
}

/// `3/14/62`, `14.03.1962`, `2026-11-21`, `3/14`, `03/1948`.
fn numeric(g: &Groups) -> Option<Date> {
    let v = &g.values;
    let date = |year, day| Some(Date { first: g.first, last: g.last, year, day });
    match g.lens() {
        [4, _, _] => ((1..=12).contains(&v[1]) && (1..=31).contains(&v[2])).then_some(())?,
        [_, _, _] => (plausible_day_month(v[0], v[1])).then_some(())?,
        [_, 4] => ((1..=12).contains(&v[0]) && (1900..=2100).contains(&v[1])).then_some(())?,
        _ => plausible_day_month(v[0], v[1]).then_some(())?,
    };
    match g.lens() {
        [4, _, _] => date(Some(v[0]), true),
        [_, _, 4] => date(Some(v[2]), true),
        [_, _, 2] => date(Some(full_year(v[2])), true),
        [_, 4] => date(Some(v[1]), false),
        _ => date(None, true),
    }
}

/// Month and day in either order (`3/14` or `14/3`).
fn plausible_day_month(a: u32, b: u32) -> bool {
    ((1..=12).contains(&a) && (1..=31).contains(&b)) || ((1..=31).contains(&a) && (1..=12).contains(&b))
}

/// A two-digit year: `62` is 1962, `26` is 2026.
fn full_year(y: u32) -> u32 {
    if y <= 30 { 2000 + y } else { 1900 + y }
}

/// The month a word names.
fn month(scan: &Scan, i: usize) -> Option<u32> {
    let m = match scan.key(i) {
        "jan" | "january" => 1,
        "feb" | "february" => 2,
        // `MAR` in capitals is the medication administration record.
        "mar" | "march" if !scan.all_caps(i) || scan.key(i) == "march" => 3,
        "apr" | "april" => 4,
        "may" => 5,
        "jun" | "june" => 6,
        "jul" | "july" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" => 10,
        "nov" | "november" => 11,
        "dec" | "december" => 12,
        _ => return None,
    };
    Some(m)
}

/// A day number, `3` or `3rd`.
fn day(scan: &Scan, i: usize) -> bool {
    match scan.kind(i) {
        Some(Kind::Number) => scan.value(i).is_some_and(|v| (1..=31).contains(&v)) && scan.digits(i) <= 2,
        Some(Kind::Mixed) => {
            let key = scan.key(i);
            let n = key.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            matches!(&key[n.len()..], "st" | "nd" | "rd" | "th")
                && n.parse::<u32>().is_ok_and(|v| (1..=31).contains(&v))
        }
        _ => false,
    }
}

/// A year after a month or day: four digits, or `'62`.
fn year(scan: &Scan, i: usize) -> Option<(u32, usize)> {
    if scan.is_punct(i, '\'') && scan.digits(i + 1) == 2 {
        return Some((full_year(scan.value(i + 1)?), i + 1));
    }
    let v = scan.value(i)?;
    match scan.digits(i) {
        4 if (1900..=2100).contains(&v) => Some((v, i)),
        2 if scan.is_punct(i - 1, ',') || scan.is_punct(i - 1, '-') || scan.is_punct(i - 1, '/') => {
            Some((full_year(v), i))
        }
        _ => None,
    }
}

/// `March 3, 1948`, `Mar. 3rd 1948`, `March 1948`, `March 3`.
fn month_first(scan: &Scan, i: usize) -> Option<Date> {
    month(scan, i)?;
    let mut k = scan.skip_punct(i + 1, &['.']);
    if day(scan, k) {
        let d = k;
        k = scan.skip_punct(k + 1, &[',', '-', '/']);
        return Some(match year(scan, k) {
            Some((y, last)) => Date { first: i, last, year: Some(y), day: true },
            None => Date { first: i, last: d, year: None, day: true },
        });
    }
    let k = scan.skip_punct(k, &[',', '-', '/']);
    match year(scan, k) {
        Some((y, last)) if scan.digits(last) == 4 => Some(Date { first: i, last, year: Some(y), day: false }),
        _ => None,
    }
}

/// `3 March 1948`, `3-Mar-1948`, `3rd of March`.
fn day_then_month(scan: &Scan, i: usize) -> Option<Date> {
    if !day(scan, i) {
        return None;
    }
    let mut k = scan.skip_punct(i + 1, &['-', '/']);
    if scan.key(k) == "of" {
        k += 1;
    }
    month(scan, k)?;
    let m = k;
    let k = scan.skip_punct(scan.skip_punct(k + 1, &['.']), &[',', '-', '/']);
    Some(match year(scan, k) {
        Some((y, last)) => Date { first: i, last, year: Some(y), day: true },
        None => Date { first: i, last: m, year: None, day: true },
    })
}

/// `03MAR1948`, `3mar48`: a date written as one token.
fn packed(scan: &Scan, i: usize) -> Option<Date> {
    if day(scan, i) {
        return day_then_month(scan, i);
    }
    let key = scan.key(i);
    let d = key.find(|c: char| !c.is_ascii_digit())?;
    let rest = &key[d..];
    let m = rest.find(|c: char| c.is_ascii_digit())?;
    let (month_name, year) = rest.split_at(m);
    let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    if d == 0 || d > 2 || !months.contains(&month_name) || !(year.len() == 2 || year.len() == 4) {
        return None;
    }
    let y: u32 = year.parse().ok()?;
    let y = if year.len() == 2 { full_year(y) } else { y };
    Some(Date { first: i, last: i, year: Some(y), day: true })
}

/// `born 1948`, `born in 1948`, `b. 1948`, `YOB 1948`.
fn birth_year(scan: &Scan, i: usize) -> Option<Hit> {
    if scan.digits(i) != 4 || !scan.value(i).is_some_and(|v| (1900..=2030).contains(&v)) {
        return None;
    }
    let labelled = scan.before(i, 3).any(|k| {
        let key = scan.key(k);
        context::birth_label(key) || (key == "b" && scan.is_punct(k + 1, '.') && k + 2 == i)
    });
    labelled.then(|| Hit::new(Category::BirthDate, scan.span(i, i)))
}

#[cfg(test)]
mod tests {
    use super::super::Category;
    use super::super::test_support::{assert_each, category};

    #[test]
    fn flags_a_labelled_birth_date_in_every_common_form() {
        assert_each(
            Some(Category::BirthDate),
            &[
                "DOB 3/14/1962 shows on the label",
                "d.o.b. 03-14-62",
                "D O B: 1962-03-14",
                "born March 14, 1962",
                "birthdate 14 Mar 1962 is wrong",
                "dob 14-Mar-1962",
                "DOB 14MAR1962",
                "date of birth 3.14.1962",
                "born in 1931 per family",
                "1962-03-14 (DOB) on the armband",
            ],
        );
    }

    #[test]
    fn flags_an_old_full_date_without_a_label() {
        assert_eq!(category("wristband says 4/2/1948 instead"), Some(Category::BirthDate));
    }

    #[test]
    fn flags_a_date_of_a_patients_stay() {
        assert_each(
            Some(Category::PatientDate),
            &[
                "admitted 11/19 and still no orders",
                "pt discharged on 11/20/2026 but still on the list",
                "died on March 3 and the chart is still open",
                "pt's appointment on 12/4 was dropped",
            ],
        );
    }

    #[test]
    fn clears_iso_and_system_dates() {
        assert_each(
            None,
            &[
                "2026-11-21 go-live: the MAR layout is the old one",
                "since 11/21/2026 the MAR shows the old layout",
                "upgrade on 12/3 broke the printer mapping",
                "training class on 11/18 did not cover the MAR",
                "MAR 2 hours behind on the board",
                "build freeze until Dec 1",
            ],
        );
    }

    #[test]
    fn clears_a_year_alone() {
        assert_eq!(category("the 2019 upgrade notes still apply"), None);
    }
}

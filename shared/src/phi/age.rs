//! Ages over 89, which Safe Harbor counts as identifying (younger ages are not): `92 yo`,
//! `94 y/o`, `92-year-old`, `age 97`, `92yoF`, `ninety-three year old`, `in her 90s`.

use super::context;
use super::tokens::{Kind, Scan};
use super::{Category, Hit};

/// The first age over 89.
pub(super) fn find(scan: &Scan) -> Option<Hit> {
    Hit::first(scan, Category::Age, |i| match scan.kind(i) {
        // `90+` is Safe Harbor's own aggregate, not an age.
        Some(Kind::Number) if scan.is_punct(i + 1, '+') => None,
        Some(Kind::Number) => scan.value(i).filter(|v| old(*v)).and_then(|_| numeric(scan, i)),
        Some(Kind::Mixed) => packed(scan, i),
        Some(Kind::Word) => spelled(scan, i),
        _ => None,
    })
}

/// The ages Safe Harbor counts as identifying.
fn old(years: u32) -> bool {
    (90..=125).contains(&years)
}

/// An age unit at `i` (after the number); returns the last token of the unit.
fn unit(scan: &Scan, i: usize) -> Option<usize> {
    let i = scan.skip_punct(i, &['-']);
    match scan.key(i) {
        "yo" | "yof" | "yom" | "yrs" | "yr" | "y" | "yoa" | "years" | "year" | "yr-old" | "yrold" => {
            // `y/o`, `y.o.`, `yrs old`, `year old`, `year-old`; bare `years` needs `old`.
            let mut last = i;
            for k in [i + 1, i + 2] {
                if matches!(scan.key(k), "o" | "old" | "f" | "m") || scan.is_punct(k, '-') || scan.is_punct(k, '/') {
                    last = k;
                    if scan.key(k) == "old" {
                        return Some(last);
                    }
                } else {
                    break;
                }
            }
            match scan.key(i) {
                "years" | "year" | "y" => (last != i && scan.key(last) != "-" && scan.key(last) != "/").then_some(last),
                _ => Some(last),
            }
        }
        "f" | "m" if !scan.spaced(i) => Some(i),
        _ => None,
    }
}

/// `92 yo`, `92-year-old`, `age 97`, `aged 91`, `turned 95`, `pt is 94`.
fn numeric(scan: &Scan, i: usize) -> Option<usize> {
    if let Some(last) = unit(scan, i + 1) {
        // `92F` right after a number may be a temperature; it needs a patient nearby.
        let sexed = matches!(scan.key(last), "f" | "m") && last == i + 1;
        if !sexed || context::near_patient(scan, i, 4) && !near_temperature(scan, i) {
            return Some(last);
        }
    }
    if matches!(scan.prev_key(i), "age" | "aged" | "ages" | "turned" | "turning" | "turns" | "age:" | "centenarian") {
        return Some(i);
    }
    // `pt is 94`, `she's 99`, `he's 91`.
    let prev = scan.before(i, 1).next();
    let contracted = prev.is_some_and(|k| scan.possessive(k) && matches!(scan.key(k), "she" | "he"));
    // `pt is 94 minutes late` is a wait, not an age.
    let duration = matches!(scan.next_key(i), "minutes" | "min" | "mins" | "percent" | "%" | "days" | "hours");
    ((patient_is(scan, i) || contracted) && !duration).then_some(i)
}

/// `pt is 94`: `is` just before the age, a patient word before that.
fn patient_is(scan: &Scan, i: usize) -> bool {
    scan.prev_key(i) == "is" && scan.keys_before(i, 3).any(context::patient_word)
}

/// `in her 90s`, `in his nineties`: a decade of someone's life.
fn their_decade(scan: &Scan, i: usize) -> bool {
    scan.keys_before(i, 2).any(|key| matches!(key, "her" | "his" | "their"))
}

/// `temp 94F`: a temperature, not a 94-year-old woman.
fn near_temperature(scan: &Scan, i: usize) -> bool {
    scan.keys_before(i, 3).any(|key| matches!(key, "temp" | "temperature" | "t" | "tmax" | "degrees"))
}

/// `92yo`, `94yoF`, `91y/o`, `93F` (with a patient nearby).
fn packed(scan: &Scan, i: usize) -> Option<usize> {
    let key = scan.key(i);
    let n = key.find(|c: char| !c.is_ascii_digit())?;
    let years: u32 = key[..n].parse().ok()?;
    if !old(years) {
        return None;
    }
    match &key[n..] {
        "yo" | "yof" | "yom" | "yrs" | "yr" | "yoa" | "y" => {
            let last = if scan.is_punct(i + 1, '/') && scan.key(i + 2) == "o" { i + 2 } else { i };
            Some(last)
        }
        "f" | "m" if context::near_patient(scan, i, 4) && !near_temperature(scan, i) => Some(i),
        "s" if scan.keys_before(i, 2).any(|key| matches!(key, "her" | "his" | "their" | "in")) => {
            their_decade(scan, i).then_some(i)
        }
        _ => None,
    }
}

/// `ninety-three year old`, `aged ninety`, `in her nineties`, `a hundred and one`.
fn spelled(scan: &Scan, i: usize) -> Option<usize> {
    let key = scan.key(i);
    let tens = matches!(key, "ninety" | "hundred");
    if key == "nineties" {
        return their_decade(scan, i).then_some(i);
    }
    if key == "centenarian" {
        return Some(i);
    }
    if !tens {
        return None;
    }
    // Skip the ones: `ninety-three`, `hundred and one`.
    let mut k = i + 1;
    for _ in 0..3 {
        if scan.is_punct(k, '-')
            || matches!(
                scan.key(k),
                "and" | "one" | "two" | "three" | "four" | "five" | "six" | "seven" | "eight" | "nine" | "ten"
            )
        {
            k += 1;
        } else {
            break;
        }
    }
    if let Some(last) = unit(scan, k) {
        return Some(last);
    }
    let labelled = scan.keys_before(i, 2).any(|key| matches!(key, "age" | "aged" | "turned" | "turning"));
    (labelled || patient_is(scan, i)).then_some(k - 1)
}

#[cfg(test)]
mod tests {
    use super::super::Category;
    use super::super::test_support::assert_each;

    #[test]
    fn flags_an_age_over_89_in_every_common_form() {
        assert_each(
            Some(Category::Age),
            &[
                "92 yo with fall precautions not showing",
                "94 y/o pt, BPA fired twice",
                "92-year-old on the wrong diet order",
                "age 97 and the sepsis score is off",
                "pt is 91 and the screening prompt skipped",
                "92yoF in bed 4",
                "ninety-three year old, the banner shows 39",
                "pt in her 90s, fall risk flag missing",
                "101 years old per the family",
            ],
        );
    }

    #[test]
    fn clears_ages_of_89_and_under_and_other_nineties() {
        assert_each(
            None,
            &[
                "45 yo pt, banner fine",
                "89 y/o, alert fired once",
                "took 90 minutes to chart",
                "temp 94F not flagged as hypothermia",
                "95% of nurses finished the e-learning",
                "90 day supply default is wrong",
            ],
        );
    }
}

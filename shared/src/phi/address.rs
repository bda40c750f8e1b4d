//! Street addresses: a house number, a street name and a suffix (`1420 Oak Ridge Dr`,
//! `88 W 5th St Apt 2`), a PO box, an apartment number, or a state and ZIP code. The street
//! words must be capitalised unless an address word (`lives at`, `address`) comes first, so
//! `3 RNs and Dr Patel` is not a street.

use super::tokens::{Kind, Scan};
use super::{Category, Hit};

/// The first street address, PO box, apartment or state and ZIP code.
pub(super) fn find(scan: &Scan) -> Option<Hit> {
    Hit::first(scan, Category::Address, |i| match scan.kind(i) {
        Some(Kind::Number | Kind::Mixed) => street(scan, i),
        Some(Kind::Word) => po_box(scan, i)
            .or_else(|| apartment(scan, i))
            .or_else(|| state_zip(scan, i))
            .or_else(|| street_without_number(scan, i)),
        _ => None,
    })
}

/// Street suffixes: `St`, `Ave`, `Dr`, `Way`.
fn suffix(key: &str) -> bool {
    matches!(
        key,
        "street"
            | "st"
            | "avenue"
            | "ave"
            | "av"
            | "road"
            | "rd"
            | "boulevard"
            | "blvd"
            | "lane"
            | "ln"
            | "drive"
            | "dr"
            | "way"
            | "court"
            | "ct"
            | "place"
            | "pl"
            | "terrace"
            | "ter"
            | "circle"
            | "cir"
            | "parkway"
            | "pkwy"
            | "highway"
            | "hwy"
            | "trail"
            | "trl"
            | "square"
            | "sq"
            | "pike"
            | "alley"
            | "crescent"
            | "loop"
    )
}

/// Suffixes that are not also a title or an abbreviation in floor talk.
fn long_suffix(key: &str) -> bool {
    matches!(
        key,
        "street"
            | "avenue"
            | "ave"
            | "road"
            | "boulevard"
            | "blvd"
            | "lane"
            | "drive"
            | "court"
            | "terrace"
            | "parkway"
            | "highway"
            | "trail"
    )
}

/// Words that are never part of a street name.
fn stop_word(key: &str) -> bool {
    matches!(
        key,
        "the"
            | "a"
            | "an"
            | "and"
            | "or"
            | "to"
            | "of"
            | "on"
            | "in"
            | "at"
            | "for"
            | "with"
            | "from"
            | "by"
            | "down"
            | "up"
            | "is"
            | "are"
            | "was"
            | "per"
            | "rns"
            | "pts"
            | "patients"
            | "nurses"
            | "users"
            | "beds"
    )
}

/// `1420 Oak Ridge Dr`, `88 W 5th St`, `12 main street` after `lives at`.
fn street(scan: &Scan, i: usize) -> Option<usize> {
    let digits = if scan.kind(i) == Some(Kind::Number) { scan.digits(i) } else { 0 };
    if !(1..=6).contains(&digits) || scan.is_punct(i.wrapping_sub(1), '-') || scan.is_punct(i.wrapping_sub(1), '/') {
        return None;
    }
    let introduced = scan.keys_before(i, 3).any(|key| {
        matches!(
            key,
            "lives"
                | "address"
                | "addr"
                | "resides"
                | "home"
                | "staying"
                | "moved"
                | "discharge"
                | "discharged"
                | "dc"
                | "mail"
                | "mailed"
        )
    });
    let mut k = i + 1;
    let mut words = 0;
    // `4410 n. lincoln way`: a compass point right after the number marks a street, in any case.
    let after_point = scan.skip_punct(k + 1, &['.']);
    let directional =
        matches!(scan.key(k), "n" | "s" | "e" | "w" | "ne" | "nw" | "se" | "sw" | "north" | "south" | "east" | "west")
            && scan.is_word(after_point);
    if directional {
        k = after_point;
        words += 1;
    }
    let introduced = introduced || directional;
    while words < 4 {
        let key = scan.key(k);
        if words > 0 && suffix(key) && !title(scan, k) {
            let long = long_suffix(key);
            let capitalised = (i + 1..k).all(|w| scan.capitalised(w) || scan.kind(w) != Some(Kind::Word));
            if !(capitalised || introduced || long) {
                return None;
            }
            let mut last = if scan.is_punct(k + 1, '.') { k + 1 } else { k };
            // `the 1200 Medical Center Dr clinic`: a site of the organisation, not a home.
            if matches!(
                scan.key(last + 1),
                "clinic"
                    | "campus"
                    | "building"
                    | "office"
                    | "entrance"
                    | "site"
                    | "garage"
                    | "location"
                    | "facility"
                    | "hospital"
                    | "tower"
            ) {
                return None;
            }
            // `Apt 2`, `#4B`, `Unit 3` after the street belong to it.
            if matches!(scan.key(last + 1), "apt" | "apartment" | "unit" | "#") {
                last += 2;
            }
            return Some(last.min(scan.len() - 1));
        }
        let word = match scan.kind(k) {
            Some(Kind::Word) => !stop_word(key),
            // `5th`, `42nd`.
            Some(Kind::Mixed) => {
                key.ends_with("th") || key.ends_with("st") || key.ends_with("nd") || key.ends_with("rd")
            }
            _ => false,
        };
        if !word {
            return None;
        }
        words += 1;
        k += 1;
    }
    None
}

/// `St. Mary's`, `Dr. Patel`: a saint or a doctor, not a street.
fn title(scan: &Scan, k: usize) -> bool {
    let next = scan.skip_punct(k + 1, &['.']);
    matches!(scan.key(k), "st" | "dr")
        && scan.is_word(next)
        && scan.capitalised(next)
        && !matches!(scan.key(next), "apt" | "apartment" | "unit" | "suite" | "ste")
}

/// `lives on Maple Street`: an address word, then a named street without a number.
fn street_without_number(scan: &Scan, i: usize) -> Option<usize> {
    if !matches!(scan.key(i), "lives" | "address" | "resides" | "addr") {
        return None;
    }
    let mut k = i + 1;
    while matches!(scan.key(k), "on" | "at" | "is" | ":" | "in") {
        k += 1;
    }
    let first = k;
    while k < first + 3 && scan.is_word(k) && scan.capitalised(k) && !long_suffix(scan.key(k)) {
        k += 1;
    }
    (k > first && long_suffix(scan.key(k))).then_some(k)
}

/// `PO Box 1234`, `P.O. Box 88`, `post office box 12`.
fn po_box(scan: &Scan, i: usize) -> Option<usize> {
    let mut k = i;
    match scan.key(k) {
        "po" | "pobox" => k += 1,
        "post" if scan.key(k + 1) == "office" => k += 2,
        _ => return None,
    }
    if scan.is_punct(k, '.') {
        k += 1;
    }
    if scan.key(k) != "box" && scan.key(i) != "pobox" {
        return None;
    }
    let n = if scan.key(i) == "pobox" { i + 1 } else { k + 1 };
    let n = scan.skip_punct(n, &['#']);
    scan.is_number(n).then_some(n)
}

/// `apt 4B`, `apartment 12`: a home, never a hospital room.
fn apartment(scan: &Scan, i: usize) -> Option<usize> {
    if !matches!(scan.key(i), "apt" | "apartment") {
        return None;
    }
    let n = scan.skip_punct(i + 1, &['.', '#']);
    matches!(scan.kind(n), Some(Kind::Number | Kind::Mixed)).then_some(n)
}

/// `Springfield, IL 62704`: a state code in capitals and a ZIP code.
fn state_zip(scan: &Scan, i: usize) -> Option<usize> {
    const STATES: [&str; 51] = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
        "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
        "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    ];
    let zip = i + 1;
    let state = STATES.contains(&scan.raw(i)) && scan.is_punct(i.wrapping_sub(1), ',');
    let labelled = matches!(scan.key(i), "zip" | "zipcode");
    (scan.digits(zip) == 5 && (state || labelled)).then_some(zip)
}

#[cfg(test)]
mod tests {
    use super::super::Category;
    use super::super::test_support::assert_each;

    #[test]
    fn flags_a_street_address() {
        assert_each(
            Some(Category::Address),
            &[
                "pt lives at 1420 Oak Ridge Dr",
                "home address 88 W 5th St Apt 2 printed on the AVS",
                "lives at 12 main street with her son",
                "sent to 450 Maple Avenue by mistake",
                "mail goes to PO Box 1234",
                "P.O. Box 88 on the facesheet",
                "moved to apt 4B last week",
                "Springfield, IL 62704 on the label",
            ],
        );
    }

    #[test]
    fn clears_saints_doctors_and_units() {
        assert_each(
            None,
            &[
                "St. Joseph ED cannot see the tracking board",
                "3 RNs and Dr Patel cannot sign",
                "Unit 4 West printer down",
                "2 North St. Mary's float pool has no access",
            ],
        );
    }
}

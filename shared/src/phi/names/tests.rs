use crate::phi::Category;
use crate::phi::test_support::{assert_each, category};

#[test]
fn flags_a_name_after_a_title() {
    assert_each(
        Some(Category::Name),
        &["Mrs. Garcia cannot see her MyChart", "Mr Okonkwo's armband printed blank", "ms. lopez moved rooms"],
    );
}

#[test]
fn flags_a_name_after_pt_or_patient() {
    assert_each(
        Some(Category::Name),
        &["pt Johnson has no diet order", "patient: John Smith", "pt john smith label blank"],
    );
}

#[test]
fn flags_lastname_comma_firstname() {
    assert_eq!(category("Garcia, Maria (bed 14) shows two allergies lists"), Some(Category::Name));
    assert_eq!(category("SMITH, JOHN printed on the wrong label"), Some(Category::Name));
}

#[test]
fn flags_a_relatives_name() {
    assert_eq!(category("called her daughter Maria about the portal"), Some(Category::Name));
    assert_eq!(category("son, Kevin, wants proxy access"), Some(Category::Name));
}

#[test]
fn flags_a_name_next_to_a_bed_or_possessive() {
    assert_eq!(category("Johnson in bed 14 has no MAR"), Some(Category::Name));
    assert_eq!(category("bed 12 - Nguyen, the scanner fails"), Some(Category::Name));
    assert_eq!(category("Garcia's wristband will not scan"), Some(Category::Name));
}

#[test]
fn flags_a_name_in_the_forms_hurried_reports_take() {
    assert_each(
        Some(Category::Name),
        &[
            "Maria Gonzalez in 12 can't get her armband scanned",
            "Carlos Rivera is NPO but the diet order is still active",
            "nguyen in bed 4 keeps showing as pending",
            "Okafor in 11 needs a new armband",
            "O'Brien's allergies list is blank after the merge",
            "Smith-Jones in bed 2 has duplicate orders",
            "ADT has Patel, Ravi in the wrong bed",
            "Ana R. in 12 has no MAR",
            "discharged Nguyen but the bed still shows occupied",
            "the AVS for Brian K. printed without meds",
            "Gutierrez was transferred to 6 North and lost his I/O",
            "the Gonzalez family asked for a copy of the labs",
            "mary jones 412 wristband blank",
            "last name Castillo but the wristband reads Castilla",
        ],
    );
}

#[test]
fn flags_names_of_every_origin_and_the_forms_newborns_and_initials_take() {
    assert_each(
        Some(Category::Name),
        &[
            "mrs. okafor's armband wont scan",
            "armband for baby girl Okonkwo printed with the mother's name",
            "heparin given to Adaeze Nwosu but the scan did not file",
            "allergy for Mateusz Wiśniewski shows penicillin twice",
            "R.J. Thibodeaux in 1207 - pump not associating",
            "haruto tanaka's daughter wants proxy access",
            "the Szymanskis are at bedside asking for the AVS",
        ],
    );
}

#[test]
fn clears_users_places_and_products_named_after_people() {
    assert_each(
        None,
        &[
            "Marcus Bell, unit educator, needs the tip sheet for blood",
            "Showed Karen Miller how to reprint the wristband",
            "cc Maria Lopez and Kevin Brown on the ticket",
            "Bernard Kim and Ruth Goldstein are the night trainers",
            "Henry Ford Hospital referral not in the dropdown",
            "Ronald McDonald House family room printer is not ours",
            "Crohn's diet order not in the list",
            "Grady ED transfers come in without a MRN",
            "Willow Inpatient verify queue is slow at 0800",
            "Care Everywhere shows outside allergies twice for every pt",
            "pca pump channel B not mapping in rm 1104",
        ],
    );
}

#[test]
fn flags_particles_lowercase_pairs_and_guesses_borne_out_by_a_bed() {
    assert_each(
        Some(Category::Name),
        &[
            "Pieter van der Berg tele box not linking to his chart",
            "mark jablonski got discharged but still on the census",
            "aisha rahimi in PACU bay 5 handoff missing",
            "mr price's wife wants the AVS",
            "the RN for Ezekiel Tanaka cannot chart the drip",
        ],
    );
    assert_each(None, &["Ms Green the unit manager wants the list", "nancy from infection control wants the flag"]);
}

#[test]
fn clears_staff_named_as_users() {
    assert_each(
        None,
        &[
            "Dr. Patel asked how to sign orders",
            "charge nurse Linda couldn't find the list",
            "Linda Chen, RN cannot log in",
            "Maria Lopez cannot print the AVS",
            "Patient Name column is cut off",
            "Patient Station does not refresh",
            "pt will need a new armband reprinted",
            "Dr. Garcia's orders are stuck",
        ],
    );
}

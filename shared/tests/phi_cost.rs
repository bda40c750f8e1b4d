//! The patient-data screen's cost per report, over the corpus. Kept apart from the recall
//! tests so that timing it (`cargo test --release -p floorboard-shared --test phi_cost --
//! --ignored --nocapture`) never runs the held-out checks.

use std::time::Instant;

use floorboard_shared::phi::screen;

/// Meaningful only in a release build, hence ignored.
#[test]
#[ignore = "a timing, meaningful only with --release"]
fn prints_the_cost_per_report() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/phi/corpus.tsv");
    let data = std::fs::read_to_string(path).expect("the corpus ships with the crate");
    let texts: Vec<&str> = data.lines().skip(1).filter_map(|l| l.split_once('\t')).map(|(_, t)| t).collect();
    let rounds = 200;
    let start = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        for text in &texts {
            found += usize::from(std::hint::black_box(screen(std::hint::black_box(text))).is_some());
        }
    }
    let per = start.elapsed() / (rounds * texts.len()) as u32;
    let mean_len = texts.iter().map(|t| t.len()).sum::<usize>() / texts.len().max(1);
    println!("{} texts x {rounds}: {per:?} per text (mean {mean_len} bytes), {found} refusals", texts.len());
}

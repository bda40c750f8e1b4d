//! The CI smoke run: `floorboard-bench run --quick` (tiny sizes, Floorboard only, no plots)
//! against the `floorboard` binary the test command builds first. It passes when every
//! expected delivery arrived; no figure is judged, so it holds on any machine.

use std::process::Command;

use floorboard_tests::floorboard_bin;

#[test]
fn a_quick_run_delivers_everything() {
    let out = tempfile::tempdir().expect("temporary directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_floorboard-bench"));
    command.args(["run", "--quick", "--out"]).arg(out.path()).arg("--floorboard-bin").arg(floorboard_bin());
    if let Ok(url) = std::env::var("FLOORBOARD_TEST_PG_URL") {
        command.env("FLOORBOARD_BENCH_PG_URL", url);
    }
    // The tables go to stdout; FAIL lines and progress to stderr, which stays visible.
    let status = command.stdout(std::process::Stdio::null()).status().expect("floorboard-bench runs");
    assert!(status.success(), "the smoke run failed: see the FAIL lines above");
    let results = std::fs::read_to_string(out.path().join("results.json")).expect("results.json written");
    let run: serde_json::Value = serde_json::from_str(&results).expect("results.json is JSON");
    assert_eq!(run["scenarios"].as_array().map(Vec::len), Some(7), "every scenario reported");
    assert!(out.path().join("results.md").is_file());
}

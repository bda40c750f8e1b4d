//! The CI smoke run: `floorboard-bench run --quick` (tiny sizes, Floorboard only, no plots)
//! against the `floorboard` binary the test command builds first. It passes when every
//! expected delivery arrived; no figure is judged, so it holds on any machine.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    assert_eq!(run["scenarios"].as_array().map(Vec::len), Some(8), "every scenario reported (S1-S7, S9)");
    assert!(out.path().join("results.md").is_file());
}

/// Stopped midway (by `timeout`, or a runner cancelling a job), the benchmark takes the
/// server it started down with it.
#[test]
fn a_stopped_run_leaves_no_server_behind() {
    let out = tempfile::tempdir().expect("temporary directory");
    // S6's smoke run holds a server for seconds.
    let mut bench = Command::new(env!("CARGO_BIN_EXE_floorboard-bench"))
        .args(["run", "--quick", "--scenario", "s6", "--out"])
        .arg(out.path())
        .arg("--floorboard-bin")
        .arg(floorboard_bin())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("floorboard-bench runs");
    // Once it listens: killed while starting, a server may end on its own, writing its
    // first lines to a closed pipe.
    let log = out.path().join("logs").join("01-floorboard.log");
    wait_for("the server to listen", || std::fs::read_to_string(&log).ok()?.contains("listening").then_some(()));
    let server = wait_for("the server's pid", || servers_started_by(bench.id()).first().copied());
    let _leftover = KillOnDrop(server);
    let kill = Command::new("kill").args(["-TERM", &bench.id().to_string()]).status().expect("kill runs");
    assert!(kill.success(), "the benchmark was running");
    let exit = bench.wait().expect("the benchmark exits");
    assert!(!exit.success(), "a stopped run does not report success");
    wait_for("the server to be gone", || (!running(server)).then_some(()));
}

/// Kills a process left behind, so a failing run of the test leaves nothing running either.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if running(self.0) {
            let _ = Command::new("kill").args(["-KILL", &self.0.to_string()]).status();
        }
    }
}

/// Polls `found` until it gives a value, for at most a minute.
fn wait_for<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(Instant::now() < deadline, "waited a minute for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `floorboard` processes whose parent is `parent`, from /proc.
fn servers_started_by(parent: u32) -> Vec<u32> {
    let entries = std::fs::read_dir("/proc").expect("/proc");
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| stat(*pid).is_some_and(|(comm, _, ppid)| comm == "floorboard" && ppid == parent))
        .collect()
}

/// A process exists and is not a zombie.
fn running(pid: u32) -> bool {
    stat(pid).is_some_and(|(_, state, _)| !matches!(state, 'Z' | 'X'))
}

/// A process's name, state and parent, from /proc/<pid>/stat.
fn stat(pid: u32) -> Option<(String, char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (comm, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    Some((comm.to_owned(), state, fields.next()?.parse().ok()?))
}

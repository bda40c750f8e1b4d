//! Headless Chromium, driven over WebDriver (chromedriver) with fantoccini, for tests that
//! assert what a person sees. Waits poll the page until the expected element shows up,
//! bounded by [`crate::WAIT`].

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;

use crate::WAIT;

/// A chromedriver process; each test starts its own. It runs in a process group of its own
/// with the browsers it starts, and dropped, it is killed with them: killed alone, it would
/// leave them running, a few dozen Chromium processes per test run on the machine that ran it.
pub struct Chromedriver {
    url: String,
    child: Child,
}

impl Chromedriver {
    pub async fn start() -> Chromedriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = Command::new(chromedriver_bin())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts (scripts/setup --browser installs it)");
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        tokio::time::timeout(WAIT, async {
            loop {
                if reqwest::get(&status).await.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("chromedriver answers");
        Chromedriver { url, child }
    }

    /// A new browser with a fresh profile (its own storage and service workers).
    pub async fn browser(&self) -> Browser {
        let profile = TempDir::new().expect("profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,1000".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({ "binary": chromium_bin(), "args": args }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session");
        Browser { client, _profile: profile }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Chromium's crash handlers start sessions of their own, and exit with the browser.
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.child.wait();
    }
}

fn chromedriver_bin() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())
}

fn chromium_bin() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

pub struct Browser {
    pub client: Client,
    _profile: TempDir,
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// The first element matching `css`, once it exists.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
    }

    /// Waits until an element matching `css` has text containing `text`.
    pub async fn find_text(&self, css: &str, text: &str) -> Element {
        self.find_text_within(css, text, WAIT).await
    }

    /// As `find_text`, waiting at most `wait` (for what a retry's backoff paces).
    pub async fn find_text_within(&self, css: &str, text: &str, wait: Duration) -> Element {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            for element in self.client.find_all(Locator::Css(css)).await.unwrap_or_default() {
                if element.text().await.is_ok_and(|t| t.contains(text)) {
                    return element;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "no `{css}` containing {text:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no element matching `css` contains `text`.
    pub async fn wait_gone(&self, css: &str, text: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let mut present = false;
            for element in self.client.find_all(Locator::Css(css)).await.unwrap_or_default() {
                present |= element.text().await.is_ok_and(|t| t.contains(text));
            }
            if !present {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "`{css}` still contains {text:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        // Options arrive with the catalog: wait for the one wanted.
        self.find(&format!("{css} option[value='{value}']")).await;
        self.find(css).await.select_by_value(value).await.expect("select");
    }

    /// Runs `script` (a function body) until it returns true.
    pub async fn wait_until(&self, script: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.client.execute(script, vec![]).await.ok().and_then(|v| v.as_bool()) != Some(true) {
            assert!(tokio::time::Instant::now() < deadline, "never true: {script}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot under the artifacts directory and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).expect("artifacts dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.expect("resize");
    }

    /// Signs in through the sign-in screen of the server at `base` (`http://host:port`), as a
    /// person would, and waits until the header names who is signed in. The page is then
    /// the home screen; the session cookie holds for every page of that host.
    pub async fn sign_in(&self, base: &str, login: &str, password: &str) {
        self.goto(&format!("{base}/signin")).await;
        self.fill_sign_in(login, password).await;
        self.find_text(".who-login", login).await;
    }

    /// Fills and sends the sign-in form on the page now (at `/signin`, or in place of a
    /// screen while nobody is signed in).
    pub async fn fill_sign_in(&self, login: &str, password: &str) {
        self.type_into("form.signin input[name='login']", login).await;
        self.type_into("form.signin input[name='password']", password).await;
        self.click("form.signin button[type='submit']").await;
    }

    /// The path of the page shown now.
    pub async fn path(&self) -> String {
        self.client.current_url().await.expect("current URL").path().to_owned()
    }
}

/// `$FLOORBOARD_ARTIFACTS`, or `target/artifacts/screenshots` in the workspace.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("FLOORBOARD_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/artifacts/screenshots"))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The built front end (`scripts/build-web`).
pub fn web_dist() -> PathBuf {
    let dir = workspace().join("web/dist");
    assert!(
        dir.join("index.html").is_file(),
        "{} is missing: run scripts/build-web first (scripts/test does)",
        dir.display()
    );
    dir
}

//! A Perl CGI app moving to Rust page by page, for real: `examples/perl/bgcolor.cgi`
//! (CGI.pm + CGI::Session 4.48) and `examples/bgcolor.rs` served side by side by
//! lighttpd, one visitor with a cookie jar going back and forth between them, on
//! the file store and on an SQLite store.
//!
//! Needs `lighttpd` (Debian's package, `scripts/install-oracle.sh`) and the Perl
//! oracle; without them the tests skip, or fail under `CGISESS_REQUIRE_SERVICES=1` /
//! `CGISESS_REQUIRE_ORACLE=1`.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cgi_session::{Args, Dsn};
use cgi_session_test_support::{oracle_has, service_up};
use common::browser::{Browser, Page};

/// lighttpd serving the Perl page at `/bgcolor.cgi` and the Rust page at `/bgcolor`,
/// both with the store given by `CGISESS_DSN` and `CGISESS_ARG_*` (set by a wrapper:
/// see below).
struct Lighttpd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Lighttpd {
    fn start(rust_page: &Path, dsn: &str, args: &[(&str, &str)]) -> Lighttpd {
        let dir = tempfile::tempdir().expect("temp dir");
        let docroot = dir.path().join("htdocs");
        std::fs::create_dir(&docroot).expect("docroot");
        let perl_page = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/perl/bgcolor.cgi");
        std::os::unix::fs::symlink(perl_page, docroot.join("bgcolor.cgi")).expect("link");
        std::os::unix::fs::symlink(rust_page, docroot.join("bgcolor")).expect("link");
        let port = free_port();
        // lighttpd upper-cases the names setenv.add-environment gives a CGI program
        // (CGISESS_ARG_DIRECTORY), and driver arguments are case-sensitive, so the
        // store is set by a wrapper that lighttpd runs each page through.
        let mut exports = format!("export CGISESS_DSN='{dsn}'\n");
        for (name, value) in args {
            exports.push_str(&format!("export CGISESS_ARG_{name}='{value}'\n"));
        }
        let wrapper = |file: &str, runner: &str| {
            let path = dir.path().join(file);
            let script = format!("#!/bin/sh\n{exports}exec {runner}\"$1\"\n");
            std::fs::write(&path, script).expect("write wrapper");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod wrapper");
            path
        };
        let perl = format!("'{}' ", perl_path().display());
        let conf = format!(
            "server.modules = (\"mod_cgi\")\n\
             server.document-root = \"{docroot}\"\n\
             server.bind = \"127.0.0.1\"\n\
             server.port = {port}\n\
             server.errorlog = \"{log}\"\n\
             # The Perl page through perl, the Rust page (a suffix match) run as it is.\n\
             cgi.assign = (\".cgi\" => \"{perl_page}\", \"/bgcolor\" => \"{rust_page}\")\n",
            docroot = docroot.display(),
            log = dir.path().join("error.log").display(),
            perl_page = wrapper("perl-page", &perl).display(),
            rust_page = wrapper("rust-page", "").display(),
        );
        let conf_path = dir.path().join("lighttpd.conf");
        std::fs::write(&conf_path, conf).expect("write lighttpd.conf");
        let child = Command::new("lighttpd")
            .arg("-D")
            .arg("-f")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lighttpd");
        let mut server = Lighttpd { child, port, dir };
        server.wait_listening();
        server
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.try_wait().expect("lighttpd status") {
                let mut stderr = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut stderr);
                }
                panic!("lighttpd exited ({status}): {stderr}{}", self.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "lighttpd did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `page`, after checking that the server answered 200 (else its error log is shown).
    fn expect_ok(&self, page: Page, target: &str) -> Page {
        assert!(
            page.is_ok(),
            "{target}: {} {}\n{}",
            page.status,
            page.body,
            self.error_log()
        );
        page
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Lighttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now (the OS picks it; lighttpd binds it right after).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// The absolute path of `perl` (lighttpd executes the interpreter by path).
fn perl_path() -> PathBuf {
    let out = Command::new("perl")
        .args(["-e", "print $^X"])
        .output()
        .expect("run perl");
    PathBuf::from(String::from_utf8(out.stdout).expect("UTF-8 path"))
}

/// `examples/bgcolor.rs`, built by cargo into this build's target directory, with the
/// flags of `scripts/test.sh`'s `cargo test`, which has built it already (then this
/// is a no-op).
fn rust_page() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "--workspace",
                "--all-features",
                "--example",
                "bgcolor",
            ])
            .arg("--message-format=json")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build --example bgcolor");
        assert!(out.status.success(), "cargo build --example bgcolor failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|m| m["target"]["name"] == "bgcolor")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the bgcolor executable")
    })
}

/// `GET target` from `server`, which must answer 200.
fn get(browser: &mut Browser, server: &Lighttpd, target: &str) -> Page {
    server.expect_ok(browser.get(server.port, target), target)
}

/// `POST target` of a url-encoded `form` to `server`, which must answer 200.
fn post(browser: &mut Browser, server: &Lighttpd, target: &str, form: &str) -> Page {
    server.expect_ok(browser.post(server.port, target, form), target)
}

/// The `Set-Cookie` with the id replaced by `<id>`: what both pages must agree on.
fn cookie_shape(page: &Page, id: &str) -> String {
    assert_eq!(page.set_cookies.len(), 1, "{:?}", page.set_cookies);
    page.set_cookies[0].replace(id, "<id>")
}

/// A directory for the store, when lighttpd and Perl with CGI.pm and `modules` are
/// here; otherwise `None` (the test skips) or a panic under the `CGISESS_REQUIRE_*`
/// switches.
fn store_dir(modules: &[&str]) -> Option<tempfile::TempDir> {
    let lighttpd = service_up("lighttpd", || {
        let out = Command::new("lighttpd")
            .arg("-v")
            .output()
            .map_err(|e| format!("cannot run lighttpd: {e}"))?;
        match out.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    });
    let perl = oracle_has(&[&["CGI"], modules].concat());
    (lighttpd && perl).then(|| tempfile::tempdir().expect("store dir"))
}

/// Asserts that `page` was served by `engine` and shows `colour`.
fn shows(page: &Page, engine: &str, colour: &str) {
    let seen = (page.field("engine"), page.field("colour"));
    assert_eq!(seen, (engine, colour), "{}", page.body);
}

/// The visit: colour set in Perl, read in Rust, changed in Rust, read in Perl; then
/// posted forms that carry the id in the body (no cookie) to each page.
fn one_visitor_across_both_pages(server: &Lighttpd) {
    let mut browser = Browser::default();

    let first = get(&mut browser, server, "/bgcolor.cgi?bgcolor=red");
    shows(&first, "Perl", "red");
    assert_eq!(first.field("last-visit"), "never: this is your first visit");
    let id = browser
        .jar
        .get("CGISESSID")
        .expect("Perl set the cookie")
        .clone();
    assert_eq!(id.len(), 32, "an md5 id: {id}");

    // Rust reads the colour Perl stored, in the same session, with the same cookie.
    let second = get(&mut browser, server, "/bgcolor");
    shows(&second, "Rust", "red");
    assert!(
        second.field("last-visit").ends_with(" GMT"),
        "{}",
        second.body
    );
    assert_eq!(browser.jar["CGISESSID"], id, "the same session");
    assert_eq!(cookie_shape(&second, &id), cookie_shape(&first, &id));
    assert_eq!(cookie_shape(&first, &id), "CGISESSID=<id>; path=/");

    // Rust changes it, Perl reads it.
    shows(
        &get(&mut browser, server, "/bgcolor?bgcolor=blue"),
        "Rust",
        "blue",
    );
    shows(&get(&mut browser, server, "/bgcolor.cgi"), "Perl", "blue");
    assert_eq!(browser.jar["CGISESSID"], id);

    let refused = get(&mut browser, server, "/bgcolor?bgcolor=%3Cscript%3E");
    shows(&refused, "Rust", "blue");
    assert!(refused.field("notice").starts_with("That is not a colour"));

    // A form posting the id in its body, from a browser that sends no cookie: each
    // page finds the session there (Rust through CgiQuery::from_env_with_body).
    for (target, engine, colour) in [
        ("/bgcolor", "Rust", "green"),
        ("/bgcolor.cgi", "Perl", "olive"),
    ] {
        let mut cookieless = Browser::default();
        let form = format!("CGISESSID={id}&bgcolor={colour}");
        shows(
            &post(&mut cookieless, server, target, &form),
            engine,
            colour,
        );
        assert_eq!(cookieless.jar["CGISESSID"], id, "{target} kept the session");
    }
    shows(&get(&mut browser, server, "/bgcolor"), "Rust", "olive");
}

#[test]
fn bgcolor_pages_share_a_file_store() {
    let Some(store) = store_dir(&[]) else { return };
    let dir = store.path().to_str().expect("UTF-8 path");
    let server = Lighttpd::start(rust_page(), "driver:file", &[("Directory", dir)]);
    one_visitor_across_both_pages(&server);
    let files = std::fs::read_dir(dir).expect("store").count();
    assert_eq!(files, 1, "one session file, the visitor's");
}

#[test]
fn bgcolor_pages_share_an_sqlite_store() {
    let Some(store) = store_dir(&["DBD::SQLite"]) else {
        return;
    };
    let db = store.path().join("sessions.db");
    let source = format!("dbi:SQLite:dbname={}", db.display());
    let dsn = "driver:sqlite";
    let args = Args::from([("DataSource".to_string(), source.clone())]);
    cgi_session::init::create_session_table(&Dsn::parse(dsn).expect("DSN"), &args, false)
        .expect("create the sessions table");
    let server = Lighttpd::start(rust_page(), dsn, &[("DataSource", &source)]);
    one_visitor_across_both_pages(&server);
    let rows: i64 = rusqlite::Connection::open(&db)
        .expect("open the store")
        .query_row("SELECT COUNT(*) FROM sessions", [], |row| row.get(0))
        .expect("count sessions");
    assert_eq!(rows, 1, "one session row, the visitor's");
}

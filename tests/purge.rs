//! `cgisess purge`: what a cron job with Perl's find() does, measured against Perl.
//!
//! The central test generates one store, purges one copy with Perl 4.48's own
//! `find()` cron job and another with `cgisess purge`, and asks Perl to read both:
//! they must hold exactly the same sessions and data. The others pin the command's
//! summary, `--dry-run`, `--jobs`, `--json` and its errors.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Output;

use cgi_session::{Args, Config, Value};
use common::cli::{command, failure, ok};
use common::dir_contents;
use common::oracle::Oracle;
use serde_json::{json, Value as Json};

/// A store the test builds: its DSN, its driver arguments, and the directory that
/// holds it (the session files, or the SQLite file).
struct Store {
    dsn: String,
    dir: tempfile::TempDir,
    sqlite: bool,
}

impl Store {
    fn file(serializer: &str) -> Store {
        Store {
            dsn: format!("driver:file;serializer:{serializer}"),
            dir: tempfile::tempdir().unwrap(),
            sqlite: false,
        }
    }

    fn sqlite(serializer: &str) -> Store {
        let store = Store {
            dsn: format!("driver:sqlite;serializer:{serializer}"),
            dir: tempfile::tempdir().unwrap(),
            sqlite: true,
        };
        ok(store.cgisess(&["init"]));
        store
    }

    fn args(&self) -> Args {
        self.args_in(self.dir.path())
    }

    fn args_in(&self, dir: &Path) -> Args {
        let (name, value) = if self.sqlite {
            (
                "DataSource",
                format!("dbi:SQLite:dbname={}", dir.join("sessions.db").display()),
            )
        } else {
            ("Directory", dir.display().to_string())
        };
        Args::from([(name.to_string(), value)])
    }

    fn args_json(&self, dir: &Path) -> Json {
        json!(self.args_in(dir))
    }

    fn config(&self) -> Config {
        Config::new(Some(&self.dsn), self.args()).unwrap()
    }

    /// A copy of the store in a new directory.
    fn copy(&self) -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        for entry in fs::read_dir(self.dir.path()).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
        copy
    }

    fn cgisess(&self, args: &[&str]) -> Output {
        self.cgisess_in(self.dir.path(), args)
    }

    fn cgisess_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = command();
        cmd.arg("--dsn").arg(&self.dsn);
        for (k, v) in self.args_in(dir) {
            cmd.arg("-a").arg(format!("{k}={v}"));
        }
        cmd.args(args).output().expect("cgisess runs")
    }

    /// Stores `data` under `id` as the serializer writes it (Perl writes the same).
    fn put(&self, id: &str, data: Value) {
        let config = self.config();
        let bytes = config.serializer().freeze(&data).unwrap();
        config.driver().store(id, &bytes).unwrap();
    }

    fn put_raw(&self, id: &str, bytes: &[u8]) {
        self.config().driver().store(id, bytes).unwrap();
    }

    fn ids(&self) -> Vec<String> {
        common::listed_ids(self.config().driver())
    }
}

fn now() -> i64 {
    Config::new(None, Args::new()).unwrap().now()
}

/// A session record idle for `idle` seconds at `now`. The cases keep far enough from
/// any expiry boundary that purges run seconds apart judge alike.
fn session_at(
    now: i64,
    id: &str,
    idle: i64,
    etime: Option<Value>,
    expire_list: &[(&str, i64)],
) -> Value {
    let atime = now - idle;
    let mut pairs: Vec<(&str, Value)> = vec![
        ("_SESSION_ID", Value::from(id)),
        ("_SESSION_CTIME", Value::from(atime - 100)),
        ("_SESSION_ATIME", Value::from(atime)),
        ("_SESSION_REMOTE_ADDR", Value::from("192.0.2.1")),
        ("user", Value::from("alice")),
        ("token", Value::from("t0k3n")),
        ("cart", Value::array([1, 2, 3])),
    ];
    if let Some(etime) = etime {
        pairs.push(("_SESSION_ETIME", etime));
    }
    if !expire_list.is_empty() {
        let list = expire_list.iter().map(|(k, v)| (*k, Value::from(*v)));
        pairs.push(("_SESSION_EXPIRE_LIST", Value::hash(list)));
    }
    Value::hash(pairs)
}

/// [`session_at`] now.
fn session(id: &str, idle: i64, etime: Option<Value>, expire_list: &[(&str, i64)]) -> Value {
    session_at(now(), id, idle, etime, expire_list)
}

/// Every case of the expiry rules a purge decides on (spec §2.3 steps 9-10), by id.
fn generate(store: &Store) {
    generate_at(store, now());
}

fn generate_at(store: &Store, now: i64) {
    let put = |id: &str, idle, etime: Option<Value>, list: &[(&str, i64)]| {
        store.put(id, session_at(now, id, idle, etime, list))
    };
    put("live-no-expiry", 10_000, None, &[]);
    put("live", 60, Some(3600.into()), &[]);
    put("expired", 7200, Some(3600.into()), &[]);
    // Perl stores expire('3600') as the string '3600' and compares it as a number.
    put("expired-str", 7200, Some("3600".into()), &[]);
    // Cancelled expiry (undef) and a false one (0) never expire.
    put("cancelled", 99_999, Some(Value::Undef), &[]);
    put("zero", 99_999, Some(0.into()), &[]);
    // A parameter past its own expiry is cleared; its list entry stays.
    put("param", 2000, Some(3600.into()), &[("token", 1800)]);
    put("param-live", 60, None, &[("token", 1800)]);
    let both: &[(&str, i64)] = &[("token", 1800), ("cart", 4000), ("user", 9000)];
    put("param-both", 5000, None, both);
    // Already cleared by an earlier purge: nothing changes.
    let mut cleared = session_at(now, "cleared", 2000, None, &[("gone", 1800)]);
    if let Value::Hash(h) = &mut cleared {
        std::sync::Arc::make_mut(h).remove(&cgi_session::PerlString::from_text("gone"));
    }
    store.put("cleared", cleared);
    // The whole session expired too: it goes, expire list and all.
    put("param-expired", 9000, Some(3600.into()), &[("token", 1800)]);
    // A reserved key in the list is never cleared.
    put("reserved", 5000, None, &[("_SESSION_REMOTE_ADDR", 10)]);
}

fn dump(oracle: &Oracle, store: &Store, dir: &Path) -> BTreeMap<String, Json> {
    let all = oracle.dump(&store.dsn, &store.args_json(dir));
    serde_json::from_value(all).unwrap()
}

/// `cgisess purge` on `store` leaves the sessions and data that Perl's find() purge
/// leaves on a file store of the same serializer holding the same sessions, as Perl
/// reads both. (For a file store that is a copy of the same store. Perl's find()
/// cannot purge an SQLite store — every removal fails with "database is locked"
/// while its traverse holds the table — so there a file store stands in.)
fn same_as_perl(store: Store) {
    let Some(oracle) = Oracle::get() else { return };
    let serializer = store.dsn.rsplit(':').next().unwrap().to_string();
    let reference = Store::file(&serializer);
    let now = now();
    generate_at(&store, now);
    generate_at(&reference, now);
    let by_perl = reference.copy();
    let by_rust = store.copy();
    oracle
        .purge(&reference.dsn, &reference.args_json(by_perl.path()))
        .expect("Perl's purge runs");
    let out = store.cgisess_in(by_rust.path(), &["purge", "--json"]);
    let summary: Json = serde_json::from_str(&ok(out)).unwrap();

    let perl = dump(&oracle, &reference, by_perl.path());
    let rust = dump(&oracle, &store, by_rust.path());
    assert_eq!(
        perl.keys().collect::<Vec<_>>(),
        rust.keys().collect::<Vec<_>>(),
        "the same sessions are left"
    );
    for (id, data) in &perl {
        assert_eq!(&rust[id], data, "session {id} as Perl reads it");
    }
    // The purge did what the cases call for, so the comparison means something.
    for gone in ["expired", "expired-str", "param-expired"] {
        assert!(!rust.contains_key(gone), "{gone} was removed");
    }
    assert_eq!(rust.len(), 9);
    assert!(
        !rust["param"].to_string().contains("t0k3n"),
        "the expired parameter is cleared: {}",
        rust["param"]
    );
    assert_eq!(summary["expired"], 3, "{summary}");
    assert_eq!(summary["errors"], 0);
}

#[test]
fn file_default_purge_leaves_what_perls_find_leaves() {
    same_as_perl(Store::file("default"));
}

#[test]
fn file_storable_purge_leaves_what_perls_find_leaves() {
    same_as_perl(Store::file("storable"));
}

#[test]
#[cfg(feature = "sqlite")]
fn sqlite_purge_leaves_what_perls_find_leaves() {
    same_as_perl(Store::sqlite("default"));
}

#[test]
fn a_record_holding_another_id_is_acted_on_as_perl_loads_it() {
    let Some(oracle) = Oracle::get() else { return };
    let store = Store::file("default");
    // `holder` holds the expired data of `victim`, which is stored and live itself.
    store.put("holder", session("victim", 7200, Some(3600.into()), &[]));
    store.put("victim", session("victim", 60, Some(3600.into()), &[]));
    let by_perl = store.copy();
    // Perl's load acts on the id inside the record (spec §2.3 step 8): it removes
    // `victim`, and `holder` stays. (Perl's find() itself may abort here, when its
    // listing meets the file removed under it: spec §4.1.)
    oracle
        .load(&store.dsn, &store.args_json(by_perl.path()), "holder", true)
        .unwrap();
    let s = summary(store.cgisess(&["purge", "--json"]));
    assert_eq!(s["errors"], 0);
    assert_eq!(store.ids(), vec!["holder".to_string()]);
    assert_eq!(
        dump(&oracle, &store, store.dir.path()),
        dump(&oracle, &store, by_perl.path())
    );
}

fn summary(out: Output) -> Json {
    serde_json::from_str(&ok(out)).expect("--json prints JSON")
}

/// Two purge summaries that count the same (the time aside).
fn assert_same_counts(a: &Json, b: &Json) {
    for field in [
        "scanned",
        "expired",
        "params_cleared",
        "rewritten",
        "errors",
    ] {
        assert_eq!(a[field], b[field], "{field}");
    }
}

#[test]
fn purge_removes_expired_clears_parameters_and_keeps_access_times() {
    let store = Store::file("default");
    generate(&store);
    let before = store.config().peek("param").unwrap().unwrap();
    let s = summary(store.cgisess(&["purge", "--json"]));
    assert_eq!(s["scanned"], 12);
    assert_eq!(s["expired"], 3, "{s}");
    // param: token; param-both: token and cart (user's 9000 s are not up).
    assert_eq!(s["params_cleared"], 3, "{s}");
    assert_eq!(s["rewritten"], 2, "{s}");
    assert_eq!(s["errors"], 0);
    assert_eq!(s["dry_run"], false);
    assert!(s["seconds"].as_f64().unwrap() >= 0.0);

    let after = store.config().peek("param").unwrap().unwrap();
    assert_eq!(
        after["_SESSION_ATIME"], before["_SESSION_ATIME"],
        "ATIME kept"
    );
    assert_eq!(after["token"], Value::Undef, "token cleared");
    assert_eq!(after["user"], before["user"]);
    assert_eq!(
        after["_SESSION_EXPIRE_LIST"], before["_SESSION_EXPIRE_LIST"],
        "list entries stay, as in Perl"
    );
    let both = store.config().peek("param-both").unwrap().unwrap();
    assert!(both.as_hash().unwrap().get(&"cart".into()).is_none());
    assert_eq!(both["user"], Value::from("alice"));
    let reserved = store.config().peek("reserved").unwrap().unwrap();
    assert_eq!(reserved["_SESSION_REMOTE_ADDR"], Value::from("192.0.2.1"));

    // A second run finds nothing left to do and rewrites nothing.
    let s = summary(store.cgisess(&["purge", "--json"]));
    assert_eq!(
        (s["scanned"].as_u64(), s["expired"].as_u64()),
        (Some(9), Some(0))
    );
    assert_eq!(s["missing"], 0);
    assert_eq!(s["rewritten"], 0, "{s}");
}

#[test]
fn dry_run_counts_the_same_and_changes_nothing() {
    let store = Store::file("default");
    generate(&store);
    let before = dir_contents(store.dir.path());
    let dry = summary(store.cgisess(&["purge", "--dry-run", "--json"]));
    assert_eq!(dir_contents(store.dir.path()), before, "nothing changed");
    assert_eq!(dry["dry_run"], true);
    let text = ok(store.cgisess(&["purge", "--dry-run"]));
    assert!(text.contains("3 expired would be removed"), "{text}");
    let real = summary(store.cgisess(&["purge", "--json"]));
    assert_same_counts(&dry, &real);
}

#[test]
fn jobs_leave_the_same_store_as_one_thread() {
    let store = Store::file("default");
    for n in 0..600 {
        let id = format!("s{n:04}");
        let idle = if n % 3 == 0 { 7200 } else { 60 };
        let list: &[(&str, i64)] = if n % 7 == 0 { &[("token", 30)] } else { &[] };
        store.put(&id, session(&id, idle, Some(3600.into()), list));
    }
    let one = store.copy();
    let many = store.copy();
    let a = summary(store.cgisess_in(one.path(), &["purge", "--json"]));
    let b = summary(store.cgisess_in(many.path(), &["purge", "--json", "--jobs", "4"]));
    assert_same_counts(&a, &b);
    assert_eq!(a["expired"], 200);
    assert_eq!(dir_contents(one.path()), dir_contents(many.path()));
    // 0 means two threads per CPU.
    let auto = store.copy();
    let c = summary(store.cgisess_in(auto.path(), &["purge", "--json", "-j", "0"]));
    assert_eq!(c["expired"], 200);
}

#[test]
fn a_bad_record_is_reported_and_the_rest_purged() {
    let store = Store::file("default");
    generate(&store);
    store.put_raw(
        "broken",
        b"$D = {'_SESSION_ID' => 'broken', system('rm -rf /')};;$D",
    );
    store.put_raw("truncated", b"$D = {'_SESSION_ID' => 'trunc");
    store.put_raw("not-a-session", b"$D = [1,2];;$D");
    let out = store.cgisess(&["purge", "--json"]);
    assert_eq!(out.status.code(), Some(1), "errors make the exit status 1");
    let s: Json = serde_json::from_slice(&out.stdout).expect("the summary is still printed");
    assert_eq!(s["errors"], 3);
    assert_eq!(s["expired"], 3, "the good records are purged");
    let err = String::from_utf8(out.stderr).unwrap();
    for id in ["broken", "truncated", "not-a-session"] {
        assert!(
            err.contains(&format!("cgisess: warning: session \"{id}\" skipped: ")),
            "{err}"
        );
    }
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("cgisess: error: 3 of 15 sessions could not be purged"),
        "{err}"
    );
    // Left as they were, for an operator to look at.
    let ids = store.ids();
    for id in ["broken", "truncated", "not-a-session"] {
        assert!(ids.contains(&id.to_string()), "{id} kept");
    }
}

#[test]
fn text_summary_names_every_count() {
    let store = Store::file("default");
    generate(&store);
    let text = ok(store.cgisess(&["purge"]));
    assert!(
        text.starts_with(
            "12 sessions scanned: 3 expired removed, 3 expired parameters cleared in 2 sessions ("
        ),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn purge_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| common::cli::cgisess(args);
    let one_line = |out: Output, needle: &str| {
        let err = failure(out);
        assert!(err.contains(needle), "{needle:?} in {err}");
    };
    let directory = format!("Directory={}", dir.path().display());
    one_line(
        run(&["--dsn", "driver:nosuch", "-a", &directory, "purge"]),
        "nosuch",
    );
    #[cfg(feature = "memcached")]
    one_line(
        run(&[
            "--dsn",
            "driver:memcached",
            "-a",
            "Servers=127.0.0.1:1",
            "purge",
        ]),
        "cannot traverse",
    );
    // A usage error is one line too, with status 2.
    let usage = run(&["-a", &directory, "purge", "--progress", "--no-progress"]);
    assert_eq!(usage.status.code(), Some(2));
    let err = String::from_utf8(usage.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "cgisess: error: the argument '--progress' cannot be used with '--no-progress'"
        ),
        "{err}"
    );
    // A directory that cannot be listed (a file in its place).
    let file = dir.path().join("plain");
    fs::write(&file, b"x").unwrap();
    one_line(
        run(&["-a", &format!("Directory={}", file.display()), "purge"]),
        "plain",
    );
}

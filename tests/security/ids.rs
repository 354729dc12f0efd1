//! Hostile session ids on every driver (spec §5, §8.1 items 1 and 3).
//!
//! Each store meets one catalogue of ids through `load`, `new` (md5 and static), the
//! driver's own `store`/`retrieve`/`remove`, and `cgisess show`/`delete`. The rule is
//! the same everywhere: an id is either refused with an error that names it, or kept
//! under exactly that id, apart from every other; loading any of them finds nothing,
//! and `new` with md5 never adopts it. Which ids a store refuses is its own (the
//! table in [`refuses`]), and is checked here so that it cannot drift unnoticed.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cgi_session::drivers::{Error as DriverError, MemoryDriver};
use cgi_session::{Args, Config, Driver, Error, Value};

use crate::common::cli;
use crate::common::services::{memcached_addr, redis_url};
use crate::sql_store::{Kind, Store};
use crate::Tried;

/// The catalogue: (label, id).
pub fn hostile_ids() -> Vec<(&'static str, String)> {
    [
        ("parent path", "../x"),
        ("deep parent path", "../../../../../../tmp/x"),
        ("absolute path", "/etc/passwd"),
        ("backslash", "a\\b"),
        ("backslash parent", "..\\x"),
        ("dot dot", ".."),
        ("dot", "."),
        ("NUL inside", "a\0b"),
        ("CR LF", "a\r\nSet-Cookie: x=1"),
        ("LF", "a\nb"),
        ("tab", "a\tb"),
        ("space inside", "a b"),
        ("one space", " "),
        ("empty", ""),
        ("false zero", "0"),
        ("SQL quote", "'; DROP TABLE x; --"),
        ("double quote", "\"x\""),
        ("percent escapes", "%2e%2e%2fx"),
        ("printf", "%s%n%x"),
        ("glob", "*"),
        ("non-ASCII", "ünï\u{202e}"),
        ("DEL", "a\u{7f}"),
        ("unknown md5 shape", "0123456789abcdef0123456789abcdef"),
        ("33 characters", "0123456789abcdef0123456789abcdef0"),
    ]
    .into_iter()
    .map(|(label, id)| (label, id.to_string()))
    .chain([("10,000 characters", "x".repeat(10_000))])
    .collect()
}

/// The documented rule (README "Hostile session ids"): whether `driver` refuses `id`
/// on write. Every id it does not refuse it stores under exactly that id.
fn refuses(driver: &str, id: &str) -> bool {
    let false_id = id.is_empty() || id == "0";
    match driver {
        // The 4.34 path fix (`/`, `\`), NUL, "" and names longer than NAME_MAX
        // (the OS refuses them). `0` is stored, as in Perl's driver.
        "file" => id.is_empty() || id.contains(['/', '\\', '\0']) || id.len() > 240,
        // Perl croaks on a false id; Berkeley DB keys are any bytes.
        "db_file" => false_id,
        // Bound parameters: any text is a value. CHAR(32) is not enforced by SQLite.
        "sqlite" | "memory" => id.is_empty(),
        // PostgreSQL text cannot hold NUL; CHAR(32) refuses longer ids.
        "postgresql" => id.is_empty() || id.contains('\0') || id.chars().count() > 32,
        // Strict mode (MariaDB's default) refuses ids longer than CHAR(32).
        "mysql" => id.is_empty() || id.chars().count() > 32,
        // Perl's redis driver would strip whitespace, merging two ids.
        "redis" => id.is_empty() || id.contains(char::is_whitespace),
        // The memcached protocol: no whitespace or control characters, keys of at
        // most 250 bytes with the namespace.
        "memcached" => {
            id.is_empty()
                || id.contains(|c: char| c.is_whitespace() || c.is_control())
                || id.len() > 200
        }
        other => panic!("no rule for {other}"),
    }
}

/// One store under test, with what keeps it alive (a temp dir, a SQL table).
struct Target {
    driver: &'static str,
    dsn: String,
    args: Args,
    /// The file driver's temp root, whose only entry is the store's directory.
    root: Option<PathBuf>,
    /// The memory store both configs share.
    memory: Option<Arc<MemoryDriver>>,
    _keep: Box<dyn std::any::Any>,
}

/// One memory store behind several configs.
struct Shared(Arc<MemoryDriver>);

impl Driver for Shared {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, DriverError> {
        self.0.retrieve(id)
    }
    fn store(&self, id: &str, data: &[u8]) -> Result<(), DriverError> {
        self.0.store(id, data)
    }
    fn remove(&self, id: &str) -> Result<(), DriverError> {
        self.0.remove(id)
    }
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), DriverError> {
        self.0.traverse(visit)
    }
}

impl Target {
    fn config(&self, id: &str) -> Config {
        let builder =
            Config::builder(Some(&format!("{};id:{id}", self.dsn))).args(self.args.clone());
        let builder = match &self.memory {
            Some(store) => builder.driver(Shared(store.clone())),
            None => builder,
        };
        builder.auto_flush(false).build().expect("config")
    }

    fn file(driver: &'static str, extra: &[(&str, &str)]) -> Target {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("store");
        let mut args: Args = crate::common::json_args(&serde_json::json!({
            "Directory": dir.display().to_string(),
        }));
        for (k, v) in extra {
            args.insert(k.to_string(), v.to_string());
        }
        Target {
            driver,
            dsn: format!("driver:{driver}"),
            args,
            root: Some(tmp.path().to_path_buf()),
            memory: None,
            _keep: Box::new(tmp),
        }
    }

    fn sql(kind: Kind) -> Option<Target> {
        let mut store = Store::new(kind, "hostile_ids")?;
        store.create_for("default");
        Some(Target {
            driver: kind.driver(),
            dsn: store.dsn("default"),
            args: store.args(),
            root: None,
            memory: None,
            _keep: Box::new(store),
        })
    }

    fn kv(driver: &'static str, tag: &str) -> Option<Target> {
        let unique = format!("sec-{tag}-{}-{driver}", std::process::id());
        let args: Args = match driver {
            "redis" => [("Server", redis_url()), ("Prefix", unique)],
            _ => [
                ("Servers", memcached_addr()),
                ("Namespace", format!("{unique}:")),
            ],
        }
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        crate::common::services::store_available(driver, &args).then(|| Target {
            driver,
            dsn: format!("driver:{driver}"),
            args,
            root: None,
            memory: None,
            _keep: Box::new(()),
        })
    }
}

/// Every entry under `root`, as paths relative to it.
fn tree(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            out.insert(path.strip_prefix(root).unwrap().display().to_string());
            if path.symlink_metadata().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

/// An error a user can act on: one line (the id shown escaped), naming the id or
/// the store's objection.
fn assert_clear(err: &dyn std::fmt::Display, what: &str) {
    let text = err.to_string();
    assert!(!text.is_empty(), "{what}: empty error");
    assert_eq!(text.lines().count(), 1, "{what}: one line: {text}");
}

fn is_md5_shape(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The whole catalogue against one store.
fn assert_hostile_ids_are_harmless(target: &Target) {
    let mut tried = Tried::new(target.driver);
    let md5 = target.config("md5");
    let fixed = target.config("static");
    let driver = md5.driver();

    // A victim whose data no hostile id may reach.
    let mut victim = md5.new_session(None).unwrap();
    victim.set_param("secret", "victim's").unwrap();
    victim.flush().unwrap();
    let victim_id = victim.id().unwrap();
    let victim_record = driver.retrieve(&victim_id).unwrap().expect("victim stored");
    let outside = target.root.as_deref().map(tree);

    let mut stored = Vec::new();
    for (label, id) in hostile_ids() {
        tried.one();
        let what = format!("{} {label}", target.driver);
        // What the store finds under the id before: nothing, except where a SQL CHAR
        // column pads (" " is "" to PostgreSQL, an id no session can have).
        let before = driver.retrieve(&id).unwrap();
        // load: nothing is stored under it yet, so nothing is found, and never an error.
        let loaded = md5
            .load(Some(&id))
            .unwrap_or_else(|e| panic!("{what}: load failed: {e}"));
        assert!(loaded.is_empty(), "{what}: load found {loaded:?}");

        // new with md5: a fresh id, never the client's (no fixation, spec §8.1 item 1).
        let mut fresh = md5
            .new_session(Some(&id))
            .unwrap_or_else(|e| panic!("{what}: new failed: {e}"));
        let fresh_id = fresh.id().unwrap();
        assert!(
            is_md5_shape(&fresh_id) && fresh_id != id,
            "{what}: new gave {fresh_id:?}"
        );
        fresh.flush().unwrap();
        assert_eq!(
            driver.retrieve(&id).unwrap(),
            before,
            "{what}: nothing new under the claim"
        );
        fresh.delete();
        fresh.flush().unwrap();

        // new with static adopts the claim, and its flush obeys the same rule.
        match fixed.new_session(Some(&id)) {
            Ok(mut session) => {
                assert_eq!(session.id().as_deref(), Some(id.as_str()), "{what}: static");
                session.set_param("via", "static").unwrap();
                match session.flush() {
                    // Perl's flush writes no session whose id is false (spec §2.6).
                    Ok(()) if id == "0" => assert_eq!(md5.peek(&id).unwrap(), None),
                    Ok(()) => {
                        assert!(!refuses(target.driver, &id), "{what}: static flushed");
                        let again = md5.peek(&id).unwrap().expect("stored");
                        assert_eq!(again["_SESSION_ID"], Value::from(id.as_str()), "{what}");
                        assert_eq!(again["via"], Value::from("static"), "{what}");
                    }
                    Err(e) => {
                        assert!(refuses(target.driver, &id), "{what}: static flush: {e}");
                        assert_clear(&e, &what);
                    }
                }
            }
            // Perl's static croaks without an id; "" and "0" are no id (spec §6.3).
            Err(e) => {
                assert!(id.is_empty() || id == "0", "{what}: static new: {e}");
                assert_clear(&e, &what);
            }
        }

        // The driver itself: refused with a clear error, or stored under that id.
        let record = format!("record of {label}").into_bytes();
        match driver.store(&id, &record) {
            Ok(()) => {
                assert!(
                    !refuses(target.driver, &id),
                    "{what}: stored, but the rule refuses it"
                );
                stored.push((id.clone(), record));
            }
            Err(e) => {
                assert!(refuses(target.driver, &id), "{what}: refused: {e}");
                assert_clear(&e, &what);
                assert_eq!(driver.retrieve(&id).unwrap(), before, "{what}");
                if let Err(e) = driver.remove(&id) {
                    assert_clear(&e, &what);
                }
            }
        }
    }

    // Every kept id reads back as its own record;
    // none reached another's record, and the victim is untouched.
    for (id, record) in &stored {
        assert_eq!(
            driver.retrieve(id).unwrap().as_ref(),
            Some(record),
            "{id:?}"
        );
    }
    assert_eq!(
        driver.retrieve(&victim_id).unwrap().as_deref(),
        Some(&victim_record[..])
    );
    for (id, _) in &stored {
        driver.remove(id).unwrap();
        assert_eq!(driver.retrieve(id).unwrap(), None, "{id:?} removed");
    }
    if let (Some(root), Some(before)) = (&target.root, outside) {
        // Nothing outside the store's directory, nothing but session files inside.
        let after = tree(root);
        let new: Vec<&String> = after.difference(&before).collect();
        for path in &new {
            let in_store = path
                .strip_prefix("store/")
                .is_some_and(|name| !name.contains('/'));
            assert!(
                in_store,
                "{}: {path:?} appeared outside the store",
                target.driver
            );
        }
    }
    eprintln!(
        "{}: {} of {} hostile ids kept under exactly their id, the rest refused",
        target.driver,
        stored.len(),
        hostile_ids().len()
    );
}

#[test]
fn hostile_ids_on_the_file_store_stay_inside_directory() {
    assert_hostile_ids_are_harmless(&Target::file("file", &[]));
}

#[test]
fn hostile_ids_on_the_db_file_store_are_plain_keys() {
    assert_hostile_ids_are_harmless(&Target::file("db_file", &[]));
}

#[test]
fn hostile_ids_on_the_memory_store_are_plain_keys() {
    let target = Target {
        driver: "memory",
        dsn: "driver:file".into(),
        args: Args::new(),
        root: None,
        memory: Some(Arc::new(MemoryDriver::new())),
        _keep: Box::new(()),
    };
    assert_hostile_ids_are_harmless(&target);
}

#[test]
fn hostile_ids_on_sql_stores_are_bound_never_pasted() {
    for kind in [Kind::Sqlite, Kind::Postgresql, Kind::Mysql] {
        if let Some(target) = Target::sql(kind) {
            assert_hostile_ids_are_harmless(&target);
        }
    }
}

#[test]
fn hostile_ids_on_key_value_stores_never_share_a_key() {
    for driver in ["redis", "memcached"] {
        if let Some(target) = Target::kv(driver, "ids") {
            assert_hostile_ids_are_harmless(&target);
        }
    }
}

/// `cgisess show ID` and `delete ID` with every id an argument can carry: one clear
/// line, status 1, nothing touched.
#[test]
fn cgisess_show_and_delete_refuse_hostile_ids_clearly() {
    let mut tried = Tried::new("cgisess show/delete");
    let mut targets = vec![Target::file("file", &[]), Target::file("db_file", &[])];
    targets.extend(Target::sql(Kind::Sqlite));
    targets.extend(Target::kv("redis", "cli"));
    for target in &targets {
        let mut base = vec!["--dsn".to_string(), target.dsn.clone()];
        for (k, v) in &target.args {
            base.extend(["-a".to_string(), format!("{k}={v}")]);
        }
        // An argument cannot hold NUL.
        for (label, id) in hostile_ids()
            .into_iter()
            .filter(|(_, id)| !id.contains('\0'))
        {
            for command in ["show", "delete"] {
                tried.one();
                let mut args = base.clone();
                args.extend([command.to_string(), "--".to_string(), id.clone()]);
                let err = cli::failure(cli::cgisess(&args));
                assert!(
                    err.contains("no session") || err.contains("not valid here"),
                    "{} {command} {label}: {err}",
                    target.driver
                );
            }
        }
    }
    // A non-UTF-8 id cannot name a session (ids are text): refused by the parser.
    use std::os::unix::ffi::OsStrExt;
    tried.one();
    let out = cli::cgisess([
        std::ffi::OsStr::new("show"),
        std::ffi::OsStr::from_bytes(b"\xff\xfe"),
    ]);
    assert!(!out.status.success(), "a non-UTF-8 id was accepted");
}

/// An id a client sends in a cookie or the query string goes through the same
/// checks, and with md5 never becomes the id of the session `new` makes.
#[test]
fn claimed_ids_from_requests_never_fix_the_session_id() {
    use cgi_session::cgi::{escape, CgiQuery};
    use cgi_session::PerlString;
    let mut tried = Tried::new("claimed ids from requests");
    let target = Target::file("file", &[]);
    let config = target.config("md5");
    let mut raw: Vec<Vec<u8>> = hostile_ids()
        .into_iter()
        .map(|(_, id)| id.into_bytes())
        .collect();
    raw.push(b"\xff\xfe".to_vec()); // not UTF-8
    for bytes in raw {
        let escaped = escape(&PerlString::from_bytes(bytes.clone()));
        for (cookie, query) in [
            (format!("CGISESSID={escaped}"), String::new()),
            (String::new(), format!("CGISESSID={escaped}")),
        ] {
            tried.one();
            let request = CgiQuery::from_parts(cookie.as_bytes(), query.as_bytes());
            let mut session = config.new_request(&request).unwrap();
            let id = session.id().unwrap();
            assert!(is_md5_shape(&id), "{bytes:?}: {id}");
            assert_ne!(id.as_bytes(), &bytes[..]);
            session.delete();
            session.flush().unwrap();
        }
    }
    // Even a live session's id claimed by another client is only that session: the
    // client knew the id (spec §8.1 item 1); rotating it at login is the defence.
    let mut known = config.new_session(None).unwrap();
    known.flush().unwrap();
    let before = known.id().unwrap();
    known.rotate_id().unwrap();
    assert_ne!(known.id().unwrap(), before);
    assert!(
        config.load(Some(&before)).unwrap().is_empty(),
        "the old id is dead"
    );
}

/// Perl's driver errors for a refused id name it; so do ours.
#[test]
fn refusals_name_the_id_and_the_reason() {
    let target = Target::file("file", &[]);
    let config = target.config("static");
    let mut session = config.new_session(Some("../etc/passwd")).unwrap();
    let err = session.flush().unwrap_err();
    assert!(
        matches!(err, Error::Driver(DriverError::InvalidId { .. })),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "store(): session id \"../etc/passwd\" is not valid here: session ids cannot contain \\ or / characters"
    );
}

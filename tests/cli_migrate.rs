//! `cgisess migrate`: sessions copied between real stores (file, SQLite, PostgreSQL,
//! redis, memcached) and serializers keep every key, their times and expiry; Perl
//! 4.48 loads the copies; re-runs are safe; the flags and the errors a user meets.
//!
//! PostgreSQL, redis and memcached tests skip without their servers, and the Perl
//! checks without Perl, unless `CGISESS_REQUIRE_SERVICES=1` / `CGISESS_REQUIRE_ORACLE=1`.

mod common;
#[path = "drivers_sql/store.rs"]
#[allow(dead_code)]
mod store;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cgi_session::serializers::{sniff, Format};
use cgi_session::{Args, Config, Value};
use common::cli::{cgisess, command, failure, ok};
use common::typed::{first_difference, float_text};
use common::{listed_ids, to_typed, Oracle};
use serde_json::{json, Value as Json};
use store::{Kind, Store};

/// A store as the command line names it: a DSN and Perl-named driver arguments.
#[derive(Debug, Clone)]
struct Place {
    dsn: String,
    args: Args,
}

impl Place {
    fn file(dir: &Path, serializer: &str) -> Place {
        Place {
            dsn: format!("driver:file;serializer:{serializer}"),
            args: Args::from([("Directory".into(), dir.display().to_string())]),
        }
    }

    /// A SQLite file in `dir`, its table made by `cgisess init`.
    fn sqlite(dir: &Path, serializer: &str) -> Place {
        let db = dir.join("sessions.db");
        let place = Place {
            dsn: format!("driver:sqlite;serializer:{serializer}"),
            args: Args::from([(
                "DataSource".into(),
                format!("dbi:SQLite:dbname={}", db.display()),
            )]),
        };
        ok(cgisess([place.source(), vec!["init".into()]].concat()));
        place
    }

    /// A PostgreSQL table made by the library's `init` for `serializer`.
    fn postgresql(store: &mut Store, serializer: &str) -> Place {
        store.create_for(serializer);
        Place {
            dsn: store.dsn(serializer),
            args: store.args(),
        }
    }

    fn is_yaml(&self) -> bool {
        self.dsn.ends_with("serializer:yaml")
    }

    fn config(&self) -> Config {
        Config::new(Some(&self.dsn), self.args.clone()).unwrap()
    }

    fn args_json(&self) -> Json {
        self.args
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect()
    }

    /// The global options naming this store as the source.
    fn source(&self) -> Vec<String> {
        self.options("--dsn", "-a")
    }

    /// `migrate`'s options naming this store as the target.
    fn target(&self) -> Vec<String> {
        self.options("--to", "--to-arg")
    }

    fn options(&self, dsn: &str, arg: &str) -> Vec<String> {
        let mut options = vec![dsn.to_string(), self.dsn.clone()];
        for (k, v) in &self.args {
            options.extend([arg.to_string(), format!("{k}={v}")]);
        }
        options
    }
}

/// `cgisess <source> migrate <target> <extra> --json`, which must succeed: its summary.
fn migrate(from: &Place, to: &Place, extra: &[&str]) -> Json {
    let out = ok(run_migrate(from, to, &[extra, &["--json"]].concat()));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn run_migrate(from: &Place, to: &Place, extra: &[&str]) -> Output {
    let mut args = from.source();
    args.push("migrate".into());
    args.extend(to.target());
    args.extend(extra.iter().map(|s| s.to_string()));
    cgisess(&args)
}

/// The counts of a `--json` summary, in its documented order.
fn counts(summary: &Json) -> [u64; 6] {
    [
        "scanned",
        "copied",
        "skipped_newer",
        "skipped_expired",
        "missing",
        "errors",
    ]
    .map(|k| {
        summary[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k}: {summary}"))
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Parameters every serializer here carries as Perl does.
fn params() -> Vec<(&'static str, Value)> {
    vec![
        ("user", Value::from("alice")),
        ("bytes", Value::bytes(b"caf\xe9 \n".to_vec())),
        ("int", Value::Int(-42)),
        ("float", Value::Float(3.25)),
        (
            "cart",
            Value::hash([("items", Value::array([Value::Int(1), Value::from("two")]))]),
        ),
        (
            "object",
            Value::blessed("My::Cart", Value::hash([("n", Value::Int(3))])),
        ),
        ("wide", Value::from("smile \u{263a}")),
    ]
}

/// A session written at `age` seconds ago with these params, session expiry and
/// per-parameter expiry: its id.
fn session_at(
    place: &Place,
    age: i64,
    params: &[(&str, Value)],
    expire: Option<&str>,
    expire_params: &[(&str, &str)],
) -> String {
    let then = now() - age;
    let config = Config::builder(Some(&place.dsn))
        .args(place.args.clone())
        .clock(move || then)
        .build()
        .unwrap();
    let mut session = config.new_session(None).unwrap();
    for (name, value) in params {
        session.set_param(*name, value.clone()).unwrap();
    }
    if let Some(t) = expire {
        session.expire(t).unwrap();
    }
    for (name, t) in expire_params {
        session.expire_param(*name, *t).unwrap();
    }
    session.flush().unwrap();
    session.id().unwrap()
}

/// The sessions of [`populated`]: live with expiry, without expiry, with an expired
/// parameter, and expired.
struct Sessions {
    live: String,
    forever: String,
    param_expired: String,
    expired: String,
}

impl Sessions {
    fn all(&self) -> Vec<String> {
        let mut ids = vec![
            self.live.clone(),
            self.forever.clone(),
            self.param_expired.clone(),
            self.expired.clone(),
        ];
        ids.sort();
        ids
    }
}

fn populated(place: &Place) -> Sessions {
    Sessions {
        live: session_at(place, 10, &params(), Some("+1h"), &[("cart", "30m")]),
        forever: session_at(place, 100_000, &params()[..3], None, &[]),
        param_expired: session_at(place, 600, &params()[..4], Some("1d"), &[("int", "5m")]),
        expired: session_at(place, 7200, &params()[..2], Some("1h"), &[]),
    }
}

/// Every id `from` holds, `to` holds with the same data, key for key (the
/// `_SESSION_*` times and expiry lists included).
fn assert_same_sessions(from: &Place, to: &Place, ids: &[String]) {
    let (from_config, to_config) = (from.config(), to.config());
    let yaml = from.is_yaml() || to.is_yaml();
    let typed = |value: &Value| {
        let typed = to_typed(value);
        if yaml {
            as_yaml_reads(&typed)
        } else {
            typed
        }
    };
    for id in ids {
        let want = typed(&from_config.peek(id).unwrap().expect("in the source"));
        let got = typed(
            &to_config
                .peek(id)
                .unwrap()
                .unwrap_or_else(|| panic!("{id} not in {}", to.dsn)),
        );
        if let Some(diff) = first_difference(&got, &want) {
            panic!("{} -> {}: {id} differs at {diff}", from.dsn, to.dsn);
        }
    }
}

/// Typed data as Perl's YAML serializer reads it back after writing it: numbers as
/// the strings Perl prints for them, character strings as their UTF-8 bytes.
fn as_yaml_reads(typed: &Json) -> Json {
    // A typed scalar is {"int": N}, {"float": N} or {"utf8": S}; a hash's entries are objects.
    let Json::Object(map) = typed else {
        return match typed {
            Json::Array(items) => items.iter().map(as_yaml_reads).collect(),
            other => other.clone(),
        };
    };
    match (map.get("int"), map.get("float"), map.get("utf8")) {
        (Some(n), _, _) if n.is_number() => json!({ "str": n.to_string() }),
        (_, Some(f), _) if f.is_number() => json!({ "str": float_text(f.as_f64().unwrap()) }),
        (_, _, Some(Json::String(s))) => {
            json!({ "str": s.bytes().map(char::from).collect::<String>() })
        }
        _ => map
            .iter()
            .map(|(k, v)| (k.clone(), as_yaml_reads(v)))
            .collect(),
    }
}

/// A temporary directory with a file store `file` (serializer default) to migrate
/// from and an empty one `target` with `serializer`, both under it.
fn file_to_file(serializer: &str) -> (tempfile::TempDir, Place, Place) {
    let tmp = tempfile::tempdir().unwrap();
    let file = Place::file(&tmp.path().join("file"), "default");
    let target = Place::file(&tmp.path().join("target"), serializer);
    (tmp, file, target)
}

/// Perl loads `id` from `place` and sees the parameters `from` holds.
fn assert_perl_sees_the_params(perl: &Oracle, place: &Place, from: &Place, id: &str) {
    let loaded = perl
        .load(&place.dsn, &place.args_json(), id, true)
        .unwrap_or_else(|e| panic!("Perl loads {id} from {}: {e}", place.dsn));
    assert!(!loaded.is_empty && !loaded.is_expired, "{loaded:?}");
    let mut want = to_typed(&from.config().peek(id).unwrap().unwrap());
    if place.is_yaml() {
        want = as_yaml_reads(&want);
    }
    let want = want["hash"].as_object().unwrap();
    let got = loaded.data["hash"].as_object().unwrap();
    let params: Vec<&String> = want
        .keys()
        .filter(|k| !k.starts_with("_SESSION_"))
        .collect();
    assert!(!params.is_empty());
    for name in params {
        if let Some(diff) = first_difference(&got[name], &want[name]) {
            panic!("{}: Perl sees {id}'s {name} differently: {diff}", place.dsn);
        }
    }
    assert_eq!(
        got.get("_SESSION_EXPIRE_LIST"),
        want.get("_SESSION_EXPIRE_LIST"),
        "{}",
        place.dsn
    );
}

#[test]
fn file_to_sqlite_to_file_yaml_keeps_every_key_and_perl_loads_the_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Place::file(&tmp.path().join("file"), "default");
    let sqlite = Place::sqlite(tmp.path(), "storable");
    let yaml = Place::file(&tmp.path().join("yaml"), "yaml");
    let sessions = populated(&file);
    let ids = sessions.all();

    let summary = migrate(&file, &sqlite, &[]);
    assert_eq!(counts(&summary), [4, 4, 0, 0, 0, 0], "{summary}");
    assert_eq!(listed_ids(sqlite.config().driver()), ids);
    assert_same_sessions(&file, &sqlite, &ids);
    let record = sqlite.config().driver().retrieve(&sessions.live).unwrap();
    assert_eq!(
        sniff(&record.unwrap()),
        Some(Format::Storable),
        "rewritten as storable"
    );

    let summary = migrate(&sqlite, &yaml, &[]);
    assert_eq!(counts(&summary), [4, 4, 0, 0, 0, 0], "{summary}");
    assert_eq!(listed_ids(yaml.config().driver()), ids);
    assert_same_sessions(&file, &yaml, &ids);

    let Some(perl) = Oracle::get() else { return };
    for place in [&sqlite, &yaml] {
        assert_perl_sees_the_params(&perl, place, &file, &sessions.live);
        assert_perl_sees_the_params(&perl, place, &file, &sessions.forever);
    }
}

#[test]
fn a_perl_written_store_migrates_to_postgresql_and_perl_loads_it_there() {
    let Some(mut store) = Store::new(Kind::Postgresql, "migrate") else {
        return;
    };
    let Some(perl) = Oracle::get() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = Place::file(tmp.path(), "default");
    let typed: serde_json::Map<String, Json> = params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), to_typed(&v)))
        .collect();
    let spec = json!({ "params": typed, "expire": 3600, "expire_params": {"user": "2h"} });
    let perl_id = perl
        .new_session(&file.dsn, &file.args_json(), None, &spec)
        .unwrap()
        .id;
    let rust_id = populated(&file).live;
    // A BYTEA table: Perl reads a TEXT column back decoded (DBD::Pg), which would
    // flag Latin-1 byte strings as characters whatever wrote them.
    let postgresql = Place::postgresql(&mut store, "storable");

    let summary = migrate(&file, &postgresql, &[]);
    assert_eq!(counts(&summary), [5, 5, 0, 0, 0, 0], "{summary}");
    assert_eq!(store.rows(), 5);
    let ids = listed_ids(file.config().driver());
    assert_same_sessions(&file, &postgresql, &ids);
    for id in [&perl_id, &rust_id] {
        assert_perl_sees_the_params(&perl, &postgresql, &file, id);
    }
}

#[test]
fn a_rerun_keeps_what_the_target_holds_as_recent_and_overwrite_replaces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Place::file(&tmp.path().join("file"), "default");
    let sqlite = Place::sqlite(tmp.path(), "default");
    let sessions = populated(&file);
    assert_eq!(counts(&migrate(&file, &sqlite, &[]))[1], 4);

    // Same serializer: each record is copied byte for byte.
    for id in sessions.all() {
        assert_eq!(
            sqlite.config().driver().retrieve(&id).unwrap(),
            file.config().driver().retrieve(&id).unwrap()
        );
    }

    let summary = migrate(&file, &sqlite, &[]);
    assert_eq!(counts(&summary), [4, 0, 4, 0, 0, 0], "a no-op: {summary}");

    // A user touches `live` in the new store, and `forever` in the old one (later).
    let mut touched = sqlite.config().load(Some(&sessions.live)).unwrap();
    touched.set_param("theme", "dark").unwrap();
    touched.flush().unwrap();
    let later = now() + 60;
    let old = Config::builder(Some(&file.dsn))
        .args(file.args.clone())
        .clock(move || later)
        .build()
        .unwrap();
    let mut session = old.load(Some(&sessions.forever)).unwrap();
    session.set_param("seen", "again").unwrap();
    session.flush().unwrap();

    let summary = migrate(&file, &sqlite, &[]);
    assert_eq!(counts(&summary), [4, 1, 3, 0, 0, 0], "{summary}");
    let target = sqlite.config();
    assert_eq!(
        target.peek(&sessions.live).unwrap().unwrap()["theme"],
        Value::bytes("dark"),
        "the session touched in the target was kept"
    );
    assert_same_sessions(&file, &sqlite, std::slice::from_ref(&sessions.forever));

    let summary = migrate(&file, &sqlite, &["--overwrite"]);
    assert_eq!(counts(&summary), [4, 4, 0, 0, 0, 0], "{summary}");
    assert_same_sessions(&file, &sqlite, &sessions.all());
    assert!(target.peek(&sessions.live).unwrap().unwrap()["theme"].is_undef());
}

#[test]
fn dry_run_writes_nothing_and_the_summary_says_what_would_be_done() {
    let (_tmp, file, target) = file_to_file("json");
    populated(&file);

    let summary = migrate(&file, &target, &["--dry-run"]);
    let keys: Vec<&String> = summary.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "copied",
            "dry_run",
            "errors",
            "missing",
            "scanned",
            "seconds",
            "skipped_expired",
            "skipped_newer"
        ]
    );
    assert_eq!(counts(&summary), [4, 4, 0, 0, 0, 0]);
    assert_eq!(summary["dry_run"], true);
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(listed_ids(target.config().driver()), Vec::<String>::new());

    let text = ok(run_migrate(&file, &target, &["--dry-run"]));
    assert!(
        text.starts_with("4 sessions scanned: 4 would be copied ("),
        "{text}"
    );
    let text = ok(run_migrate(&file, &target, &[]));
    assert!(text.starts_with("4 sessions scanned: 4 copied ("), "{text}");
    let summary = migrate(&file, &target, &["--dry-run"]);
    assert_eq!(counts(&summary), [4, 0, 4, 0, 0, 0]);
    assert_eq!(summary["dry_run"], true);
}

#[test]
fn skip_expired_leaves_out_expired_sessions_and_keeps_expired_params() {
    let (_tmp, file, target) = file_to_file("storable");
    let sessions = populated(&file);

    let summary = migrate(&file, &target, &["--skip-expired"]);
    assert_eq!(counts(&summary), [4, 3, 0, 1, 0, 0], "{summary}");
    let copied = target.config();
    assert_eq!(copied.driver().retrieve(&sessions.expired).unwrap(), None);
    // Records are copied, not loaded: the expired parameter is still there.
    assert_eq!(
        copied.peek(&sessions.param_expired).unwrap().unwrap()["int"],
        Value::Int(-42)
    );
    let mut kept = sessions.all();
    kept.retain(|id| *id != sessions.expired);
    assert_same_sessions(&file, &target, &kept);

    // Without the flag, the expired one comes too, exactly as it was.
    let summary = migrate(&file, &target, &[]);
    assert_eq!(counts(&summary), [4, 1, 3, 0, 0, 0], "{summary}");
    assert_same_sessions(&file, &target, &sessions.all());
}

#[test]
fn the_target_reads_its_settings_from_the_environment() {
    let (_tmp, file, target) = file_to_file("json");
    let sessions = populated(&file);
    let out = command()
        .args(file.source())
        .args(["migrate", "--json"])
        .env("CGISESS_TO_DSN", "driver:file")
        .env("CGISESS_TO_SERIALIZER", "json")
        .env("CGISESS_TO_ARG_Directory", &target.args["Directory"])
        .output()
        .unwrap();
    let summary: Json = serde_json::from_str(&ok(out)).unwrap();
    assert_eq!(counts(&summary)[1], 4, "{summary}");
    assert_same_sessions(&file, &target, &sessions.all());
}

#[test]
fn a_corrupt_record_is_reported_and_the_others_are_copied() {
    let (tmp, file, target) = file_to_file("default");
    let sessions = populated(&file);
    std::fs::write(
        tmp.path().join("file").join("cgisess_broken"),
        b"$D = {'_SESSION_ID' => 'broken',",
    )
    .unwrap();

    let out = run_migrate(&file, &target, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let summary: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts(&summary), [5, 4, 0, 0, 0, 1], "{summary}");
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("cgisess: warning: session \"broken\" skipped: load(): couldn't thaw"),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "cgisess: error: 1 of 5 sessions could not be migrated (reported above)"
    );
    assert_same_sessions(&file, &target, &sessions.all());
}

#[test]
fn a_target_record_that_cannot_be_read_is_kept_unless_overwrite() {
    let (tmp, file, target) = file_to_file("default");
    let id = session_at(&file, 0, &params(), None, &[]);
    let held = tmp.path().join("target").join(format!("cgisess_{id}"));
    std::fs::create_dir_all(held.parent().unwrap()).unwrap();
    std::fs::write(&held, b"not a record").unwrap();

    let out = run_migrate(&file, &target, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("the target's record of session") && err.contains("is kept"),
        "{err}"
    );
    assert_eq!(std::fs::read(&held).unwrap(), b"not a record");

    assert_eq!(counts(&migrate(&file, &target, &["--overwrite"]))[1], 1);
    assert_same_sessions(&file, &target, &[id]);
}

#[test]
fn errors_are_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Place::file(tmp.path(), "default");
    populated(&file);
    let to = |dsn: &str, args: &[(&str, &str)]| Place {
        dsn: dsn.into(),
        args: args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };

    let err = failure(run_migrate(&file, &to("driver:nosuch", &[]), &[]));
    assert!(
        err.contains("opening the target store") && err.contains("no driver named"),
        "{err}"
    );
    let err = failure(run_migrate(&file, &to("driver: file", &[]), &[]));
    assert!(err.contains("not a word"), "{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let source = format!("dbi:Pg:host=127.0.0.1;port={port};dbname=test");
    let closed = to(
        "driver:postgresql",
        &[("DataSource", &source), ("User", "postgres")],
    );
    let err = failure(run_migrate(&file, &closed, &[]));
    assert!(
        err.contains("opening the target store") && err.contains(&port.to_string()),
        "{err}"
    );

    let err = failure(run_migrate(&file, &file, &[]));
    assert!(
        err.contains("the target is the source store") && err.contains("nothing to migrate"),
        "{err}"
    );

    let memcached = to("driver:memcached", &[]);
    let err = failure(run_migrate(&memcached, &file, &[]));
    assert!(err.contains("memcached driver: "), "{err}");

    let out = cgisess(["migrate"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("required"), "{err}");
}

#[test]
fn kv_targets_get_the_remaining_life_as_their_ttl() {
    let tmp = tempfile::tempdir().unwrap();
    let file = Place::file(tmp.path(), "default");
    let live = session_at(&file, 10, &params(), Some("+1h"), &[]);
    let dying = session_at(&file, 3598, &params()[..2], Some("+1h"), &[]);
    let unique = format!("migrate-{}-{}", std::process::id(), now());
    let targets = [
        Place {
            dsn: "driver:redis".into(),
            args: Args::from([
                ("Server".into(), common::services::redis_url()),
                ("Prefix".into(), format!("{unique}:")),
            ]),
        },
        Place {
            dsn: "driver:memcached;serializer:storable".into(),
            args: Args::from([
                ("Servers".into(), common::services::memcached_addr()),
                ("Namespace".into(), format!("{unique}:")),
            ]),
        },
    ];
    let mut migrated = Vec::new();
    for mut target in targets {
        let what = target.dsn.clone();
        let up = common::services::available(&what, || {
            target
                .config()
                .driver()
                .retrieve("probe")
                .map(drop)
                .map_err(|e| e.to_string())
        });
        if !up {
            continue;
        }
        target.args.insert("ExpireFromSession".into(), "1".into());
        target.args.insert("ExpireGrace".into(), "0".into());
        let summary = migrate(&file, &target, &[]);
        assert_eq!(counts(&summary), [2, 2, 0, 0, 0, 0], "{what}: {summary}");
        assert_same_sessions(&file, &target, &[live.clone(), dying.clone()]);
        migrated.push(target);
    }
    if migrated.is_empty() {
        return;
    }
    std::thread::sleep(Duration::from_millis(3500));
    for target in &migrated {
        let config = target.config();
        assert_eq!(
            config.driver().retrieve(&dying).unwrap(),
            None,
            "{}: the copy lived only what the session had left",
            target.dsn
        );
        assert!(config.driver().retrieve(&live).unwrap().is_some());
    }
}

//! Ruby 3.1's CGI::Session and Rust sharing Ruby's FileStore and PStore stores: what
//! one writes the other reads to the same data, updates keep what the other wrote,
//! deletes are seen, and writers of both languages on one session never tear a
//! record. Ruby itself is the judge, through `tests/oracle/ruby_session.rb`. Skips
//! without Ruby unless CGISESS_REQUIRE_ORACLE=1.

mod common;

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cgi_session::{Args, Config, Session, Value};
use common::ruby::{assert_ruby_reads, boolean, ruby, ruby_usable, symbol, Store, STORES};

fn config(store: Store, dir: &Path, extra: &[(&str, &str)]) -> Config {
    let mut args = Args::from([("tmpdir".into(), dir.display().to_string())]);
    args.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::new(Some(store.dsn()), args).unwrap()
}

/// Session data of every kind a Ruby session holds, as a Ruby literal...
const RUBY_DATA: &str = r#"{
  "user" => "alice",
  "utf8" => "caf\u00e9 \u263a",
  "binary" => "\xff\x00=&%+ \n".b,
  "int" => -42,
  "past_fixnum" => 2**30,
  "big" => 2**62,
  "huge" => -(2**70),
  "float" => 1.5,
  "float_e" => 1.0e20,
  "negzero" => -0.0,
  "nothing" => nil,
  "yes" => true,
  "no" => false,
  "sym" => :admin,
  "list" => [1, "two", [3.25, nil]],
  "strhash" => {"a" => 1, "b" => [2]},
  "symhash" => {role: :admin, n: 2},
}"#;

/// ... and as the marshal module maps it (serializers/src/marshal, "The mapping").
fn rust_data() -> Vec<(&'static str, Value)> {
    vec![
        ("user", Value::from("alice")),
        ("utf8", Value::from("caf\u{e9} \u{263a}")),
        ("binary", Value::bytes(b"\xff\x00=&%+ \n".to_vec())),
        ("int", Value::Int(-42)),
        ("past_fixnum", Value::Int(1 << 30)),
        ("big", Value::Int(1 << 62)),
        (
            "huge",
            Value::blessed(
                "Ruby::Integer",
                Value::scalar_ref("-1180591620717411303424"),
            ),
        ),
        ("float", Value::Float(1.5)),
        ("float_e", Value::Float(1e20)),
        ("negzero", Value::Float(-0.0)),
        ("nothing", Value::Undef),
        ("yes", boolean(true)),
        ("no", boolean(false)),
        ("sym", symbol("admin")),
        (
            "list",
            Value::array([
                Value::Int(1),
                Value::from("two"),
                Value::array([Value::Float(3.25), Value::Undef]),
            ]),
        ),
        (
            "strhash",
            Value::hash([("a", Value::Int(1)), ("b", Value::array([Value::Int(2)]))]),
        ),
        (
            "symhash",
            Value::blessed(
                "Ruby::Hash",
                Value::hash([(
                    "pairs",
                    Value::array([
                        Value::array([symbol("role"), symbol("admin")]),
                        Value::array([symbol("n"), Value::Int(2)]),
                    ]),
                )]),
            ),
        ),
    ]
}

/// Asserts that `session` holds every value of [`rust_data`], strings with their
/// UTF-8 flag and `-0.0` with its sign.
fn assert_holds_rust_data(session: &Session) {
    for (name, want) in rust_data() {
        let got = session.param(name);
        assert_eq!(got, Some(&want), "{name}");
    }
    let flag = |name| {
        session
            .param(name)
            .and_then(Value::as_perl_str)
            .map(|s| s.is_utf8())
    };
    assert_eq!(flag("utf8"), Some(true));
    assert_eq!(flag("binary"), Some(false));
    let negzero = session.param("negzero");
    assert!(
        matches!(negzero, Some(Value::Float(f)) if f.is_sign_negative()),
        "{negzero:?}"
    );
}

fn every_id(config: &Config) -> Vec<String> {
    let mut ids = Vec::new();
    config
        .driver()
        .traverse(&mut |id| {
            ids.push(id.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    ids
}

#[test]
fn rust_loads_what_ruby_wrote_under_the_id_it_was_read_by() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let id = "9f2ce0e4c5b1a7d8e3f6a2b4c8d0e1f3";
        assert_eq!(ruby(store, dir.path(), id, "write", &[], RUBY_DATA), "ok\n");
        let config = config(store, dir.path(), &[]);
        // Ruby's record holds no _SESSION_ID: the session is the one stored under the id.
        let stored = config.peek(id).unwrap().expect("Ruby's record");
        assert!(stored.get("_SESSION_ID").is_none(), "{store:?}");
        let session = config.load(Some(id)).unwrap();
        assert_eq!(session.id().as_deref(), Some(id), "{store:?}");
        assert!(!session.is_empty() && !session.is_expired(), "{store:?}");
        assert_holds_rust_data(&session);
    }
}

#[test]
fn ruby_reads_what_rust_wrote() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let config = config(store, dir.path(), &[]);
        let mut session = config.new_session(None).unwrap();
        for (name, value) in rust_data() {
            session.set_param(name, value).unwrap();
        }
        session.flush().unwrap();
        let id = session.id().unwrap();
        assert_ruby_reads(store, dir.path(), &id, RUBY_DATA);
        // Ruby also sees the session's own keys, under Perl's names.
        let keys = ruby(store, dir.path(), &id, "keys", &[], "");
        assert!(keys.contains("_SESSION_ID\n"), "{keys}");
        // And Rust reads its own record back the same.
        assert_holds_rust_data(&config.load(Some(&id)).unwrap());
    }
}

#[test]
fn a_rust_update_keeps_what_only_ruby_wrote() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let id = "shared-session";
        ruby(store, dir.path(), id, "write", &[], RUBY_DATA);
        let mut session = config(store, dir.path(), &[]).load(Some(id)).unwrap();
        session.set_param("user", "bob").unwrap();
        session.flush().unwrap();
        // Every key Rust never touched reads in Ruby as Ruby wrote it.
        let want = RUBY_DATA.replace(r#""alice""#, r#""bob""#);
        assert_ruby_reads(store, dir.path(), id, &want);
        // Ruby updates one key; Rust sees it and everything else.
        ruby(store, dir.path(), id, "write", &[], r#"{"int" => 7}"#);
        let session = config(store, dir.path(), &[]).load(Some(id)).unwrap();
        assert_eq!(session.param("int"), Some(&Value::Int(7)));
        assert_eq!(session.param("user"), Some(&Value::from("bob")));
        assert_eq!(session.param("sym"), Some(&symbol("admin")));
    }
}

#[test]
fn ruby_finds_no_session_after_rust_deletes_it() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let id = "doomed";
        ruby(store, dir.path(), id, "write", &[], RUBY_DATA);
        let mut session = config(store, dir.path(), &[]).load(Some(id)).unwrap();
        session.delete();
        session.flush().unwrap();
        assert_eq!(ruby(store, dir.path(), id, "keys", &[], ""), "missing\n");
        // No lock or half-written file is left behind either.
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{store:?}"
        );
        // And Ruby's delete is seen by Rust.
        ruby(store, dir.path(), id, "write", &[], RUBY_DATA);
        assert_eq!(ruby(store, dir.path(), id, "delete", &[], ""), "ok\n");
        assert!(config(store, dir.path(), &[])
            .load(Some(id))
            .unwrap()
            .is_empty());
    }
}

#[test]
fn prefix_and_suffix_name_the_same_files_in_both() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let id = "named";
        let extra = ["--prefix", "app_", "--suffix", ".sess"];
        ruby(store, dir.path(), id, "write", &extra, r#"{"k" => "v"}"#);
        let config = config(
            store,
            dir.path(),
            &[("prefix", "app_"), ("suffix", ".sess")],
        );
        let session = config.load(Some(id)).unwrap();
        assert_eq!(session.param("k"), Some(&Value::from("v")), "{store:?}");
        let digest = cgi_session_drivers::ruby::id_digest(id);
        assert_eq!(every_id(&config), [format!("digest:{digest}")]);
        assert!(dir.path().join(format!("app_{digest}.sess")).is_file());
    }
}

/// What the cgisess CLI does: list Ruby's sessions by their pseudo-ids, and load and
/// update one through its pseudo-id (DigestIds), without writing the pseudo-id into
/// the record.
#[test]
fn pseudo_ids_reach_ruby_sessions_only_with_digest_ids() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let id = "listed";
        ruby(store, dir.path(), id, "write", &[], RUBY_DATA);
        let pseudo = format!("digest:{}", cgi_session_drivers::ruby::id_digest(id));

        let web = config(store, dir.path(), &[]);
        assert_eq!(every_id(&web), std::slice::from_ref(&pseudo));
        // A web application never opens a session by its file name.
        assert!(web.load(Some(&pseudo)).unwrap().is_empty(), "{store:?}");

        let cli = config(store, dir.path(), &[("DigestIds", "1")]);
        let mut session = cli.load(Some(&pseudo)).unwrap();
        assert_holds_rust_data(&session);
        session.set_param("user", "carol").unwrap();
        session.flush().unwrap();
        let want = RUBY_DATA.replace(r#""alice""#, r#""carol""#);
        assert_ruby_reads(store, dir.path(), id, &want);
        let keys = ruby(store, dir.path(), id, "keys", &[], "");
        assert!(!keys.contains("_SESSION_ID\n"), "{store:?}: {keys}");
    }
}

/// Ruby's writer process and Rust threads update one session a few hundred times
/// each, the Rust threads for as long as Ruby writes. Every record either reads is
/// whole (one writer's blob, of that writer's length), each sees the other's
/// records, and the session never disappears.
#[test]
fn ruby_and_rust_writers_of_one_session_never_tear_or_lose_it() {
    if !ruby_usable() {
        return;
    }
    const ROUNDS: usize = 300;
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let id = "hot";
        ruby(store, dir.path(), id, "write", &[], r#"{"start" => true}"#);
        let config = config(store, dir.path(), &[]);
        let rounds = ROUNDS.to_string();
        let ruby_done = AtomicBool::new(false);
        let rust_saw_ruby = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let ruby_writer = scope.spawn(|| {
                let out = ruby(store, dir.path(), id, "hammer", &["--rounds", &rounds], "");
                ruby_done.store(true, Ordering::SeqCst);
                out
            });
            for _ in 0..2 {
                scope.spawn(|| {
                    let mut round = 0;
                    while round < ROUNDS || !ruby_done.load(Ordering::SeqCst) {
                        let mut session = config.load(Some(id)).unwrap();
                        assert_eq!(session.id().as_deref(), Some(id), "{store:?}: session lost");
                        if assert_whole(&session) == Some("ruby") {
                            rust_saw_ruby.fetch_add(1, Ordering::SeqCst);
                        }
                        session.set_param("writer", "rust").unwrap();
                        session.set_param("blob", "s".repeat(5000)).unwrap();
                        session.set_param("round", round as i64).unwrap();
                        session.flush().unwrap();
                        round += 1;
                    }
                });
            }
            let out = ruby_writer.join().unwrap();
            let (done, ruby_saw_rust) = out.trim().split_once(' ').expect("two counts");
            assert_eq!(done, rounds);
            assert!(
                ruby_saw_rust.parse::<usize>().unwrap() > 0,
                "{store:?}: {out}"
            );
        });
        assert!(rust_saw_ruby.load(Ordering::SeqCst) > 0, "{store:?}");
        assert_whole(&config.load(Some(id)).unwrap());
        assert_ruby_reads(store, dir.path(), id, r#"{"start" => true}"#);
    }
}

/// The record the hammer's writers leave: Ruby's blob (3000 `r`) or Rust's (5000 `s`).
/// Gives the writer, if any wrote yet.
fn assert_whole(session: &Session) -> Option<&'static str> {
    let Some(writer) = session.param("writer") else {
        assert!(session.param("blob").is_none());
        return None;
    };
    let (writer, want) = match writer.as_str() {
        Some("ruby") => ("ruby", "r".repeat(3000)),
        Some("rust") => ("rust", "s".repeat(5000)),
        other => panic!("unknown writer {other:?}"),
    };
    assert_eq!(
        session.param("blob").and_then(Value::as_str),
        Some(want.as_str())
    );
    Some(writer)
}

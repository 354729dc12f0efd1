//! `cgisess` on Ruby's stores: `list` names every session Ruby wrote by its file's
//! digest, `show` reads one by that name, `migrate` moves Ruby sessions into a Perl
//! store under their real ids (from the record or from `--ids`) and Perl sessions into
//! a Ruby store, and `purge` applies Perl's expiry to the records that carry one.
//! Ruby 3.1 (`tests/oracle/ruby_session.rb`) writes and judges the Ruby side, Perl 4.48
//! the Perl side. Skips without them unless CGISESS_REQUIRE_ORACLE=1.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value as Json};

use common::cli::{cgisess, ok};
use common::ruby::{assert_ruby_reads, ruby, ruby_usable, Store, STORES};
use common::Oracle;

/// Ruby's own digest of `id`: the part of a session's file name that a listing shows.
fn ruby_digest(id: &str) -> String {
    let out = Command::new("ruby")
        .args([
            "-rdigest/md5",
            "-e",
            "print Digest::MD5.hexdigest(ARGV[0])[0, 16]",
            id,
        ])
        .output()
        .expect("ruby runs");
    assert!(out.status.success());
    format!("digest:{}", String::from_utf8(out.stdout).unwrap())
}

fn store_options(store: Store, dir: &Path) -> Vec<String> {
    vec![
        "--dsn".into(),
        store.dsn().into(),
        "-a".into(),
        format!("tmpdir={}", dir.display()),
    ]
}

fn run(store: Store, dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = store_options(store, dir);
    all.extend(args.iter().map(|a| a.to_string()));
    cgisess(all)
}

fn json_of(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Two sessions only Ruby wrote (their records hold no id) and one `cgisess new` wrote
/// (its record holds `_SESSION_ID`): the latter's id.
fn populate(store: Store, dir: &Path) -> String {
    ruby(
        store,
        dir,
        "alpha",
        "write",
        &[],
        r#"{"user" => "alice", "n" => 5}"#,
    );
    ruby(
        store,
        dir,
        "beta",
        "write",
        &[],
        r#"{"user" => "bob", "tags" => [:a, "b"]}"#,
    );
    let id = ok(run(store, dir, &["new", "--set", "user=carol"]));
    id.trim().to_string()
}

#[test]
fn list_and_show_name_ruby_sessions_by_digest_and_by_the_id_they_hold() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let carol = populate(store, dir.path());
        let mut listed: Vec<String> = ok(run(store, dir.path(), &["list"]))
            .lines()
            .map(String::from)
            .collect();
        listed.sort();
        let mut want: Vec<String> = ["alpha", "beta", carol.as_str()].map(ruby_digest).to_vec();
        want.sort();
        assert_eq!(listed, want, "{store:?}");

        let entries = json_of(&ok(run(store, dir.path(), &["list", "--json"])));
        let entries = entries.as_array().unwrap();
        assert_eq!(entries.len(), 3);
        for entry in entries {
            assert_eq!(entry["format"], store.dsn().trim_start_matches("driver:"));
            let expected = if entry["id"] == json!(ruby_digest(&carol)) {
                json!(carol)
            } else {
                Json::Null
            };
            assert_eq!(entry["session_id"], expected, "{store:?}: {entry}");
        }

        let shown = json_of(&ok(run(
            store,
            dir.path(),
            &["show", &ruby_digest("alpha")],
        )));
        assert_eq!(shown["user"], json!("alice"), "{store:?}: {shown}");
        assert_eq!(shown["n"], json!(5), "{store:?}: {shown}");
        // A pseudo-id is never stored as the session's id: Ruby's record is unchanged.
        assert_ruby_reads(
            store,
            dir.path(),
            "alpha",
            r#"{"user" => "alice", "n" => 5}"#,
        );
        let keys = ruby(store, dir.path(), "alpha", "keys", &[], "");
        assert_eq!(keys, "n\nuser\n", "{store:?}: show wrote into the record");
    }
}

#[test]
fn migrate_moves_ruby_sessions_into_a_perl_store_under_their_real_ids() {
    if !ruby_usable() {
        return;
    }
    let Some(perl) = Oracle::get() else { return };
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        let target = tempfile::tempdir().unwrap();
        let carol = populate(store, dir.path());
        let to = format!("Directory={}", target.path().display());
        let migrate = |extra: &[&str]| {
            let mut args = vec!["migrate", "--json", "--to", "driver:file", "--to-arg", &to];
            args.extend_from_slice(extra);
            run(store, dir.path(), &args)
        };

        // From the listing alone only the session that holds its id can move.
        let out = migrate(&[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{store:?}: Ruby-only records failed"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("its session id is unknown"), "{err}");
        let summary = json_of(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(
            (summary["copied"].clone(), summary["errors"].clone()),
            (json!(1), json!(2))
        );

        // With the ids the application knows, every session moves; an unknown one is missing.
        let ids = dir.path().join("ids.txt");
        std::fs::write(&ids, "alpha\nbeta\n\nnosuch\n").unwrap();
        let summary = json_of(&ok(migrate(&["--ids", ids.to_str().unwrap()])));
        assert_eq!(summary["copied"], json!(2), "{store:?}: {summary}");
        assert_eq!(summary["missing"], json!(1), "{store:?}: {summary}");
        assert_eq!(summary["errors"], json!(0), "{store:?}: {summary}");

        let args = json!({"Directory": target.path()});
        for (id, user) in [
            ("alpha", "alice"),
            ("beta", "bob"),
            (carol.as_str(), "carol"),
        ] {
            let loaded = perl.load("driver:file", &args, id, true).unwrap();
            assert_eq!(loaded.id, json!({"str": id}), "{store:?}");
            assert_eq!(
                loaded.data["hash"]["user"],
                json!({"str": user}),
                "{store:?}: {}",
                loaded.data
            );
        }
        let alpha = perl.load("driver:file", &args, "alpha", true).unwrap();
        assert_eq!(alpha.data["hash"]["n"], json!({"int": 5}), "{}", alpha.data);
    }
}

#[test]
fn migrate_moves_perl_sessions_into_a_ruby_store_that_ruby_reads() {
    if !ruby_usable() {
        return;
    }
    let Some(perl) = Oracle::get() else { return };
    for store in STORES {
        let source = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = json!({"Directory": source.path()});
        let spec = json!({"params": {"user": {"str": "dave"}, "visits": {"int": 3}}});
        let id = perl
            .new_session("driver:file", &args, None, &spec)
            .unwrap()
            .id;
        let from = format!("Directory={}", source.path().display());
        let to = format!("tmpdir={}", dir.path().display());
        let summary = json_of(&ok(cgisess([
            "--dsn",
            "driver:file",
            "-a",
            &from,
            "migrate",
            "--json",
            "--to",
            store.dsn(),
            "--to-arg",
            &to,
        ])));
        assert_eq!(summary["copied"], json!(1), "{store:?}: {summary}");
        assert_ruby_reads(
            store,
            dir.path(),
            &id,
            r#"{"user" => "dave", "visits" => 3}"#,
        );
    }
}

#[test]
fn purge_removes_what_perl_s_rules_expire_and_keeps_ruby_sessions_without_expiry() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        // A session idle since 2001 with a one-minute expiry, as a Rust app would
        // have left it, and one Ruby alone wrote (Ruby sessions never expire).
        let expired = r#"{"_SESSION_ID" => "old", "_SESSION_ATIME" => 1000000000,
                          "_SESSION_ETIME" => 60, "x" => 1}"#;
        ruby(store, dir.path(), "old", "write", &[], expired);
        ruby(store, dir.path(), "keep", "write", &[], r#"{"x" => 2}"#);
        let summary = json_of(&ok(run(store, dir.path(), &["purge", "--json"])));
        assert_eq!(summary["scanned"], json!(2), "{store:?}: {summary}");
        assert_eq!(summary["expired"], json!(1), "{store:?}: {summary}");
        assert_eq!(ruby(store, dir.path(), "old", "keys", &[], ""), "missing\n");
        assert_ruby_reads(store, dir.path(), "keep", r#"{"x" => 2}"#);
    }
}

#[test]
fn lint_finds_ruby_files_others_may_read_and_no_perl_id_weakness() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        // A tmpdir of the application's own, as the README advises.
        let dir = tempfile::tempdir().unwrap();
        let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
        std::fs::set_permissions(dir.path(), private).unwrap();
        ruby(store, dir.path(), "alpha", "write", &[], r#"{"x" => 1}"#);
        let out = run(store, dir.path(), &["lint", "--json"]);
        let clean = json_of(&String::from_utf8_lossy(&out.stdout));
        let codes: Vec<&str> = clean["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(!codes.contains(&"id-md5-perl"), "{store:?}: {clean}");
        assert_eq!(clean["errors"], json!(0), "{store:?}: {clean}");
        assert_eq!(clean["warnings"], json!(0), "{store:?}: {clean}");
        assert!(out.status.success(), "{store:?}: {clean}");

        // A session file its group may read: refused by the driver, reported by lint.
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| !p.to_string_lossy().ends_with(".lock"))
            .unwrap();
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o640);
        std::fs::set_permissions(&file, mode).unwrap();
        let out = run(store, dir.path(), &["lint", "--json"]);
        assert_eq!(out.status.code(), Some(1), "{store:?}");
        let report = json_of(&String::from_utf8_lossy(&out.stdout));
        let flagged = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "ruby-file-mode" && f["severity"] == "error");
        assert!(flagged, "{store:?}: {report}");
    }
}

#[test]
fn purge_idle_for_removes_ruby_sessions_unused_that_long_by_their_file_time() {
    if !ruby_usable() {
        return;
    }
    for store in STORES {
        let dir = tempfile::tempdir().unwrap();
        ruby(store, dir.path(), "stale", "write", &[], r#"{"x" => 1}"#);
        ruby(store, dir.path(), "fresh", "write", &[], r#"{"x" => 2}"#);
        // Last used in 2001 by its own account, though its file is new: it goes.
        let ancient = r#"{"_SESSION_ID" => "ancient", "_SESSION_ATIME" => 1000000000}"#;
        ruby(store, dir.path(), "ancient", "write", &[], ancient);
        // A session a Rust app touched carries its own access time, which decides.
        let used = ok(run(store, dir.path(), &["new", "--set", "y=3"]));
        let forty_days_ago =
            std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 86_400);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let path = entry.unwrap().path();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains(&ruby_digest("stale")[7..])
                || name.contains(&ruby_digest(used.trim())[7..])
            {
                file.set_modified(forty_days_ago).unwrap();
            }
        }
        let dry = json_of(&ok(run(
            store,
            dir.path(),
            &["purge", "--json", "--dry-run", "--idle-for", "30d"],
        )));
        assert_eq!(dry["expired"], json!(2), "{store:?}: {dry}");
        assert_eq!(
            ruby(store, dir.path(), "stale", "keys", &[], ""),
            "x\n",
            "dry run removed"
        );
        let summary = json_of(&ok(run(
            store,
            dir.path(),
            &["purge", "--json", "--idle-for", "30d"],
        )));
        assert_eq!(
            (summary["scanned"].clone(), summary["expired"].clone()),
            (json!(4), json!(2)),
            "{store:?}: {summary}"
        );
        for gone in ["stale", "ancient"] {
            let keys = ruby(store, dir.path(), gone, "keys", &[], "");
            assert_eq!(keys, "missing\n", "{store:?}: {gone}");
        }
        assert_ruby_reads(store, dir.path(), "fresh", r#"{"x" => 2}"#);
        let kept = run(store, dir.path(), &["show", used.trim()]);
        assert!(
            kept.status.success(),
            "{store:?}: a session with a recent ATIME went"
        );
        // Without --idle-for, Ruby sessions never expire; a bad time is a usage error.
        let out = run(store, dir.path(), &["purge", "--idle-for", "soon"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("soon"));
    }
}

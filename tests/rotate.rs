//! `Session::rotate_id` (id rotation against session fixation, which Perl 4.48 does
//! not have) on every store: a session Perl created gets a new md5 id in Rust; its
//! data, CTIME, ATIME and per-parameter expiry stay; Rust and Perl find nothing
//! under the old id and everything under the new one.

mod common;

use cgi_session::{Config, Error, Value};
use common::{from_typed, json_args, Oracle};
use serde_json::{json, Value as Json};

fn is_md5_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Perl creates a session, Rust loads and rotates it, both sides check the result.
fn rotate_a_perl_session(dsn: &str, args: &Json) {
    let Some(oracle) = Oracle::get() else { return };
    let perl = oracle
        .new_session(
            dsn,
            args,
            None,
            &json!({
                "params": { "user": { "str": "alice" }, "cart": common::to_typed(&Value::array([1, 2])),
                            "token": { "str": "t0k" } },
                "expire": 7200,
                "expire_params": { "token": "+10m" }
            }),
        )
        .expect("Perl new");
    let config = Config::new(Some(dsn), json_args(args)).expect("config");
    let mut session = config.load(Some(&perl.id)).expect("load");
    let before = session.data().clone();
    session.rotate_id().expect("rotate");
    let new_id = session.id().expect("an id");
    assert_ne!(new_id, perl.id, "{dsn}: a new id");
    assert!(is_md5_id(&new_id), "{dsn}: an md5 id: {new_id}");
    assert!(
        !session.is_dirty(),
        "{dsn}: written under the new id already"
    );

    // Everything but the id is what the session held before.
    let mut want = before;
    want.insert("_SESSION_ID".into(), Value::from(new_id.as_str()));
    let stored = config.peek(&new_id).expect("peek").expect("the new record");
    assert_eq!(stored.as_hash(), Some(&want), "{dsn}");
    assert!(
        config.peek(&perl.id).expect("peek").is_none(),
        "{dsn}: the old record is gone"
    );
    assert!(
        config.load(Some(&perl.id)).expect("load").is_empty(),
        "{dsn}"
    );
    assert!(
        !common::listed_ids(config.driver()).contains(&perl.id),
        "{dsn}"
    );

    // Perl: nothing under the old id; under the new one, the same data.
    let old = oracle.load(dsn, args, &perl.id, true).expect("Perl load");
    assert!(old.is_empty, "{dsn}: Perl finds nothing under the old id");
    let new = oracle.load(dsn, args, &new_id, true).expect("Perl load");
    assert!(!new.is_empty, "{dsn}: Perl finds the new id");
    assert_eq!(from_typed(&new.data).as_hash(), Some(&want), "{dsn}");
    let created = from_typed(&perl.data);
    for key in [
        "_SESSION_CTIME",
        "_SESSION_ETIME",
        "_SESSION_EXPIRE_LIST",
        "user",
        "cart",
    ] {
        assert_eq!(want.get(&key.into()), created.get(key), "{dsn}: {key} kept");
    }
    config.driver().remove(&new_id).expect("clean up");
}

#[test]
fn rotation_on_the_file_store() {
    let dir = tempfile::tempdir().unwrap();
    rotate_a_perl_session(
        "driver:file;serializer:default",
        &json!({ "Directory": dir.path() }),
    );
    rotate_a_perl_session(
        "driver:file;serializer:storable",
        &json!({ "Directory": dir.path() }),
    );
}

#[cfg(feature = "db_file")]
#[test]
fn rotation_on_the_db_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cgisess.db");
    rotate_a_perl_session("driver:db_file", &json!({ "FileName": db }));
}

#[cfg(feature = "sqlite")]
#[test]
fn rotation_on_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let source = format!("dbi:SQLite:dbname={}", dir.path().join("s.db").display());
    let args = json!({ "DataSource": source });
    let dsn = cgi_session::Dsn::parse("driver:sqlite").unwrap();
    cgi_session::init::create_session_table(&dsn, &json_args(&args), false).unwrap();
    rotate_a_perl_session("driver:sqlite", &args);
}

#[cfg(feature = "redis")]
#[test]
fn rotation_on_the_redis_store() {
    let args = json!({
        "Server": common::services::redis_url(),
        "Prefix": format!("rotate-{}-", std::process::id()),
    });
    if common::services::store_available("redis", &json_args(&args)) {
        rotate_a_perl_session("driver:redis", &args);
    }
}

#[test]
fn a_new_session_rotates_before_it_is_ever_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(None, json_args(&json!({ "Directory": dir.path() }))).unwrap();
    let mut session = config.new_session(None).unwrap();
    session.set_param("a", 1).unwrap();
    let first = session.id().unwrap();
    session.rotate_id().unwrap();
    let second = session.id().unwrap();
    assert_ne!(first, second);
    assert!(session.is_new(), "still new: nothing written yet");
    assert_eq!(
        common::dir_contents(dir.path()).len(),
        0,
        "nothing written by the rotation"
    );
    session.flush().unwrap();
    assert_eq!(
        config.load(Some(&second)).unwrap().param("a"),
        Some(&Value::Int(1))
    );
    assert!(config.peek(&first).unwrap().is_none());
}

#[test]
fn rotation_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let args = json_args(&json!({ "Directory": dir.path() }));
    let config = Config::new(None, args.clone()).unwrap();
    let mut empty = config.load(Some("nosuchid")).unwrap();
    let err = empty.rotate_id().unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "rotate_id(): the session is empty, so it has no id to rotate"
    );

    let mut deleted = config.new_session(None).unwrap();
    deleted.flush().unwrap();
    deleted.delete();
    let err = deleted.rotate_id().unwrap_err();
    assert!(err.to_string().ends_with("is deleted"), "{err}");

    // id:static adopts the claimed id, so it cannot give another.
    let fixed = Config::new(Some("driver:file;id:static"), args).unwrap();
    let mut session = fixed.new_session(Some("pinned")).unwrap();
    session.flush().unwrap();
    let err = session.rotate_id().unwrap_err();
    assert_eq!(
        err.to_string(),
        "rotate_id(): id generator \"static\" gave the same id \"pinned\" again"
    );
    assert_eq!(
        session.id().as_deref(),
        Some("pinned"),
        "the session keeps its id"
    );
    assert!(fixed.peek("pinned").unwrap().is_some(), "and its record");
}

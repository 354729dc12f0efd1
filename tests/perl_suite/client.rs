//! The client address: `t/remote_addr.t` and `t/ip_matches.t` (spec §3.3, §2.3 step 11).
//!
//! Perl reads `$ENV{REMOTE_ADDR}`; these tests give the address per config or per
//! load instead, so they never depend on (or change) the test process's environment.

use cgi_session::{Config, LoadOptions, Value};

use crate::{stored, Store, FILE_DSN};

fn from(addr: &str, claimed_id: Option<&str>) -> LoadOptions {
    LoadOptions {
        claimed_id: claimed_id.map(str::to_string),
        remote_addr: Some(addr.to_string()),
        ..LoadOptions::default()
    }
}

#[test]
fn remote_addr_is_the_address_at_creation() {
    // t/remote_addr.t
    let store = Store::new();
    let config = store
        .builder(FILE_DSN)
        .remote_addr("127.0.0.1")
        .build()
        .unwrap();
    let session = config.new_session(None).unwrap();
    assert_eq!(session.remote_addr(), "127.0.0.1");
    let id = session.id().unwrap();
    drop(session);
    assert_eq!(
        stored(&config, &id)["_SESSION_REMOTE_ADDR"],
        Value::from("127.0.0.1")
    );

    // spec §3.1: never updated afterwards, whoever loads the session.
    let elsewhere = config.load_with(&from("10.9.8.7", Some(&id))).unwrap();
    assert_eq!(elsewhere.remote_addr(), "127.0.0.1");
    assert!(!elsewhere.ip_matches("10.9.8.7"));
    drop(elsewhere);
    assert_eq!(
        stored(&config, &id)["_SESSION_REMOTE_ADDR"],
        Value::from("127.0.0.1")
    );
}

#[test]
fn a_per_load_address_overrides_the_configs() {
    let store = Store::new();
    let config = store
        .builder(FILE_DSN)
        .remote_addr("127.0.0.1")
        .build()
        .unwrap();
    let session = config.new_with(&from("192.0.2.1", None)).unwrap();
    assert_eq!(session.remote_addr(), "192.0.2.1");
    assert!(session.ip_matches("192.0.2.1"));
}

#[test]
fn ip_matches_off_by_default_then_deletes_on_a_mismatch() {
    // t/ip_matches.t
    let store = Store::new();
    let plain = store.config();
    assert!(!plain.ip_match(), "ip_match off by default");

    let mut session = plain.new_with(&from("127.0.0.1", None)).unwrap();
    let first = session.id().unwrap();
    session.set_param("TEST", "VALUE").unwrap();
    session.flush().unwrap();
    let session = plain.new_with(&from("127.0.0.2", Some(&first))).unwrap();
    assert_eq!(
        session.id().as_deref(),
        Some(first.as_str()),
        "same session id from another address"
    );
    assert_eq!(session.param("TEST"), Some(&Value::from("VALUE")));
    drop(session);

    // CGI::Session->import('-ip_match')
    let matching: Config = store.builder(FILE_DSN).ip_match(true).build().unwrap();
    assert!(matching.ip_match());
    let mut session = matching.new_with(&from("127.0.0.2", None)).unwrap();
    assert!(session.ip_matches("127.0.0.2"), "REMOTE_IP matches session");
    session.set_param("TEST", "VALUE").unwrap();
    let sid = session.id().unwrap();
    session.flush().unwrap();

    let session = matching.new_with(&from("127.0.0.2", Some(&sid))).unwrap();
    assert_eq!(
        session.id().as_deref(),
        Some(sid.as_str()),
        "same ip: same session"
    );
    assert!(session.ip_matches("127.0.0.2"));
    assert_eq!(session.param("TEST"), Some(&Value::from("VALUE")));
    drop(session);

    let other = matching.new_with(&from("127.0.0.1", Some(&sid))).unwrap();
    assert_ne!(
        other.id().as_deref(),
        Some(sid.as_str()),
        "different ip: new session id"
    );
    assert!(!other.is_expired(), "a mismatch is not an expiry");
    assert_eq!(other.param("TEST"), None);
    // spec §2.3 step 11: the mismatching load removed the stored session.
    assert!(
        matching.peek(&sid).unwrap().is_none(),
        "the record of {sid} was deleted"
    );

    // load() from a third address: the empty session, and the record is gone.
    let loaded = matching
        .load_with(&from("127.0.0.9", Some(&first)))
        .unwrap();
    assert!(loaded.is_empty() && !loaded.is_expired(), "{loaded:?}");
    assert!(matching.peek(&first).unwrap().is_none());
}

#[test]
fn renew_records_the_address_of_the_request_that_renewed() {
    // spec §2.4: `$s->new` on an empty session sets _SESSION_REMOTE_ADDR to the
    // current request's address, as `new()` does; a per-load address stands for
    // that request's `$ENV{REMOTE_ADDR}`.
    let store = Store::new();
    let config = store.config();
    let mut session = config
        .load_with(&from("192.0.2.1", Some("unknown")))
        .unwrap();
    assert!(session.is_empty());
    session.renew().unwrap();
    assert_eq!(session.remote_addr(), "192.0.2.1");
    let fresh = config
        .new_with(&from("192.0.2.1", Some("unknown")))
        .unwrap();
    assert_eq!(
        fresh.remote_addr(),
        session.remote_addr(),
        "renew() and new() agree"
    );
}

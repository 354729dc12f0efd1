//! Creating, loading, flushing and deleting: `t/flush.t`, `t/is_new.t`, `t/load.t`,
//! `t/load_with_undef.t`, `t/new_with_undef.t`, `t/bug21952.t`, `t/bug24285.t`, and
//! the status rules of spec §2.3–§2.7.

use cgi_session::cgi::CgiQuery;
use cgi_session::{keys, Config, Error, LoadOptions, Value};

use crate::{counting_config, directory_args, stored, Clock, Store, FILE_DSN, T0};

fn is_md5_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[test]
fn flush_auto_flush_on_drop_leaves_a_readable_record() {
    // t/flush.t
    let store = Store::new();
    let config = store.config();
    let id = {
        let session = config.new_session(None).unwrap();
        session.id().expect("found session id")
    };
    let file = store.file(&id);
    assert!(
        std::fs::metadata(&file).is_ok_and(|m| m.is_file()),
        "found session data file"
    );
    let again = config.load(Some(&id)).unwrap();
    assert_eq!(
        again.id(),
        Some(id),
        "the record reads back as the same session"
    );
}

#[test]
fn bug24285_a_missing_directory_is_created_and_the_drop_writes_there() {
    // t/bug24285.t: Directory => t/sessiondata, which does not exist yet.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessiondata");
    let config = Config::new(Some(FILE_DSN), directory_args(&dir)).unwrap();
    let id = {
        let session = config.new_session(None).unwrap();
        session.id().unwrap()
    };
    assert!(
        dir.join(format!("cgisess_{id}")).is_file(),
        "created file outside the default directory"
    );
}

#[test]
fn bug21952_driver_arguments_are_not_changed_and_keep_applying() {
    // t/bug21952.t: in Perl < 4.20 the driver blessed the caller's args hash, which
    // was then destroyed with the first session; a later auto-flush wrote into tmpdir.
    let store = Store::new();
    let args = store.args();
    let config = Config::new(Some(FILE_DSN), args.clone()).unwrap();
    let query = CgiQuery::default();
    let loaded = config.load_request(&query).unwrap();
    assert!(loaded.is_empty());
    drop(loaded);
    let mut session = config.new_request(&query).unwrap();
    let id = session.id().unwrap();
    session.delete();
    drop(session);
    assert_eq!(
        config.args(),
        &args,
        "the driver arguments are exactly what was given"
    );

    // The report's scenario: load() gives an empty session, new() replaces it, and the
    // auto-flush at the end goes to the given Directory.
    let id2 = {
        let empty = config.load_request(&query).unwrap();
        assert!(empty.is_empty());
        config.new_request(&query).unwrap().id().unwrap()
    };
    assert_ne!(id, id2);
    assert_eq!(store.files(), vec![format!("cgisess_{id2}")]);
}

#[test]
fn is_new_for_a_fresh_session_only() {
    // t/is_new.t
    let store = Store::new();
    let config = store.config();
    let mut ses = config.new_session(None).unwrap();
    assert!(ses.is_new(), "a brand new session is_new");
    let id = ses.id().unwrap();
    // Never flushed, so there is nothing to load: empty, and not new.
    let ses2 = config.load(Some(&id)).unwrap();
    assert!(!ses2.is_new());
    assert!(ses2.is_empty());

    // spec §2.5: NEW is cleared by a successful flush; a reload is never new.
    ses.flush().unwrap();
    assert!(!ses.is_new(), "is_new() becomes false after flush()");
    let ses3 = config.load(Some(&id)).unwrap();
    assert!(!ses3.is_new() && !ses3.is_empty());
}

#[test]
fn status_bits_are_perls_numbers() {
    // spec §2.7, verified in Perl: new = 3, loaded = 5, expired at load = 17, new
    // after expired = 19 (is_new and is_expired together).
    let store = Store::new();
    let config = store.config();
    let empty = config.load(None).unwrap();
    assert_eq!(empty.status().bits(), 1, "no id anywhere: UNSET");
    let mut fresh = config.new_session(None).unwrap();
    assert_eq!(fresh.status().bits(), 3, "NEW|UNSET");
    let id = fresh.id().unwrap();
    fresh.expire(1).unwrap();
    fresh.flush().unwrap();
    assert_eq!(fresh.status().bits(), 1, "a flush clears NEW and MODIFIED");

    let loaded = config.load(Some(&id)).unwrap();
    assert_eq!(
        loaded.status().bits(),
        5,
        "MODIFIED|UNSET: the ATIME refresh"
    );
    drop(loaded);

    store.clock.advance(1);
    let renewed = config.new_session(Some(&id)).unwrap();
    assert_eq!(renewed.status().bits(), 19, "NEW|EXPIRED|UNSET");
    assert!(renewed.is_new() && renewed.is_expired());
    assert_ne!(
        renewed.id().as_deref(),
        Some(id.as_str()),
        "a fresh id replaces the expired one"
    );
}

#[test]
fn renew_on_an_expired_session_gives_a_fresh_unexpired_one() {
    // spec §2.4, `$s = $s->new if $s->is_empty`: status reset, new id, not expired.
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    let old = s.id().unwrap();
    s.expire(1).unwrap();
    drop(s);
    store.clock.advance(5);
    let mut s = config.load(Some(&old)).unwrap();
    assert!(s.is_expired() && s.is_empty());
    s.renew().unwrap();
    assert!(!s.is_expired() && s.is_new());
    assert_eq!(s.status().bits(), 3);
    let new = s.id().unwrap();
    assert_ne!(new, old);
    assert_eq!((s.ctime(), s.atime()), (Some(T0 + 5), Some(T0 + 5)));
    drop(s);
    assert!(
        config.peek(&new).unwrap().is_some(),
        "the renewed session is stored on drop"
    );
}

#[test]
fn flush_of_a_new_deleted_session_touches_nothing() {
    // spec §2.6 step 3: never written, so nothing to remove either.
    let (config, calls) = counting_config(&Clock::at(T0));
    let mut s = config.new_session(None).unwrap();
    assert_eq!(
        calls.counts(),
        (0, 0, 0),
        "no claimed id: the driver is not touched"
    );
    s.set_param("x", 1).unwrap();
    s.delete();
    s.flush().unwrap();
    assert_eq!(calls.counts(), (0, 0, 0), "new + deleted: no I/O");
    assert!(s.is_empty(), "the data is gone");
    drop(s);
    assert_eq!(calls.counts(), (0, 0, 0), "nor on drop");
}

#[test]
fn flush_writes_only_what_changed() {
    let (config, calls) = counting_config(&Clock::at(T0));
    let mut s = config.new_session(None).unwrap();
    let id = s.id().unwrap();
    s.flush().unwrap();
    assert_eq!(calls.counts(), (0, 1, 0), "a new session is stored once");
    s.flush().unwrap();
    assert_eq!(
        calls.counts(),
        (0, 1, 0),
        "a clean session is not stored again"
    );
    drop(s);

    // Every non-read-only load dirties the session (ATIME refresh), so it is rewritten.
    let s = config.load(Some(&id)).unwrap();
    drop(s);
    assert_eq!(calls.counts(), (1, 2, 0));

    let mut s = config.load(Some(&id)).unwrap();
    s.delete();
    s.flush().unwrap();
    assert_eq!(calls.counts(), (2, 2, 1), "delete + flush removes once");
    assert!(config.peek(&id).unwrap().is_none());
}

#[test]
fn read_only_load_keeps_atime_and_writes_nothing() {
    // The load find() uses (spec §2.2, §2.3 step 11).
    let (config, calls) = counting_config(&Clock::at(T0));
    let id = {
        let mut s = config.new_session(None).unwrap();
        s.set_param("user", "alice").unwrap();
        s.id().unwrap()
    };
    let stores = calls.counts().1;
    let read_only = LoadOptions {
        read_only: true,
        ..LoadOptions::claim(&id)
    };
    let s = config.load_with(&read_only).unwrap();
    assert_eq!(s.param("user"), Some(&Value::from("alice")));
    assert_eq!(s.atime(), Some(T0));
    assert_eq!(s.status().bits(), 1, "not MODIFIED");
    assert!(!s.is_dirty());
    drop(s);
    assert_eq!(calls.counts().1, stores, "nothing written on drop");
}

#[test]
fn load_with_undef_gives_an_empty_session_and_touches_no_store() {
    // t/load_with_undef.t: load(undef), load($q), load($q with a fake CGISESSID).
    let store = Store::new();
    let config = store.config();
    let none = config.load(None).unwrap();
    assert_eq!(none.id(), None);
    let no_cookie = config.load_request(&CgiQuery::default()).unwrap();
    assert_eq!(no_cookie.id(), None);
    let fake = CgiQuery::from_parts(b"", b"CGISESSID=Purple+cats+is+weird");
    let fake_loaded = config.load_request(&fake).unwrap();
    assert_eq!(fake_loaded.id(), None);
    assert_eq!(fake_loaded.claimed_id(), Some("Purple cats is weird"));
    drop((none, no_cookie, fake_loaded));
    assert!(
        store.files().is_empty(),
        "an empty session is never written"
    );
    // "" and "0" are no id at all (spec §2.3 step 6).
    for falsy in ["", "0"] {
        assert!(config.load(Some(falsy)).unwrap().is_empty(), "{falsy:?}");
    }
}

#[test]
fn new_with_undef_always_gives_an_id() {
    // t/new_with_undef.t
    let store = Store::new();
    let config = store.config();
    let fake = CgiQuery::from_parts(b"", b"CGISESSID=Purple+cats+is+weird");
    let sessions = [
        config.new_session(None).unwrap(),
        config.new_request(&CgiQuery::default()).unwrap(),
        config.new_request(&fake).unwrap(),
    ];
    for s in &sessions {
        let id = s.id().expect("new() gives an id");
        assert!(is_md5_id(&id), "{id:?}");
    }
    assert_eq!(store.files().len(), 0, "not flushed yet");
    drop(sessions);
    assert_eq!(store.files().len(), 3, "each was stored when dropped");
}

#[test]
fn load_of_an_unknown_id_is_empty_and_errors_name_load() {
    // t/load.t checks that a failed load() says so and does not mention new(); the
    // argument-count errors it provokes cannot be written in Rust.
    let store = Store::new();
    let config = store.config();
    let unknown = config.load(Some("nonexist")).unwrap();
    assert!(unknown.is_empty() && !unknown.is_expired());

    config
        .driver()
        .store("broken", b"not a Data::Dumper record")
        .unwrap();
    let err = config.load(Some("broken")).unwrap_err();
    assert!(matches!(err, Error::Thaw { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("load()") && text.contains("broken"), "{text}");
    assert!(
        !text.contains("new()"),
        "don't mention new() when load() fails: {text}"
    );

    // Perl's sticky class errstr (spec §8.2 item 1) is not reproduced: the next load works.
    let mut s = config.new_session(None).unwrap();
    s.flush().unwrap();
    assert!(!config.load(s.id().as_deref()).unwrap().is_empty());
}

#[test]
fn a_record_that_is_not_a_session_is_a_clear_error() {
    // spec §2.3 step 8: the thawed data must be a hash with a defined _SESSION_ID.
    let store = Store::new();
    let config = store.config();
    for (id, record) in [
        ("array", &b"$D = [1,2];;$D"[..]),
        ("noid", b"$D = {'user' => 'alice'};;$D"),
        (
            "undefid",
            b"$D = {'_SESSION_ID' => undef,'user' => 'alice'};;$D",
        ),
        ("scalar", b"$D = 'just text';;$D"),
    ] {
        config.driver().store(id, record).unwrap();
        for err in [
            config.load(Some(id)).unwrap_err(),
            config.new_session(Some(id)).unwrap_err(),
        ] {
            assert!(matches!(err, Error::InvalidData { .. }), "{id}: {err:?}");
            let text = err.to_string();
            assert!(
                text.contains("invalid data structure") && text.contains(id),
                "{text}"
            );
        }
        assert!(
            store.file(id).is_file(),
            "{id}: a bad record is reported, not removed"
        );
    }
}

#[test]
fn the_stored_id_not_the_claimed_one_becomes_the_id() {
    // spec §2.3 step 8 / §8.2 item 11.
    let store = Store::new();
    let config = store.config();
    config
        .driver()
        .store(
            "alias",
            b"$D = {'_SESSION_ID' => 'real','_SESSION_ATIME' => 1700000000,'_SESSION_CTIME' => 1700000000,'_SESSION_REMOTE_ADDR' => ''};;$D",
        )
        .unwrap();
    let s = config.load(Some("alias")).unwrap();
    assert_eq!(s.id().as_deref(), Some("real"));
    assert_eq!(s.claimed_id(), Some("alias"));
    drop(s);
    assert_eq!(
        stored(&config, "real")[keys::ID],
        Value::from("real"),
        "the flush wrote the stored id's slot"
    );
}

#[test]
fn an_id_with_a_slash_is_not_found_and_new_makes_a_fresh_one() {
    // spec §5.2: ids with / or \ never name a file; §2.7: unknown ids give a new one.
    let store = Store::new();
    let config = store.config();
    for claimed in ["../etc/passwd", "a/b", "a\\b", ".."] {
        let loaded = config.load(Some(claimed)).unwrap();
        assert!(loaded.is_empty() && !loaded.is_expired(), "{claimed}");
        let created = config.new_session(Some(claimed)).unwrap();
        let id = created.id().unwrap();
        assert!(is_md5_id(&id), "{claimed:?} gave {id:?}");
    }
}

#[test]
fn private_params_cannot_be_written() {
    // spec §3.2: _SESSION_* keys can be read but not written.
    let store = Store::new();
    let mut s = store.config().new_session(None).unwrap();
    let id = s.id().unwrap();
    for name in [keys::ID, keys::ATIME, keys::ETIME, "_SESSION_ANYTHING"] {
        let err = s.set_param(name, "x").unwrap_err();
        assert!(
            matches!(err, Error::PrivateParam(ref n) if n == name),
            "{name}: {err:?}"
        );
    }
    assert_eq!(s.id(), Some(id), "the id is unchanged");
    assert_eq!(
        s.param(keys::CTIME),
        Some(&Value::Int(T0)),
        "private keys read fine"
    );
    // clear() skips them too.
    s.clear([keys::ID]);
    assert!(s.id().is_some());
    s.delete();
}

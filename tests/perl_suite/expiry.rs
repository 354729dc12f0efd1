//! `t/expire.t` and the idle-expiry rules of spec §2.3 steps 9–10 and §3.4–§3.5,
//! on a fixed clock.

use cgi_session::{keys, Error, PerlString, Value};

use crate::{has_key, stored, Store};

#[test]
fn expire_sets_gets_and_cancels() {
    // t/expire.t
    let store = Store::new();
    let mut s = store.config().new_session(None).unwrap();
    assert_eq!(
        s.etime(),
        None,
        "undef is returned if nothing has been set yet"
    );
    s.expire(10).unwrap();
    assert_eq!(s.etime(), Some(&Value::Int(10)), "basic set/get check");
    s.expire(-10).unwrap();
    assert_eq!(s.etime(), Some(&Value::Int(-10)), "negative set/get check");
    s.expire(0).unwrap();
    assert_eq!(s.etime(), None, "zero cancels expiration");
    // Perl keeps the key with an undef value after a cancel (spec §3.1).
    assert_eq!(s.param(keys::ETIME), Some(&Value::Undef));

    s.expire_param("pumpkin", 10).unwrap();
    let list = s.expire_list().expect("the list exists");
    assert_eq!(
        list.get(&PerlString::from("pumpkin")),
        Some(&Value::Int(10))
    );
    s.expire_param("pumpkin", 0).unwrap();
    let list = s.expire_list().expect("the list stays, empty");
    assert!(list.is_empty(), "zero expires parameters: {list:?}");
    s.delete();
}

#[test]
fn expire_stores_what_perl_stores() {
    // spec §3.4 table: numbers with units become seconds, plain numbers stay as given.
    let store = Store::new();
    let mut s = store.config().new_session(None).unwrap();
    for (given, kept) in [
        (Value::from("1h"), Value::Int(3600)),
        (Value::from("-1m"), Value::Int(-60)),
        (Value::from("+1h"), Value::Int(3600)),
        (Value::from("1w"), Value::Int(604_800)),
        (Value::from("3600"), Value::from("3600")),
        (Value::from("+0"), Value::from("+0")),
        (Value::from("00"), Value::from("00")),
    ] {
        s.expire(given.clone()).unwrap();
        assert_eq!(s.etime(), Some(&kept), "expire({given:?})");
    }
    s.expire("0").unwrap();
    assert_eq!(s.etime(), None, "the exact string \"0\" cancels");
    for bad in ["1.5h", "10 m", "1H", ""] {
        let err = s.expire(bad).unwrap_err();
        assert!(
            matches!(err, Error::BadInterval(_)),
            "expire({bad:?}): {err}"
        );
        assert!(err.to_string().contains("couldn't parse"), "{err}");
    }
    s.delete();
}

#[test]
fn idle_expiry_counts_from_the_last_access_and_removes_the_record() {
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    let sid = s.id().unwrap();
    s.expire(10).unwrap();
    drop(s);

    // Each load refreshes ATIME and rewrites the record when the session is dropped.
    store.clock.advance(9);
    let s = config.load(Some(&sid)).unwrap();
    assert_eq!(
        s.id().as_deref(),
        Some(sid.as_str()),
        "alive 9s after creation"
    );
    drop(s);
    assert_eq!(
        stored(&config, &sid)["_SESSION_ATIME"],
        Value::Int(store.clock.now())
    );
    store.clock.advance(9);
    let s = config.load(Some(&sid)).unwrap();
    assert!(
        !s.is_empty(),
        "alive 18s after creation, 9s after the last access"
    );
    drop(s);

    // ATIME + ETIME <= now: exactly ten idle seconds expire it.
    store.clock.advance(10);
    let s = config.load(Some(&sid)).unwrap();
    assert!(s.is_empty() && s.is_expired(), "{s:?}");
    assert_eq!(
        s.status().bits(),
        17,
        "UNSET|EXPIRED after the flush that removed it"
    );
    assert!(
        config.peek(&sid).unwrap().is_none(),
        "the expired record was removed at load"
    );
}

#[test]
fn a_zero_interval_other_than_the_string_0_expires_at_the_next_load() {
    // spec §3.4: "00" and "+0" are Perl-true, so ATIME + 0 <= now at once.
    for interval in ["00", "+0"] {
        let store = Store::new();
        let config = store.config();
        let mut s = config.new_session(None).unwrap();
        let sid = s.id().unwrap();
        s.expire(interval).unwrap();
        s.flush().unwrap();
        // Same second: no time has to pass.
        let loaded = config.load(Some(&sid)).unwrap();
        assert!(
            loaded.is_expired() && loaded.is_empty(),
            "expire({interval:?}): {loaded:?}"
        );
        assert!(
            store.files().is_empty(),
            "expire({interval:?}) left {:?}",
            store.files()
        );
    }
}

#[test]
fn an_expired_param_is_cleared_at_load_but_keeps_its_list_entry() {
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    let sid = s.id().unwrap();
    s.set_param("card", "4111").unwrap();
    s.set_param("cart", "apples").unwrap();
    s.expire_param("card", "10s").unwrap();
    drop(s);

    store.clock.advance(9);
    let s = config.load(Some(&sid)).unwrap();
    assert_eq!(
        s.param("card"),
        Some(&Value::from("4111")),
        "not yet: 9 of 10 idle seconds"
    );
    drop(s);

    // 10 seconds after the access above (the load refreshed ATIME).
    store.clock.advance(10);
    let s = config.load(Some(&sid)).unwrap();
    assert!(s.param("card").is_none(), "card expired");
    assert_eq!(
        s.param("cart"),
        Some(&Value::from("apples")),
        "other params stay"
    );
    assert!(!s.is_expired(), "the session itself lives on");
    let list = s.expire_list().expect("expire list");
    assert_eq!(
        list.get(&PerlString::from("card")),
        Some(&Value::Int(10)),
        "the entry stays (spec §2.3 step 10)"
    );
    drop(s);

    let data = stored(&config, &sid);
    assert!(
        !has_key(&data, "card"),
        "the cleared param is gone from the store"
    );
    assert_eq!(data["_SESSION_EXPIRE_LIST"]["card"], Value::Int(10));
}

#[test]
fn a_param_with_a_zero_interval_is_cleared_at_every_load() {
    // spec §3.4: a per-parameter interval of 0 in any form but "0" clears it each load.
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    let sid = s.id().unwrap();
    s.set_param("flash", "saved!").unwrap();
    s.expire_param("flash", "+0").unwrap();
    drop(s);
    let s = config.load(Some(&sid)).unwrap();
    assert!(s.param("flash").is_none());
    assert!(!s.is_empty());
}

//! `t/find.t` and `find()`'s read-only loads (spec §4).

use std::ops::ControlFlow;

use cgi_session::{Config, Error, Value};

use crate::{has_key, stored, Store, T0};

/// Creates a session with `params`, stores it, and returns its id.
fn create(config: &Config, params: &[(&str, &str)]) -> String {
    let mut s = config.new_session(None).unwrap();
    for (name, value) in params {
        s.set_param(*name, *value).unwrap();
    }
    s.flush().unwrap();
    s.id().unwrap()
}

#[test]
fn find_visits_the_stored_session_and_its_callback_can_delete_it() {
    // t/find.t
    let store = Store::new();
    let config = store.config();
    let purpose = "Create session simply to test deleting it with CGI::Session's sub find()";
    {
        let mut s = config.new_session(None).unwrap();
        s.expire(5).unwrap();
        assert!(s.id().is_some(), "The test session's id has been set");
        s.set_param("purpose", purpose).unwrap();
        // Stored when it leaves scope.
    }
    let mut calls = 0;
    let summary = config
        .find(|session| {
            calls += 1;
            assert_eq!(session.param("purpose"), Some(&Value::from(purpose)));
            session.delete();
            session.flush().unwrap();
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(calls, 1, "one stored session, one call");
    assert_eq!(summary.visited, 1);
    assert!(
        summary.errors.is_empty(),
        "find() returned no errors: {:?}",
        summary.errors
    );
    assert!(store.files().is_empty(), "the callback's delete removed it");
}

#[test]
fn find_loads_read_only_and_deletes_expired_sessions() {
    let store = Store::new();
    let config = store.config();
    let alive = create(&config, &[("user", "alice")]);
    let doomed = {
        let mut s = config.new_session(None).unwrap();
        s.expire(10).unwrap();
        s.flush().unwrap();
        s.id().unwrap()
    };
    store.clock.advance(20);

    let mut seen = Vec::new();
    let summary = config
        .find(|s| {
            seen.push((s.id(), s.is_empty(), s.is_expired()));
            ControlFlow::Continue(())
        })
        .unwrap();
    seen.sort();
    // The expired one reaches the callback empty and expired (Perl's purge example
    // checks is_empty first for that reason).
    assert_eq!(
        seen,
        vec![(None, true, true), (Some(alive.clone()), false, false)]
    );
    assert_eq!((summary.visited, summary.expired), (2, 1));
    assert!(
        config.peek(&doomed).unwrap().is_none(),
        "the expired record was removed"
    );
    // Read-only: the visit neither refreshed nor rewrote the live session.
    assert_eq!(stored(&config, &alive)["_SESSION_ATIME"], Value::Int(T0));
}

#[test]
fn find_writes_cleared_params_and_callback_changes_with_the_old_atime() {
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    let sid = s.id().unwrap();
    s.set_param("token", "t0k3n").unwrap();
    s.set_param("user", "alice").unwrap();
    s.expire_param("token", "10s").unwrap();
    s.flush().unwrap();
    drop(s);
    store.clock.advance(30);

    config
        .find(|s| {
            assert!(
                s.param("token").is_none(),
                "expired param cleared at the read-only load"
            );
            s.set_param("seen_by_find", 1).unwrap();
            ControlFlow::Continue(())
        })
        .unwrap();

    let data = stored(&config, &sid);
    assert!(!has_key(&data, "token"));
    assert_eq!(data["user"], Value::from("alice"));
    assert_eq!(data["seen_by_find"], Value::Int(1));
    assert_eq!(
        data["_SESSION_EXPIRE_LIST"]["token"],
        Value::Int(10),
        "list entries stay"
    );
    assert_eq!(
        data["_SESSION_ATIME"],
        Value::Int(T0),
        "find never refreshes ATIME (spec §3.5)"
    );
}

#[test]
fn find_skips_the_ip_check() {
    // spec §4 step 3: read-only loads do no IP matching, so housekeeping from another
    // address (a cron job) never deletes sessions.
    let store = Store::new();
    let config = store
        .builder(crate::FILE_DSN)
        .ip_match(true)
        .remote_addr("10.0.0.1")
        .build()
        .unwrap();
    let sid = create(&config, &[("user", "alice")]);
    let cron = store
        .builder(crate::FILE_DSN)
        .ip_match(true)
        .remote_addr("127.0.0.1")
        .build()
        .unwrap();
    let mut visited = 0;
    cron.find(|s| {
        visited += 1;
        assert_eq!(s.id().as_deref(), Some(sid.as_str()));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(visited, 1);
    assert_eq!(stored(&config, &sid)["user"], Value::from("alice"));
}

#[test]
fn find_stops_when_the_callback_breaks() {
    let store = Store::new();
    let config = store.config();
    for _ in 0..3 {
        create(&config, &[]);
    }
    let mut calls = 0;
    config
        .find(|_| {
            calls += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(calls, 1);
}

#[test]
fn find_reports_a_bad_record_and_walks_on() {
    // Unlike Perl, whose find() dies or stops on a bad record (spec §4 step 3), the
    // walk goes on and the summary names the record.
    let store = Store::new();
    let config = store.config();
    let good = create(&config, &[("user", "alice")]);
    config.driver().store("corrupt", b"$D = [1,2];;$D").unwrap();
    let mut visited = Vec::new();
    let summary = config
        .find(|s| {
            visited.push(s.id());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(visited, vec![Some(good)]);
    assert_eq!(summary.visited, 2);
    assert_eq!(summary.errors.len(), 1, "{:?}", summary.errors);
    assert_eq!(summary.errors[0].id, "corrupt");
    assert!(
        matches!(summary.errors[0].error, Error::InvalidData { .. }),
        "{:?}",
        summary.errors[0].error
    );
}

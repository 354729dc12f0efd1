//! `t/name.t`: the cookie and parameter name, per config (Perl's class-wide
//! `CGI::Session->name`) and per session (`$s->name('x')`, `{name => 'x'}`).

use cgi_session::cgi::CgiQuery;
use cgi_session::{Error, LoadOptions, DEFAULT_NAME};

use crate::Store;

const STATIC_DSN: &str = "driver:file;id:static";

#[test]
fn name_per_config_and_per_session() {
    let store = Store::new();
    let default = store.builder(STATIC_DSN).build().unwrap();
    assert_eq!(default.name(), DEFAULT_NAME);
    assert_eq!(DEFAULT_NAME, "CGISESSID");

    // CGI::Session->name('fluffy')
    let fluffy = store.builder(STATIC_DSN).name("fluffy").build().unwrap();
    let mut session = fluffy.new_session(Some("testname")).unwrap();
    assert_eq!(session.id().as_deref(), Some("testname"));
    assert_eq!(
        session.name(),
        "fluffy",
        "instance falls through to the config's name"
    );

    session.set_name("spot");
    assert_eq!(session.name(), "spot", "instance name set");
    assert_eq!(
        fluffy.name(),
        "fluffy",
        "instance name did not affect the config"
    );

    // new(..., {name => 'itchy'})
    let s2 = fluffy
        .new_with(&LoadOptions {
            name: Some("itchy".into()),
            ..LoadOptions::claim("testname")
        })
        .unwrap();
    assert_eq!(
        s2.name(),
        "itchy",
        "constructor with name for session/cookie key"
    );
    assert_eq!(
        fluffy.name(),
        "fluffy",
        "constructor name not affecting the config"
    );
    assert_eq!(
        session.name(),
        "spot",
        "constructor on new session not affecting old"
    );
}

#[test]
fn name_selects_the_request_cookie_or_parameter() {
    let store = Store::new();
    // new('id:static', CGI->new('itchy=2001'), {...}, {name => 'itchy'}): the id is
    // read under the session's own name.
    let config = store.builder(STATIC_DSN).build().unwrap();
    let query = CgiQuery::from_parts(b"", b"itchy=2001");
    let s = config
        .new_with(&config.request_options(&query, Some("itchy")))
        .unwrap();
    assert_eq!(s.name(), "itchy");
    assert_eq!(
        s.id().as_deref(),
        Some("2001"),
        "session from query with new name"
    );

    // The same through a config whose name is itchy.
    let itchy = store.builder(STATIC_DSN).name("itchy").build().unwrap();
    assert_eq!(
        itchy.new_request(&query).unwrap().id().as_deref(),
        Some("2001")
    );
    let by_cookie = CgiQuery::from_parts(b"itchy=2002", b"");
    assert_eq!(
        itchy.new_request(&by_cookie).unwrap().id().as_deref(),
        Some("2002")
    );
}

#[test]
fn static_ids_need_a_claimed_id_under_the_sessions_name() {
    // The query holds CGISESSID=2001 but the name is itchy: no id is claimed, and the
    // static generator has nothing to use (Perl dies).
    let store = Store::new();
    let itchy = store.builder(STATIC_DSN).name("itchy").build().unwrap();
    let query = CgiQuery::from_parts(b"", b"CGISESSID=2001");
    let err = itchy.new_request(&query).unwrap_err();
    assert!(matches!(err, Error::IdGen(_)), "{err:?}");
    assert!(err.to_string().contains("requires static id"), "{err}");
    assert!(store.files().is_empty(), "nothing was stored");
}

#[test]
fn a_stale_cookie_hides_a_valid_query_parameter() {
    // spec §2.3 step 5 / §8.2 item 12: the cookie wins when it is true, even if it
    // names no session; the parameter is read only when the cookie is missing or false.
    let store = Store::new();
    let config = store.config();
    let mut s = config.new_session(None).unwrap();
    s.flush().unwrap();
    let valid = s.id().unwrap();
    let query = format!("CGISESSID={valid}");

    let stale = CgiQuery::from_parts(b"CGISESSID=stale", query.as_bytes());
    assert!(config.load_request(&stale).unwrap().is_empty());
    let false_cookie = CgiQuery::from_parts(b"CGISESSID=0", query.as_bytes());
    assert_eq!(
        config.load_request(&false_cookie).unwrap().id(),
        Some(valid.clone())
    );
    let no_cookie = CgiQuery::from_parts(b"", query.as_bytes());
    assert_eq!(config.load_request(&no_cookie).unwrap().id(), Some(valid));
}

//! What goes into headers, and `-ip_match` through a request (spec §2.3 step 11,
//! §3.3): no application value can split or extend a header, and a session loaded
//! from another address is never handed out.

use cgi_session::cgi::{CgiQuery, CookieOptions};
use cgi_session::{Args, Config, LoadOptions, Value};

use crate::Tried;

fn config(dir: &std::path::Path, name: &str) -> Config {
    Config::builder(Some("driver:file"))
        .args(Args::from([(
            "Directory".to_string(),
            dir.display().to_string(),
        )]))
        .name(name)
        .build()
        .unwrap()
}

const INJECTIONS: [&str; 6] = [
    "example.com\r\nSet-Cookie: admin=1",
    "example.com\nX: y",
    "example.com\rX: y",
    "a\0b",
    "a; secure=0; domain=evil.example",
    "a\u{7f}",
];

#[test]
fn cookie_attributes_that_would_split_the_header_are_refused() {
    let mut tried = Tried::new("cookie attributes");
    let tmp = tempfile::tempdir().unwrap();
    let mut session = config(tmp.path(), "CGISESSID").new_session(None).unwrap();
    session.flush().unwrap();
    for value in INJECTIONS {
        for attribute in ["domain", "path"] {
            tried.one();
            let mut options = CookieOptions::default();
            match attribute {
                "domain" => options.domain = Some(value.to_string()),
                _ => options.path = Some(value.to_string()),
            }
            let err = session.cookie_with(&options).unwrap_err().to_string();
            assert!(err.contains(&format!("cookie {attribute}")), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(session.header_with("text/html", "UTF-8", &options).is_err());
            assert!(options.validate().is_err());
        }
        for (content_type, charset) in [(value, "UTF-8"), ("text/html", value)] {
            if !value.contains(char::is_control) {
                continue; // `;` belongs in a content type
            }
            tried.one();
            let err = session
                .header_with(content_type, charset, &CookieOptions::default())
                .unwrap_err();
            assert_eq!(err.to_string().lines().count(), 1, "{err}");
        }
    }
    // CGI.pm's attributes that a header can carry are still kept byte for byte.
    let options = CookieOptions {
        domain: Some(".example.com".into()),
        path: Some("/app dir/".into()),
        ..CookieOptions::default()
    };
    let cookie = session.cookie_with(&options).unwrap().unwrap();
    assert!(
        cookie.contains("; domain=.example.com; path=/app dir/"),
        "{cookie}"
    );
}

#[test]
fn session_names_and_ids_are_escaped_in_the_cookie() {
    let mut tried = Tried::new("cookie names");
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "SID;admin=1",
        "a=b",
        "SID\r\nSet-Cookie: x=1",
        "S ID",
        "S%3BID",
    ] {
        tried.one();
        let config = config(tmp.path(), name);
        let mut session = config.new_session(None).unwrap();
        session.flush().unwrap();
        let header = session.header();
        let cookie_line = header.lines().next().unwrap();
        let (pair, _) = cookie_line
            .strip_prefix("Set-Cookie: ")
            .unwrap()
            .split_once("; ")
            .unwrap();
        // One name=value pair, the name %XX-escaped as CGI.pm escapes it.
        assert_eq!(pair.matches('=').count(), 1, "{name:?}: {pair}");
        assert!(
            !pair.contains(|c: char| c == ';' || c.is_control()),
            "{pair}"
        );
        assert_eq!(header.matches("\r\n").count(), 4, "{name:?}: {header:?}");
        // The same name reads the id back from a request.
        let request = CgiQuery::from_parts(pair.as_bytes(), b"");
        let again = config.load_request(&request).unwrap();
        assert_eq!(again.id(), session.id(), "{name:?}");
    }
}

/// An `-ip_match` file store holding a session created from the owner's address
/// (`OWNER`), with a secret; the owner's id and the request carrying it as a cookie.
struct IpMatched {
    _dir: tempfile::TempDir,
    config: Config,
    id: String,
    request: CgiQuery,
}

const OWNER: &str = "192.0.2.1";
const THIEF: &str = "198.51.100.7";

impl IpMatched {
    fn new(keeps_session: bool) -> IpMatched {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::builder(Some("driver:file"))
            .args(Args::from([(
                "Directory".to_string(),
                dir.path().display().to_string(),
            )]))
            .ip_match(true)
            .ip_mismatch_keeps_session(keeps_session)
            .build()
            .unwrap();
        let mut store = IpMatched {
            _dir: dir,
            config,
            id: String::new(),
            request: CgiQuery::default(),
        };
        let mut owner = store.config.new_with(&store.from(OWNER)).unwrap();
        owner.set_param("secret", "owner's").unwrap();
        owner.flush().unwrap();
        store.id = owner.id().unwrap();
        store.request = CgiQuery::from_parts(format!("CGISESSID={}", store.id).as_bytes(), b"");
        store
    }

    /// The load options of `self.request` arriving from `addr`.
    fn from(&self, addr: &str) -> LoadOptions {
        LoadOptions {
            remote_addr: Some(addr.to_string()),
            ..self.config.request_options(&self.request, None)
        }
    }

    /// The owner's address gets the owner's session.
    fn assert_owner_gets_the_session(&self) {
        let same = self.config.new_with(&self.from(OWNER)).unwrap();
        assert_eq!(same.id().as_deref(), Some(self.id.as_str()));
        assert_eq!(same.param("secret"), Some(&Value::from("owner's")));
    }
}

#[test]
fn a_session_claimed_from_another_address_is_not_handed_out_under_ip_match() {
    let store = IpMatched::new(false);
    store.assert_owner_gets_the_session();

    // Another address with the stolen cookie: a new, empty session; Perl also deletes
    // the stored one (spec §8.1 item 6), which Rust reproduces by default.
    let thief = store.config.new_with(&store.from(THIEF)).unwrap();
    assert_ne!(thief.id().as_deref(), Some(store.id.as_str()));
    assert_eq!(thief.param("secret"), None);
    assert!(store.config.peek(&store.id).unwrap().is_none());
}

#[test]
fn with_ip_mismatch_keeps_session_a_stolen_cookie_cannot_end_the_owners_session() {
    let store = IpMatched::new(true);
    let stored = || store.config.driver().retrieve(&store.id).unwrap();
    let before = stored();

    // Perl's load() from another address: nothing handed out, nothing written.
    let mut thief = store.config.load_with(&store.from(THIEF)).unwrap();
    assert!(thief.is_empty());
    assert_eq!(thief.param("secret"), None);
    thief.flush().unwrap();
    drop(thief);
    // Perl's new(): a fresh session for the thief.
    let thief = store.config.new_with(&store.from(THIEF)).unwrap();
    assert_ne!(thief.id().as_deref(), Some(store.id.as_str()));
    drop(thief);
    assert_eq!(stored(), before, "the owner's record was touched");

    store.assert_owner_gets_the_session();
}

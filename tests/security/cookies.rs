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

#[test]
fn a_session_claimed_from_another_address_is_not_handed_out_under_ip_match() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config::builder(Some("driver:file"))
        .args(Args::from([(
            "Directory".to_string(),
            tmp.path().display().to_string(),
        )]))
        .ip_match(true)
        .build()
        .unwrap();
    let from = |addr: &str, request: &CgiQuery| LoadOptions {
        remote_addr: Some(addr.to_string()),
        ..config.request_options(request, None)
    };
    let mut owner = config
        .new_with(&from("192.0.2.1", &CgiQuery::default()))
        .unwrap();
    owner.set_param("secret", "owner's").unwrap();
    owner.flush().unwrap();
    let id = owner.id().unwrap();
    let cookie = format!("CGISESSID={id}");
    let request = CgiQuery::from_parts(cookie.as_bytes(), b"");

    // The same address gets its session.
    let same = config.new_with(&from("192.0.2.1", &request)).unwrap();
    assert_eq!(same.id().as_deref(), Some(id.as_str()));
    assert_eq!(same.param("secret"), Some(&Value::from("owner's")));
    drop(same);

    // Another address with the stolen cookie: a new, empty session; Perl also deletes
    // the stored one (spec §8.1 item 6), which Rust reproduces.
    let thief = config.new_with(&from("198.51.100.7", &request)).unwrap();
    assert_ne!(thief.id().as_deref(), Some(id.as_str()));
    assert_eq!(thief.param("secret"), None);
    assert!(config.peek(&id).unwrap().is_none());
}

#[test]
fn with_ip_mismatch_keeps_session_a_stolen_cookie_cannot_end_the_owners_session() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config::builder(Some("driver:file"))
        .args(Args::from([(
            "Directory".to_string(),
            tmp.path().display().to_string(),
        )]))
        .ip_match(true)
        .ip_mismatch_keeps_session(true)
        .build()
        .unwrap();
    let from = |addr: &str, request: &CgiQuery| LoadOptions {
        remote_addr: Some(addr.to_string()),
        ..config.request_options(request, None)
    };
    let mut owner = config
        .new_with(&from("192.0.2.1", &CgiQuery::default()))
        .unwrap();
    owner.set_param("secret", "owner's").unwrap();
    owner.flush().unwrap();
    let id = owner.id().unwrap();
    let stored = std::fs::read(tmp.path().join(format!("cgisess_{id}"))).unwrap();
    let request = CgiQuery::from_parts(format!("CGISESSID={id}").as_bytes(), b"");

    // Perl's load() from another address: nothing handed out, nothing written.
    let mut thief = config.load_with(&from("198.51.100.7", &request)).unwrap();
    assert!(thief.is_empty());
    assert_eq!(thief.param("secret"), None);
    thief.flush().unwrap();
    drop(thief);
    // Perl's new(): a fresh session for the thief.
    let thief = config.new_with(&from("198.51.100.7", &request)).unwrap();
    assert_ne!(thief.id().as_deref(), Some(id.as_str()));
    drop(thief);
    assert_eq!(
        std::fs::read(tmp.path().join(format!("cgisess_{id}"))).unwrap(),
        stored,
        "the owner's record was touched"
    );

    // The owner's session is still there, with its data.
    let same = config.new_with(&from("192.0.2.1", &request)).unwrap();
    assert_eq!(same.id().as_deref(), Some(id.as_str()));
    assert_eq!(same.param("secret"), Some(&Value::from("owner's")));
}

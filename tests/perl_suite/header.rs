//! `t/header.t`, made exact: `cookie()` and `header()` print what CGI.pm prints for
//! the same id, name, timeout and time, byte for byte (spec §3.3).
//!
//! The expectations come from real CGI.pm twice over: a table captured from Perl
//! 5.36 / CGI.pm 4.55 / CGI::Session 4.48 (so the test means something on a machine
//! without Perl), and a live run of Perl with `time` pinned to the Rust clock. The
//! live run skips, with a reason, when Perl or its modules are missing, and fails
//! instead when `CGISESS_REQUIRE_ORACLE=1`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use cgi_session::cgi::CgiQuery;
use cgi_session::{LoadOptions, Session};

use crate::Store;

const REQUIRE_ENV: &str = "CGISESS_REQUIRE_ORACLE";

/// Sat, 21 Nov 2026 20:40:13 GMT.
const NOW: i64 = 1_795_293_613;

/// What a test session looks like when its cookie is printed.
#[derive(Debug, Clone, Copy)]
struct Case {
    /// The cookie name.
    name: &'static str,
    /// The (static) session id.
    id: &'static str,
    /// `expire($etime)` after creation, if any.
    etime: Option<&'static str>,
    /// Whether the id names a session that expired: `new($id)` then gives status 19.
    expired: bool,
}

const CASES: &[Case] = &[
    // A new session: a browser-session cookie.
    Case {
        name: "CGISESSID",
        id: "9f86d081884c7d659a2feaa0c55ad015",
        etime: None,
        expired: false,
    },
    // expire('+1h'): expires= one hour from now, in the cookie date format.
    Case {
        name: "CGISESSID",
        id: "9f86d081884c7d659a2feaa0c55ad015",
        etime: Some("+1h"),
        expired: false,
    },
    // expire('+3600') stores the string '+3600', and CGI.pm passes '++3600s' through.
    Case {
        name: "CGISESSID",
        id: "abc",
        etime: Some("+3600"),
        expired: false,
    },
    // expire('-60') likewise gives '+-60s'.
    Case {
        name: "CGISESSID",
        id: "abc",
        etime: Some("-60"),
        expired: false,
    },
    // new() of an expired id: an already expired cookie (-1d) for the new session.
    Case {
        name: "CGISESSID",
        id: "abc",
        etime: None,
        expired: true,
    },
    // A custom name and an id that both need %XX escaping.
    Case {
        name: "my sess/é",
        id: "a b+c%d~e.f_g-h",
        etime: Some("+1h"),
        expired: false,
    },
];

/// Builds the case's session in Rust on a fresh store, the clock at [`NOW`] (plus ten
/// seconds for an expired case, as in the Perl script).
fn rust_session(store: &Store, case: &Case) -> Session {
    store.clock.advance(NOW - store.clock.now());
    let config = store
        .builder("driver:file;id:static")
        .name(case.name)
        .build()
        .unwrap();
    let open = || config.new_with(&LoadOptions::claim(case.id)).unwrap();
    let mut session = open();
    if case.expired {
        session.expire(1).unwrap();
        session.flush().unwrap();
        drop(session);
        store.clock.advance(10);
        session = open();
        assert_eq!(session.status().bits(), 19, "{case:?}");
    } else if let Some(etime) = case.etime {
        session.expire(etime).unwrap();
    }
    session
}

/// `(cookie, header)` from Rust.
fn rust_output(case: &Case) -> (String, String) {
    let store = Store::new();
    let mut session = rust_session(&store, case);
    let out = (
        session.cookie().expect("a session with an id has a cookie"),
        session.header(),
    );
    session.delete();
    out
}

#[test]
fn cookie_and_header_match_captured_cgi_pm_output() {
    let content_type = "Content-Type: text/html; charset=ISO-8859-1\r\n\r\n";
    let date = "Date: Sat, 21 Nov 2026 20:40:13 GMT\r\n";
    let expected: [(&str, &str); 6] = [
        ("CGISESSID=9f86d081884c7d659a2feaa0c55ad015; path=/", date),
        ("CGISESSID=9f86d081884c7d659a2feaa0c55ad015; path=/; expires=Sat, 21-Nov-2026 21:40:13 GMT", date),
        ("CGISESSID=abc; path=/; expires=++3600s", date),
        ("CGISESSID=abc; path=/; expires=+-60s", date),
        (
            "CGISESSID=abc; path=/; expires=Fri, 20-Nov-2026 20:40:23 GMT",
            "Date: Sat, 21 Nov 2026 20:40:23 GMT\r\n",
        ),
        ("my%20sess%2F%C3%A9=a%20b%2Bc%25d~e.f_g-h; path=/; expires=Sat, 21-Nov-2026 21:40:13 GMT", date),
    ];
    for (case, (cookie, date)) in CASES.iter().zip(expected) {
        let (got_cookie, got_header) = rust_output(case);
        assert_eq!(got_cookie, cookie, "{case:?}");
        assert_eq!(
            got_header,
            format!("Set-Cookie: {cookie}\r\n{date}{content_type}"),
            "{case:?}"
        );
    }
}

/// Prints `cookie`, NUL, `header` for one case with CGI::Session 4.48 and CGI.pm,
/// `time` pinned to the first argument.
const PERL_SCRIPT: &str = r#"
BEGIN { $main::NOW = shift @ARGV; *CORE::GLOBAL::time = sub () { $main::NOW }; }
use strict;
use CGI;
use CGI::Session;
my ($dir, $name, $id, $etime, $expired) = splice @ARGV, 0;
my %args = (Directory => $dir);
my $open = sub {
    CGI::Session->new('driver:file;id:static', $id, \%args, {name => $name})
        or die CGI::Session->errstr;
};
my $s = $open->();
if ($expired) {
    $s->expire(1); $s->flush; undef $s;
    $main::NOW += 10;
    $s = $open->();
    die "status $s->{_STATUS}, expected 19\n" unless $s->{_STATUS} == 19;
} elsif (length $etime) {
    $s->expire($etime);
}
binmode STDOUT;
print $s->cookie, "\0", $s->header;
$s->delete;
"#;

/// `perl`, if it runs CGI.pm and CGI::Session here; otherwise skip or fail (see module docs).
fn perl() -> Option<PathBuf> {
    let perl =
        std::env::var_os("CGISESS_PERL").map_or_else(|| PathBuf::from("perl"), PathBuf::from);
    let probe = Command::new(&perl)
        .args([
            "-MCGI",
            "-MCGI::Session",
            "-e",
            "print $CGI::Session::VERSION",
        ])
        .stdin(Stdio::null())
        .output();
    let why = match probe {
        Ok(out) if out.status.success() && out.stdout == b"4.48" => return Some(perl),
        Ok(out) if out.status.success() => {
            format!(
                "CGI::Session 4.48 is needed, found {}",
                String::from_utf8_lossy(&out.stdout)
            )
        }
        Ok(out) => format!(
            "CGI.pm or CGI::Session missing: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("cannot run {}: {e}", perl.display()),
    };
    if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") {
        panic!("{REQUIRE_ENV}=1 but Perl is unusable: {why}");
    }
    eprintln!("skipping: {why}");
    None
}

/// `(cookie, header)` from Perl, for the same case on a store of its own.
fn perl_output(perl: &PathBuf, case: &Case) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(perl)
        .arg("-e")
        .arg(PERL_SCRIPT)
        .arg(NOW.to_string())
        .arg(dir.path())
        .args([
            case.name,
            case.id,
            case.etime.unwrap_or(""),
            if case.expired { "1" } else { "" },
        ])
        .env_remove("REMOTE_ADDR")
        .env_remove("HTTP_COOKIE")
        .env_remove("QUERY_STRING")
        .env_remove("REQUEST_METHOD")
        .stdin(Stdio::null())
        .output()
        .expect("run perl");
    assert!(
        out.status.success(),
        "perl failed for {case:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("CGI.pm prints ASCII");
    let (cookie, header) = text.split_once('\0').expect("cookie NUL header");
    (cookie.to_string(), header.to_string())
}

#[test]
fn cookie_and_header_match_live_cgi_pm() {
    let Some(perl) = perl() else { return };
    for case in CASES {
        assert_eq!(rust_output(case), perl_output(&perl, case), "{case:?}");
    }
}

#[test]
fn header_t_an_empty_session_sends_no_cookie() {
    // t/header.t only checks that header() works. On an empty session CGI.pm would
    // read the request cookie back and print `Set-Cookie: <raw value>`; the facade
    // documents that it sends no cookie instead (src/cgi.rs module docs).
    let store = Store::new();
    let session = store.config().load(None).unwrap();
    assert_eq!(session.cookie(), None);
    assert_eq!(
        session.header(),
        "Content-Type: text/html; charset=ISO-8859-1\r\n\r\n"
    );
}

#[test]
fn cgi_simple_a_request_without_our_cookie_gets_a_new_session_and_cookie() {
    // t/cgi_simple.t: CGI::Simple->new('sid=bob') (no CGISESSID anywhere).
    let store = Store::new();
    let config = store.config();
    let query = CgiQuery::from_parts(b"", b"sid=bob");
    let mut session = config.new_request(&query).unwrap();
    let id = session.id().expect("a new id");
    assert_eq!(session.cookie(), Some(format!("CGISESSID={id}; path=/")));
    assert!(
        session.header().contains("Content-Type: text/html"),
        "{}",
        session.header()
    );
    session.delete();
}

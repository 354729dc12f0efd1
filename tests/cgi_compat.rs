//! The web side against CGI.pm 4.x and CGI::Session 4.48, byte for byte: the
//! `Set-Cookie` value and the whole CGI header of new, loaded, expiring and expired
//! sessions with every cookie attribute, and what a request (cookie, query string,
//! url-encoded body) gives as the claimed id and the parameters.
//!
//! Both clocks are frozen: Rust through `Config::builder().clock`, Perl through
//! `CGISESS_ORACLE_TIME` (oracle.pl overrides `time()`), so the cookie's `expires`
//! and the `Date` header are compared exactly.

mod common;

use std::io::{Cursor, Read};

use cgi_session::cgi::{claimed_id, CgiQuery, CookieOptions, Query};
use cgi_session::{Config, PerlString, Value};
use common::{to_typed, Oracle};
use serde_json::{json, Value as Json};

/// When the stored sessions are written, and (100 s later) when both sides load them.
const WRITTEN: i64 = 1_795_293_613;
const LOADED: i64 = WRITTEN + 100;
/// `id:static`, so that a new session gets the id asked for and both sides agree.
const DSN: &str = "driver:file;id:static";
const ID: &str = "0123456789abcdef0123456789abcdef";

/// One comparison: a stored session (or none), then `new(ID)` with these options.
struct Case {
    what: &'static str,
    /// The `new` spec Perl stores at `WRITTEN` (see `Oracle::new_session`), or no session.
    stored: Option<Json>,
    perl_cookie: Json,
    perl_header: Json,
    options: CookieOptions,
    content_type: &'static str,
    charset: &'static str,
}

impl Case {
    fn new(what: &'static str, stored: Option<Json>) -> Case {
        Case {
            what,
            stored,
            perl_cookie: json!([]),
            perl_header: json!([]),
            options: CookieOptions::default(),
            content_type: "text/html",
            charset: "ISO-8859-1",
        }
    }

    fn cookie(mut self, perl: Json, options: CookieOptions) -> Case {
        self.perl_cookie = perl;
        self.options = options;
        self
    }

    fn header(mut self, perl: Json, content_type: &'static str, charset: &'static str) -> Case {
        self.perl_header = perl;
        self.content_type = content_type;
        self.charset = charset;
        self
    }
}

fn at(oracle: &Oracle, epoch: i64) -> Oracle {
    oracle.with_env("CGISESS_ORACLE_TIME", &epoch.to_string())
}

/// Runs `case` on two copies of one Perl-written store: Perl's `cookie`/`header` on
/// one, Rust's `cookie_with`/`header_with` on the other, both at `LOADED`.
fn compare(oracle: &Oracle, case: &Case) {
    let (perl_dir, rust_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = |dir: &tempfile::TempDir| json!({ "Directory": dir.path() });
    if let Some(spec) = &case.stored {
        at(oracle, WRITTEN)
            .new_session(DSN, &args(&perl_dir), Some(ID), spec)
            .unwrap_or_else(|e| panic!("{}: Perl could not store: {e}", case.what));
        for entry in std::fs::read_dir(perl_dir.path()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), rust_dir.path().join(entry.file_name())).unwrap();
        }
    }
    let perl = at(oracle, LOADED)
        .cookie(
            DSN,
            &args(&perl_dir),
            ID,
            &case.perl_cookie,
            &case.perl_header,
        )
        .unwrap_or_else(|e| panic!("{}: Perl failed: {e}", case.what));

    let config = Config::builder(Some(DSN))
        .arg("Directory", rust_dir.path().to_str().unwrap())
        .clock(|| LOADED)
        .build()
        .unwrap();
    let session = config.new_session(Some(ID)).unwrap();
    assert_eq!(
        json!(session.is_new()),
        perl["is_new"],
        "{}: is_new",
        case.what
    );
    assert_eq!(
        json!(session.is_expired()),
        perl["is_expired"],
        "{}: is_expired",
        case.what
    );
    assert_eq!(
        json!(session.cookie_with(&case.options).unwrap()),
        perl["cookie"],
        "{}: cookie()",
        case.what
    );
    assert_eq!(
        json!(session
            .header_with(case.content_type, case.charset, &case.options)
            .unwrap()),
        perl["header"],
        "{}: header()",
        case.what
    );
}

fn options(f: impl FnOnce(&mut CookieOptions)) -> CookieOptions {
    let mut options = CookieOptions::default();
    f(&mut options);
    options
}

#[test]
fn cookie_and_header_match_cgi_pm_for_every_kind_of_session() {
    let Some(oracle) = Oracle::get() else { return };
    let params = json!({ "params": { "colour": { "str": "red" } } });
    let cases = [
        Case::new("new session", None),
        Case::new("loaded session", Some(params.clone())),
        Case::new("expire('+1h')", Some(json!({ "expire": "+1h" }))),
        Case::new("expire(3600)", Some(json!({ "expire": 3600 }))),
        Case::new("expire('3600')", Some(json!({ "expire": "3600" }))),
        // Perl's broken `expires=++3600s`, passed through by both.
        Case::new("expire('+3600')", Some(json!({ "expire": "+3600" }))),
        // Expired 90 s before LOADED: new(ID) gives a new session with a -1d cookie.
        Case::new("expired session", Some(json!({ "expire": 10 }))),
        Case::new(
            "parameter expiry only",
            Some(json!({ "expire_params": { "colour": "+1m" } })),
        ),
    ];
    for case in &cases {
        compare(&oracle, case);
    }
}

#[test]
fn cookie_attributes_match_cgi_cookie() {
    let Some(oracle) = Oracle::get() else { return };
    let expiring = || Some(json!({ "expire": "+1h" }));
    let cases = [
        Case::new("secure, HttpOnly, SameSite, domain, path", expiring()).cookie(
            json!([
                "-secure",
                1,
                "-httponly",
                1,
                "-samesite",
                "lax",
                "-domain",
                ".example.org",
                "-path",
                "/app"
            ]),
            options(|o| {
                o.secure = true;
                o.http_only = true;
                o.same_site = Some("lax".into());
                o.domain = Some(".example.org".into());
                o.path = Some("/app".into());
            }),
        ),
        Case::new("SameSite=Strict, secure", None).cookie(
            json!(["-samesite", "STRICT", "-secure", 1]),
            options(|o| {
                o.same_site = Some("STRICT".into());
                o.secure = true;
            }),
        ),
        Case::new("SameSite=None", None).cookie(
            json!(["-samesite", "none"]),
            options(|o| o.same_site = Some("none".into())),
        ),
        Case::new("an unknown SameSite is dropped", None).cookie(
            json!(["-samesite", "sometimes"]),
            options(|o| o.same_site = Some("sometimes".into())),
        ),
        Case::new("false path and domain", None).cookie(
            json!(["-path", "", "-domain", "0"]),
            options(|o| {
                o.path = Some(String::new());
                o.domain = Some("0".into());
            }),
        ),
        Case::new("no path given", None).cookie(json!([]), options(|o| o.path = None)),
        Case::new("expired, with attributes", Some(json!({ "expire": 10 }))).cookie(
            json!(["-httponly", 1, "-domain", "example.org"]),
            options(|o| {
                o.http_only = true;
                o.domain = Some("example.org".into());
            }),
        ),
    ];
    for case in &cases {
        compare(&oracle, case);
    }
}

#[test]
fn header_content_type_and_charset_match_cgi_pm() {
    let Some(oracle) = Oracle::get() else { return };
    let cases = [
        Case::new("application/json gets the charset too", None).header(
            json!(["-type", "application/json", "-charset", "UTF-8"]),
            "application/json",
            "UTF-8",
        ),
        Case::new("a type naming its charset", None).header(
            json!(["-type", "text/plain; charset=utf-8"]),
            "text/plain; charset=utf-8",
            "ISO-8859-1",
        ),
        Case::new("no charset", None).header(json!(["-charset", ""]), "text/html", ""),
        Case::new("no type", None).header(json!(["-type", ""]), "", "ISO-8859-1"),
    ];
    for case in &cases {
        compare(&oracle, case);
    }
}

/// A request's CGI variables and body.
struct Request {
    vars: Vec<(&'static str, &'static str)>,
    body: &'static [u8],
}

fn request(vars: &[(&'static str, &'static str)], body: &'static [u8]) -> Request {
    Request {
        vars: vars.to_vec(),
        body,
    }
}

fn typed_bytes(bytes: &[u8]) -> Json {
    to_typed(&Value::Str(PerlString::from_bytes(bytes.to_vec())))
}

/// What Rust reads from `req`, in the oracle's `request` shape.
fn rust_reading(req: &Request) -> Json {
    let mut input = Cursor::new(req.body);
    let var = |name: &str| {
        req.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes().to_vec())
    };
    let (query, _) = CgiQuery::from_vars_with_body(var, &mut input).expect("a readable request");
    let mut rest = Vec::new();
    input.read_to_end(&mut rest).unwrap();
    let params: Vec<Json> = query
        .param_names()
        .into_iter()
        .map(|name| {
            let values: Vec<Json> = query
                .param_values(&name.to_text())
                .iter()
                .map(|v| typed_bytes(v.as_bytes()))
                .collect();
            json!([typed_bytes(name.as_bytes()), values])
        })
        .collect();
    json!({
        "claimed": claimed_id(&query, "CGISESSID").map(|id| typed_bytes(id.as_bytes())),
        "params": params,
        "rest": typed_bytes(&rest),
    })
}

#[test]
fn requests_read_as_cgi_pm_reads_them() {
    let Some(oracle) = Oracle::get() else { return };
    const FORM: &str = "application/x-www-form-urlencoded";
    let requests = [
        request(
            &[
                ("REQUEST_METHOD", "GET"),
                ("QUERY_STRING", "CGISESSID=abc&x=1&x=2"),
            ],
            b"",
        ),
        request(
            &[
                ("REQUEST_METHOD", "GET"),
                ("HTTP_COOKIE", "CGISESSID=c1; CGISESSID=c2, other=o%20k"),
                ("QUERY_STRING", "CGISESSID=q"),
            ],
            b"",
        ),
        request(
            &[
                ("REQUEST_METHOD", "GET"),
                ("HTTP_COOKIE", "CGISESSID=0"),
                ("QUERY_STRING", "CGISESSID=q;y"),
            ],
            b"",
        ),
        // A cookie whose first value is empty counts as no cookie.
        request(
            &[
                ("REQUEST_METHOD", "GET"),
                ("HTTP_COOKIE", "CGISESSID=&x; b"),
                ("QUERY_STRING", "CGISESSID=q2"),
            ],
            b"",
        ),
        request(
            &[
                ("REQUEST_METHOD", "GET"),
                ("QUERY_STRING", "a=%zz&b=%41+%42&=x&&c"),
            ],
            b"",
        ),
        // Keyword lists: no `&`, `=` or `;`.
        request(
            &[("REQUEST_METHOD", "GET"), ("QUERY_STRING", "+a%20b++c+")],
            b"",
        ),
        // A url-encoded POST: the body's parameters, not the query string's; only
        // CONTENT_LENGTH bytes are read.
        request(
            &[
                ("REQUEST_METHOD", "POST"),
                ("CONTENT_TYPE", FORM),
                ("CONTENT_LENGTH", "26"),
                ("QUERY_STRING", "CGISESSID=qs&y=3"),
            ],
            b"CGISESSID=body1&x=1&x=2&rest of the stream",
        ),
        request(
            &[
                ("REQUEST_METHOD", "POST"),
                (
                    "CONTENT_TYPE",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                ),
                ("CONTENT_LENGTH", "21"),
                ("HTTP_COOKIE", "CGISESSID=fromcookie"),
            ],
            b"CGISESSID=b%20c+d;e=f",
        ),
        // No content type: CGI.pm reads the body as a form too.
        request(
            &[("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", "13")],
            b"CGISESSID=abc",
        ),
        request(
            &[
                ("REQUEST_METHOD", "PUT"),
                ("CONTENT_TYPE", FORM),
                ("CONTENT_LENGTH", "11"),
            ],
            b"hello+world",
        ),
        // An empty POST body: no parameters, the query string ignored.
        request(
            &[
                ("REQUEST_METHOD", "POST"),
                ("CONTENT_TYPE", FORM),
                ("CONTENT_LENGTH", "0"),
                ("QUERY_STRING", "CGISESSID=qs"),
            ],
            b"",
        ),
    ];
    for req in &requests {
        let mut perl = oracle.clone();
        for (name, value) in &req.vars {
            perl = perl.with_env(name, value);
        }
        assert_eq!(
            rust_reading(req),
            perl.request("CGISESSID", req.body),
            "{:?}",
            req.vars
        );
    }
}

#[test]
fn other_bodies_are_left_for_the_program() {
    let multipart =
        b"--XX\r\nContent-Disposition: form-data; name=\"CGISESSID\"\r\n\r\nabc\r\n--XX--\r\n";
    let vars = [
        ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "multipart/form-data; boundary=XX"),
        ("CONTENT_LENGTH", "70"),
        ("QUERY_STRING", "CGISESSID=qs"),
    ];
    let mut input = Cursor::new(&multipart[..]);
    let lookup = |name: &str| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes().to_vec())
    };
    let (query, body) = CgiQuery::from_vars_with_body(lookup, &mut input).unwrap();
    assert_eq!(body, None, "nothing read");
    assert_eq!(input.position(), 0, "the body is still in the input");
    assert!(
        query.param_names().is_empty(),
        "no parameters, as CGI.pm ignores the query string"
    );
    assert_eq!(claimed_id(&query, "CGISESSID"), None);
}

#[test]
fn a_bad_content_length_or_short_body_is_an_error() {
    let read = |length: &str, body: &[u8]| {
        let vars = [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", length)];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_bytes().to_vec())
        };
        CgiQuery::from_vars_with_body(lookup, &mut Cursor::new(body.to_vec()))
            .map(|(_, body)| body)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        read("12x", b"a=1"),
        Err("CONTENT_LENGTH \"12x\" is not a byte count".to_string())
    );
    assert_eq!(
        read("10", b"a=1"),
        Err("the request body ended after 3 of its 10 bytes (CONTENT_LENGTH)".to_string())
    );
    assert_eq!(read("3", b"a=1&more"), Ok(Some(b"a=1".to_vec())));
    assert_eq!(
        read("", b"a=1"),
        Ok(Some(Vec::new())),
        "no length: nothing to read"
    );
}

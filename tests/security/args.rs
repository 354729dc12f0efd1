//! Malformed DSNs and driver arguments (spec §1, §5): each is refused when the
//! config is built, with an error naming the problem, before any file is made or any
//! SQL is sent; nothing hangs. Perl fails on most of these later, or never (§1.3).

use cgi_session::drivers::Error as DriverError;
use cgi_session::{Args, Config, Error};

use crate::Tried;

fn open(dsn: &str, args: &[(&str, &str)]) -> Result<Config, Error> {
    let args: Args = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::new(Some(dsn), args)
}

/// One line, and holding `part` (what it names).
fn assert_names(err: &Error, part: &str, what: &str) {
    let text = err.to_string();
    assert_eq!(text.lines().count(), 1, "{what}: one line: {text}");
    assert!(text.contains(part), "{what}: {part:?} missing from: {text}");
}

#[test]
fn malformed_dsns_are_refused_naming_the_problem() {
    let mut tried = Tried::new("malformed DSNs");
    let long = format!("driver:{}", "x".repeat(100_000));
    // What Perl reads sensibly is read so: `:file` is an unknown (empty) key, ignored.
    tried.one();
    let dsn = cgi_session::Dsn::parse(":file").unwrap();
    assert_eq!((dsn.driver_name(), dsn.ignored.len()), ("file", 1));
    // One raw key twice: the later wins, as in Perl's hash (spec §1.1 step 4).
    tried.one();
    let dsn = cgi_session::Dsn::parse("driver:file;driver:db_file").unwrap();
    assert_eq!(dsn.driver_name(), "db_file");
    for (dsn, names) in [
        ("", "empty"),
        ("0", "empty"),
        ("driver:", "not a word"),
        ("d:file;driver:sqlite", "twice"),
        ("driver:nosuch", "nosuch"),
        ("driver:../../x", "not a word"),
        ("driver:file;serializer:Data::Dumper", "data"),
        ("driver:file;i:md5;id:incr", "twice"),
        ("driver:fi\0le", "not a word"),
        ("driver:fïlé", "fïlé"),
        ("driver: file", "not a word"),
        ("s:json;serializer:yaml", "twice"),
        (long.as_str(), "xxxx"),
    ] {
        tried.one();
        let err = open(dsn, &[]).expect_err(dsn);
        assert!(matches!(err, Error::Dsn { .. }), "{dsn:?}: {err}");
        assert_names(&err, names, &format!("{dsn:.40?}"));
    }
}

/// A DSN, its driver arguments, and what the error must name.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn malformed_driver_arguments_are_refused_naming_the_option() {
    let mut tried = Tried::new("malformed driver arguments");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let file = file.to_str().unwrap();
    let under_file = format!("{file}/sessions");
    let dir = tmp.path().to_str().unwrap();
    let cases: &[Case] = &[
        // file
        ("driver:file", &[("Directory", file)], "a-file"),
        ("driver:file", &[("Directory", &under_file)], "a-file"),
        (
            "driver:file",
            &[("Directory", "/proc/self/nosuch/x")],
            "/proc/self/nosuch",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("UMask", "abc")],
            "UMask",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("UMask", "99999999999")],
            "UMask",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("UMask", "-1")],
            "UMask",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("NoFlock", "false")],
            "NoFlock",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("NoFlock", " Off ")],
            "NoFlock",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("FileName", "../%s")],
            "FileName",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("FileName", "%s%s")],
            "FileName",
        ),
        (
            "driver:file",
            &[("Directory", dir), ("FileName", "a\0%s")],
            "FileName",
        ),
        // db_file
        ("driver:db_file", &[("Directory", file)], "a-file"),
        (
            "driver:db_file",
            &[("Directory", dir), ("UMask", "abc")],
            "UMask",
        ),
        // SQL: names are checked before any connection (port 1 answers nothing).
        ("driver:sqlite", &[("DataSource", "")], "DataSource"),
        (
            "driver:sqlite",
            &[("DataSource", "dbi:Pg:dbname=x")],
            "DataSource",
        ),
        (
            "driver:postgresql",
            &[("DataSource", "dbi:Pg:host=127.0.0.1;port=1;nosuchkey=1")],
            "DataSource",
        ),
        (
            "driver:mysql",
            &[("DataSource", "dbi:mysql:database=x;port=http")],
            "DataSource",
        ),
        // redis and memcached
        ("driver:redis", &[("Server", "redis://[::1")], "Server"),
        (
            "driver:redis",
            &[("Server", "127.0.0.1:6379"), ("Expire", "soon")],
            "Expire",
        ),
        (
            "driver:memcached",
            &[("Servers", "127.0.0.1:port")],
            "Servers",
        ),
        (
            "driver:memcached",
            &[("Servers", "127.0.0.1:11211"), ("Expire", "1 day")],
            "Expire",
        ),
    ];
    let mut accepted = Vec::new();
    for (dsn, args, names) in cases {
        tried.one();
        let what = format!("{dsn} {args:?}");
        match open(dsn, args) {
            Ok(_) => accepted.push(what),
            Err(err) => {
                assert!(matches!(err, Error::Driver(_)), "{what}: {err}");
                assert_names(&err, names, &what);
            }
        }
    }
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
    // Nothing was created where the arguments pointed.
    assert!(!std::path::Path::new(&under_file).exists());
}

/// TableName, IdColName and DataColName go into SQL unquoted, as in Perl: each must
/// be a plain identifier, refused otherwise before any connection is tried.
#[test]
fn sql_identifiers_are_checked_before_any_sql() {
    let mut tried = Tried::new("SQL identifiers");
    let long = "t".repeat(1000);
    let sources = [
        ("sqlite", "dbi:SQLite:dbname=/nonexistent/dir/s.db"),
        ("postgresql", "dbi:Pg:dbname=test;host=127.0.0.1;port=1"),
        ("mysql", "dbi:mysql:database=test;host=127.0.0.1;port=1"),
    ];
    for (driver, source) in sources {
        for option in ["TableName", "IdColName", "DataColName"] {
            for name in [
                "s'; DROP TABLE users; --",
                "s\"x",
                "s`x",
                "s;x",
                "s x",
                " s",
                "s\0",
                "s\r\nx",
                "séance",
                "s-x",
                "1s",
                "s.x.y",
                "s/*x*/",
                long.as_str(),
            ] {
                tried.one();
                let what = format!("{driver} {option}={name:.40?}");
                let err = open(
                    &format!("driver:{driver}"),
                    &[("DataSource", source), (option, name)],
                )
                .expect_err(&what);
                assert!(
                    matches!(&err, Error::Driver(DriverError::BadArg { name: n, .. }) if n == option),
                    "{what}: {err}"
                );
                assert_names(&err, "plain SQL identifier", &what);
            }
        }
    }
}

//! Serializer `json` against its Perl side, `perl/lib/CGI/Session/Serialize/json.pm`,
//! live: for the same data Perl and Rust write the same bytes, each reads what the
//! other writes as the same data, and whole sessions pass between
//! `CGI::Session->new("serializer:json")` and `Config` both ways.
//! Skips without Perl unless CGISESS_REQUIRE_ORACLE=1.

mod common;

use std::sync::Arc;

use cgi_session::{Args, Config, PerlString, Value};
use cgi_session_serializers::{Json, Regexp, Serializer};
use common::typed::first_difference;
use common::{to_typed, Oracle};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunConfig, TestRunner};
use serde_json::{json, Value as Typed};

const DSN: &str = "driver:file;serializer:json";

fn chars(s: &str) -> Value {
    Value::Str(PerlString::from_utf8_internal(s.as_bytes()).unwrap())
}

/// Named cases: every form of the mapping, and data as sessions hold it.
fn cases() -> Vec<(&'static str, Value)> {
    let shared = Value::blessed("My::Item", Value::hash([("n", 1)]));
    let array = Value::array([1, 2]);
    let target = Value::scalar_ref(Value::bytes("target"));
    vec![
        ("ascii", Value::bytes("alice")),
        ("utf8_bytes", Value::bytes("caf\u{e9} \u{263a} \u{1f600}")),
        ("latin1", Value::bytes(b"caf\xe9".to_vec())),
        ("binary", Value::bytes((0..=255).collect::<Vec<u8>>())),
        ("surrogate_bytes", Value::bytes(b"\xed\xa0\x80".to_vec())),
        (
            "beyond_unicode_bytes",
            Value::bytes(b"\xf4\x90\x80\x80".to_vec()),
        ),
        ("overlong_bytes", Value::bytes(b"\xc0\x80".to_vec())),
        ("wide", Value::from("smile \u{263a} $x @y \"q\"")),
        ("upgraded_latin1", chars("caf\u{e9}")),
        ("astral", chars("\u{1f600}")),
        (
            "controls",
            Value::bytes("\0\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f} \"\\/"),
        ),
        ("empty", Value::bytes("")),
        (
            "numeric_strings",
            Value::array(["007", "3.50", "1e3", " 42", "-0"].map(Value::bytes)),
        ),
        (
            "ints",
            Value::array([0, 1, -1, 42, -5, 4102444800, i64::MAX, i64::MIN].map(Value::Int)),
        ),
        (
            "floats",
            Value::array(
                [
                    3.25,
                    0.1,
                    0.1 + 0.2,
                    1000.0,
                    1e15,
                    1e16,
                    1.5e17,
                    1e20,
                    1e-5,
                    -1.5e-7,
                    1.0 / 3.0,
                    9007199254740993.0,
                    f64::MAX,
                    f64::MIN_POSITIVE,
                    5e-324,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NAN,
                ]
                .map(Value::Float),
            ),
        ),
        ("undef", Value::Undef),
        (
            "nested",
            Value::hash([(
                "list",
                Value::array([Value::Int(1), Value::hash([("deep", "y")])]),
            )]),
        ),
        ("object", Value::blessed("My::Cart", Value::array([1, 2]))),
        (
            "scalar_object",
            Value::blessed("My::Scalar", Value::scalar_ref(Value::bytes("body"))),
        ),
        ("code", Value::Code),
        ("blessed_code", Value::blessed("My::Code", Value::Code)),
        (
            "regexps",
            Value::array([
                regexp("ab+c", "i"),
                regexp("^\\d+$", ""),
                regexp("a/b", "msx"),
                Value::blessed("My::Regexp", regexp("x y", "x")),
            ]),
        ),
        (
            "refs",
            Value::array([
                Value::scalar_ref(Value::Undef),
                Value::scalar_ref(Value::scalar_ref(1)),
            ]),
        ),
        (
            "shared",
            Value::hash([
                (
                    "a",
                    Value::array([shared.clone(), array.clone(), target.clone()]),
                ),
                ("b", Value::array([shared, array, target])),
            ]),
        ),
        (
            "keys",
            Value::hash([
                (PerlString::from("$bless"), Value::Int(1)),
                (PerlString::from("$pairs"), Value::Int(2)),
                (PerlString::from("\u{263a}"), Value::Int(3)),
                (
                    PerlString::from_utf8_internal("na\u{ef}ve").unwrap(),
                    Value::Int(4),
                ),
                (PerlString::from_bytes(b"caf\xe9".to_vec()), Value::Int(5)),
                (PerlString::from(""), Value::Int(7)),
                (PerlString::from("!"), Value::Int(8)),
                (PerlString::from("new\nline"), Value::Int(9)),
            ]),
        ),
    ]
}

fn regexp(pattern: &str, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern: PerlString::from(pattern),
        flags: flags.into(),
    }))
}

fn assert_same(what: &str, got: &Typed, want: &Typed) {
    if let Some(diff) = first_difference(got, want) {
        panic!("{what}: Perl and Rust disagree at {diff}\n got: {got}\nwant: {want}");
    }
}

/// The three checks, on one value:
/// * Perl's freeze of the same data is byte for byte Rust's;
/// * Perl thaws Rust's bytes to what Rust thaws them to;
/// * Rust thaws Perl's bytes to the data.
fn agree(perl: &Oracle, what: &str, value: &Value) {
    let rust_bytes = Json.freeze(value).unwrap_or_else(|e| panic!("{what}: {e}"));
    let perl_bytes = perl.freeze_value("json", value);
    assert_eq!(
        String::from_utf8_lossy(&perl_bytes),
        String::from_utf8_lossy(&rust_bytes),
        "{what}: Perl and Rust write different bytes"
    );
    assert_eq!(perl_bytes, rust_bytes, "{what}");

    let rust_reading = Json.thaw(&rust_bytes).unwrap();
    let perl_reading = perl
        .thaw_bytes("json", &rust_bytes)
        .unwrap_or_else(|e| panic!("{what}: Perl cannot read Rust's bytes: {e}"));
    assert_same(what, &perl_reading, &to_typed(&rust_reading));
    // Rust's reading is the data itself, up to what the mapping documents: ASCII
    // character strings come back as bytes (the flag means nothing to Perl there).
    assert_eq!(Json.freeze(&rust_reading).unwrap(), rust_bytes, "{what}");
}

#[test]
fn perl_and_rust_write_the_same_bytes_and_read_each_other() {
    let Some(perl) = Oracle::get() else { return };
    for (name, value) in cases() {
        agree(&perl, name, &Value::hash([(name, value)]));
    }
}

/// What CGI::Session wrote through the module (`compat-fixtures/file-json`), Rust
/// reads and writes back byte for byte (no oracle needed: the records are Perl's).
#[test]
fn perl_written_sessions_rewrite_to_the_same_bytes() {
    let ids = common::fixtures::ids("file-json");
    assert!(ids.len() >= 20, "run `perl compat-fixtures/generate.pl`");
    for id in ids {
        let path = common::fixtures::dir("file-json").join(format!("cgisess_{id}"));
        let bytes = std::fs::read(&path).unwrap();
        let data = Json.thaw(&bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&Json.freeze(&data).unwrap()),
            String::from_utf8_lossy(&bytes),
            "{id}"
        );
    }
}

#[test]
fn perls_own_data_reads_back_in_rust() {
    // Data Perl builds itself, not from typed JSON: the flags Perl's own operations
    // leave on scalars (a string used as a number, a printed float, !!1).
    if Oracle::get().is_none() {
        return;
    }
    let script = r#"
        my ($n, $f, $s) = ('3600', 2.5, 10);
        { no warnings; my $x = $n + 0; $x = "$f"; $x = "$s"; }
        my $data = { numified => $n, printed_float => $f, printed_int => $s, true => !!1,
                     false => !!0, sum => 0.1 + 0.2, uv => ~0, neg => -0.0 };
        binmode STDOUT;
        print CGI::Session::Serialize::json->freeze($data);
    "#;
    let out = perl_json(script, &[]);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        r#"{"false":"","neg":-0.0,"numified":3600,"printed_float":2.5,"printed_int":10,"sum":0.30000000000000004,"true":1,"uv":"18446744073709551615"}"#
    );
    let data = Json.thaw(&out).unwrap();
    assert_eq!(data["numified"], Value::Int(3600));
    assert_eq!(data["printed_float"], Value::Float(2.5));
    assert_eq!(data["sum"], Value::Float(0.1 + 0.2));
    assert_eq!(data["uv"], Value::bytes("18446744073709551615"));
}

/// Runs a Perl script with the json module loaded; its standard output.
fn perl_json(script: &str, args: &[&str]) -> Vec<u8> {
    let perl_lib = concat!(env!("CARGO_MANIFEST_DIR"), "/perl/lib");
    let out = std::process::Command::new(std::env::var("CGISESS_PERL").unwrap_or("perl".into()))
        .args([
            "-I",
            perl_lib,
            "-MCGI::Session::Serialize::json",
            "-e",
            script,
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Random session-like data, many values per Perl run.
fn arbitrary_value() -> impl Strategy<Value = Value> {
    let string = prop_oneof![
        vec(any::<u8>(), 0..12).prop_map(Value::bytes),
        "[a-z\u{e0}-\u{ff}\u{263a}\u{1f600}\"\\\\$\n]{0,8}".prop_map(|s| chars(&s)),
        "[ -~]{0,8}".prop_map(|s| Value::bytes(s.as_bytes())),
    ];
    let leaf = prop_oneof![
        Just(Value::Undef),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("Perl reads -0.0 as 0", |f| !(*f == 0.0
                && f.is_sign_negative()))
            .prop_map(Value::Float),
        string,
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        let key = prop_oneof![
            "[a-z$!]{0,4}".prop_map(|s| PerlString::from(s.as_str())),
            vec(any::<u8>(), 0..4).prop_map(PerlString::from_bytes),
            "[\u{e0}\u{263a}]{1,3}".prop_map(|s| PerlString::from(s.as_str())),
        ];
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::from),
            vec((key, inner.clone()), 0..5).prop_map(Value::hash),
            inner.clone().prop_map(Value::scalar_ref),
            (inner.clone(), "[A-Z][a-z]{0,5}(::[A-Z][a-z]{0,5})?")
                .prop_map(|(v, class)| Value::blessed(class.as_str(), Value::array([v]))),
            inner.prop_map(|v| {
                let shared = Value::array([v]);
                Value::array([shared.clone(), Value::Int(0), shared])
            }),
        ]
    })
}

#[test]
fn random_data_agrees() {
    let Some(perl) = Oracle::get() else { return };
    let mut runner = TestRunner::new(RunConfig {
        cases: 4,
        ..RunConfig::default()
    });
    let batch = vec(arbitrary_value(), 60).prop_map(|values| {
        Value::hash(
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("v{i:02}"), v)),
        )
    });
    runner
        .run(&batch, |data| {
            agree(&perl, "random batch", &data);
            Ok(())
        })
        .unwrap();
}

#[test]
fn perl_refuses_what_rust_refuses() {
    let Some(perl) = Oracle::get() else { return };
    for (record, words) in [
        (&br#"{"a":{"$nope":1}}"#[..], "unknown form"),
        (br#"{"a":{"$same":1}}"#, "not defined"),
        (br#"{"a":{"$bytes":"\u263a"}}"#, "above U+00FF"),
        (br#"{"a":1,"$pairs":[["a",2]]}"#, "appears twice"),
        (br#"{"a":{"$ref":1,"b":2}}"#, "mixes"),
        (
            br#"{"a":[{"$id":1,"$value":[]},{"$id":2,"$value":{"$same":1}}]}"#,
            "shared value must be",
        ),
        (
            br#"{"o":{"$bless":"C","$value":{"$same":1}}}"#,
            "new reference",
        ),
        (br#"{"f":{"$float":"inf"}}"#, "Inf, -Inf or NaN"),
        (br#"{"a":[1,}"#, "malformed"),
        (
            &format!("{}{}", "[".repeat(128), "]".repeat(128)).into_bytes(),
            "nesting",
        ),
    ] {
        let err = perl.thaw_bytes("json", record).unwrap_err();
        assert!(err.contains(words), "{}: {err}", record.escape_ascii());
        assert!(Json.thaw(record).is_err());
    }
    // The deepest record both read (typed JSON of it would be too deep to pass back).
    let deepest = format!("{{\"a\":{}{}}}", "[".repeat(126), "]".repeat(126));
    let script =
        r#"print defined CGI::Session::Serialize::json->thaw($ARGV[0]) ? "read" : "refused""#;
    assert_eq!(perl_json(script, &[&deepest]), b"read");
    assert!(Json.thaw(deepest.as_bytes()).is_ok());
}

#[test]
fn cycles_pass_through_perl_and_are_refused_by_rust() {
    let Some(perl) = Oracle::get() else { return };
    let record = br#"{"_SESSION_ID":"c","me":{"$id":1,"$value":{"self":{"$same":1}}}}"#;
    let typed = perl.thaw_bytes("json", record).unwrap();
    assert_eq!(typed["hash"]["me"]["hash"]["self"], json!({ "same": 1 }));
    assert!(Json
        .thaw(record)
        .unwrap_err()
        .to_string()
        .contains("a cycle"));
}

fn config(dir: &std::path::Path) -> Config {
    Config::new(
        Some(DSN),
        Args::from([("Directory".into(), dir.display().to_string())]),
    )
    .unwrap()
}

#[test]
fn sessions_pass_between_perl_and_rust() {
    let Some(perl) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let args = json!({ "Directory": dir.path().to_str().unwrap() });
    let params: serde_json::Map<String, Typed> = cases()
        .into_iter()
        .map(|(name, value)| (name.to_string(), to_typed(&value)))
        .collect();

    // Perl writes with CGI::Session->new; Rust reads the same data.
    let created = perl
        .new_session(
            DSN,
            &args,
            None,
            &json!({ "params": params, "expire": "+1h" }),
        )
        .unwrap();
    let stored = config(dir.path()).peek(&created.id).unwrap().unwrap();
    assert_same("Perl's session", &to_typed(&stored), &created.data);

    // Rust changes it and writes it back; Perl loads what Rust wrote.
    let config = config(dir.path());
    let mut session = config.load(Some(&created.id)).unwrap();
    assert!(!session.is_empty());
    session
        .set_param("from_rust", Value::bytes("José"))
        .unwrap();
    session.flush().unwrap();
    let written = config.peek(&created.id).unwrap().unwrap();
    let loaded = perl.load(DSN, &args, &created.id, true).unwrap();
    assert!(!loaded.is_empty && !loaded.is_expired, "{loaded:?}");
    assert_same("Rust's session", &loaded.data, &to_typed(&written));
    assert_eq!(
        loaded.data["hash"]["from_rust"],
        json!({ "str": "Jos\u{c3}\u{a9}" })
    );
}

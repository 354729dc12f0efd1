//! Ruby 3.1 as the judge of Marshal (`tests/oracle/marshal.rb`): Ruby loads what Rust
//! dumps and dumps it again, and the bytes must be Rust's own; Rust loads Ruby's
//! bytes back as the value it started from. Also CGI.escape/unescape and the two
//! CGI::Session stores, run by Ruby on what Rust wrote.
//!
//! Skipped without `ruby` (with cgi/session), unless `CGISESS_REQUIRE_ORACLE=1`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use cgi_session_serializers::marshal::{self, cgi_escape, cgi_unescape};
use cgi_session_serializers::{PerlString, RubyFileStore, RubyPStore, Serializer, Value};
use cgi_session_test_support::run_framed;
use common::ruby::{boolean, ruby_usable, symbol};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as RunConfig, TestRng, TestRunner};

fn ruby(mode: &str, items: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/marshal.rb");
    run_framed(Command::new("ruby").arg(script).arg(mode), items)
}

fn string() -> impl Strategy<Value = PerlString> {
    prop_oneof![
        3 => "[a-z_]{0,8}".prop_map(|s| PerlString::from_text(&s)),
        2 => vec(any::<u8>(), 0..12).prop_map(PerlString::from_bytes),
        2 => "\\PC{0,8}".prop_map(|s| PerlString::from_text(&s)),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        2 => -1e6f64..1e6,
        1 => (0i32..2000).prop_map(|n| f64::from(n) / 100.0),
        1 => prop_oneof![Just(0.0), Just(-0.0), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::NAN)],
    ]
}

/// The mappable subset: what Ruby data a session holds, by the mapping.
fn data() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Undef),
        1 => any::<bool>().prop_map(boolean),
        3 => (-300i64..300).prop_map(Value::Int),
        2 => any::<i64>().prop_map(Value::Int),
        1 => (-(1i64 << 31)..(1i64 << 31)).prop_map(Value::Int),
        3 => float().prop_map(Value::Float),
        5 => string().prop_map(Value::Str),
        2 => "[a-z]{1,6}|\\PC{1,3}".prop_map(|s| symbol(&s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::array),
            vec((string(), inner), 0..6).prop_map(Value::hash),
        ]
    })
}

/// `count` values of `strategy`, the same ones every run.
fn sample<T: std::fmt::Debug>(strategy: impl Strategy<Value = T>, count: usize) -> Vec<T> {
    let config = RunConfig::default();
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        TestRng::deterministic_rng(config.rng_algorithm),
    );
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// Ruby re-dumps each of Rust's dumps byte for byte, and Rust reads Ruby's dump as
/// the value it dumped.
fn assert_ruby_redumps(values: &[Value]) {
    let dumps: Vec<Vec<u8>> = values.iter().map(|v| marshal::dump(v).unwrap()).collect();
    let redumps = ruby("redump", &dumps);
    assert_eq!(redumps.len(), dumps.len());
    for ((value, ours), theirs) in values.iter().zip(&dumps).zip(&redumps) {
        assert_eq!(
            ours.escape_ascii().to_string(),
            theirs.escape_ascii().to_string(),
            "Ruby's dump of {value:?} differs"
        );
        assert_eq!(&marshal::load(theirs).unwrap(), value);
    }
}

#[test]
fn ruby_redumps_generated_values_as_rust_dumped_them() {
    if !ruby_usable() {
        return;
    }
    let mut values = sample(data(), 400);
    // Bignums on both sides of every boundary, and beyond i64.
    for bits in [30, 31, 32, 62] {
        for i in [
            (1i64 << bits) - 1,
            1i64 << bits,
            -(1i64 << bits),
            -(1i64 << bits) - 1,
        ] {
            values.push(Value::Int(i));
        }
    }
    values.extend([i64::MIN, i64::MIN + 1, i64::MAX].map(Value::Int));
    for digits in [
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "-340282366920938463463374607431768211457",
    ] {
        values.push(Value::blessed(
            "Ruby::Integer",
            Value::scalar_ref(Value::bytes(digits)),
        ));
    }
    values.push(Value::array(
        sample(float(), 300).into_iter().map(Value::Float),
    ));
    assert_ruby_redumps(&values);
}

/// Ruby's re-dump of Rust's rewrite of each fixture is Rust's rewrite: Ruby reads what
/// Rust writes as its own data. Where the rewrite is not Ruby's original bytes (the
/// fixture says why), Ruby loads the two as equal data.
#[test]
fn ruby_reads_rust_rewrites_of_every_fixture_as_its_own() {
    if !ruby_usable() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compat-fixtures/ruby/marshal");
    let mut fixtures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            let expected = std::fs::read_to_string(path.with_extension("json")).unwrap();
            let lossy = expected.contains("\"rewrite\"");
            let bytes = std::fs::read(&path).unwrap();
            fixtures.push((path, bytes, lossy));
        }
    }
    assert!(fixtures.len() > 100);
    let rewrites: Vec<Vec<u8>> = fixtures
        .iter()
        .map(|(_, bytes, _)| marshal::dump(&marshal::load(bytes).unwrap()).unwrap())
        .collect();
    let redumps = ruby("redump", &rewrites);
    let pairs: Vec<Vec<u8>> = fixtures
        .iter()
        .zip(&rewrites)
        .flat_map(|((_, original, _), rewrite)| [original.clone(), rewrite.clone()])
        .collect();
    let verdicts = ruby("same", &pairs);
    for (((path, _, lossy), ours), (theirs, verdict)) in fixtures
        .iter()
        .zip(&rewrites)
        .zip(redumps.iter().zip(&verdicts))
    {
        // A lossy rewrite may be one Ruby writes otherwise (it recomputes what was lost).
        if !lossy {
            assert_eq!(
                ours.escape_ascii().to_string(),
                theirs.escape_ascii().to_string(),
                "{}",
                path.display()
            );
        }
        assert_eq!(
            verdict,
            b"1",
            "Ruby reads {} and Rust's rewrite differently",
            path.display()
        );
    }
}

#[test]
fn cgi_escape_and_unescape_are_rubys() {
    if !ruby_usable() {
        return;
    }
    let mut inputs: Vec<Vec<u8>> = sample(vec(any::<u8>(), 0..40), 200);
    inputs.extend(
        [
            "a b+c",
            "%41%4a%4A%zz%4",
            "%",
            "%%41",
            "+%2B+",
            "~-._*'()!",
            "caf\u{e9}",
        ]
        .map(|s| s.as_bytes().to_vec()),
    );
    inputs.push((0..=255u8).collect());
    let answers = ruby("escape", &inputs);
    for (input, answer) in inputs.iter().zip(answers.chunks(2)) {
        assert_eq!(
            cgi_escape(input),
            answer[0],
            "escape {}",
            input.escape_ascii()
        );
        assert_eq!(
            cgi_unescape(input),
            answer[1],
            "unescape {}",
            input.escape_ascii()
        );
    }
}

/// Sessions Rust wrote, read and written back by Ruby's own FileStore and PStore: the
/// same bytes (Ruby keeps the order it read), and the same records for Rust.
#[test]
fn ruby_session_stores_read_what_rust_wrote() {
    if !ruby_usable() {
        return;
    }
    let mut records = sample(vec((string(), data()), 0..8).prop_map(Value::hash), 60);
    records.push(Value::hash([
        ("_SESSION_ID", Value::from("digest:0123456789abcdef")),
        ("user", Value::from("alice")),
    ]));
    for (mode, serializer) in [
        ("filestore", &RubyFileStore as &dyn Serializer),
        ("pstore", &RubyPStore),
    ] {
        let files: Vec<Vec<u8>> = records
            .iter()
            .map(|r| serializer.freeze(r).unwrap())
            .collect();
        let back = ruby(mode, &files);
        for ((record, ours), theirs) in records.iter().zip(&files).zip(&back) {
            assert_eq!(
                ours.escape_ascii().to_string(),
                theirs.escape_ascii().to_string(),
                "{mode}: {record:?}"
            );
            let read = serializer.thaw(theirs).unwrap();
            let mut want = record.clone();
            if mode == "filestore" {
                // FileStore reads every key as the bytes of its text.
                want = Value::hash(
                    record
                        .as_hash()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (PerlString::from_bytes(k.as_bytes()), v.clone())),
                );
            }
            if let Some(h) = want.as_hash_mut() {
                h.remove(&PerlString::from("_SESSION_ID"));
            }
            assert_eq!(read, want, "{mode}");
        }
    }
}

//! Tests of the test infrastructure itself: typed JSON round trips in Rust, and the
//! Perl oracle agreeing with Rust about what typed JSON means (`cargo test --test oracle`).

#[path = "../common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cgi_session_serializers::{Object, PerlString, Regexp, Value};
use common::typed::{float_text, try_from_typed, without_safe_regexp_class};
use common::{from_typed, to_typed, LockMode, Oracle};
use serde_json::{json, Value as Json};

fn utf8(bytes: &[u8]) -> Value {
    Value::Str(PerlString::from_utf8_internal(bytes.to_vec()).unwrap())
}

/// Data that exercises every corner of the notation (and that Storable can carry).
fn rich() -> Value {
    let shared = Value::array([1, 2]);
    let object = Value::blessed("Foo::Bar", Value::hash([("x", Value::Int(1))]));
    Value::hash([
        ("int", Value::Int(-42)),
        ("big", Value::Int(12_345_678_901)),
        ("float", Value::Float(0.1 + 0.2)),
        ("inf", Value::Float(f64::INFINITY)),
        ("bytes", Value::bytes(b"caf\xe9\0\r\n'\\")),
        ("utf8_bytes", Value::bytes("café".as_bytes())),
        ("wide", Value::from("\u{263a}")),
        ("upgraded", utf8("caf\u{e9}".as_bytes())),
        ("ascii_utf8", utf8(b"abc")),
        ("undef", Value::Undef),
        ("empty", Value::hash(Vec::<(&str, Value)>::new())),
        ("shared", Value::array([shared.clone(), shared])),
        ("objects", Value::array([object.clone(), object])),
        (
            "scalar_ref",
            Value::scalar_ref(Value::scalar_ref(Value::from("x"))),
        ),
        (
            "array_obj",
            Value::blessed("Arr", Value::array([Value::Undef])),
        ),
        (
            "scalar_obj",
            Value::blessed("Sc", Value::scalar_ref(Value::from("q"))),
        ),
        (
            "regexp",
            Value::Regexp(Arc::new(Regexp {
                pattern: "ab+c".into(),
                flags: "i".into(),
            })),
        ),
        (
            "keys",
            Value::Hash(Arc::new(
                [
                    (PerlString::from_bytes(b"caf\xe9".to_vec()), Value::Int(1)),
                    (PerlString::from_text("\u{263a}"), Value::Int(2)),
                ]
                .into_iter()
                .collect(),
            )),
        ),
    ])
}

#[test]
fn floats_are_written_shortest_first() {
    let cases: &[(f64, &str)] = &[
        (0.1, "0.1"),
        (3.25, "3.25"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e20, "1e+20"),
        (1e15, "1e+15"),
        (1e14, "100000000000000"),
        (1000.0, "1000"),
        (0.00001, "1e-05"),
        (-0.0, "-0"),
        (123456789012345680.0, "1.2345678901234568e+17"),
        (5e-324, "4.94065645841247e-324"), // 15 digits already read back as it
        (f64::NAN, "NaN"),
        (f64::NEG_INFINITY, "-Inf"),
    ];
    for &(f, want) in cases {
        assert_eq!(float_text(f), want, "{f:?}");
    }
}

#[test]
fn scalars_keep_their_kind_and_flag() {
    assert_eq!(to_typed(&Value::Undef), Json::Null);
    assert_eq!(to_typed(&Value::Int(7)), json!({"int": 7}));
    assert_eq!(to_typed(&Value::Float(3.25)), json!({"num": "3.25"}));
    assert_eq!(to_typed(&Value::from("10")), json!({"str": "10"}));
    assert_eq!(
        to_typed(&Value::bytes(b"caf\xe9")),
        json!({"str": "caf\u{e9}"})
    );
    assert_eq!(
        to_typed(&utf8("caf\u{e9}".as_bytes())),
        json!({"utf8": "caf\u{e9}"})
    );
    assert_eq!(to_typed(&utf8(b"abc")), json!({"utf8": "abc"}));
    // A surrogate has no JSON string form: code points instead.
    assert_eq!(
        to_typed(&utf8(b"\xed\xa0\x80")),
        json!({"utf8_cp": [0xD800]})
    );
    for typed in [
        json!({"str": "caf\u{e9}"}),
        json!({"utf8": "abc"}),
        json!({"utf8_cp": [0xD800, 0x41]}),
    ] {
        assert_eq!(to_typed(&from_typed(&typed)), typed);
    }
    assert!(
        try_from_typed(&json!({"str": "\u{263a}"})).is_err(),
        "str holds bytes only"
    );
}

#[test]
fn hash_keys_keep_their_flag() {
    let typed = to_typed(&rich()["keys"]);
    assert_eq!(
        typed,
        json!({"hash": {"caf\u{e9}": {"int": 1}, "\u{263a}": {"int": 2}}})
    );
    let flagged = json!({"hash": {"caf\u{e9}": null}, "utf8_keys": ["caf\u{e9}"]});
    let value = from_typed(&flagged);
    let key = value.as_hash().unwrap().keys().next().unwrap();
    assert!(key.is_utf8());
    assert_eq!(to_typed(&value), flagged);
}

#[test]
fn sharing_is_numbered_in_traversal_order() {
    let typed = to_typed(&rich());
    assert_eq!(
        typed["hash"]["objects"]["array"][0]["id"],
        json!(1),
        "objects sort before shared"
    );
    assert_eq!(typed["hash"]["objects"]["array"][1], json!({"same": 1}));
    assert_eq!(
        typed["hash"]["objects"]["array"][0]["bless"],
        json!("Foo::Bar")
    );
    assert_eq!(typed["hash"]["shared"]["array"][0]["id"], json!(2));
    assert_eq!(typed["hash"]["shared"]["array"][1], json!({"same": 2}));

    let value = from_typed(&typed);
    assert!(value["shared"][0].same_ref(&value["shared"][1]));
    assert!(value["objects"][0].same_ref(&value["objects"][1]));
    assert_eq!(value, rich());
    assert_eq!(
        to_typed(&value),
        typed,
        "to_typed ∘ from_typed is the identity"
    );
}

#[test]
fn cycles_and_dangling_ids_are_refused() {
    let cycle = json!({"id": 1, "hash": {"self": {"same": 1}}});
    assert!(try_from_typed(&cycle).unwrap_err().contains("cycle"));
    assert!(try_from_typed(&json!({"array": [{"same": 9}]})).is_err());
    assert!(try_from_typed(&json!({"frob": 1})).is_err());
}

#[test]
fn qr_objects_are_plain_regexps() {
    let re = Arc::new(Regexp {
        pattern: "a.b".into(),
        flags: "".into(),
    });
    let plain = json!({"regexp": "a.b", "flags": ""});
    assert_eq!(to_typed(&Value::Regexp(re.clone())), plain);
    let blessed = Value::Object(Arc::new(Object {
        class: "Regexp".into(),
        value: Value::Regexp(re),
    }));
    assert_eq!(to_typed(&blessed), plain);
    let safe = json!({"array": [{"bless": "Safe::Root3::Regexp", "value": plain}]});
    assert_eq!(without_safe_regexp_class(&safe), json!({"array": [plain]}));
}

// ------------------------------------------------------------------ live, with Perl

/// Perl builds the data from typed JSON and describes it back after a Storable
/// round trip (Storable keeps kinds, flags, blessing and sharing): both halves of
/// oracle.pl agree with the Rust half.
#[test]
fn perl_reads_typed_json_as_rust_writes_it() {
    let Some(oracle) = Oracle::get() else { return };
    let typed = to_typed(&rich());
    let frozen = oracle.freeze_typed("storable", &typed);
    assert_eq!(oracle.thaw_bytes("storable", &frozen).unwrap(), typed);
}

/// Perl's float_text (sprintf and strtod) and Rust's agree, on doubles from every range.
/// (Not -0.0 or small integral doubles: Storable stores an NV that is an exact IV as an integer.)
#[test]
fn perl_writes_floats_as_rust_does() {
    let Some(oracle) = Oracle::get() else { return };
    let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
    let floats: Vec<Value> = (0..500)
        .map(|_| {
            bits = bits
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            Value::Float(f64::from_bits(bits))
        })
        .chain([0.1, 1.0 / 3.0, 2.5e-308, 1e300, 9007199254740993.0].map(Value::Float))
        .collect();
    let typed = to_typed(&Value::array(floats));
    let frozen = oracle.freeze_typed("storable", &typed);
    assert_eq!(oracle.thaw_bytes("storable", &frozen).unwrap(), typed);
}

#[test]
fn perl_reports_numbers_as_data_dumper_sees_them() {
    let Some(oracle) = Oracle::get() else { return };
    // Data::Dumper quotes every float and long integer, so Perl reads them back as strings.
    let data = json!({"hash": {
        "i": {"int": 42}, "big": {"int": 12345678901_i64}, "f": {"num": "0.1"},
        "s": {"str": "007"}, "w": {"utf8": "\u{263a}"}, "up": {"utf8": "caf\u{e9}"},
    }});
    let frozen = oracle.freeze_typed("default", &data);
    let back = oracle.thaw_bytes("default", &frozen).unwrap();
    assert_eq!(
        back,
        json!({"hash": {
            "i": {"int": 42}, "big": {"str": "12345678901"}, "f": {"str": "0.1"},
            "s": {"str": "007"}, "w": {"utf8": "\u{263a}"}, "up": {"str": "caf\u{e9}"},
        }})
    );
}

#[test]
fn perl_thaw_errors_are_reported_not_fatal() {
    let Some(oracle) = Oracle::get() else { return };
    let err = oracle.thaw_bytes("default", b"$D = {;").unwrap_err();
    assert!(err.contains("couldn't thaw"), "{err}");
    let err = oracle
        .thaw_bytes("default", b"system('true'); $D = {}")
        .unwrap_err();
    assert!(err.contains("trapped by operation mask"), "{err}");
}

#[test]
fn perl_creates_and_loads_sessions() {
    let Some(oracle) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    let args = json!({"Directory": dir.path()});
    let spec = json!({
        "params": {"user": {"str": "alice"}, "cart": {"array": [{"int": 1}]}},
        "expire": "3600",
        "expire_params": {"user": "+10m"},
    });
    let perl = oracle.with_env("REMOTE_ADDR", "192.0.2.7");
    let created = perl
        .new_session("driver:file;id:static", &args, Some("s1"), &spec)
        .unwrap();
    assert_eq!(created.id, "s1");
    let data = &created.data["hash"];
    assert_eq!(data["_SESSION_ETIME"], json!({"str": "3600"}));
    assert_eq!(
        data["_SESSION_EXPIRE_LIST"],
        json!({"hash": {"user": {"int": 600}}})
    );
    assert_eq!(data["_SESSION_REMOTE_ADDR"], json!({"str": "192.0.2.7"}));
    assert!(dir.path().join("cgisess_s1").exists());

    let loaded = oracle.load("driver:file", &args, "s1", true).unwrap();
    assert_eq!(loaded.id, json!({"str": "s1"}));
    assert!(!loaded.is_empty && !loaded.is_expired && !loaded.is_new);
    assert_eq!(loaded.data["hash"]["cart"], created.data["hash"]["cart"]);
    // load() adds ATIME + ETIME, which makes the string '3600' an integer to Perl.
    assert_eq!(loaded.data["hash"]["_SESSION_ETIME"], json!({"int": 3600}));

    let missing = oracle.load("driver:file", &args, "nope", true).unwrap();
    assert!(missing.is_empty);
    let err = oracle.load("driver:file", &args, "s1", true).map(|_| ());
    assert_eq!(err, Ok(()));
}

#[test]
fn perl_holds_flock_until_released() {
    let Some(oracle) = Oracle::get() else { return };
    let file = tempfile::NamedTempFile::new().unwrap();
    let holder = oracle.lock(file.path(), LockMode::Exclusive, Duration::from_secs(30));
    let ours = std::fs::File::open(file.path()).unwrap();
    assert!(
        ours.try_lock_shared().is_err(),
        "Perl's LOCK_EX excludes our LOCK_SH"
    );
    let started = Instant::now();
    holder.release();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "release is prompt"
    );
    ours.try_lock().expect("free after release");
    ours.unlock().unwrap();

    let holder = oracle.lock(file.path(), LockMode::Shared, Duration::from_millis(200));
    ours.try_lock_shared().expect("shared locks coexist");
    ours.unlock().unwrap();
    assert!(
        ours.try_lock().is_err(),
        "Perl's LOCK_SH excludes our LOCK_EX"
    );
    holder.wait_released();
    ours.try_lock().expect("free after the hold time");
}

//! The mapping, its exact text, and hostile input. Agreement with the Perl module is
//! tested live in `tests/json_perl.rs` of the facade.

use proptest::prelude::*;

use super::text::float_text;
use super::*;
use crate::{PerlString, Regexp};

fn text(v: &Value) -> String {
    String::from_utf8(Json.freeze(v).unwrap()).unwrap()
}

fn thaw(s: &str) -> Result<Value, Error> {
    Json.thaw(s.as_bytes())
}

fn chars(s: &str) -> Value {
    Value::Str(PerlString::from_utf8_internal(s.as_bytes()).unwrap())
}

/// Data in every form the mapping has, sharing included.
fn everything() -> Value {
    let shared = Value::array([1, 2]);
    let target = Value::scalar_ref(Value::bytes("target"));
    Value::hash([
        ("user", Value::bytes("alice")),
        ("utf8_bytes", Value::bytes("café")),
        ("latin1", Value::bytes(b"caf\xe9".to_vec())),
        ("wide", Value::from("\u{263a}")),
        ("upgraded", chars("café")),
        ("int", Value::Int(-42)),
        ("float", Value::Float(3.25)),
        ("whole", Value::Float(1000.0)),
        ("inf", Value::Float(f64::NEG_INFINITY)),
        ("nan", Value::Float(f64::NAN)),
        ("undef", Value::Undef),
        ("numeric_string", Value::bytes("007")),
        ("control", Value::bytes("a\nb\u{1}\u{7f}\"\\/")),
        ("shared", Value::array([shared.clone(), shared])),
        ("refs", Value::array([target.clone(), target])),
        (
            "ref_ref",
            Value::scalar_ref(Value::scalar_ref(Value::Int(1))),
        ),
        (
            "object",
            Value::blessed("My::Class", Value::hash([("k", Value::array([1]))])),
        ),
        (
            "scalar_object",
            Value::blessed("My::Scalar", Value::scalar_ref(Value::bytes("body"))),
        ),
        ("code", Value::Code),
        (
            "regexp",
            Value::Regexp(std::sync::Arc::new(Regexp {
                pattern: PerlString::from("ab+c"),
                flags: "i".into(),
            })),
        ),
        (
            "keys",
            Value::hash([
                (PerlString::from("$x"), Value::Int(1)),
                (PerlString::from_bytes(b"caf\xe9".to_vec()), Value::Int(2)),
                (PerlString::from("\u{263a}"), Value::Int(3)),
                (PerlString::from(""), Value::Int(4)),
                (PerlString::from("!"), Value::Int(5)),
                (PerlString::from("z"), Value::Int(6)),
            ]),
        ),
    ])
}

#[test]
fn plain_data_is_plain_json() {
    let data = Value::hash([
        ("user", Value::bytes("José")),
        ("cart", Value::array([Value::Int(1), Value::Float(2.5)])),
        ("prefs", Value::hash([("lang", "en")])),
        ("none", Value::Undef),
        ("_SESSION_ETIME", Value::bytes("3600")),
    ]);
    assert_eq!(
        text(&data),
        r#"{"_SESSION_ETIME":"3600","cart":[1,2.5],"none":null,"prefs":{"lang":"en"},"user":"José"}"#
    );
    assert_eq!(to_json(&data).unwrap()["user"], "José");
}

#[test]
fn every_perl_form_has_its_exact_text() {
    // The same bytes the Perl module writes for the same data (tests/json_perl.rs).
    assert_eq!(
        text(&everything()),
        concat!(
            r#"{"code":{"$code":null},"control":"a\nb\u0001"#,
            "\u{7f}",
            r#"\"\\/","float":3.25,"inf":{"$float":"-Inf"},"int":-42,"#,
            r#""keys":{"":4,"!":5,"$pairs":[["$x",1],[{"$bytes":"café"},2],[{"$chars":"☺"},3]],"z":6},"#,
            r#""latin1":{"$bytes":"café"},"nan":{"$float":"NaN"},"numeric_string":"007","#,
            r#""object":{"$bless":"My::Class","$value":{"k":[1]}},"#,
            r#""ref_ref":{"$ref":{"$ref":1}},"#,
            r#""refs":[{"$id":1,"$value":{"$ref":"target"}},{"$same":1}],"#,
            r#""regexp":{"$flags":"i","$regexp":"ab+c"},"#,
            r#""scalar_object":{"$bless":"My::Scalar","$value":{"$ref":"body"}},"#,
            r#""shared":[{"$id":2,"$value":[1,2]},{"$same":2}],"#,
            r#""undef":null,"upgraded":{"$chars":"café"},"user":"alice","#,
            r#""utf8_bytes":"café","whole":1000.0,"wide":{"$chars":"☺"}}"#
        )
    );
}

#[test]
fn everything_comes_back_exactly() {
    let data = everything();
    let back = Json.thaw(&Json.freeze(&data).unwrap()).unwrap();
    assert_eq!(back, data);
    assert!(back["shared"][0].same_ref(&back["shared"][1]));
    assert!(back["refs"][0].same_ref(&back["refs"][1]));
    for key in ["latin1", "utf8_bytes", "user"] {
        assert!(!back[key].as_perl_str().unwrap().is_utf8(), "{key}");
    }
    for key in ["wide", "upgraded"] {
        assert!(back[key].as_perl_str().unwrap().is_utf8(), "{key}");
    }
    let keys = back["keys"].as_hash().unwrap();
    let wide_key = keys.keys().find(|k| k.is_utf8()).unwrap();
    assert_eq!(wide_key.to_text(), "\u{263a}");
}

#[test]
fn numbers_keep_their_kind() {
    for (json, want) in [
        ("1", Value::Int(1)),
        ("-9223372036854775808", Value::Int(i64::MIN)),
        ("1.0", Value::Float(1.0)),
        ("1e3", Value::Float(1000.0)),
        ("1.0e+20", Value::Float(1e20)),
        ("18446744073709551615", Value::Float(18446744073709551615.0)),
        ("true", Value::Int(1)),
        ("false", Value::Int(0)),
        (r#""1""#, Value::bytes("1")),
    ] {
        assert_eq!(thaw(&format!("[{json}]")).unwrap()[0], want, "{json}");
    }
}

#[test]
fn floats_always_have_a_decimal_point() {
    for (f, want) in [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1000.0, "1000.0"),
        (3.25, "3.25"),
        (0.1 + 0.2, "0.30000000000000004"),
        (0.0001, "0.0001"),
        (0.00001, "1.0e-05"),
        (1.5e-7, "1.5e-07"),
        (1e15, "1000000000000000.0"),
        (1234567890123456.0, "1234567890123456.0"),
        (1e16, "1.0e+16"),
        (1.5e17, "1.5e+17"),
        (1e20, "1.0e+20"),
        (-123456789012345680.0, "-1.2345678901234568e+17"),
        (f64::MAX, "1.7976931348623157e+308"),
        (5e-324, "5.0e-324"),
    ] {
        assert_eq!(float_text(f), want, "{f:e}");
    }
}

proptest! {
    #[test]
    fn float_text_reads_back_as_the_same_double(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        prop_assume!(f.is_finite());
        let text = float_text(f);
        prop_assert!(text.contains('.'), "{}", text);
        prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), f.to_bits());
        let back = Json.thaw(&Json.freeze(&Value::array([f])).unwrap()).unwrap();
        prop_assert!(matches!(back[0], Value::Float(g) if g.to_bits() == f.to_bits()), "{:?}", back);
    }

    #[test]
    fn arbitrary_strings_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..40), utf8 in any::<bool>()) {
        let s = if utf8 {
            PerlString::from_utf8_internal(String::from_utf8_lossy(&bytes).into_owned()).unwrap()
        } else {
            PerlString::from_bytes(bytes)
        };
        let data = Value::hash([(s.clone(), Value::Str(s.clone()))]);
        let back = Json.thaw(&Json.freeze(&data).unwrap()).unwrap();
        let (key, value) = back.as_hash().unwrap().iter().next().unwrap();
        prop_assert_eq!(key.as_bytes(), s.as_bytes());
        let value = value.as_perl_str().unwrap();
        prop_assert_eq!(value.as_bytes(), s.as_bytes());
        prop_assert_eq!(value.is_utf8(), s.is_utf8() && !s.is_ascii());
    }

    #[test]
    fn hostile_bytes_give_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Json.thaw(&bytes);
    }

    #[test]
    fn mangled_records_give_errors_not_panics(cut in 0usize..400, flip in 0usize..400, byte in any::<u8>()) {
        let mut record = Json.freeze(&everything()).unwrap();
        if flip < record.len() {
            record[flip] = byte;
        }
        record.truncate(cut.min(record.len()));
        let _ = Json.thaw(&record);
    }
}

#[test]
fn a_hash_key_starting_with_dollar_cannot_pose_as_a_tag() {
    let data = Value::hash([("$bless", "x"), ("$value", "y")]);
    let json = text(&data);
    assert_eq!(json, r#"{"$pairs":[["$bless","x"],["$value","y"]]}"#);
    assert_eq!(thaw(&json).unwrap(), data);
}

#[test]
fn sharing_ids_follow_the_written_key_order() {
    // Keys sort around "$pairs": "!" before it, "a" after it; ids follow that order.
    let (one, two, three) = (Value::array([1]), Value::array([2]), Value::array([3]));
    let data = Value::hash([
        (PerlString::from("a"), Value::array([one.clone(), one])),
        (PerlString::from("$p"), Value::array([two.clone(), two])),
        (PerlString::from("!"), Value::array([three.clone(), three])),
    ]);
    let json = text(&data);
    assert_eq!(
        json,
        concat!(
            r#"{"!":[{"$id":1,"$value":[3]},{"$same":1}],"#,
            r#""$pairs":[["$p",[{"$id":2,"$value":[2]},{"$same":2}]]],"#,
            r#""a":[{"$id":3,"$value":[1]},{"$same":3}]}"#
        )
    );
    let back = thaw(&json).unwrap();
    assert!(back["a"][0].same_ref(&back["a"][1]));
}

#[test]
fn parse_errors_name_the_byte_offset() {
    for (input, offset, words) in [
        (&b"{\"a\":1}x"[..], 7, "trailing characters"),
        (b"{\"a\":\n  [1,}", 11, "expected value"),
        (b"{\"a\":\"\xff\"}", 6, "invalid unicode"),
        (b"", 0, "EOF"),
    ] {
        match Json.thaw(input) {
            Err(Error::Syntax {
                format: "json",
                offset: at,
                message,
            }) => {
                assert_eq!(at, offset, "{message}");
                assert!(message.contains(words), "{message}");
                assert!(!message.contains("line"), "{message}");
            }
            other => panic!("{}: {other:?}", input.escape_ascii()),
        }
    }
}

#[test]
fn mapping_errors_name_the_node() {
    for (input, words) in [
        (r#"{"a":[{"$nope":1}]}"#, "at /a/0: unknown form"),
        (r#"{"a":{"$ref":1,"b":2}}"#, "at /a: an object mixes"),
        (
            r#"{"a":{"$bytes":"\u263a"}}"#,
            "at /a/$bytes: a `$bytes` string",
        ),
        (r#"{"a":{"$same":1}}"#, "at /a/$same: id 1 is not defined"),
        (r#"{"a":{"$float":"inf"}}"#, "at /a/$float: expected Inf"),
        (
            r#"{"a":{"$id":1,"$value":2}}"#,
            "only a reference can be shared",
        ),
        (
            r#"{"a":[{"$id":1,"$value":[]},{"$id":2,"$value":{"$same":1}}]}"#,
            "at /a/1/$value: a shared value must be a new reference",
        ),
        (
            r#"{"a":[{"$id":1,"$value":[]},{"$id":1,"$value":[]}]}"#,
            "id 1 is defined twice",
        ),
        (
            r#"{"a":1,"$pairs":[[{"$chars":"a"},2]]}"#,
            "at /a: hash key \"a\" appears twice",
        ),
        (r#"{"$pairs":{"a":1}}"#, "at /$pairs: expected an array"),
        (
            r#"{"$pairs":[["a"]]}"#,
            "at /$pairs/0: expected a [key, value] pair",
        ),
        (r#"{"$pairs":[[1,2]]}"#, "at /$pairs/0/0: expected a string"),
        (
            r#"{"o":{"$bless":"C","$value":1}}"#,
            "at /o/$value: expected",
        ),
        (
            r#"{"o":{"$bless":"C","$value":{"$same":1}}}"#,
            "at /o/$value",
        ),
        (r#"{"r":{"$flags":"i;","$regexp":"x"}}"#, "at /r/$flags"),
        (r#"{"c":{"$code":1}}"#, "at /c/$code: expected null"),
        (r#"{"a/b~":{"$ref":1,"x":1}}"#, "at /a~1b~0:"),
    ] {
        let err = thaw(input).unwrap_err().to_string();
        assert!(err.starts_with("json: "), "{err}");
        assert!(err.contains(words), "{input}: {err}");
    }
}

#[test]
fn cycles_written_by_perl_are_refused_clearly() {
    let err = thaw(r#"{"$id":1,"$value":{"a":1,"self":{"$same":1}}}"#).unwrap_err();
    assert!(err.to_string().contains("a cycle"), "{err}");
}

#[test]
fn nesting_is_limited_on_both_sides() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(thaw(&nested(MAX_NESTING)).is_ok());
    assert!(matches!(
        thaw(&nested(MAX_NESTING + 1)),
        Err(Error::Syntax { .. })
    ));
    assert!(matches!(thaw(&nested(100_000)), Err(Error::Syntax { .. })));

    let deep = |n: usize| (1..n).fold(Value::array([0]), |v, _| Value::array([v]));
    assert!(Json.freeze(&deep(MAX_NESTING)).is_ok());
    let err = Json.freeze(&deep(MAX_NESTING + 1)).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");
    // The mapping's objects count as levels: an object is two (`$bless`, then its hash).
    let around = |inner: Value| (1..MAX_NESTING).fold(inner, |v, _| Value::array([v]));
    assert!(Json.freeze(&around(Value::hash([("k", 1)]))).is_ok());
    let object = Value::blessed("C", Value::hash([("k", 1)]));
    assert!(Json.freeze(&around(object)).is_err());
    let far_deeper = (0..5_000).fold(Value::Int(0), |v, _| Value::array([v]));
    assert!(Json.freeze(&far_deeper).is_err());
}

#[test]
fn what_json_cannot_carry_is_refused() {
    let surrogate = PerlString::from_code_points([0xd800]).unwrap();
    let err = Json
        .freeze(&Value::hash([("s", Value::Str(surrogate))]))
        .unwrap_err();
    assert!(err.to_string().contains("surrogate"), "{err}");
    let not_a_ref = Value::blessed("C", Value::Int(1));
    assert!(Json.freeze(&not_a_ref).is_err());
    let bad_flags = Value::Regexp(std::sync::Arc::new(Regexp {
        pattern: PerlString::from("x"),
        flags: "/e".into(),
    }));
    assert!(Json.freeze(&bad_flags).is_err());
}

//! The hand-made corpus: what Syck's quoting, tagging and anchoring turn on.

use std::sync::Arc;

use cgi_session_serializers::{PerlString, Regexp, Value};

/// How our YAML for a case relates to Perl's.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The same bytes.
    Same,
    /// The same bytes once anchors are renumbered.
    Renumbered,
    /// Written differently on purpose (a blessed scalar whose text reads as a boolean
    /// keeps its tag, a top-level key starting with `--- ` is quoted): Perl reads our
    /// YAML back as the original data, where it loses some of its own.
    Improved,
}

pub struct Case {
    pub name: String,
    pub value: Value,
    pub expect: Expect,
}

pub fn case(name: &str, value: Value) -> Case {
    Case {
        name: name.to_string(),
        value,
        expect: Expect::Same,
    }
}

pub fn bytes(b: &[u8]) -> Value {
    Value::bytes(b.to_vec())
}

pub fn flagged(text: &str) -> Value {
    Value::Str(PerlString::from_utf8_internal(text.as_bytes().to_vec()).unwrap())
}

pub fn regexp(pattern: PerlString, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern,
        flags: flags.to_string(),
    }))
}

pub fn empty_array() -> Value {
    Value::array(Vec::<Value>::new())
}

pub fn empty_hash() -> Value {
    Value::hash(Vec::<(&str, Value)>::new())
}

/// Strings that test Syck's quoting, as byte strings.
pub fn tricky_strings() -> Vec<Vec<u8>> {
    let mut strings: Vec<Vec<u8>> = [
        "",
        " ",
        "yes",
        "no",
        "Yes",
        "NO",
        "true",
        "False",
        "on",
        "OFF",
        "y",
        "n",
        "Y",
        "N",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "1e3",
        "0x1F",
        "007",
        "-0",
        "+5",
        ".5",
        "5.",
        "1_000",
        "12 ",
        " 12",
        "12\n",
        "\n12",
        "Inf",
        "-inf",
        "nan",
        "NaN",
        "Infinity",
        "0 but true",
        "- ",
        "0",
        "-1",
        "123456789",
        "1234567890",
        "-12345678",
        "-123456789",
        "3.25",
        "1e+20",
        "-",
        ":",
        "?",
        ",",
        "-a",
        "- a",
        ": a",
        "a:",
        "a: b",
        "a:b",
        "a :b",
        ":bar",
        "?a",
        "? a",
        ", a",
        "a, b",
        "a #b",
        "a#b",
        "#a",
        " lead",
        "trail ",
        "\ttab",
        "tab\t",
        "a\tb",
        "a\nb",
        "a\n",
        "a\n\n",
        "\n",
        "a\n b",
        " a\nb",
        "'q'",
        "\"q\"",
        "it's",
        "a'b\"c",
        "\\",
        "a\\b",
        "[a",
        "a]",
        "{a",
        "a}",
        "!a",
        "&a",
        "*a",
        "|a",
        ">a",
        "%a",
        "@a",
        "`a",
        "^a",
        "=",
        "<<",
        "---",
        "--- a",
        "a\n---",
        "...",
        "2001-01-01",
        "1:30",
        "a\rb",
        "\r ",
        "x\u{1}y",
        "\u{7f}",
        "nul\0byte",
        "\u{1b}[0m",
        "it's\nok",
        "'\n'",
        "a\x0bb",
        "a\x0cb",
        "\u{8}",
        "\u{7}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    strings.extend([
        b"caf\xe9".to_vec(),
        b"caf\xc3\xa9".to_vec(),
        b"\xff\xfe".to_vec(),
        b"\x80".to_vec(),
        b"caf\xe9\n".to_vec(),
        b" \xe9".to_vec(),
        "x".repeat(100).into_bytes(),
        format!("{}{}", "x".repeat(100), " y".repeat(60)).into_bytes(),
        (0..=255u8).collect(),
    ]);
    strings
}

pub fn cases() -> Vec<Case> {
    let strings = tricky_strings();
    let as_values = Value::array(strings.iter().map(|s| bytes(s)));
    let as_keys = Value::Hash(Arc::new(
        strings
            .iter()
            .enumerate()
            .map(|(i, s)| (PerlString::from_bytes(s.clone()), Value::Int(i as i64)))
            .collect(),
    ));
    let wide = [
        "☺",
        "caf\u{e9}",
        "caf\u{e9}\n",
        "abc",
        "yes",
        "12",
        " x",
        "\u{263a}\u{7f}\u{1}\u{80}",
        "a: b",
        "日本語",
        "😀",
        "x\u{85}y",
        "\u{a0}",
    ];
    let flagged_values = Value::array(wide.iter().map(|s| flagged(s)));
    let flagged_keys = Value::Hash(Arc::new(
        wide.iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    PerlString::from_utf8_internal(s.as_bytes().to_vec()).unwrap(),
                    Value::Int(i as i64),
                )
            })
            .collect(),
    ));
    let mut cases = vec![
        case(
            "spec sample session",
            Value::hash([
                ("_SESSION_ATIME", Value::Int(1795293613)),
                ("_SESSION_CTIME", Value::Int(1795293613)),
                ("_SESSION_ETIME", Value::Int(7200)),
                ("_SESSION_EXPIRE_LIST", Value::hash([("logged_in", 1800)])),
                ("_SESSION_ID", "sample_yaml".into()),
                ("_SESSION_REMOTE_ADDR", "192.0.2.7".into()),
                ("cart", Value::array([1, 2])),
                ("prefs", Value::hash([("lang", "en")])),
                ("user", "alice".into()),
            ]),
        ),
        case("strings as values", as_values),
        // Nested: a top-level key starting with "--- " is quoted on purpose (`improved_cases`).
        case("strings as keys", Value::hash([("keys", as_keys)])),
        case("character strings as values", flagged_values),
        case("character strings as keys", flagged_keys),
        case(
            "integers",
            Value::array(
                [
                    0,
                    1,
                    -1,
                    42,
                    123456789,
                    1234567890,
                    -12345678,
                    -123456789,
                    i64::MAX,
                    i64::MIN,
                ]
                .map(Value::Int),
            ),
        ),
        case(
            "floats",
            Value::array(
                [
                    1.5,
                    1e20,
                    0.1,
                    0.1 + 0.2,
                    -0.0,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NAN,
                    1e3,
                    3.0,
                    1e-5,
                    1.0 / 3.0,
                ]
                .map(Value::Float),
            ),
        ),
        case(
            "empty collections",
            Value::array([
                empty_array(),
                empty_hash(),
                Value::array([empty_array()]),
                Value::hash([
                    ("a", empty_hash()),
                    ("b", empty_array()),
                    ("c", Value::Int(1)),
                ]),
                Value::scalar_ref(empty_array()),
                Value::scalar_ref(empty_hash()),
                Value::blessed("E", empty_array()),
                Value::blessed("F", empty_hash()),
                Value::Int(1),
            ]),
        ),
        case("top-level empty hash", empty_hash()),
        case("top-level empty array", empty_array()),
        case("top-level string", "top".into()),
        case("top-level integer", Value::Int(42)),
        case("top-level undef", Value::Undef),
        case("top-level scalar ref", Value::scalar_ref("x")),
        case(
            "top-level object",
            Value::blessed("My::Top", Value::hash([("a", 1)])),
        ),
        case(
            "references",
            Value::hash([
                ("str", Value::scalar_ref("str")),
                ("int", Value::scalar_ref(42)),
                ("undef", Value::scalar_ref(Value::Undef)),
                ("ref_ref", Value::scalar_ref(Value::scalar_ref("x"))),
                (
                    "deep",
                    Value::scalar_ref(Value::scalar_ref(Value::scalar_ref("deep"))),
                ),
                ("array", Value::scalar_ref(Value::array([1, 2]))),
                ("hash", Value::scalar_ref(Value::hash([("a", 1)]))),
                (
                    "object",
                    Value::scalar_ref(Value::blessed("My::Hash", empty_hash())),
                ),
                ("code", Value::scalar_ref(Value::Code)),
            ]),
        ),
        case(
            "objects",
            Value::array([
                Value::blessed(
                    "My::Hash",
                    Value::hash([("name", Value::from("h")), ("list", Value::array([1, 2]))]),
                ),
                Value::blessed(
                    "My::Array",
                    Value::array([Value::Int(1), "two".into(), Value::Undef]),
                ),
                Value::blessed("My::Scalar", Value::scalar_ref("scalar body")),
                Value::blessed("My::Scalar", Value::scalar_ref(Value::Undef)),
                Value::blessed("My::Scalar", Value::scalar_ref(42)),
                Value::blessed("My::Scalar", Value::scalar_ref("")),
                Value::blessed("My::Scalar", Value::scalar_ref("007")),
                Value::blessed("My::Scalar", Value::scalar_ref("a\nb")),
                Value::blessed("My::Scalar", Value::scalar_ref(":x")),
                Value::blessed("My::Scalar", Value::scalar_ref(Value::Float(2.5))),
                Value::blessed("My::RefRef", Value::scalar_ref(Value::scalar_ref("x"))),
                Value::blessed("My::RefArray", Value::scalar_ref(Value::array([1]))),
                Value::blessed(
                    "My::RefObject",
                    Value::scalar_ref(Value::blessed("In", empty_hash())),
                ),
                Value::blessed(
                    "My::Outer",
                    Value::hash([(
                        "inner",
                        Value::blessed(
                            "My::Array",
                            Value::array([Value::blessed("My::Leaf", empty_hash())]),
                        ),
                    )]),
                ),
                Value::blessed("O'Neil", empty_hash()),
                Value::blessed(PerlString::from_text("K\u{263a}"), empty_hash()),
                // Typed JSON gives Perl every class name as characters: a UTF-8 stash name.
                Value::blessed(PerlString::from_text("Caf\u{e9}"), empty_array()),
                Value::blessed("My::Regexp", regexp(PerlString::from_text("x"), "")),
            ]),
        ),
        case(
            "regexps",
            Value::array([
                regexp(PerlString::from_text("ab+c"), "i"),
                regexp(PerlString::from_text("^\\d+$"), ""),
                regexp(PerlString::from_text("a/b"), ""),
                regexp(PerlString::from_text("x"), "msix"),
                regexp(PerlString::from_text("x"), "n"),
                regexp(PerlString::from_text("a: b"), ""),
                regexp(PerlString::from_text(" #x"), ""),
                regexp(PerlString::from_text("a\\nb"), ""),
                // Typed JSON gives Perl every pattern as characters, so Perl's is `u`.
                regexp(PerlString::from_text("caf\u{e9}"), "u"),
                regexp(PerlString::from_text("\u{263a}"), "u"),
            ]),
        ),
        case("a code ref", Value::hash([("code", Value::Code)])),
        case(
            "deep nesting",
            (0..60).fold(Value::from("bottom"), |inner, i| {
                if i % 2 == 0 {
                    Value::array([inner])
                } else {
                    Value::hash([("k", inner)])
                }
            }),
        ),
    ];
    cases.extend(sharing_cases());
    cases.extend(improved_cases());
    cases
}

pub fn sharing_cases() -> Vec<Case> {
    let x = Value::array([1]);
    let y = Value::array([2]);
    let h = Value::hash([("k", "v")]);
    let o = Value::blessed("My::Shared", Value::hash([("n", 1)]));
    let target = Value::scalar_ref("target");
    let ref_ref = Value::scalar_ref(target.clone());
    let re = regexp(PerlString::from_text("x"), "i");
    let sc = Value::blessed("Sc", Value::scalar_ref("q"));
    let inner = Value::array([1]);
    let rv = Value::scalar_ref(inner.clone());
    let hr = Value::hash([("a", 1)]);
    let ob = Value::blessed("O", empty_hash());
    let blessed_rv = Value::blessed("R", Value::scalar_ref(inner.clone()));
    let mut cases = vec![
        case("array twice", Value::array([x.clone(), x.clone()])),
        case(
            "anchor order",
            Value::array([x.clone(), y.clone(), y, x.clone()]),
        ),
        case(
            "array then nested",
            Value::array([x.clone(), Value::array([x.clone()])]),
        ),
        case(
            "object twice",
            Value::array([o.clone(), o.clone(), Value::scalar_ref(o.clone())]),
        ),
        case(
            "scalar target shared",
            Value::array([target.clone(), target.clone()]),
        ),
        case(
            "ref to ref shared",
            Value::array([ref_ref.clone(), ref_ref, target]),
        ),
        // Perl writes `&1 &2` here and loses anchor 1 when it reads it back.
        case(
            "shared reference and its target",
            Value::array([rv.clone(), rv, inner.clone()]),
        ),
        case(
            "shared hash and object behind references",
            Value::array([
                Value::scalar_ref(hr.clone()),
                hr.clone(),
                Value::scalar_ref(hr),
                Value::scalar_ref(ob.clone()),
                ob,
            ]),
        ),
        // A regexp and a blessed scalar are never anchored, but take an anchor number.
        case(
            "regexp twice",
            Value::array([re.clone(), re, x.clone(), x.clone()]),
        ),
        case(
            "blessed scalar twice",
            Value::array([sc.clone(), sc, x.clone(), x.clone()]),
        ),
        case(
            "blessed ref shared",
            Value::array([blessed_rv.clone(), blessed_rv, inner]),
        ),
        case("empty collections shared", {
            let e = empty_array();
            let f = Value::blessed("E", empty_hash());
            Value::array([e.clone(), e, f.clone(), f])
        }),
    ];
    cases.push(Case {
        name: "shared in a hash".into(),
        value: Value::hash([
            ("array_twice", Value::array([x.clone(), x.clone()])),
            ("hash_a", h.clone()),
            ("hash_b", h),
            (
                "nested",
                Value::hash([("x", x.clone()), ("y", Value::array([x]))]),
            ),
            ("object_key", o.clone()),
            ("object_twice", Value::array([o.clone(), o])),
        ]),
        expect: Expect::Renumbered,
    });
    cases
}

pub fn improved_cases() -> Vec<Case> {
    let mut cases: Vec<Case> = ["yes", "No", "~", "null", "off"]
        .iter()
        .map(|text| Case {
            name: format!("blessed scalar {text:?}"),
            value: Value::blessed("My::Flag", Value::scalar_ref(*text)),
            expect: Expect::Improved,
        })
        .collect();
    cases.push(Case {
        name: "keys that look like document markers".into(),
        value: Value::hash([
            ("--- a", "1"),
            ("... b", "2"),
            ("c", "3"),
            ("---", "4"),
            ("...\tx", "5"),
        ]),
        expect: Expect::Improved,
    });
    cases.push(Case {
        name: "values ending in a carriage return".into(),
        value: Value::array([
            Value::bytes("x\r"),
            Value::bytes("a,\r"),
            Value::bytes("\r"),
            Value::bytes("12\r"),
        ]),
        expect: Expect::Improved,
    });
    cases.push(Case {
        name: "nested keys that look like document markers".into(),
        value: Value::hash([("k", Value::hash([("--- a", "1"), ("b", "2")]))]),
        expect: Expect::Same,
    });
    cases
}

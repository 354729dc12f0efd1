//! freeze → thaw gives the same data with the same sharing.

use std::sync::Arc;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::images::thaw;
use crate::storable::Storable;
use crate::{Object, PerlString, Regexp, Serializer, Value, MAX_DEPTH};

/// `v` as it reads back: integral floats that Perl stores as integers are integers,
/// class names and regexp patterns are the bytes stored. Sharing is not kept here;
/// [`assert_round_trips`] checks it through the bytes.
pub(super) fn as_read_back(v: &Value) -> Value {
    match v {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            Value::Int(*f as i64)
        }
        Value::Array(items) => Value::Array(Arc::new(items.iter().map(as_read_back).collect())),
        Value::Hash(hash) => Value::Hash(Arc::new(
            hash.iter()
                .map(|(k, x)| (k.clone(), as_read_back(x)))
                .collect(),
        )),
        Value::Scalar(target) => Value::Scalar(Arc::new(as_read_back(target))),
        Value::Object(object) => Value::Object(Arc::new(Object {
            class: object
                .class
                .downgraded()
                .unwrap_or_else(|| PerlString::from_bytes(object.class.as_bytes())),
            value: as_read_back(&object.value),
        })),
        Value::Regexp(re) => Value::Regexp(Arc::new(Regexp {
            pattern: PerlString::from_bytes(re.pattern.as_bytes()),
            flags: re.flags.clone(),
        })),
        other => other.clone(),
    }
}

/// Freezing `v` and thawing the image gives `v` as it reads back, and freezing that
/// again gives the same bytes: every back-reference, and so all sharing, survived.
fn assert_round_trips(v: &Value) {
    let image = Storable.freeze(v).unwrap();
    let back = thaw(&image);
    assert_eq!(back, as_read_back(v), "image: {}", image.escape_ascii());
    assert_eq!(
        Storable.freeze(&back).unwrap(),
        image,
        "the sharing changed: {}",
        image.escape_ascii()
    );
}

/// The referent of a scalar reference.
fn target(v: &Value) -> &Value {
    match v {
        Value::Scalar(t) => t,
        other => panic!("not a scalar ref: {other:?}"),
    }
}

#[test]
fn a_typical_session() {
    let cart = Value::array([Value::hash([
        ("sku", Value::from("A-1")),
        ("qty", 2.into()),
    ])]);
    assert_round_trips(&Value::hash([
        ("_SESSION_ID", Value::from("9f1c0a")),
        ("_SESSION_CTIME", 1_795_293_613.into()),
        ("_SESSION_ATIME", 1_795_293_613.into()),
        ("_SESSION_REMOTE_ADDR", "192.0.2.7".into()),
        ("_SESSION_ETIME", "3600".into()),
        ("_SESSION_EXPIRE_LIST", Value::hash([("cart", 1800)])),
        ("cart", cart.clone()),
        ("last_cart", cart),
        ("name", "Zoë ☺".into()),
        ("price", 9.99.into()),
        ("whole", 3.0.into()),
        ("user", Value::blessed("My::User", Value::hash([("id", 7)]))),
    ]));
}

#[test]
fn sharing_at_every_level_survives() {
    let leaf = Value::scalar_ref("leaf");
    let object = Value::blessed("O", Value::array([leaf.clone()]));
    let re = Value::Regexp(Arc::new(Regexp {
        pattern: PerlString::from("a+"),
        flags: "i".to_string(),
    }));
    let v = Value::hash([
        (
            "a",
            Value::array([object.clone(), leaf.clone(), re.clone()]),
        ),
        ("b", Value::scalar_ref(object.clone())),
        ("c", Value::array([re, leaf, Value::scalar_ref(object)])),
    ]);
    assert_round_trips(&v);
    let back = thaw(&Storable.freeze(&v).unwrap());
    let object = &back["a"][0];
    assert!(target(&back["b"]).same_ref(object));
    assert!(target(&back["c"][2]).same_ref(object));
    assert!(object[0].same_ref(&back["a"][1]));
    assert!(back["a"][1].same_ref(&back["c"][1]));
    assert!(back["a"][2].same_ref(&back["c"][0]));
}

#[test]
fn character_class_names_are_stored_as_perl_stores_them() {
    assert_round_trips(&Value::array([
        Value::blessed("Zoë", Value::hash([("k", 1)])),
        Value::blessed("☺::Class", Value::array([1])),
    ]));
}

#[test]
fn character_patterns_are_written_with_escapes() {
    let re = |p: PerlString, flags: &str| {
        Value::Regexp(Arc::new(Regexp {
            pattern: p,
            flags: flags.to_string(),
        }))
    };
    for (pattern, stored) in [
        ("caf\u{e9}", r"caf\x{e9}"),
        (
            "\u{263a}+[\u{1f600}-\u{1f64f}]",
            r"\x{263a}+[\x{1f600}-\x{1f64f}]",
        ),
        // An escaped character is a literal, as its escape is; an escaped backslash is not.
        (r"a\☺", r"a\x{263a}"),
        (r"a\\☺", r"a\\\x{263a}"),
        ("plain", "plain"),
    ] {
        let v = Value::array([re(PerlString::from(pattern), "u")]);
        let back = thaw(&Storable.freeze(&v).unwrap());
        assert_eq!(
            back,
            Value::array([re(PerlString::from_bytes(stored), "u")]),
            "{pattern}"
        );
    }
    // A byte-string pattern is stored as its bytes.
    assert_round_trips(&Value::array([re(
        PerlString::from_bytes(b"caf\xe9".to_vec()),
        "",
    )]));
}

/// Deep values are compared through their images: a recursive `==` or [`as_read_back`]
/// on a value [`MAX_DEPTH`] deep needs more stack than the 2 MB the writer must fit in.
fn assert_deep_round_trip(v: &Value) {
    let image = Storable.freeze(v).unwrap();
    let back = thaw(&image);
    assert_eq!(back.depth(), v.depth());
    assert_eq!(Storable.freeze(&back).unwrap(), image);
}

#[test]
fn max_depth_is_written_and_read_and_one_more_is_refused() {
    crate::testing::on_small_stack(|| {
        let nested =
            |depth: usize| (1..depth).fold(Value::array([1]), |inner, _| Value::array([inner]));
        let deepest = nested(MAX_DEPTH);
        assert_eq!(deepest.depth(), MAX_DEPTH);
        assert_deep_round_trip(&deepest);
        let too_deep = nested(MAX_DEPTH + 1);
        let err = Storable.freeze(&too_deep).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
        // Through scalar references and objects the count is the same.
        let refs = (1..MAX_DEPTH).fold(Value::scalar_ref(1), |inner, _| Value::scalar_ref(inner));
        assert_eq!(refs.depth(), MAX_DEPTH);
        assert_deep_round_trip(&refs);
        assert!(Storable.freeze(&Value::scalar_ref(refs)).is_err());
        let objects = (1..MAX_DEPTH).fold(Value::array([1]), |inner, _| {
            Value::blessed("C", Value::array([inner]))
        });
        assert_eq!(objects.depth(), MAX_DEPTH);
        assert_deep_round_trip(&objects);
    });
}

fn arb_string() -> impl Strategy<Value = PerlString> {
    prop_oneof![
        vec(any::<u8>(), 0..12).prop_map(PerlString::from_bytes),
        "[a-z☺é\u{10000}\\x00]{0,8}".prop_map(|s| PerlString::from(s.as_str())),
        "[a-z]{0,4}".prop_map(|s| PerlString::from_utf8_internal(s.into_bytes()).unwrap()),
        // Past the one-byte length.
        (0..2usize, 256..300usize).prop_map(|(wide, n)| PerlString::from(
            if wide == 1 { "☺" } else { "x" }.repeat(n).as_str()
        )),
    ]
}

fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Undef),
        any::<i64>().prop_map(Value::Int),
        (-200i64..200).prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        (-1000i32..1000).prop_map(|i| Value::Float(f64::from(i) / 4.0)),
        arb_string().prop_map(Value::Str),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let class = prop_oneof![
        Just(PerlString::from("Foo")),
        Just(PerlString::from("My::Bar")),
        Just(PerlString::from("Zoë")),
    ];
    let regexp = ("[a-z.+*]{0,6}", "[msixn]{0,3}").prop_map(|(p, f)| {
        Value::Regexp(Arc::new(Regexp {
            pattern: PerlString::from(p.as_str()),
            flags: f,
        }))
    });
    let leaf = prop_oneof![arb_scalar(), regexp];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        let class = class.clone();
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::from),
            btree_map(arb_string(), inner.clone(), 0..6).prop_map(Value::from),
            inner.clone().prop_map(Value::scalar_ref),
            (class, inner.clone()).prop_map(|(class, v)| {
                let thing = if matches!(v, Value::Array(_) | Value::Hash(_) | Value::Regexp(_)) {
                    v
                } else {
                    Value::scalar_ref(v)
                };
                Value::blessed(class, thing)
            }),
            // The same referent twice.
            inner
                .clone()
                .prop_map(|v| Value::array([Value::scalar_ref(v.clone()), v])),
            inner.prop_map(|v| {
                let shared = Value::scalar_ref(v);
                Value::hash([("a", shared.clone()), ("b", shared)])
            }),
        ]
    })
}

proptest! {
    #[test]
    fn any_value_round_trips(v in arb_value()) {
        // The top of an image is a reference, as it is for freeze(\%session).
        assert_round_trips(&Value::array([v]));
    }
}

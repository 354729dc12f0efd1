//! freeze → thaw gives the same data with the same sharing, as Perl would read it.

use crate::testing::sharing;
use std::collections::HashMap;
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;

use super::reading::thaw_ok;
use crate::dumper::Dumper;
use crate::number::format_float;
use crate::{Object, PerlString, Regexp, Serializer, Value};

/// `v` as Perl reads back what Data::Dumper wrote for it: floats and integers longer
/// than ten characters become strings (spec §7.1). Sharing is kept.
pub(super) fn as_read_back(v: &Value) -> Value {
    fn go(v: &Value, done: &mut HashMap<usize, Value>) -> Value {
        if let Some(addr) = v.ref_addr() {
            if let Some(copy) = done.get(&addr) {
                return copy.clone();
            }
        }
        let copy = match v {
            Value::Int(i) if i.to_string().len() > 10 => Value::bytes(i.to_string()),
            Value::Float(f) => Value::bytes(format_float(*f)),
            Value::Array(items) => {
                Value::Array(Arc::new(items.iter().map(|x| go(x, done)).collect()))
            }
            Value::Hash(hash) => Value::Hash(Arc::new(
                hash.iter().map(|(k, x)| (k.clone(), go(x, done))).collect(),
            )),
            Value::Scalar(target) => Value::Scalar(Arc::new(go(target, done))),
            // The class is written as bytes: downgraded if it can be, else UTF-8.
            Value::Object(object) => Value::Object(Arc::new(Object {
                class: object
                    .class
                    .downgraded()
                    .unwrap_or_else(|| PerlString::from_bytes(object.class.as_bytes())),
                value: go(&object.value, done),
            })),
            other => other.clone(),
        };
        if let Some(addr) = v.ref_addr() {
            done.insert(addr, copy.clone());
        }
        copy
    }
    go(v, &mut HashMap::new())
}

/// Asserts that freezing `v` and thawing the text gives `v` as Perl would read it back.
pub(super) fn assert_round_trips(v: &Value) {
    let text = Dumper.freeze(v).unwrap();
    let back = thaw_ok(&text);
    let want = as_read_back(v);
    assert_eq!(back, want, "text: {}", text.escape_ascii());
    assert_eq!(
        sharing(&back),
        sharing(&want),
        "text: {}",
        text.escape_ascii()
    );
    // What we read back writes as a fixed point.
    let again = Dumper.freeze(&back).unwrap();
    assert_eq!(Dumper.freeze(&thaw_ok(&again)).unwrap(), again);
}

/// Data with sharing: `Shared(i)` is the i-th value of a pool, the same `Arc` each time.
#[derive(Debug, Clone)]
enum Shape {
    Leaf(Value),
    Shared(usize),
    Array(Vec<Shape>),
    Hash(Vec<(PerlString, Shape)>),
    Ref(Box<Shape>),
    Bless(String, Box<Shape>),
}

fn realize(shape: &Shape, pool: &[Value]) -> Value {
    match shape {
        Shape::Leaf(v) => v.clone(),
        Shape::Shared(i) if pool.is_empty() => Value::Int(*i as i64),
        Shape::Shared(i) => pool[i % pool.len()].clone(),
        Shape::Array(items) => {
            Value::Array(Arc::new(items.iter().map(|s| realize(s, pool)).collect()))
        }
        Shape::Hash(pairs) => Value::Hash(Arc::new(
            pairs
                .iter()
                .map(|(k, s)| (k.clone(), realize(s, pool)))
                .collect(),
        )),
        Shape::Ref(target) => Value::scalar_ref(realize(target, pool)),
        // A blessed thing is always fresh: Perl blesses the thing, not one reference to it.
        Shape::Bless(class, inner) => {
            let thing = match &**inner {
                Shape::Array(_) | Shape::Hash(_) | Shape::Ref(_) => realize(inner, pool),
                Shape::Leaf(v @ (Value::Code | Value::Regexp(_))) => match v {
                    Value::Regexp(r) => Value::Regexp(Arc::new((**r).clone())),
                    other => other.clone(),
                },
                other => Value::scalar_ref(realize(other, pool)),
            };
            Value::blessed(class.as_str(), thing)
        }
    }
}

fn text_string() -> impl Strategy<Value = PerlString> {
    prop_oneof![
        "[a-z_]{0,6}".prop_map(|s| PerlString::from_text(&s)),
        vec(any::<u8>(), 0..8).prop_map(PerlString::from_bytes),
        "\\PC{0,6}".prop_map(|s| PerlString::from_text(&s)),
        vec(
            prop_oneof![
                0u32..0x80,
                0x80u32..0x800,
                0xD800u32..0xE000,
                0x1_0000u32..0x11_0000
            ],
            0..5
        )
        .prop_map(|cs| PerlString::from_code_points(cs).unwrap_or_default()),
        Just(PerlString::from_utf8_internal(b"ascii but utf8".to_vec()).unwrap_or_default()),
    ]
}

fn regexp() -> impl Strategy<Value = Value> {
    let pattern = prop_oneof![
        "[ab.()|$/*+ -]{0,6}".prop_map(|s| PerlString::from_text(&s)),
        vec(
            prop_oneof![Just(b'a'), Just(b'$'), Just(b'/'), Just(0xe9u8)],
            0..6
        )
        .prop_map(PerlString::from_bytes),
    ];
    (pattern, "[imsx]{0,3}")
        .prop_map(|(pattern, flags)| Value::Regexp(Arc::new(Regexp { pattern, flags })))
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Undef),
        any::<i64>().prop_map(Value::Int),
        (-99_999i64..99_999).prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        text_string().prop_map(Value::Str),
        Just(Value::Code),
        regexp(),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf_shape =
        prop_oneof![3 => leaf().prop_map(Shape::Leaf), 2 => (0usize..8).prop_map(Shape::Shared)];
    leaf_shape.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Shape::Array),
            vec((text_string(), inner.clone()), 0..5).prop_map(Shape::Hash),
            inner.clone().prop_map(|s| Shape::Ref(Box::new(s))),
            (
                "[A-Z][a-z]{0,4}(::[A-Z][a-z]{0,3})?|O'N\\\\eil|Caf\u{e9}|K\u{263a}",
                inner
            )
                .prop_map(|(class, s)| Shape::Bless(class, Box::new(s))),
        ]
    })
}

/// A pool of shareable references (later ones may contain earlier ones) and the data:
/// a top-level value or an array of several, as the top level shares most.
fn shared_data() -> impl Strategy<Value = Value> {
    (vec(shape(), 1..5), vec(shape(), 1..5), any::<bool>()).prop_map(|(pool_shapes, top, wrap)| {
        let mut pool = Vec::new();
        for s in &pool_shapes {
            let v = realize(s, &pool);
            pool.push(if v.is_ref() { v } else { Value::array([v]) });
        }
        if wrap || top.len() > 1 {
            let mut items: Vec<Value> = top.iter().map(|s| realize(s, &pool)).collect();
            items.extend(pool.first().cloned());
            Value::Array(Arc::new(items))
        } else {
            realize(&top[0], &pool)
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn freeze_then_thaw_keeps_data_and_sharing(v in shared_data()) {
        assert_round_trips(&v);
    }

    #[test]
    fn session_like_hashes_round_trip(pairs in vec((text_string(), shared_data()), 0..6)) {
        assert_round_trips(&Value::hash(pairs));
    }

    /// Reading some entries (fast path or not) gives what the full reader gives for them.
    #[test]
    fn thaw_fields_agrees_with_thaw(
        pairs in vec((prop_oneof!["[a-z_]{1,8}", "_SESSION_[A-Z]{2,5}"], leaf_or_shared()), 0..8),
        wanted in vec(prop_oneof!["[a-z_]{1,8}", "_SESSION_[A-Z]{2,5}"], 0..4),
    ) {
        let text = Dumper.freeze(&Value::hash(pairs)).unwrap();
        let full = Dumper.thaw(&text).unwrap();
        let keys: Vec<&str> = wanted.iter().map(String::as_str).collect();
        let some = Dumper.thaw_fields(&text, &keys).unwrap();
        for key in keys {
            let key = PerlString::from_text(key);
            prop_assert_eq!(some.as_hash().unwrap().get(&key), full.as_hash().unwrap().get(&key));
        }
    }
}

/// Values of the common shape (which the fast path of `thaw_fields` reads) and the rest.
fn leaf_or_shared() -> impl Strategy<Value = Value> {
    prop_oneof![leaf(), shared_data()]
}

#[test]
fn deep_sharing_inside_objects_and_references() {
    let shared = Value::hash([("k", Value::array([1]))]);
    let object = Value::blessed("Foo", Value::array([shared.clone()]));
    let v = Value::hash([
        ("a", Value::scalar_ref(Value::scalar_ref(shared.clone()))),
        ("b", object.clone()),
        (
            "c",
            Value::array([object, shared.clone(), shared["k"].clone()]),
        ),
        ("d", Value::blessed("Sc", Value::scalar_ref(shared))),
    ]);
    assert_round_trips(&v);
}

/// The generator must really exercise fix-ups and objects, or the property proves little.
#[test]
fn generated_data_has_sharing_and_objects() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let (mut with_fixups, mut with_objects, mut with_chars) = (0, 0, 0);
    for _ in 0..300 {
        let v = shared_data().new_tree(&mut runner).unwrap().current();
        let text = Dumper.freeze(&v).unwrap();
        with_fixups += usize::from(text.windows(4).any(|w| w == b";$D-" || w == b";${$"));
        with_objects += usize::from(text.windows(6).any(|w| w == b"bless("));
        with_chars += usize::from(text.windows(3).any(|w| w == b"\\x{"));
    }
    assert!(with_fixups > 100, "{with_fixups} of 300 have fix-ups");
    assert!(with_objects > 30, "{with_objects} of 300 have objects");
    assert!(
        with_chars > 30,
        "{with_chars} of 300 have character strings"
    );
}

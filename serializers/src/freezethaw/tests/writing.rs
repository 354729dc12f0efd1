//! What we write, and that reading it back gives the data as Perl would read it.

use crate::testing::sharing;
use std::collections::HashMap;
use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;

use super::reading::thaw_ok;
use crate::freezethaw::{text, FreezeThaw};
use crate::number::format_float;
use crate::testing::on_small_stack;
use crate::{Error, Object, PerlString, Regexp, Serializer, Value, MAX_DEPTH};

pub(super) fn freeze(v: &Value) -> Vec<u8> {
    FreezeThaw
        .freeze(v)
        .unwrap_or_else(|e| panic!("{v:?}: {e}"))
}

/// `v` as a thaw gives it back: numbers become their strings, character strings their
/// Latin-1 bytes, regexps the text Perl compiles. Sharing is kept.
pub(super) fn as_read_back(v: &Value) -> Value {
    fn go(v: &Value, done: &mut HashMap<usize, Value>) -> Value {
        if let Value::Regexp(r) = v.unblessed() {
            // Written in full each time, read back unshared and unblessed.
            let text = text::regexp(r).expect("a regexp we write");
            let flags = text::thawed_flags(&text);
            return regexp(PerlString::from_bytes(text.clone()), flags);
        }
        if let Some(copy) = v.ref_addr().and_then(|addr| done.get(&addr)) {
            return copy.clone();
        }
        let copy = match v {
            Value::Int(i) => Value::bytes(i.to_string()),
            Value::Float(f) => Value::bytes(format_float(*f)),
            Value::Str(s) => Value::Str(s.downgraded().expect("no wide characters")),
            Value::Array(items) => {
                Value::array(items.iter().map(|x| go(x, done)).collect::<Vec<_>>())
            }
            Value::Hash(hash) => Value::Hash(Arc::new(
                hash.iter()
                    .map(|(k, x)| (k.downgraded().expect("no wide keys"), go(x, done)))
                    .collect(),
            )),
            Value::Scalar(target) => Value::Scalar(Arc::new(go(target, done))),
            Value::Object(object) => Value::Object(Arc::new(Object {
                class: object.class.downgraded().expect("no wide class"),
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

fn regexp(pattern: PerlString, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern,
        flags: flags.to_string(),
    }))
}

fn assert_round_trip(v: &Value) {
    let text = freeze(v);
    let back = thaw_ok(&text);
    assert_eq!(back, as_read_back(v), "{}", text.escape_ascii());
    assert_eq!(
        sharing(&back),
        sharing(&as_read_back(v)),
        "{}",
        text.escape_ascii()
    );
    assert_eq!(freeze(&back), text, "what we read, we write back unchanged");
}

#[test]
fn spec_examples() {
    let v = Value::hash([("a", 1.into()), ("b", "xy".into()), ("c", Value::Undef)]);
    assert_eq!(freeze(&v), b"FrT;@1|%6|$1|a$1|b$1|c$1|1$2|xy_");
    let o = Value::hash([("o", Value::blessed("Foo::Bar", Value::hash([("k", "v")])))]);
    assert_eq!(freeze(&o), b"FrT;@1|%2|$1|o>>0|$8|Foo::Bar%2|$1|k$1|v");
    let a = Value::array([1]);
    let shared = Value::hash([("x", a.clone()), ("y", a)]);
    assert_eq!(freeze(&shared), b"FrT;!0|@0|@1|$1|1@1|%4|$1|x$1|y<0|<0|");
}

/// Classes are numbered afresh for the prelude, in the order the new text meets them;
/// repeated objects in the order of their second occurrence.
#[test]
fn the_prelude_numbers_as_freezethaw_does() {
    let a = Value::blessed("A", Value::hash([("n", 1)]));
    let b = Value::blessed("B", Value::array([a.clone()]));
    let c = Value::blessed("C", Value::scalar_ref(b.clone()));
    let v = Value::hash([("x", Value::array([c.clone(), c, b.clone(), a])), ("y", b)]);
    assert_eq!(
        freeze(&v).escape_ascii().to_string(),
        "FrT;!2|{>0|$1|C\\\\_{>1|$1|B@0|{>2|$1|A%0|})0|\\\\<1|})1|@1|<2|})2|%2|$1|n$1|1\
         @1|%4|$1|x$1|y@4|<0|<0|<1|<2|<1|"
    );
    assert_round_trip(&v);
}

#[test]
fn characters_up_to_ff_are_written_as_latin1() {
    let v = Value::hash([("caf\u{e9}", Value::from("\u{ff}t\u{e9}"))]);
    assert_eq!(freeze(&v), b"FrT;@1|%2|$4|caf\xe9$3|\xfft\xe9");
    assert_round_trip(&v);
}

#[test]
fn what_perl_could_not_read_back_is_refused() {
    let refused = [
        (Value::Code, "code reference"),
        (Value::blessed("K", Value::Code), "code reference"),
        (Value::from("\u{263a}"), "U+263A"),
        (Value::hash([("\u{263a}", 1)]), "U+263A"),
        (
            Value::blessed("K\u{263a}", Value::hash([("a", 1)])),
            "U+263A",
        ),
        (regexp(PerlString::from_text("\u{263a}"), ""), "U+263A"),
        (
            Value::blessed("HASH", Value::hash([("a", 1)])),
            "Perl's own type",
        ),
        (Value::blessed("", Value::array([1])), "empty class name"),
        (
            Value::blessed("K", Value::Int(1)),
            "not an unblessed reference",
        ),
        (
            Value::blessed("K", Value::blessed("L", Value::array([1]))),
            "not an unblessed reference",
        ),
        (regexp(PerlString::from_text("x"), "e"), "flag"),
    ];
    for (v, why) in refused {
        match FreezeThaw.freeze(&Value::array([v.clone()])) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains(why), "{v:?}: {message}")
            }
            other => panic!("{v:?}: {other:?}"),
        }
    }
}

/// Perl's FreezeThaw would write these as repeats and lose the pattern on thaw.
#[test]
fn regexps_are_written_in_full_each_time() {
    let re = regexp(PerlString::from_text("ab+c"), "i");
    let blessed = Value::blessed("My::Re", re.clone());
    let v = Value::array([re.clone(), re, blessed.clone(), blessed]);
    assert_eq!(
        freeze(&v),
        b"FrT;@1|@4|/10|(?^i:ab+c)/10|(?^i:ab+c)/10|(?^i:ab+c)/10|(?^i:ab+c)".to_vec()
    );
    assert_round_trip(&v);
}

fn nested(depth: usize, leaf: Value) -> Value {
    (0..depth).fold(leaf, |inner, _| Value::array([inner]))
}

#[test]
fn max_depth_is_written_and_read_but_not_one_more() {
    on_small_stack(|| {
        let deepest = nested(MAX_DEPTH, Value::Int(1));
        assert_eq!(deepest.depth(), MAX_DEPTH);
        let text = freeze(&deepest);
        assert_eq!(thaw_ok(&text).depth(), MAX_DEPTH);
        for leaf in [
            Value::array([1]),
            regexp("x".into(), ""),
            Value::scalar_ref(1),
        ] {
            assert!(FreezeThaw.freeze(&nested(MAX_DEPTH, leaf)).is_err());
        }
    });
}

/// A shared branch counts at its deepest place, though it is written once.
#[test]
fn depth_through_sharing_is_checked_both_ways() {
    on_small_stack(|| {
        let half = MAX_DEPTH / 2 + 10;
        let deep = nested(half, Value::Int(1));
        let v = Value::array([deep.clone(), nested(half, deep)]);
        match FreezeThaw.freeze(&v) {
            Err(Error::Unsupported { message, .. }) => assert!(message.contains("deeper")),
            other => panic!("{other:?}"),
        }
        // The same shape written by hand: the reader refuses it too.
        let record = format!(
            "FrT;!0|@0|{}$1|1@1|@2|<0|{}<0|",
            "@1|".repeat(half),
            "@1|".repeat(half)
        );
        match FreezeThaw.thaw(record.as_bytes()) {
            Err(Error::Unsupported { message, .. }) => assert!(message.contains("deeper")),
            other => panic!("{other:?}"),
        }
    });
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Undef),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        vec(any::<u8>(), 0..12).prop_map(Value::bytes),
        "[a-z|$%@0-9\u{e9}\u{ff}]{0,8}".prop_map(Value::from),
        // Flags Perl accepts: `x` at most twice (`xxx` is refused, as by Perl).
        ("[a-z(|)\\\\^:]{0,6}", "[msinp]{0,3}x{0,2}")
            .prop_map(|(p, f)| regexp(p.as_str().into(), &f)),
    ]
}

/// Data with shared branches: each node may reuse an earlier subtree.
fn data() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(|items| {
                // Repeat the first element, to share it.
                let mut items = items;
                if let Some(first) = items.first().cloned() {
                    items.push(first);
                }
                Value::array(items)
            }),
            vec(("[a-z\u{e9}|]{0,4}", inner.clone()), 0..5).prop_map(Value::hash),
            inner.clone().prop_map(Value::scalar_ref),
            ("[A-Z][a-z]{0,3}(::[A-Z][a-z]{0,2})?", inner).prop_map(|(class, v)| match v {
                Value::Array(_) | Value::Hash(_) | Value::Scalar(_) => {
                    Value::blessed(class.as_str(), v)
                }
                other => Value::blessed(class.as_str(), Value::array([other])),
            }),
        ]
    })
}

proptest! {
    #[test]
    fn round_trips_keep_data_and_sharing(v in data()) {
        assert_round_trip(&Value::hash([("k", v)]));
    }
}

//! Input written by an attacker, a bug, a crash or a fuzzer: always an error, never a
//! panic, never a huge allocation, never a stack overflow.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;

use super::images::{hex, native, NATIVE};
use super::round_trip::as_read_back;
use crate::storable::Storable;
use crate::testing::{assert_truncations_are_syntax_errors, for_each_mutation, on_small_stack};
use crate::{Error, PerlString, Regexp, Serializer, Value, MAX_DEPTH};

/// Images with every item type the reader builds, in every header form.
fn seeds() -> Vec<Vec<u8>> {
    let shared = Value::array([1, 2]);
    let object = Value::blessed("My::Obj", Value::hash([("k", Value::scalar_ref("v"))]));
    let rich = Value::hash([
        ("_SESSION_ID", Value::from("abc")),
        (
            "ints",
            Value::array([0, -128, 127, 128, -129, i64::MAX as i32]),
        ),
        ("big", Value::Int(i64::MIN)),
        ("floats", Value::array([0.5, -1e300, 3.0])),
        ("bytes", Value::bytes(b"nul\0\xff".to_vec())),
        ("long", Value::bytes("y".repeat(300))),
        ("wide", Value::from("caf\u{e9} \u{263a}")),
        ("wide_long", Value::from("\u{263a}".repeat(90).as_str())),
        ("undef", Value::Undef),
        ("a", shared.clone()),
        ("b", Value::array([shared, object.clone(), object])),
        ("ref", Value::scalar_ref(Value::scalar_ref(Value::Undef))),
        (
            "re",
            Value::Regexp(Arc::new(Regexp {
                pattern: PerlString::from("ab+c"),
                flags: "i".to_string(),
            })),
        ),
        (
            "keys",
            Value::hash([("\u{263a}", 1), ("caf\u{e9}", 2), ("plain", 3)]),
        ),
    ]);
    vec![
        Storable.freeze(&rich).unwrap(),
        // Perl: lock_keys with a placeholder; an overloaded object; a weak back-reference.
        native("19 01 03000000 08 81 00 01000000 61 08 82 00 01000000 62 0e 14 01000000 63"),
        native("03 01000000 14 11 02 4f76 03 01000000 08 81 01000000 76 01000000 6f"),
        native("03 02000000 04 02 01000000 08 81 01000000 61 1b 00 00000002 01000000 62"),
        // A v-string, immortals, a large object, an aliased element.
        native("02 05000000 1d 06 76312e322e33 0a 03 010203 0e 0f 04 21 02 0100000000000000 1f 00 00000002"),
        // Perl's nfreeze; a big-endian 32-bit image.
        hex("05 0b 02 00000004 08 81 09 0000012c 0a 03 302e35 04 11 01 43 03 00000001 08 81 00000001 6b"),
        hex("04 0b 04 34333231 04 04 04 08 03 00000002 06 0000012c 00000001 61 07 3fe0000000000000 00000001 62"),
    ]
}

/// Anything we do read, we write, and read back the same, and write again the same
/// bytes (so sharing survived too): the fuzz tests' oracle.
fn check_consistent(bytes: &[u8]) {
    if let Ok(v) = Storable.thaw(bytes) {
        let image = Storable.freeze(&v).expect("what we read, we can write");
        let back = Storable.thaw(&image).expect("what we write, we can read");
        assert_eq!(back, as_read_back(&v));
        assert_eq!(Storable.freeze(&back).unwrap(), image);
    }
}

#[test]
fn seeds_are_read() {
    for seed in seeds() {
        Storable
            .thaw(&seed)
            .unwrap_or_else(|e| panic!("{e}: {}", seed.escape_ascii()));
        check_consistent(&seed);
    }
}

#[test]
fn every_truncation_is_an_error_at_or_before_the_cut() {
    for seed in seeds() {
        assert_truncations_are_syntax_errors(&Storable, &seed);
    }
}

#[test]
fn every_flipped_byte_is_read_or_refused_without_panic() {
    for seed in seeds() {
        for at in 0..seed.len() {
            for mask in [0x01, 0x02, 0x10, 0x80, 0xff] {
                let mut bytes = seed.clone();
                bytes[at] ^= mask;
                check_consistent(&bytes);
            }
        }
    }
}

#[test]
fn huge_lengths_are_refused_before_allocating() {
    for body in [
        "01 ffffffff",
        "18 ffffffff 41",
        "02 ffffffff",
        "02 ffffff7f 08 81",
        "03 ffffffff 08 81",
        "19 00 ffffffff",
        "03 01000000 08 81 ffffffff 41",
        "21 01 ffffffffffffffff",
        "21 02 ffffffffffffff7f",
        "21 19 01 0000000001000000",
        "21 00 ffffffffffffffff",
        "11 80 ffffffff 41",
        "12 80 ffffffff",
        "20 01 ffffffff",
        "20 00 01 61 ff",
        "1e ffffffff",
        "00 ffffffff",
    ] {
        let image = native(body);
        let err = Storable.thaw(&image).unwrap_err();
        assert!(matches!(err, Error::Syntax { .. }), "{body}: {err}");
    }
    // Network order reads lengths big-endian.
    assert!(Storable.thaw(&hex("05 0b 01 7fffffff 41")).is_err());
    assert!(Storable.thaw(&hex("05 0b 02 7fffffff 08 81")).is_err());
}

/// `n` levels of `open`, a leaf, then nothing: the depth error comes before the end.
fn nested(open: &str, n: usize, leaf: &str) -> Vec<u8> {
    let mut body = open.repeat(n);
    body.push_str(leaf);
    native(&body)
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        for open in [
            "04",
            "1b",
            "02 01000000 04",
            "03 01000000 04",
            "11 01 43 04",
            "04 11 01 43 02 01000000",
        ] {
            let image = nested(open, 100_000, "08 81");
            let err = Storable.thaw(&image).unwrap_err().to_string();
            assert!(err.contains("nested deeper"), "{open}: {err}");
        }
        // Blessing opens nothing: a long run of classes is bounded by the input instead.
        let image = nested("11 01 43", 100_000, "08 81");
        assert_eq!(
            Storable.thaw(&image).unwrap(),
            Value::blessed("C", Value::scalar_ref(1))
        );
    });
}

#[test]
fn max_depth_is_read_and_one_more_is_refused() {
    on_small_stack(|| {
        // Root array, then arrays by reference: n arrays are a Value of depth n.
        let arrays = |n: usize| {
            let mut body = "02 01000000".to_string();
            body.push_str(&" 04 02 01000000".repeat(n - 1));
            body.push_str(" 08 81");
            native(&body)
        };
        let v = Storable.thaw(&arrays(MAX_DEPTH)).unwrap();
        assert_eq!(v.depth(), MAX_DEPTH);
        let err = Storable.thaw(&arrays(MAX_DEPTH + 1)).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
        // A chain of scalar references: each is a level.
        let refs = |n: usize| nested("04", n - 1, "08 81");
        assert_eq!(Storable.thaw(&refs(MAX_DEPTH)).unwrap().depth(), MAX_DEPTH);
        assert!(Storable.thaw(&refs(MAX_DEPTH + 1)).is_err());
    });
}

/// A back-reference puts a whole deep value wherever it points from.
#[test]
fn back_references_cannot_build_data_deeper_than_max_depth() {
    on_small_stack(|| {
        let half = MAX_DEPTH / 2 + 10;
        // [ \[[[...1]]], \[[[... \<tag 2>]]] ]: tag 2 is the first deep array.
        let deep = " 04 02 01000000".repeat(half);
        let image = native(&format!("02 02000000 {deep} 08 81 {deep} 04 00 00000002"));
        let err = Storable.thaw(&image).unwrap_err();
        assert!(err.to_string().contains("nested deeper"), "{err}");
    });
}

#[test]
fn back_references_cannot_multiply_a_string() {
    let big = 64 * 1024;
    let copies = 200;
    // [ "xxx...", then `copies` elements aliasing it ].
    let mut image = native(&format!("02 {}", hex_le(copies + 1)));
    image.push(0x01);
    image.extend_from_slice(&(big as u32).to_le_bytes());
    image.extend(std::iter::repeat_n(b'x', big));
    for _ in 0..copies {
        image.extend_from_slice(&hex("00 00000001"));
    }
    let err = Storable.thaw(&image).unwrap_err();
    assert!(err.to_string().contains("copy more"), "{err}");
    // A few aliases, as Perl writes for `$h{b} = \$h{a}`, are fine.
    let few = native(&format!(
        "02 03000000 01 {} {} 00 00000001 00 00000001",
        hex_le(300),
        "78".repeat(300)
    ));
    assert_eq!(
        Storable.thaw(&few).unwrap()[2],
        Value::bytes("x".repeat(300))
    );
}

#[test]
fn class_indexes_cannot_multiply_a_class_name() {
    let name = "N".repeat(100_000);
    let mut body = format!(
        "02 {} 04 11 80 {} {} 03 00000000",
        hex_le(3000),
        hex_le(name.len()),
        "4e".repeat(name.len())
    );
    body.push_str(&" 04 12 00 03 00000000".repeat(2999));
    let err = Storable.thaw(&native(&body)).unwrap_err();
    assert!(err.to_string().contains("copy more"), "{err}");
}

fn hex_le(n: usize) -> String {
    (n as u32)
        .to_le_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn mutated_images_never_panic() {
    let seeds = seeds();
    // Item types, small lengths and tags: the bytes that steer the reader.
    let alphabet: &[u8] = &(0..=0x24).chain([0x80, 0x81, 0xff]).collect::<Vec<u8>>();
    for_each_mutation(
        &seeds.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        alphabet,
        20_000,
        check_consistent,
    );
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic(body in vec(any::<u8>(), 0..256), net in any::<bool>()) {
        let mut image = if net { hex("05 0b") } else { hex(NATIVE) };
        image.extend_from_slice(&body);
        check_consistent(&image);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..64)) {
        check_consistent(&bytes);
    }
}

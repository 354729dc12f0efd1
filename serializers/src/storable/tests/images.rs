//! Hand-made and Perl-made images, one item type at a time, in every header form.
//!
//! The images marked "Perl" are what `Storable::freeze` 3.26 (Perl 5.36, x86_64) wrote
//! with `$Storable::canonical = 1`; those we also write byte for byte.

use std::sync::Arc;

use crate::storable::Storable;
use crate::{Error, PerlString, Regexp, Serializer, Value};

/// Bytes from hex text; spaces are for reading.
pub(super) fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// The x86_64 native header: format 2.11, `12345678`, sizes 4 8 8 8.
pub(super) const NATIVE: &str = "04 0b 08 3132333435363738 04 08 08 08";

/// A native x86_64 image with this body.
pub(super) fn native(body: &str) -> Vec<u8> {
    hex(&format!("{NATIVE} {body}"))
}

pub(super) fn thaw(image: &[u8]) -> Value {
    Storable
        .thaw(image)
        .unwrap_or_else(|e| panic!("{e}\n{}", image.escape_ascii()))
}

fn thaw_err(image: &[u8]) -> Error {
    match Storable.thaw(image) {
        Ok(v) => panic!("read {v:?} from {}", image.escape_ascii()),
        Err(e) => e,
    }
}

/// Perl wrote `image` for `value`: we read it as `value` and write it back identically.
fn both_ways(value: &Value, image: &[u8]) {
    assert_eq!(&thaw(image), value, "reading");
    let ours = Storable.freeze(value).unwrap();
    assert_eq!(
        ours.escape_ascii().to_string(),
        image.escape_ascii().to_string()
    );
}

fn utf8(text: &str) -> PerlString {
    PerlString::from_utf8_internal(text.as_bytes().to_vec()).unwrap()
}

fn regexp(pattern: &str, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern: PerlString::from_bytes(pattern.as_bytes()),
        flags: flags.to_string(),
    }))
}

#[test]
fn the_spec_sample_session() {
    // Spec §7.2, with the keys in Perl's (random) order.
    let image = native(
        "03 03000000 0a03616263 0b000000 5f53455353494f4e5f4944 08aa 01000000 6e 0a0178 01000000 73",
    );
    let want = Value::hash([
        ("_SESSION_ID", Value::from("abc")),
        ("n", 42.into()),
        ("s", "x".into()),
    ]);
    assert_eq!(thaw(&image), want);
    // We write the keys sorted, as `$Storable::canonical` does.
    assert_eq!(
        Storable.freeze(&want).unwrap(),
        native("03 03000000 0a03616263 0b000000 5f53455353494f4e5f4944 08aa 01000000 6e 0a0178 01000000 73")
    );
}

#[test]
fn integers_take_the_smallest_form_perl_uses() {
    // Perl: [127, 128, -128, -129, IV_MAX, IV_MIN, UV_MAX]; a UV above IV_MAX is a string.
    let image = native(
        "02 07000000 08ff 06 8000000000000000 0800 06 7fffffffffffffff 06 ffffffffffffff7f \
         06 0000000000000080 0a14 3138343436373434303733373039353531363135",
    );
    let want = Value::array([
        Value::Int(127),
        Value::Int(128),
        Value::Int(-128),
        Value::Int(-129),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::bytes("18446744073709551615"),
    ]);
    both_ways(&want, &image);
}

#[test]
fn floats_are_integers_when_perl_makes_them_so() {
    // Perl: [3.0], [-0.0], [1e15], [-(2**53)+1] store integers; 0.5, 2**53, NaN, Inf doubles.
    for (f, body) in [
        (3.0, "08 83"),
        (-0.0, "08 80"),
        (1e15, "06 0080c6a47e8d0300"),
        (-9_007_199_254_740_991.0, "06 010000000000e0ff"),
    ] {
        let image = native(&format!("02 01000000 {body}"));
        assert_eq!(Storable.freeze(&Value::array([f])).unwrap(), image, "{f}");
        assert!(
            matches!(thaw(&image)[0], Value::Int(_)),
            "{f} reads back as Int"
        );
    }
    for (f, body) in [
        (0.5, "07 000000000000e03f"),
        (9_007_199_254_740_992.0, "07 0000000000004043"),
        (f64::INFINITY, "07 000000000000f07f"),
        // The NaN x86_64 makes of inf/inf has its sign bit set.
        (f64::from_bits(0xfff8_0000_0000_0000), "07 000000000000f8ff"),
    ] {
        both_ways(&Value::array([f]), &native(&format!("02 01000000 {body}")));
    }
}

#[test]
fn strings_short_long_bytes_and_characters() {
    let long = "x".repeat(300);
    let wide = "\u{263a}".repeat(100);
    let cases = [
        (Value::bytes(""), "0a 00".to_string()),
        (
            Value::bytes(b"nul\0\xff".to_vec()),
            "0a 05 6e756c00ff".to_string(),
        ),
        (
            Value::bytes(long.clone()),
            format!("01 2c010000 {}", "78".repeat(300)),
        ),
        (Value::from("\u{263a}"), "17 03 e298ba".to_string()),
        (Value::Str(utf8("abc")), "17 03 616263".to_string()),
        (
            Value::from(wide.as_str()),
            format!("18 2c010000 {}", "e298ba".repeat(100)),
        ),
    ];
    for (value, body) in cases {
        both_ways(
            &Value::array([value]),
            &native(&format!("02 01000000 {body}")),
        );
    }
    let err = thaw_err(&native("02 01000000 17 02 c328"));
    assert!(err.to_string().contains("malformed UTF-8"), "{err}");
}

#[test]
fn undef_in_all_its_forms() {
    // Perl: [undef, {a => undef}]; [\undef] (PL_sv_undef); an array with holes.
    both_ways(
        &Value::array([Value::Undef, Value::hash([("a", Value::Undef)])]),
        &native("02 02000000 05 04 03 01000000 05 01000000 61"),
    );
    assert_eq!(
        thaw(&native("02 01000000 04 0e")),
        Value::array([Value::scalar_ref(Value::Undef)])
    );
    assert_eq!(
        thaw(&native("02 03000000 0e 1f 08 81")),
        Value::array([Value::Undef, Value::Undef, Value::Int(1)])
    );
}

#[test]
fn immortals_and_booleans_read_as_perl_copies_them() {
    // Perl: [!!1, !!0, \!!1]; then Storable 3.32's booleans.
    assert_eq!(
        thaw(&native("02 03000000 0a0131 0a00 04 0f")),
        Value::array([
            Value::bytes("1"),
            Value::bytes(""),
            Value::scalar_ref(Value::bytes("1"))
        ])
    );
    assert_eq!(
        thaw(&native("02 03000000 22 23 10")),
        Value::array([Value::bytes("1"), Value::bytes(""), Value::bytes("")])
    );
}

#[test]
fn references_of_every_kind() {
    // Perl: freeze(\"abc"), freeze(\\"abc"): the root is the referenced thing.
    both_ways(&Value::scalar_ref("abc"), &native("0a 03 616263"));
    both_ways(
        &Value::scalar_ref(Value::scalar_ref("abc")),
        &native("04 0a 03 616263"),
    );
    // Weak, overloaded and weak overloaded references read as plain ones.
    for op in ["04", "1b", "14", "1c"] {
        assert_eq!(
            thaw(&native(&format!("02 01000000 {op} 08 81"))),
            Value::array([Value::scalar_ref(1)]),
            "{op}"
        );
    }
}

#[test]
fn objects_name_a_class_once_then_by_index() {
    // Perl: [Foo {}, Foo {}, Bar [], Foo {}].
    let foo = || Value::blessed("Foo", Value::hash(Vec::<(&str, Value)>::new()));
    both_ways(
        &Value::array([
            foo(),
            foo(),
            Value::blessed("Bar", Value::array(Vec::<Value>::new())),
            foo(),
        ]),
        &native(
            "02 04000000 04 11 03 466f6f 03 00000000 04 12 00 03 00000000 \
             04 11 03 426172 02 00000000 04 12 00 03 00000000",
        ),
    );
    // Perl: freeze(bless {}, 'R'); a blessed scalar.
    both_ways(
        &Value::blessed("R", Value::hash(Vec::<(&str, Value)>::new())),
        &native("11 01 52 03 00000000"),
    );
    both_ways(
        &Value::array([Value::blessed("S", Value::scalar_ref(5))]),
        &native("02 01000000 04 11 01 53 08 85"),
    );
    // An overloaded object (Perl writes 0x14) is read as a plain object and written with 0x04.
    let image = native("03 01000000 14 11 02 4f76 03 01000000 08 81 01000000 76 01000000 6f");
    let want = Value::hash([("o", Value::blessed("Ov", Value::hash([("v", 1)])))]);
    assert_eq!(thaw(&image), want);
    let mut plain = image.clone();
    plain[20] = 0x04;
    assert_eq!(Storable.freeze(&want).unwrap(), plain);
}

#[test]
fn long_class_names_and_large_class_indexes() {
    // Perl: a 200-byte class name takes 0x80 and a 4-byte length.
    let name = "L".repeat(200);
    both_ways(
        &Value::array([Value::blessed(
            name.as_str(),
            Value::hash(Vec::<(&str, Value)>::new()),
        )]),
        &native(&format!(
            "02 01000000 04 11 80 c8000000 {} 03 00000000",
            "4c".repeat(200)
        )),
    );
    // Perl: 131 classes, then class #129 again: index 0x80 and 4 bytes.
    let mut items: Vec<Value> = (0..=130)
        .map(|n| {
            Value::blessed(
                format!("C{n}").as_str(),
                Value::hash(Vec::<(&str, Value)>::new()),
            )
        })
        .collect();
    items.push(Value::blessed(
        "C129",
        Value::hash(Vec::<(&str, Value)>::new()),
    ));
    let image = Storable.freeze(&Value::array(items.clone())).unwrap();
    assert!(image.ends_with(&hex("04 12 80 81000000 03 00000000")));
    assert_eq!(thaw(&image), Value::array(items));
}

#[test]
fn hashes_with_character_keys_are_flagged() {
    // Perl: {"\x{263a}" => 1, "caf\xe9" => 2, b => 3}: code point order.
    both_ways(
        &Value::hash([
            (PerlString::from("\u{263a}"), Value::Int(1)),
            (PerlString::from_bytes(b"caf\xe9".to_vec()), 2.into()),
            ("b".into(), 3.into()),
        ]),
        &native(
            "19 00 03000000 08 83 00 01000000 62 08 82 00 04000000 636166e9 \
             08 81 01 03000000 e298ba",
        ),
    );
    // Perl: an upgraded "na\xefve" key is stored downgraded, flagged "was UTF-8", and
    // read back as a character string.
    let image = native("19 00 01000000 08 81 02 05000000 6e61ef7665");
    let value = thaw(&image);
    let key = value.as_hash().unwrap().keys().next().unwrap().clone();
    assert!(key.is_utf8());
    assert_eq!(key, PerlString::from("na\u{ef}ve"));
    assert_eq!(Storable.freeze(&value).unwrap(), image);
}

#[test]
fn restricted_hashes_keep_their_data() {
    // Perl: lock_keys(%h, qw(a b c)) with a and b set: c is a placeholder.
    assert_eq!(
        thaw(&native(
            "19 01 03000000 08 81 00 01000000 61 08 82 00 01000000 62 0e 14 01000000 63"
        )),
        Value::hash([("a", 1), ("b", 2)])
    );
    // Perl: lock_hash(%g): the value is locked.
    assert_eq!(
        thaw(&native("19 01 01000000 08 81 04 01000000 61")),
        Value::hash([("a", 1)])
    );
    let err = thaw_err(&native("19 00 01000000 08 81 08 0a0161"));
    assert!(err.to_string().contains("0x08"), "{err}");
}

#[test]
fn back_references_count_every_item() {
    // Perl: [$a, $a] with $a = [1]: tags 0 root, 1 ref, 2 array, 3 element, 4 ref.
    let shared = Value::array([1]);
    let value = Value::array([shared.clone(), shared]);
    let image = native("02 02000000 04 02 01000000 08 81 04 00 00000002");
    both_ways(&value, &image);
    let back = thaw(&image);
    assert!(back[0].same_ref(&back[1]));

    // Perl: {a => $w, b => $w} with b weakened: a weak back-reference is still shared.
    let back = thaw(&native(
        "03 02000000 04 02 01000000 08 81 01000000 61 1b 00 00000002 01000000 62",
    ));
    assert!(back["a"].same_ref(&back["b"]));

    // Perl: $x = \"t"; [\$x, \$x, $x]: a shared ref to a ref, and the ref itself.
    let target = Value::scalar_ref("t");
    let outer = Value::scalar_ref(target.clone());
    let value = Value::array([outer.clone(), outer, target]);
    let image = Storable.freeze(&value).unwrap();
    assert_eq!(
        image,
        native("02 03000000 04 04 0a 01 74 04 00 00000002 04 00 00000003")
    );
    let back = thaw(&image);
    assert!(back[0].same_ref(&back[1]));
    assert!(matches!(&back[0], Value::Scalar(inner) if inner.same_ref(&back[2])));

    // Perl: @a = ("xy"); push @a, \$a[0], \$a[0]: two references to an element,
    // which the reader builds only when the first back-reference asks for it.
    let back = thaw(&native(
        "02 03000000 0a 02 7879 04 00 00000001 04 00 00000001",
    ));
    assert_eq!(back[0], Value::bytes("xy"));
    assert_eq!(back[1], Value::scalar_ref(Value::bytes("xy")));
    assert!(back[1].same_ref(&back[2]));
}

#[test]
fn shared_objects_keep_their_class_and_identity() {
    let object = Value::blessed("My::Shared", Value::hash([("n", 1)]));
    let value = Value::hash([("a", object.clone()), ("b", Value::array([object]))]);
    let image = Storable.freeze(&value).unwrap();
    // b's element refers back to tag 2, the object (0 root, 1 a's ref).
    assert!(image.ends_with(&hex("02 01000000 04 00 00000002 01000000 62")));
    let back = thaw(&image);
    assert!(back["a"].same_ref(&back["b"][0]));
    assert_eq!(back, value);
}

#[test]
fn an_aliased_hash_element_becomes_a_reference_to_a_copy() {
    // Perl: $h = {a => 5}; $h->{b} = \$h->{a}: b refers back to a's scalar itself.
    let image = native("03 02000000 08 85 01000000 61 04 00 00000001 01000000 62");
    assert_eq!(
        thaw(&image),
        Value::hash([("a", Value::Int(5)), ("b", Value::scalar_ref(5))])
    );
    // The other way round: a's slot is a back-reference to b's target.
    let image = native("03 02000000 04 08 85 01000000 62 00 00000002 01000000 61");
    assert_eq!(
        thaw(&image),
        Value::hash([("a", Value::Int(5)), ("b", Value::scalar_ref(5))])
    );
}

#[test]
fn regexps_are_regexp_objects() {
    // Perl: [qr/ab+c/i]; qr/\x{263a}/ keeps its escape text and gets the "u" modifier.
    both_ways(
        &Value::array([regexp("ab+c", "i")]),
        &native("02 01000000 04 11 06 526567657870 20 00 04 61622b63 01 69"),
    );
    both_ways(
        &Value::array([regexp("\\x{263a}", "u")]),
        &native("02 01000000 04 11 06 526567657870 20 00 08 5c787b323633617d 01 75"),
    );
    // Reblessed, and a pattern longer than 255 bytes.
    let long = "a".repeat(300);
    let value = Value::array([
        Value::blessed("My::Re", regexp("x", "")),
        regexp(&long, "ms"),
        regexp("y", ""),
    ]);
    let image = Storable.freeze(&value).unwrap();
    assert_eq!(
        image,
        native(&format!(
            "02 03000000 04 11 06 4d793a3a5265 20 00 01 78 00 \
             04 11 06 526567657870 20 01 2c010000 {} 02 6d73 04 12 01 20 00 01 79 00",
            "61".repeat(300)
        ))
    );
    assert_eq!(thaw(&image), value);
    let err = thaw_err(&native(
        "02 01000000 04 11 06 526567657870 20 00 01 78 01 65",
    ));
    assert!(err.to_string().contains("modifiers"), "{err}");
}

#[test]
fn vstrings_read_as_their_string() {
    // Perl: [v1.2.3].
    assert_eq!(
        thaw(&native("02 01000000 1d 06 76312e322e33 0a 03 010203")),
        Value::array([Value::bytes(b"\x01\x02\x03".to_vec())])
    );
    assert_eq!(
        thaw(&native("02 01000000 1e 06000000 76312e322e33 0a 01 41")),
        Value::array([Value::bytes("A")])
    );
}

#[test]
fn large_objects_with_8_byte_lengths() {
    // SX_LOBJECT is for items of 2 GB and more; its framing reads the same when small.
    assert_eq!(
        thaw(&native(
            "02 04000000 21 01 0200000000000000 6869 21 18 0300000000000000 e298ba \
             04 21 02 0100000000000000 08 81 04 21 19 00 0100000000000000 08 82 00 01000000 6b"
        )),
        Value::array([
            Value::bytes("hi"),
            Value::from("\u{263a}"),
            Value::array([1]),
            Value::hash([("k", 2)]),
        ])
    );
    let shared = thaw(&native(
        "02 02000000 04 02 00000000 04 21 00 0200000000000000",
    ));
    assert!(shared[0].same_ref(&shared[1]));
    let err = thaw_err(&native("21 05 0000000000000000"));
    assert!(err.to_string().contains("SX_UNDEF"), "{err}");
}

/// One body read in every header: x86_64, big-endian 64-bit, both 32-bit forms, network.
#[test]
fn every_byte_order_and_integer_size() {
    let want = Value::hash([
        ("big", Value::Int(300)),
        ("f", Value::Float(0.5)),
        ("list", Value::array(["x"])),
    ]);
    // [hash 3] big => 300, f => 0.5, list => ["x"]; lengths, IV and NV in the given order.
    let body = |len: &dyn Fn(u32) -> String, iv: &str, nv: &str| {
        format!(
            "03 {} 06 {iv} {} 626967 07 {nv} {} 66 04 02 {} 0a 01 78 {} 6c697374",
            len(3),
            len(3),
            len(1),
            len(1),
            len(4)
        )
    };
    let le = |n: u32| hex_of(&n.to_le_bytes());
    let be = |n: u32| hex_of(&n.to_be_bytes());
    let images = [
        format!(
            "{NATIVE} {}",
            body(&le, "2c01000000000000", "000000000000e03f")
        ),
        format!(
            "04 0b 08 3837363534333231 04 08 08 08 {}",
            body(&be, "000000000000012c", "3fe0000000000000")
        ),
        format!(
            "04 0b 04 31323334 04 04 04 08 {}",
            body(&le, "2c010000", "000000000000e03f")
        ),
        format!(
            "04 0b 04 34333231 04 04 04 08 {}",
            body(&be, "0000012c", "3fe0000000000000")
        ),
    ];
    for image in images {
        assert_eq!(thaw(&hex(&image)), want, "{image}");
    }
    // Perl: nfreeze([1, 300, -300, 2**40, 0.5, "x"]): big numbers and floats as strings.
    assert_eq!(
        thaw(&hex(
            "05 0b 02 00000006 08 81 09 0000012c 09 fffffed4 0a 0d 31303939353131363237373736 \
             0a 03 302e35 0a 01 78"
        )),
        Value::array([
            Value::Int(1),
            Value::Int(300),
            Value::Int(-300),
            Value::bytes("1099511627776"),
            Value::bytes("0.5"),
            Value::bytes("x"),
        ])
    );
    // Format 2.1 (no NV size) and a future minor that adds no new types.
    assert_eq!(
        thaw(&hex("04 01 08 3132333435363738 04 08 08 0a 00")),
        Value::scalar_ref(Value::bytes(""))
    );
    assert_eq!(thaw(&hex("05 0c 08 81")), Value::scalar_ref(1));
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn headers_we_cannot_read_are_named() {
    for (image, why) in [
        ("", "format version"),
        ("04", "minor version"),
        ("70 73 74 30 04 0b", "pst0"),
        ("06 0b", "v3.11"),
        ("02 07", "v1.7"),
        ("04 0d", "v2.13"),
        ("04 0b 05 3132333435 04 08 08 08", "byte order"),
        ("04 0b 08 3132333435363738 08 08 08 08", "sizeof(int) 8"),
        (
            "04 0b 08 3132333435363738 04 08 08 10 0a 00",
            "NV of 16 bytes",
        ),
        ("04 0b 08 3132333435363738 04 08 08", "sizeof(NV)"),
    ] {
        let err = thaw_err(&hex(image)).to_string();
        assert!(err.contains(why), "{image}: {err}");
        assert!(err.starts_with("storable: at byte "), "{err}");
    }
}

#[test]
fn items_we_do_not_build_are_named_with_their_offset() {
    for (body, why) in [
        ("02 01000000 1a 0a 03 7b317d", "code reference (SX_CODE)"),
        ("0b 02 00000000", "SX_TIED_ARRAY"),
        ("0c 03 00000000", "SX_TIED_HASH"),
        ("0d 0a 00", "SX_TIED_SCALAR"),
        ("15 0a 00", "SX_TIED_KEY"),
        ("16 0a 00", "SX_TIED_IDX"),
        (
            "13 02 03 466f6f",
            "of class \"Foo\" stored by its class's STORABLE_freeze hook",
        ),
        ("13 62", "STORABLE_freeze"),
        ("24", "unknown item type 0x24"),
        ("69", "unknown item type 0x69"),
    ] {
        let err = thaw_err(&native(body)).to_string();
        assert!(err.contains(why), "{body}: {err}");
        assert!(
            err.contains("at byte 15") || err.contains("at byte 20"),
            "{body}: {err}"
        );
    }
}

#[test]
fn cycles_are_refused() {
    // Perl: $h = {a => 1}; $h->{self} = $h.
    let err = thaw_err(&native(
        "03 02000000 08 81 01000000 61 04 00 00000000 04000000 73656c66",
    ));
    assert!(
        matches!(&err, Error::Unsupported { message, .. } if message.contains("itself")),
        "{err}"
    );
    // A reference to a reference to itself.
    assert!(thaw_err(&native("04 00 00000000"))
        .to_string()
        .contains("itself"));
}

#[test]
fn what_perl_refuses_to_store_we_refuse_too() {
    for value in [
        Value::array([Value::Code]),
        Value::Code,
        Value::blessed("C", Value::Code),
    ] {
        let err = Storable.freeze(&value).unwrap_err().to_string();
        assert!(err.contains("Can't store CODE items"), "{err}");
    }
    for value in [Value::Int(1), Value::Undef, Value::from("x")] {
        let err = Storable.freeze(&value).unwrap_err().to_string();
        assert!(err.contains("Not a reference"), "{err}");
    }
    let err = Storable
        .freeze(&Value::array([regexp("a", "e")]))
        .unwrap_err();
    assert!(err.to_string().contains("modifiers"), "{err}");
    let err = Storable
        .freeze(&Value::blessed("C", Value::Int(1)))
        .unwrap_err();
    assert!(err.to_string().contains("unblessed reference"), "{err}");
}

#[test]
fn bytes_after_the_image_are_ignored_as_perl_ignores_them() {
    // Perl: thaw(freeze({a => 1}) . "junk") is {a => 1}.
    let mut image = native("03 01000000 08 81 01000000 61");
    image.extend_from_slice(b"junk");
    assert_eq!(thaw(&image), Value::hash([("a", 1)]));
}

//! Hostile and malformed input, and the record formats' own rules. The mapping and
//! the bytes Ruby writes are checked against Ruby itself: `tests/compat_ruby_marshal.rs`
//! (fixtures Ruby wrote) and `tests/live_ruby_marshal.rs` (Ruby live).

use std::path::PathBuf;

use super::{dump, load, RubyFileStore, RubyPStore, DIGEST_ID_PREFIX};
use crate::testing::{for_each_mutation, on_small_stack};
use crate::{Error, Serializer, Value, MAX_DEPTH};

/// Every Marshal stream Ruby wrote in `compat-fixtures/ruby/marshal/`.
fn ruby_streams() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compat-fixtures/ruby/marshal");
    let mut streams: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    streams.sort();
    assert!(streams.len() > 100);
    streams
}

fn syntax_offset(result: Result<Value, Error>) -> usize {
    match result {
        Err(Error::Syntax { offset, .. }) => offset,
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn every_truncation_of_every_ruby_stream_is_a_syntax_error() {
    for stream in ruby_streams() {
        for cut in 0..stream.len() {
            let offset = syntax_offset(load(&stream[..cut]));
            assert!(offset <= cut, "{} cut {cut}", stream.escape_ascii());
        }
    }
}

#[test]
fn trailing_bytes_unknown_types_and_versions_are_refused_at_their_offset() {
    assert_eq!(syntax_offset(load(b"\x04\x08i\x06x")), 4);
    assert_eq!(syntax_offset(load(b"\x04\x08[\x06X")), 4);
    assert_eq!(syntax_offset(load(b"\x04\x07i\x06")), 0);
    assert_eq!(syntax_offset(load(b"\x03\x08i\x06")), 0);
    let err = load(b"\x04\x08d:\x06X").unwrap_err().to_string();
    assert!(err.contains("at byte 2") && err.contains("T_DATA"), "{err}");
}

#[test]
fn lengths_and_links_beyond_the_input_are_refused_before_allocating() {
    for planted in [
        &b"\x04\x08\"\x04\xff\xff\xff\x7fabc"[..], // a 2 GiB string
        b"\x04\x08[\x04\xff\xff\xff\x7fi\x06",     // 2^31 elements
        b"\x04\x08{\x04\xff\xff\xff\x7f",          // 2^31 pairs
        b"\x04\x08\"\xfc\x00\x00\x00\x80",         // a negative length
        b"\x04\x08l+\x04\xff\xff\xff\x7f",         // a bignum of 2^31 shorts
        b"\x04\x08@\x06",                          // a link to nothing
        b"\x04\x08[\x07:\x06a;\x06",               // a symlink to nothing
        b"\x04\x08i\x05\x01\x02\x03\x04\x05",      // a long of 5 bytes
    ] {
        assert!(load(planted).is_err(), "{}", planted.escape_ascii());
    }
}

#[test]
fn a_cycle_is_refused() {
    // Ruby: a = []; a << a
    let err = load(b"\x04\x08[\x06@\x00").unwrap_err().to_string();
    assert!(err.contains("cycle"), "{err}");
}

#[test]
fn links_cannot_multiply_a_string() {
    // One 200-byte string, then 100 links to it: 20 KB from a 400-byte stream.
    let mut stream = b"\x04\x08[\x01\x65\"\x01\xc8".to_vec();
    stream.extend([b'x'; 200]);
    for _ in 0..100 {
        stream.extend(b"@\x06");
    }
    let err = load(&stream).unwrap_err().to_string();
    assert!(err.contains("links copy more"), "{err}");
}

#[test]
fn nesting_is_limited_and_deep_data_reads_on_a_small_stack() {
    on_small_stack(|| {
        let nested = |depth: usize| {
            let mut stream = b"\x04\x08".to_vec();
            stream.extend(std::iter::repeat_n(*b"[\x06", depth).flatten());
            stream.push(b'0');
            stream
        };
        let deep = load(&nested(MAX_DEPTH)).unwrap();
        assert_eq!(dump(&deep).unwrap(), nested(MAX_DEPTH));
        let err = load(&nested(MAX_DEPTH + 1)).unwrap_err().to_string();
        assert!(err.contains("nested deeper"), "{err}");
        // The mapping's forms nest deeper in a Value than in the stream: the limit
        // counts the Value's levels, and whatever is read, is written.
        for (open, close) in [
            (&b"o:\x06X\x06:\x07@a"[..], &b""[..]),
            (b"S:\x06X\x06:\x06a", b""),
            (b"e:\x06M[\x06", b""),
            (b"}\x06i\x06", b"0"),
            (b"U:\x06X", b""),
        ] {
            for levels in [MAX_DEPTH / 3, MAX_DEPTH / 2, MAX_DEPTH] {
                let mut stream = b"\x04\x08".to_vec();
                stream.extend(open.repeat(levels));
                stream.push(b'0');
                stream.extend(close.repeat(levels));
                match load(&stream) {
                    Ok(deep) => {
                        assert_eq!(load(&dump(&deep).unwrap()).unwrap(), deep)
                    }
                    Err(e) if levels > MAX_DEPTH / 3 => {
                        assert!(e.to_string().contains("nested deeper"), "{e}")
                    }
                    Err(e) => panic!("{} x {levels}: {e}", open.escape_ascii()),
                }
            }
        }
    });
}

#[test]
fn mutated_ruby_streams_read_or_fail_cleanly_and_what_reads_rewrites() {
    let streams = ruby_streams();
    let seeds: Vec<&[u8]> = streams.iter().map(Vec::as_slice).collect();
    for_each_mutation(
        &seeds,
        b"0TFi:;@I\"[{}oSuUeCcmlf/\x00\x06\xff",
        20_000,
        |bytes| {
            if let Ok(value) = load(bytes) {
                let written = dump(&value).expect("dump writes what load read");
                assert_eq!(load(&written).expect("load reads dump's output"), value);
            }
        },
    );
}

#[test]
fn writing_refuses_what_ruby_cannot_hold() {
    for value in [
        Value::scalar_ref(1),
        Value::Code,
        Value::blessed("My::Class", Value::hash([("a", 1)])),
        Value::blessed("Ruby::Symbol", Value::array([1])),
        Value::blessed("Ruby::Integer", Value::scalar_ref(Value::from("12a"))),
    ] {
        assert!(
            matches!(dump(&value), Err(Error::Unsupported { .. })),
            "{value:?}"
        );
    }
}

#[test]
fn filestore_lines_are_read_as_ruby_reads_them() {
    let one = "%04%08i%06";
    let record = RubyFileStore
        .thaw(format!("a+b%3D={one}\r\nc==%04%08i%06\nc={one}").as_bytes())
        .unwrap_err();
    // `c==...`: the value is `=%04...`, which is not Marshal.
    assert!(record.to_string().contains("\"c\""), "{record}");
    let record = RubyFileStore
        .thaw(format!("a+b%3D={one}\r\nc={one}\nc=%04%08i%07\r").as_bytes())
        .unwrap();
    assert_eq!(record, Value::hash([("a b=", 1), ("c", 2)]));
    assert_eq!(
        RubyFileStore.thaw(b"").unwrap(),
        Value::hash(Vec::<(&str, Value)>::new())
    );
    assert_eq!(
        syntax_offset(RubyFileStore.thaw(format!("a={one}\n\n").as_bytes())),
        13
    );
    // An error inside a value points at the value's text.
    assert_eq!(syntax_offset(RubyFileStore.thaw(b"k=%04%08i")), 2);
}

#[test]
fn a_listing_pseudo_id_is_not_written() {
    let record = Value::hash([
        (
            "_SESSION_ID",
            Value::from(format!("{DIGEST_ID_PREFIX}0123456789abcdef")),
        ),
        ("a", Value::Int(1)),
    ]);
    let kept = Value::hash([("a", 1)]);
    for store in [&RubyFileStore as &dyn Serializer, &RubyPStore] {
        assert_eq!(store.thaw(&store.freeze(&record).unwrap()).unwrap(), kept);
        let real = Value::hash([("_SESSION_ID", "abc")]);
        assert_eq!(store.thaw(&store.freeze(&real).unwrap()).unwrap(), real);
    }
}

#[test]
fn a_pstore_file_must_hold_a_hash() {
    let empty = Value::hash(Vec::<(&str, Value)>::new());
    assert_eq!(RubyPStore.thaw(b"").unwrap(), empty);
    assert_eq!(
        RubyPStore
            .thaw(&dump(&Value::hash([("other", 1)])).unwrap())
            .unwrap(),
        empty
    );
    let err = RubyPStore
        .thaw(&dump(&Value::array([1])).unwrap())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("PStore file seems to be corrupted"),
        "{err}"
    );
    let err = RubyPStore
        .thaw(&dump(&Value::hash([("hash", 1)])).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("\"hash\" entry"), "{err}");
    assert!(RubyPStore.freeze(&Value::array([1])).is_err());
}

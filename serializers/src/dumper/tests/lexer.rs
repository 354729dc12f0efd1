//! The token scanners on their own: what each reads and what it refuses.

use crate::dumper::lexer::{hash_key, number, regexp, ws, In, PResult};
use crate::dumper::strings::{double_quoted, single_quoted};
use crate::{PerlString, Value};

fn dq(text: &[u8]) -> PResult<'_, PerlString> {
    double_quoted(text, &mut Vec::new())
}

fn ok<'a, O>(r: PResult<'a, O>) -> (In<'a>, O) {
    match r {
        Ok(v) => v,
        Err(e) => panic!("parse failed: {e:?}"),
    }
}

#[test]
fn single_quotes_unescape_only_backslash_and_quote() {
    let (rest, s) = ok(single_quoted(br"'a\\b\'c\nd\x'!"));
    assert_eq!(s.as_bytes(), br"a\b'c\nd\x");
    assert_eq!(rest, b"!");
    let (rest, s) = ok(single_quoted(b"'plain' =>"));
    assert_eq!((s.as_bytes(), rest), (&b"plain"[..], &b" =>"[..]));
    assert!(single_quoted(b"'abc").is_err());
    assert!(single_quoted(b"'abc\\'").is_err());
    assert!(single_quoted(b"'abc\\").is_err());
}

/// Strings are scanned eight bytes at a time: the quote and the escapes are found
/// wherever they fall in a word.
#[test]
fn long_single_quoted_strings() {
    for len in 0..40usize {
        for escape_at in [None, Some(0), Some(len / 2), Some(len.saturating_sub(1))] {
            let mut text: Vec<u8> = (0..len).map(|n| b'a' + (n % 26) as u8).collect();
            if let Some(at) = escape_at.filter(|&at| at < len) {
                text[at] = b'\'';
            }
            let mut source = b"'".to_vec();
            for &b in &text {
                if b == b'\'' {
                    source.push(b'\\');
                }
                source.push(b);
            }
            source.extend_from_slice(b"',9");
            let (rest, s) = ok(single_quoted(&source));
            // Short strings are copied from the input in a fixed-size window, whose
            // bytes past the string must not show: keys order by whole buffers.
            let made = PerlString::from(&text[..]);
            assert_eq!(
                s.cmp(&made),
                std::cmp::Ordering::Equal,
                "{}",
                source.escape_ascii()
            );
            assert_eq!(
                (s.into_bytes(), rest),
                (text, &b",9"[..]),
                "{}",
                source.escape_ascii()
            );
        }
    }
}

#[test]
fn double_quotes_read_useqq_escapes() {
    let (_, s) = ok(dq(
        br#""x\n\t\r\f\a\e\b\0y\177\1\0012\x41\x{263a}\$\@\"\\\{\o{101}""#,
    ));
    let want: Vec<u32> = "x\n\t\r\x0c\x07\x1b\x08\0y\x7f\x01\x012A\u{263a}$@\"\\{A"
        .chars()
        .map(u32::from)
        .collect();
    assert_eq!(s.code_points().collect::<Vec<_>>(), want);
    let (_, s) = ok(dq(b"\"caf\\x{e9}\""));
    assert!(
        !s.is_utf8(),
        "all code points <= 0xFF give bytes, as Perl's eval does"
    );
    assert_eq!(s.as_bytes(), b"caf\xe9");
    let (_, s) = ok(dq(b"\"\xe9\\x{100}\xe8\""));
    assert_eq!(s.code_points().collect::<Vec<_>>(), [0xe9, 0x100, 0xe8]);
}

#[test]
fn double_quotes_refuse_interpolation_and_unknown_escapes() {
    for bad in [
        &br#""a$b""#[..],
        br#""a@b""#,
        br#""\u0041""#,
        br#""\N{U+41}""#,
        br#""\cA""#,
        br#""\x{110000000}""#,
        br#""\x{zz}""#,
        br#""\8""#,
        b"\"abc",
        b"\"abc\\",
    ] {
        assert!(dq(bad).is_err(), "{}", bad.escape_ascii());
    }
}

#[test]
fn numbers_are_decimal_only() {
    let cases: &[(&[u8], Value)] = &[
        (b"42", Value::Int(42)),
        (b"-5", Value::Int(-5)),
        (b"+7", Value::Int(7)),
        (b"0", Value::Int(0)),
        (b"1.5", Value::Float(1.5)),
        (b".5", Value::Float(0.5)),
        (b"1e3", Value::Float(1000.0)),
        (b"-2.5E-1", Value::Float(-0.25)),
        (b"-9223372036854775808", Value::Int(i64::MIN)),
        (b"9223372036854775808", Value::Float(9223372036854775808.0)),
    ];
    for (text, want) in cases {
        let (rest, got) = ok(number(text));
        assert_eq!(&got, want, "{}", text.escape_ascii());
        assert!(rest.is_empty());
    }
    for bad in [
        &b"0x1F"[..],
        b"1_000",
        b"012",
        b"1.2.3",
        b"12abc",
        b"1e",
        b"-",
        b".",
    ] {
        assert!(number(bad).is_err(), "{}", bad.escape_ascii());
    }
}

#[test]
fn bareword_keys() {
    for (text, want) in [
        (&b"abc"[..], &b"abc"[..]),
        (b"-dash", b"-dash"),
        (b"10", b"10"),
        (b"_x1", b"_x1"),
    ] {
        let (_, key) = ok(hash_key(text, &mut Vec::new()));
        assert_eq!(key.as_bytes(), want);
    }
    for bad in [&b"01"[..], b"-0", b"1_0", b"1abc"] {
        assert!(
            hash_key(bad, &mut Vec::new()).is_err(),
            "{}",
            bad.escape_ascii()
        );
    }
}

#[test]
fn regexps_undo_dumpers_escapes() {
    let (rest, r) = ok(regexp(br"qr/a\/b${\q($)}c\d$|x$/msix,"));
    assert_eq!(r.pattern.as_bytes(), br"a/b$c\d$|x$");
    assert_eq!(r.flags, "msix");
    assert_eq!(rest, b",");
    for bad in [
        &br"qr/a$b/"[..],
        br"qr/a@b/",
        br"qr{a}",
        br"qr/a/g",
        br"qr/abc",
        br"qr/(?{ system('id') })/",
        br"qr/(??{ 1 })/",
    ] {
        assert!(regexp(bad).is_err(), "{}", bad.escape_ascii());
    }
}

#[test]
fn whitespace_includes_comments() {
    assert_eq!(ws(b"  # comment\n\t #0\n  x"), b"x");
    assert_eq!(ws(b"# to the end"), b"");
}

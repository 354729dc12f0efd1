//! What the writer emits for each kind of data, pinned to XS Data::Dumper's output.

use std::sync::Arc;

use crate::dumper::Dumper;
use crate::{Error, PerlString, Regexp, Serializer, Value, MAX_DEPTH};

fn freeze(v: &Value) -> Result<Vec<u8>, Error> {
    Dumper.freeze(v)
}

fn dump(v: &Value) -> String {
    String::from_utf8_lossy(&freeze(v).unwrap()).into_owned()
}

fn re(pattern: PerlString, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern,
        flags: flags.to_string(),
    }))
}

#[test]
fn integers_are_bare_up_to_ten_characters() {
    let v = Value::array([
        Value::Int(1234567890),
        Value::Int(-123456789),
        Value::Int(-1234567890),
        Value::Int(12345678901),
        Value::Int(i64::MIN),
        Value::Int(0),
    ]);
    assert_eq!(
        dump(&v),
        "$D = [1234567890,-123456789,'-1234567890','12345678901','-9223372036854775808',0];;$D"
    );
}

#[test]
fn floats_are_quoted_as_perl_prints_them() {
    let v = Value::array([3.25, 1e20, 1000.0, 0.1 + 0.2, f64::INFINITY, f64::NAN]);
    assert_eq!(
        dump(&v),
        "$D = ['3.25','1e+20','1000','0.3','Inf','NaN'];;$D"
    );
}

#[test]
fn byte_strings_escape_only_backslash_and_quote() {
    let v = Value::array([
        Value::bytes(b"it's \\ \"$x@y\"\n\0\xe9".to_vec()),
        Value::Str(PerlString::from_utf8_internal(b"ascii".to_vec()).unwrap()),
    ]);
    assert_eq!(
        freeze(&v).unwrap(),
        b"$D = ['it\\'s \\\\ \"$x@y\"\n\0\xe9','ascii'];;$D"
    );
}

#[test]
fn character_strings_use_double_quotes_and_hex_escapes() {
    let v = Value::from("it's caf\u{e9} \u{263a} \\\"$@\n");
    assert_eq!(
        dump(&v),
        "$D = \"it's caf\\x{e9} \\x{263a} \\\\\\\"\\$\\@\n\";;$D"
    );
}

#[test]
fn keys_are_always_quoted() {
    let v = Value::hash([
        ("10", Value::Int(1)),
        ("", Value::Int(2)),
        ("-x", Value::Int(3)),
        ("\u{263a}", Value::Int(4)),
    ]);
    assert_eq!(
        dump(&v),
        "$D = {'' => 2,'-x' => 3,'10' => 1,\"\\x{263a}\" => 4};;$D"
    );
}

#[test]
fn references_objects_code_and_regexps() {
    let v = Value::array([
        Value::scalar_ref("str"),
        Value::scalar_ref(Value::scalar_ref(Value::Undef)),
        Value::blessed("Foo", Value::hash([("a", 1)])),
        Value::blessed("Sc", Value::scalar_ref("q")),
        Value::blessed("O'Neil", Value::array(Vec::<Value>::new())),
        Value::blessed("Caf\u{e9}", Value::Code),
        Value::blessed("K\u{263a}", Value::Code),
        Value::Code,
        re(PerlString::from_text("ab+c"), "i"),
    ]);
    assert_eq!(
        dump(&v),
        "$D = [\\'str',\\\\undef,bless( {'a' => 1}, 'Foo' ),\
         bless( do{\\(my $o = 'q')}, 'Sc' ),bless( [], 'O\\'Neil' ),\
         bless( sub { \"DUMMY\" }, 'Caf\u{fffd}' ),bless( sub { \"DUMMY\" }, 'K\u{263a}' ),\
         sub { \"DUMMY\" },qr/ab+c/i];;$D"
    );
}

#[test]
fn regexp_patterns_are_escaped_as_dumper_xs_does() {
    let cases: &[(PerlString, &str, &str)] = &[
        (PerlString::from_text("a/b"), "", r"qr/a\/b/"),
        (PerlString::from_text(r"a\/b"), "", r"qr/a\/b/"),
        (PerlString::from_text("a$b"), "", r"qr/a${\q($)}b/"),
        (PerlString::from_text("a$|(b$)$"), "", "qr/a$|(b$)$/"),
        (PerlString::from_text(r"\$x"), "", r"qr/\$x/"),
        (
            PerlString::from_text("\u{263a}/\u{e9}"),
            "u",
            r"qr/\x{263a}\/\x{e9}/u",
        ),
        (
            PerlString::from_bytes(b"caf\xe9".to_vec()),
            "",
            "qr/caf\u{fffd}/",
        ),
    ];
    for (pattern, flags, want) in cases {
        let got = freeze(&re(pattern.clone(), flags)).unwrap();
        let got = String::from_utf8_lossy(&got);
        assert_eq!(got, format!("$D = {want};;$D"), "{pattern:?}");
    }
    assert!(freeze(&re(PerlString::from_text("a\\"), "")).is_err());
    assert!(freeze(&re(PerlString::from_text("a"), "i/")).is_err());
}

/// The spec's own fix-up examples (§7.1), which real Perl reproduces.
#[test]
fn repeated_references_become_placeholders_and_fixups() {
    let x = Value::array([1]);
    let v = Value::hash([("x", x.clone()), ("y", x)]);
    assert_eq!(
        dump(&v),
        "$D = {'x' => [1],'y' => []};$D->{'y'} = $D->{'x'};;$D"
    );

    let b = Value::array([1]);
    let a = Value::hash([("b", b.clone())]);
    let v = Value::hash([("a", a.clone()), ("c", b), ("d", a)]);
    assert_eq!(
        dump(&v),
        "$D = {'a' => {'b' => [1]},'c' => [],'d' => {}};\
         $D->{'c'} = $D->{'a'}{'b'};$D->{'d'} = $D->{'a'};;$D"
    );

    let s = Value::scalar_ref(1);
    let v = Value::hash([("x", s.clone()), ("y", s)]);
    assert_eq!(
        dump(&v),
        "$D = {'x' => \\1,'y' => do{my $o}};$D->{'y'} = $D->{'x'};;$D"
    );

    let o = Value::blessed("Foo", Value::hash(Vec::<(&str, Value)>::new()));
    let v = Value::hash([
        ("a", o.clone()),
        ("b", o.clone()),
        ("c", Value::scalar_ref(o)),
    ]);
    assert_eq!(
        dump(&v),
        "$D = {'a' => bless( {}, 'Foo' ),'b' => {},'c' => \\{}};\
         $D->{'b'} = $D->{'a'};${$D->{'c'}} = $D->{'a'};;$D"
    );
}

/// Only the data itself decides what is shared: a reference also held outside it is
/// written in full, once.
#[test]
fn references_held_elsewhere_are_not_repeats() {
    let cart = Value::array([1]);
    let _kept_by_the_caller = cart.clone();
    let v = Value::hash([("cart", cart.clone())]);
    assert_eq!(dump(&v), "$D = {'cart' => [1]};;$D");
    let v = Value::hash([("a", cart.clone()), ("b", Value::array([cart]))]);
    assert_eq!(
        dump(&v),
        "$D = {'a' => [1],'b' => [[]]};$D->{'b'}[0] = $D->{'a'};;$D"
    );
}

#[test]
fn paths_through_scalar_refs_use_an_arrow() {
    let h = Value::hash([("k", 1)]);
    let v = Value::array([Value::scalar_ref(Value::scalar_ref(h.clone())), h]);
    assert_eq!(
        dump(&v),
        "$D = [\\\\{'k' => 1},{}];$D->[1] = ${${$D->[0]}};;$D"
    );
    let inner = Value::array([1]);
    let v = Value::scalar_ref(Value::array([inner.clone(), inner]));
    assert_eq!(dump(&v), "$D = \\[[1],[]];${$D}->[1] = ${$D}->[0];;$D");
}

#[test]
fn depth_is_bounded() {
    let mut v = Value::Int(1);
    for _ in 0..MAX_DEPTH {
        v = Value::array([v]);
    }
    assert!(freeze(&v).is_ok());
    let too_deep = Value::array([v]);
    assert!(matches!(freeze(&too_deep), Err(Error::Unsupported { .. })));
}

#[test]
fn blessing_a_plain_scalar_is_refused() {
    let v = Value::blessed("Foo", Value::Int(1));
    assert!(matches!(freeze(&v), Err(Error::Unsupported { .. })));
}

//! Reading what Data::Dumper writes: every form, each pinned to real Perl output.

use crate::dumper::Dumper;
use crate::{Error, PerlString, Serializer, Value};

pub(super) fn thaw(text: impl AsRef<[u8]>) -> Result<Value, Error> {
    Dumper.thaw(text.as_ref())
}

pub(super) fn thaw_ok(text: impl AsRef<[u8]>) -> Value {
    let text = text.as_ref();
    match thaw(text) {
        Ok(v) => v,
        Err(e) => panic!("{e}\nin: {}", text.escape_ascii()),
    }
}

fn freeze(v: &Value) -> String {
    String::from_utf8_lossy(&Dumper.freeze(v).unwrap()).into_owned()
}

fn empty_hash() -> Value {
    Value::hash(Vec::<(&str, Value)>::new())
}

/// The real stored file of spec §7.1 (Perl's random key order, one line).
#[test]
fn the_spec_sample_record() {
    let v = thaw_ok(
        "$D = {'_SESSION_ETIME' => 7200,'_SESSION_ATIME' => 1795293613,'_SESSION_ID' => 'sample_default',\
         'user' => 'alice','cart' => [1,2],'_SESSION_EXPIRE_LIST' => {'logged_in' => 1800},\
         '_SESSION_REMOTE_ADDR' => '192.0.2.7','prefs' => {'lang' => 'en'},'_SESSION_CTIME' => 1795293613};;$D",
    );
    assert_eq!(v["_SESSION_ID"], Value::from("sample_default"));
    assert_eq!(v["_SESSION_ATIME"], Value::Int(1795293613));
    assert_eq!(v["cart"], Value::array([1, 2]));
    assert_eq!(v["_SESSION_EXPIRE_LIST"]["logged_in"], Value::Int(1800));
    assert_eq!(v["prefs"]["lang"], Value::from("en"));
    assert_eq!(v.as_hash().map(|h| h.len()), Some(9));
}

#[test]
fn other_observed_forms() {
    let v = thaw_ok("$D = {'_SESSION_ID' => 1002,'_SESSION_ETIME' => '3600','x' => undef,'_SESSION_EXPIRE_LIST' => {}};;$D");
    assert_eq!(v["_SESSION_ID"], Value::Int(1002));
    assert_eq!(v["_SESSION_ETIME"], Value::from("3600"));
    assert!(v.get("x").is_some_and(Value::is_undef));
    assert_eq!(v["_SESSION_EXPIRE_LIST"], empty_hash());
}

#[test]
fn strings_single_and_double_quoted() {
    let v = thaw_ok(
        b"$D = ['it\\'s \\\\ \\n','caf\xe9',\"caf\\x{e9}\",\"\\x{263a}\\$\\@\\\"\\\\'\n\"];;$D",
    );
    assert_eq!(v[0], Value::bytes(&b"it's \\ \\n"[..]));
    assert_eq!(v[1], Value::bytes(&b"caf\xe9"[..]));
    // `"caf\x{e9}"` evaluates to a byte string in Perl: the flag is lost, the text is not.
    assert_eq!(v[2].as_perl_str().map(PerlString::is_utf8), Some(false));
    assert_eq!(v[2], Value::from("café"));
    assert_eq!(v[3], Value::from("\u{263a}$@\"\\'\n"));
}

/// Data::Dumper with Indent(1), Useqq(1), Quotekeys(0), `$VAR1` (copied from Perl 5.36).
#[test]
fn other_dumper_settings() {
    let text = "$VAR1 = {\n  \"-dash\" => 2,\n  10 => 3,\n  a => \"x\\n\\t\\r\\f\\a\\e\\0y\\177\\1\\0012\",\n  \
                b => \"caf\\351\",\n  big => '12345678901',\n  neg => -3,\n  o => bless( {}, 'Foo' ),\n  \
                s => 12,\n  sr => \\\"x\",\n  x => [\n    1\n  ],\n  y => []\n};\n$VAR1->{y} = $VAR1->{x};\n$VAR1\n";
    let v = thaw_ok(text);
    assert_eq!(v["-dash"], Value::Int(2));
    assert_eq!(v["10"], Value::Int(3));
    assert_eq!(
        v["a"],
        Value::bytes(&b"x\n\t\r\x0c\x07\x1b\0y\x7f\x01\x012"[..])
    );
    assert_eq!(v["b"], Value::bytes(&b"caf\xe9"[..]));
    assert_eq!(v["big"], Value::from("12345678901"));
    assert_eq!(v["neg"], Value::Int(-3));
    assert_eq!(v["o"], Value::blessed("Foo", empty_hash()));
    assert_eq!(v["sr"], Value::scalar_ref("x"));
    assert!(v["x"].same_ref(&v["y"]));
    // Indent(2) aligns with spaces and Indent(3) adds `#0` comments.
    let v = thaw_ok(
        "$VAR1 = [\n          #0\n          1,\n          #1\n          'a',\n        ];\n",
    );
    assert_eq!(v, Value::array([Value::Int(1), Value::from("a")]));
}

#[test]
fn legacy_and_alternative_top_levels() {
    let want = Value::hash([("a", 1)]);
    assert_eq!(thaw_ok("$D = {'a' => 1};"), want);
    assert_eq!(thaw_ok("$D = {'a' => 1}"), want);
    assert_eq!(thaw_ok("+{'a' => 1}"), want);
    assert_eq!(thaw_ok("  $VAR1 = {'a' => 1};;$VAR1;\n"), want);
    assert_eq!(thaw_ok("$D = 'top';;$D"), Value::from("top"));
    assert!(thaw("{'a' => 1}").is_err(), "a block, not a hash, in Perl");
    assert!(
        thaw("$D = {'a' => 1};;$VAR1").is_err(),
        "one variable per record"
    );
}

/// `Safe->reval` returns the value of the last statement; Perl checked:
/// `$D = {'a' => [1]};$D->{'b'} = $D->{'a'};` gives the ARRAY.
#[test]
fn the_result_is_the_last_statement() {
    let v = thaw_ok("$D = {'a' => [1],'b' => []};$D->{'b'} = $D->{'a'};");
    assert_eq!(v, Value::array([1]));
    let v = thaw_ok("$D = {'a' => [1]};$D->{'a'}");
    assert_eq!(v, Value::array([1]));
}

/// The fix-up examples of spec §7.1 that a Value can hold (all written by Perl 5.36).
#[test]
fn fixups_restore_sharing() {
    let v = thaw_ok("$D = {'x' => [1],'y' => []};$D->{'y'} = $D->{'x'};;$D");
    assert!(v["x"].same_ref(&v["y"]));

    let v = thaw_ok("$D = {'a' => {'b' => [1]},'c' => [],'d' => {}};$D->{'c'} = $D->{'a'}{'b'};$D->{'d'} = $D->{'a'};;$D");
    assert!(v["c"].same_ref(&v["a"]["b"]));
    assert!(v["d"].same_ref(&v["a"]));

    let v = thaw_ok("$D = {'x' => \\1,'y' => do{my $o}};$D->{'y'} = $D->{'x'};;$D");
    assert_eq!(v["x"], Value::scalar_ref(1));
    assert!(v["x"].same_ref(&v["y"]));

    let v = thaw_ok("$D = {'a' => bless( {}, 'Foo' ),'b' => {},'c' => \\{}};$D->{'b'} = $D->{'a'};${$D->{'c'}} = $D->{'a'};;$D");
    assert_eq!(
        v["a"].class().map(|c| c.to_string()),
        Some("Foo".to_string())
    );
    assert!(v["a"].same_ref(&v["b"]));
    let Value::Scalar(inner) = &v["c"] else {
        panic!("{v:?}")
    };
    assert!(inner.same_ref(&v["a"]));
}

#[test]
fn fixups_through_references_to_references() {
    let v = thaw_ok("$D = {'a' => \\\\'q','b' => do{my $o},'c' => do{my $o}};$D->{'b'} = $D->{'a'};$D->{'c'} = ${$D->{'a'}};;$D");
    assert!(v["a"].same_ref(&v["b"]));
    let Value::Scalar(a) = &v["a"] else { panic!() };
    assert!(a.same_ref(&v["c"]));
    assert_eq!(v["c"], Value::scalar_ref("q"));

    let v = thaw_ok("$D = [\\\\{'k' => 1},{}];$D->[1] = ${${$D->[0]}};;$D");
    let Value::Scalar(outer) = &v[0] else {
        panic!()
    };
    let Value::Scalar(inner) = &**outer else {
        panic!()
    };
    assert!(inner.same_ref(&v[1]));

    let v = thaw_ok("$D = \\[[1],[]];${$D}->[1] = ${$D}->[0];;$D");
    let Value::Scalar(target) = &v else { panic!() };
    assert!(target[0].same_ref(&target[1]));
}

#[test]
fn blessed_scalars_and_regexps_and_code() {
    let v = thaw_ok(
        "$D = {'a' => bless( do{\\(my $o = 'q')}, 'Sc' ),'b' => do{my $o},'r' => bless( do{\\(my $o = \\1)}, 'X' ),\
         'c' => sub { \"DUMMY\" },'q' => qr/a\\/b${\\q($)}c/i,'u' => qr/\\x{263a}z/u};$D->{'b'} = $D->{'a'};;$D",
    );
    assert_eq!(v["a"], Value::blessed("Sc", Value::scalar_ref("q")));
    assert!(v["a"].same_ref(&v["b"]));
    assert_eq!(
        v["r"],
        Value::blessed("X", Value::scalar_ref(Value::scalar_ref(1)))
    );
    assert_eq!(v["c"], Value::Code);
    let Value::Regexp(q) = &v["q"] else { panic!() };
    assert_eq!(
        (q.pattern.as_bytes(), q.flags.as_str()),
        (&b"a/b$c"[..], "i")
    );
    let Value::Regexp(u) = &v["u"] else { panic!() };
    assert_eq!(
        (u.pattern.as_bytes(), u.flags.as_str()),
        (&br"\x{263a}z"[..], "u")
    );
}

/// `$h{b} = \$h{a}` aliases a plain slot; Perl writes `$D->{'b'} = \$D->{'a'}`.
/// A Value cannot alias a slot, so `b` becomes a reference to a copy.
#[test]
fn alias_fixups_give_a_reference_to_a_copy() {
    let v = thaw_ok("$D = {'a' => 1,'b' => do{my $o}};$D->{'b'} = \\$D->{'a'};;$D");
    assert_eq!(v["b"], Value::scalar_ref(1));
    let v = thaw_ok("$D = [1,do{my $o}];$D->[1] = \\$D->[0];;$D");
    assert_eq!(v, Value::array([Value::Int(1), Value::scalar_ref(1)]));
}

#[test]
fn cycles_are_refused() {
    for text in [
        "$D = {'a' => 1,'self' => {}};$D->{'self'} = $D;;$D",
        "$D = {'x' => [1,[]]};$D->{'x'}[1] = $D->{'x'};;$D",
        "$D = {'a' => {'b' => {}}};$D->{'a'}{'b'} = $D->{'a'};;$D",
        "$D = \\do{my $o};${$D} = $D;;$D",
        "$D = [bless( {'s' => {}}, 'O' )];$D->[0]{'s'} = $D->[0];;$D",
        // Cyclic only through sharing made by an earlier fix-up.
        "$D = {'a' => {'k' => {}},'b' => {}};$D->{'b'} = $D->{'a'};$D->{'a'}{'k'} = $D->{'b'};;$D",
    ] {
        match thaw(text) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(
                    message.contains("cyclic references are not supported"),
                    "{message}"
                )
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn writing_through_a_shared_container_is_refused() {
    let text = "$D = {'a' => {},'b' => {},'c' => [1]};$D->{'b'} = $D->{'a'};$D->{'b'}{'x'} = $D->{'c'};;$D";
    match thaw(text) {
        Err(Error::Unsupported { message, .. }) => assert!(message.contains("shared"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_fixup_paths_name_the_path() {
    let cases = [
        (
            "$D = {'a' => 1};$D->{'b'} = $D->{'nope'};;$D",
            "there is no hash element",
        ),
        (
            "$D = {'a' => 1};$D->{'a'}{'b'} = $D->{'a'};;$D",
            "cannot take hash element",
        ),
        (
            "$D = [1];$D->[5] = $D->[0];;$D",
            "there is no array element [5]",
        ),
        (
            "$D = [1];${$D} = $D->[0];;$D",
            "cannot take the scalar dereference of an array",
        ),
    ];
    for (text, want) in cases {
        match thaw(text) {
            Err(Error::Syntax {
                message, offset, ..
            }) => {
                assert!(message.contains(want), "{text}: {message}");
                assert!(offset > 0 && offset < text.len(), "{text}: {offset}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn numbers_and_keys() {
    let v = thaw_ok("$D = {a => -5,b => 1.5,'c' => '007',d => 1e3,-e => +7,12 => 12345678901234567890,f => [1,2,],};");
    assert_eq!(v["a"], Value::Int(-5));
    assert_eq!(v["b"], Value::Float(1.5));
    assert_eq!(v["c"], Value::from("007"));
    assert_eq!(v["d"], Value::Float(1000.0));
    assert_eq!(v["-e"], Value::Int(7));
    assert_eq!(v["12"], Value::Float(12345678901234567890.0));
    assert_eq!(v["f"], Value::array([1, 2]));
}

/// Arrays of lengths around the reader's blocks of elements (31 values, 8 blocks before
/// one buffer), nested at many offsets: each comes back with its own elements, in order.
#[test]
fn long_and_nested_arrays() {
    let list = |len: usize, tag: i64| Value::array((0..len as i64).map(|n| tag * 1000 + n));
    for outer in [0, 1, 30, 31, 32, 62, 63, 64, 100, 247, 248, 249, 300] {
        let mut items: Vec<Value> = (0..outer as i64).map(Value::Int).collect();
        for (n, inner) in [0, 1, 2, 31, 33, 70, 260].into_iter().enumerate() {
            let at = (n * 17) % (items.len() + 1);
            items.insert(at, list(inner, n as i64 + 1));
        }
        items.push(Value::array([list(40, 9), Value::Int(-1), list(3, 8)]));
        let v = Value::array(items);
        assert_eq!(thaw_ok(freeze(&v)), v, "outer {outer}");
    }
}

#[test]
fn our_output_reads_back() {
    let shared = Value::array([1]);
    let v = Value::hash([
        ("s", Value::from("caf\u{e9} \u{263a}")),
        ("a", shared.clone()),
        (
            "b",
            Value::array([shared.clone(), Value::scalar_ref(shared)]),
        ),
    ]);
    let text = freeze(&v);
    let back = thaw_ok(&text);
    assert_eq!(back, v);
    assert!(back["a"].same_ref(&back["b"][0]));
    let Value::Scalar(r) = &back["b"][1] else {
        panic!()
    };
    assert!(r.same_ref(&back["a"]));
}

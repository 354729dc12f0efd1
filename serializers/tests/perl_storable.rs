//! Live tests against Perl's own Storable (3.26 on Perl 5.36) and CGI::Session: the oracle.
//!
//! 1. For each case, our `freeze` equals Perl's `Storable::freeze` of the same data (a
//!    Perl literal) with `$Storable::canonical = 1`, byte for byte.
//! 2. We thaw what Perl writes with `freeze` (sorted and in Perl's own order) and with
//!    `nfreeze` to the expected value.
//! 3. Perl thaws our output (with `CGI::Session::Serialize::storable->thaw`) to the same
//!    data: its canonical freeze of what it read equals its freeze of the literal, so
//!    kinds, flags, classes and sharing all agree. Perl's re-freeze of our output, read
//!    by us again, is the value we started from (Rust → Perl → Rust keeps Int, Float, Str).
//! 4. What Perl writes that a Value cannot hold, or we refuse to build, is refused
//!    clearly: cycles, code, hooks, tied data.
//!
//! Skipped, with a printed reason, when `perl` or the modules are missing, unless
//! `CGISESS_REQUIRE_ORACLE=1`, which makes that a failure.

use std::sync::Arc;

use cgi_session_serializers::number::format_float;
use cgi_session_serializers::{Error, Object, PerlString, Regexp, Serializer, Storable, Value};
use cgi_session_test_support::{oracle_has, perl, perl_cases, run_framed};

/// Perl helpers shared by every script: `emit` frames one output as `LENGTH\nBYTES`.
#[path = "support/mod.rs"]
mod support;
use support::*;

const PRELUDE: &str = r#"
use strict;
use warnings;
use Storable ();
use CGI::Session::Serialize::storable;
$Storable::canonical = 1;
binmode STDIN;
binmode STDOUT;

sub emit { my ($bytes) = @_; print length($bytes), "\n", $bytes; }

sub read_framed {
    local $/;
    my $all = <STDIN>;
    my @out;
    while (length $all) {
        $all =~ s/\A(\d+)\n// or die "bad frame";
        push @out, substr($all, 0, $1, '');
    }
    return @out;
}

sub upgraded { my ($s) = @_; utf8::upgrade($s); return $s }

{
    package Ov;
    use overload '""' => sub { "OV:" . $_[0]{v} }, fallback => 1;
}
"#;

fn cases() -> Vec<Case> {
    let shared_array = Value::array([1, 2]);
    let shared_hash = Value::hash([("k", "v")]);
    let shared_object = Value::blessed("My::Shared", Value::hash([("n", 1)]));
    let target = Value::scalar_ref("target");
    let ref_to_target = Value::scalar_ref(target.clone());
    let many_classes: Vec<Value> = (0..130)
        .map(|n| Value::blessed(format!("C{n}").as_str(), empty_hash()))
        .chain([Value::blessed("C129", empty_hash())])
        .collect();
    vec![
        Case {
            name: "spec sample session",
            perl: "{'_SESSION_ETIME' => 7200,'_SESSION_ATIME' => 1795293613,'_SESSION_ID' => 'sample',\
                   'user' => 'alice','cart' => [1,2],'_SESSION_EXPIRE_LIST' => {'logged_in' => 1800},\
                   '_SESSION_REMOTE_ADDR' => '192.0.2.7','prefs' => {'lang' => 'en'},'_SESSION_CTIME' => 1795293613}",
            value: Value::hash([
                ("_SESSION_ETIME", 7200.into()),
                ("_SESSION_ATIME", 1795293613.into()),
                ("_SESSION_ID", "sample".into()),
                ("user", "alice".into()),
                ("cart", Value::array([1, 2])),
                ("_SESSION_EXPIRE_LIST", Value::hash([("logged_in", 1800)])),
                ("_SESSION_REMOTE_ADDR", "192.0.2.7".into()),
                ("prefs", Value::hash([("lang", "en")])),
                ("_SESSION_CTIME", 1795293613.into()),
            ]),
        },
        Case {
            name: "integers",
            perl: "[0, 1, -1, 127, 128, -128, -129, 255, 256, 65536, -65536, 2147483647, 2147483648, \
                   -2147483648, -2147483649, 9223372036854775807, -9223372036854775808]",
            value: Value::array(
                [
                    0,
                    1,
                    -1,
                    127,
                    128,
                    -128,
                    -129,
                    255,
                    256,
                    65536,
                    -65536,
                    2147483647,
                    2147483648,
                    -2147483648,
                    -2147483649,
                    i64::MAX,
                    i64::MIN,
                ]
                .map(Value::Int),
            ),
        },
        Case {
            name: "floats",
            perl: "[0.5, -2.25, 1e300, 2.71, 1e-300, 2**53, 1.5e-5, 9**9**9, -9**9**9]",
            value: Value::array([
                0.5,
                -2.25,
                1e300,
                2.71,
                1e-300,
                9_007_199_254_740_992.0,
                1.5e-5,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ]),
        },
        Case {
            name: "integral floats become integers",
            perl: "[3.0, -0.0, 1e15, 2.0**52]",
            value: Value::array([3.0, -0.0, 1e15, 4_503_599_627_370_496.0]),
        },
        Case {
            name: "byte strings",
            perl: "['', 'abc', \"caf\\xe9\", \"nul\\0byte\", '42', '3.5', '007', 'x' x 300, join('', map { chr } 0 .. 255)]",
            value: Value::array([
                Value::bytes(""),
                Value::bytes("abc"),
                Value::bytes(b"caf\xe9".to_vec()),
                Value::bytes(b"nul\0byte".to_vec()),
                Value::bytes("42"),
                Value::bytes("3.5"),
                Value::bytes("007"),
                Value::bytes("x".repeat(300)),
                Value::bytes((0..=255).collect::<Vec<u8>>()),
            ]),
        },
        Case {
            name: "character strings",
            perl: "[\"\\x{263a}\", \"caf\\x{e9} \\x{263a}\", \"\\x{263a}\" x 100, upgraded(\"caf\\xe9\"), upgraded('plain'), \"\\x{1f600}\"]",
            value: Value::array([
                utf8_flagged("\u{263a}"),
                utf8_flagged("caf\u{e9} \u{263a}"),
                utf8_flagged(&"\u{263a}".repeat(100)),
                utf8_flagged("caf\u{e9}"),
                utf8_flagged("plain"),
                utf8_flagged("\u{1f600}"),
            ]),
        },
        Case {
            name: "undef",
            perl: "[undef, {'k' => undef}, \\(my $u = undef)]",
            value: Value::array([
                Value::Undef,
                Value::hash([("k", Value::Undef)]),
                Value::scalar_ref(Value::Undef),
            ]),
        },
        Case {
            name: "hash keys",
            perl: "{'' => 1, \"\\x{263a}\" => 2, \"caf\\xe9\" => 3, upgraded(\"na\\xefve\") => 4, 'b' => {}, \"new\\nline\" => 5}",
            value: Value::hash([
                (PerlString::from_bytes(""), Value::Int(1)),
                (PerlString::from("\u{263a}"), 2.into()),
                (PerlString::from_bytes(b"caf\xe9".to_vec()), 3.into()),
                (PerlString::from("na\u{ef}ve"), 4.into()),
                (PerlString::from("b"), empty_hash()),
                (PerlString::from("new\nline"), 5.into()),
            ]),
        },
        Case {
            name: "references",
            perl: "{'str' => \\'str', 'int' => \\42, 'ref' => \\\\'x', 'deep' => \\\\\\'d', \
                   'array' => \\[1, 2], 'hash' => \\{'a' => 1}, 'object' => \\bless({}, 'My::Hash')}",
            value: Value::hash([
                ("str", Value::scalar_ref("str")),
                ("int", Value::scalar_ref(42)),
                ("ref", Value::scalar_ref(Value::scalar_ref("x"))),
                (
                    "deep",
                    Value::scalar_ref(Value::scalar_ref(Value::scalar_ref("d"))),
                ),
                ("array", Value::scalar_ref(Value::array([1, 2]))),
                ("hash", Value::scalar_ref(Value::hash([("a", 1)]))),
                (
                    "object",
                    Value::scalar_ref(Value::blessed("My::Hash", empty_hash())),
                ),
            ]),
        },
        Case {
            name: "objects",
            perl: "do { my $o = 'body'; [bless({'name' => 'h', 'list' => [1, 2]}, 'My::Hash'), bless([1, 'two'], 'My::Array'), \
                   bless(\\$o, 'My::Scalar'), bless({}, 'My::Hash'), bless({'inner' => bless([bless({}, 'My::Leaf')], 'My::Array')}, 'My::Outer'), \
                   bless({}, 'L' x 200)] }",
            value: Value::array([
                Value::blessed(
                    "My::Hash",
                    Value::hash([("name", Value::from("h")), ("list", Value::array([1, 2]))]),
                ),
                Value::blessed("My::Array", Value::array([Value::Int(1), "two".into()])),
                Value::blessed("My::Scalar", Value::scalar_ref("body")),
                Value::blessed("My::Hash", empty_hash()),
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
                Value::blessed("L".repeat(200).as_str(), empty_hash()),
            ]),
        },
        Case {
            name: "more than 127 classes",
            perl: "[(map { bless {}, \"C$_\" } 0 .. 129), bless({}, 'C129')]",
            value: Value::array(many_classes),
        },
        Case {
            name: "regexps",
            perl: "[qr/ab+c/i, qr/^\\d+$/, qr{a/b}, qr/x/msx, bless(qr/y/, 'My::Re'), qr/\\x{263a}/, qr/${\\ ('a' x 300)}/]",
            value: Value::array([
                regexp("ab+c", "i"),
                regexp("^\\d+$", ""),
                regexp("a/b", ""),
                regexp("x", "msx"),
                Value::blessed("My::Re", regexp("y", "")),
                regexp("\\x{263a}", "u"),
                regexp("a".repeat(300).as_str(), ""),
            ]),
        },
        Case {
            name: "sharing",
            perl: "do { my $arr = [1, 2]; my $h = {'k' => 'v'}; my $o = bless({'n' => 1}, 'My::Shared'); \
                   my $s = 'target'; my $r = \\$s; \
                   {'a1' => $arr, 'a2' => [$arr, $arr], 'h1' => $h, 'h2' => $h, 'o' => [$o, $o], 'o2' => $o, \
                    'refs' => [$r, $r], 'rr' => [\\$r, \\$r, $r]} }",
            value: Value::hash([
                ("a1", shared_array.clone()),
                ("a2", Value::array([shared_array.clone(), shared_array])),
                ("h1", shared_hash.clone()),
                ("h2", shared_hash),
                ("o", Value::array([shared_object.clone(), shared_object.clone()])),
                ("o2", shared_object),
                ("refs", Value::array([target.clone(), target.clone()])),
                (
                    "rr",
                    Value::array([ref_to_target.clone(), ref_to_target, target]),
                ),
            ]),
        },
        Case {
            name: "overloaded object",
            perl: "{'o' => bless({'v' => 1}, 'Ov')}",
            value: Value::hash([("o", Value::blessed("Ov", Value::hash([("v", 1)])))]),
        },
    ]
}

/// Whether the oracle can run; prints why not, or fails under `CGISESS_REQUIRE_ORACLE=1`.
fn oracle_available() -> bool {
    oracle_has(&["Storable", "CGI::Session::Serialize::storable"])
}

/// Runs a Perl script (after [`PRELUDE`]) with `input` framed on stdin; gives its framed outputs.
fn run_perl(script: &str, input: &[Vec<u8>]) -> Vec<Vec<u8>> {
    run_framed(&mut perl(&format!("{PRELUDE}\n{script}")), input)
}

/// `v` as Perl stores it: an integral float below 2⁵³ is an integer.
fn as_stored(v: &Value) -> Value {
    map_scalars(v, &|s| match s {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
            Value::Int(*f as i64)
        }
        other => other.clone(),
    })
}

/// `v` as `nfreeze` stores it: integers beyond 32 bits and all doubles as strings.
fn as_nfrozen(v: &Value) -> Value {
    map_scalars(&as_stored(v), &|s| match s {
        Value::Int(i) if i32::try_from(*i).is_err() => Value::bytes(i.to_string()),
        Value::Float(f) => Value::bytes(format_float(*f)),
        other => other.clone(),
    })
}

/// `v` with `f` applied to every plain scalar; sharing is kept.
fn map_scalars(v: &Value, f: &dyn Fn(&Value) -> Value) -> Value {
    fn go(
        v: &Value,
        f: &dyn Fn(&Value) -> Value,
        done: &mut std::collections::HashMap<usize, Value>,
    ) -> Value {
        if let Some(copy) = v.ref_addr().and_then(|a| done.get(&a)) {
            return copy.clone();
        }
        let copy = match v {
            Value::Array(items) => {
                Value::Array(Arc::new(items.iter().map(|x| go(x, f, done)).collect()))
            }
            Value::Hash(hash) => Value::Hash(Arc::new(
                hash.iter()
                    .map(|(k, x)| (k.clone(), go(x, f, done)))
                    .collect(),
            )),
            Value::Scalar(target) => Value::Scalar(Arc::new(go(target, f, done))),
            Value::Object(object) => Value::Object(Arc::new(Object {
                class: object.class.clone(),
                value: go(&object.value, f, done),
            })),
            Value::Regexp(_) | Value::Code => v.clone(),
            scalar => f(scalar),
        };
        if let Some(addr) = v.ref_addr() {
            done.insert(addr, copy.clone());
        }
        copy
    }
    go(v, f, &mut std::collections::HashMap::new())
}

fn thaw(image: &[u8], what: &str) -> Value {
    Storable
        .thaw(image)
        .unwrap_or_else(|e| panic!("{what}: {e}\n{}", show(image)))
}

#[test]
fn freeze_matches_perl_canonical_freeze_byte_for_byte() {
    if !oracle_available() {
        return;
    }
    let cases = cases();
    let script = format!(
        "{}emit(Storable::freeze($_->())) for @cases;\n",
        perl_cases(cases.iter().map(|c| c.perl))
    );
    let perl = run_perl(&script, &[]);
    assert_eq!(perl.len(), cases.len());
    for (case, want) in cases.iter().zip(&perl) {
        let ours = Storable.freeze(&case.value).unwrap();
        if case.name == "overloaded object" {
            // The one documented difference: Perl's SX_OVERLOAD (0x14) is our SX_REF (0x04).
            let differences: Vec<(u8, u8)> = ours
                .iter()
                .zip(want)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (*a, *b))
                .collect();
            assert_eq!(ours.len(), want.len());
            assert_eq!(differences, [(0x04, 0x14)], "{}", show(want));
            continue;
        }
        assert_eq!(show(&ours), show(want), "case {:?}", case.name);
    }
}

#[test]
fn we_read_perl_freeze_and_nfreeze() {
    if !oracle_available() {
        return;
    }
    let cases = cases();
    let script = format!(
        "{}for my $make (@cases) {{ emit(Storable::freeze($make->())); emit(Storable::nfreeze($make->())); \
         local $Storable::canonical = 0; emit(Storable::freeze($make->())); }}\n",
        perl_cases(cases.iter().map(|c| c.perl))
    );
    let perl = run_perl(&script, &[]);
    assert_eq!(perl.len(), 3 * cases.len());
    for (case, images) in cases.iter().zip(perl.chunks(3)) {
        let stored = as_stored(&case.value);
        assert_eq!(
            thaw(&images[0], case.name),
            stored,
            "freeze: {:?}",
            case.name
        );
        assert_eq!(
            thaw(&images[1], case.name),
            as_nfrozen(&case.value),
            "nfreeze: {:?}",
            case.name
        );
        assert_eq!(
            thaw(&images[2], case.name),
            stored,
            "random order: {:?}",
            case.name
        );
        // Sharing comes back as shared Arcs: our image of what we read is our image
        // of the case, back-references included.
        assert_eq!(
            show(&Storable.freeze(&thaw(&images[2], case.name)).unwrap()),
            show(&Storable.freeze(&case.value).unwrap()),
            "sharing: {:?}",
            case.name
        );
    }
}

#[test]
fn perl_thaws_our_output_to_the_same_data() {
    if !oracle_available() {
        return;
    }
    let cases = cases();
    let ours: Vec<Vec<u8>> = cases
        .iter()
        .map(|c| Storable.freeze(&c.value).unwrap())
        .collect();
    // Perl's canonical freeze of what it thawed from ours, and of its own literal.
    let script = format!(
        "{}my @ours = read_framed();\n\
         for my $i (0..$#cases) {{\n\
             my $v = CGI::Session::Serialize::storable->thaw($ours[$i]);\n\
             emit(defined $v ? Storable::freeze($v) : 'ERROR: thaw gave undef');\n\
             emit(Storable::freeze($cases[$i]->()));\n\
         }}\n",
        perl_cases(cases.iter().map(|c| c.perl))
    );
    let perl = run_perl(&script, &ours);
    assert_eq!(perl.len(), 2 * cases.len());
    for (case, pair) in cases.iter().zip(perl.chunks(2)) {
        assert_eq!(show(&pair[0]), show(&pair[1]), "case {:?}", case.name);
        // Rust -> Perl -> Rust: the kinds (Int, Float, Str) are what we wrote.
        assert_eq!(
            thaw(&pair[0], case.name),
            as_stored(&case.value),
            "case {:?}",
            case.name
        );
    }
}

#[test]
fn perl_keeps_overloading_on_our_plain_references() {
    if !oracle_available() {
        return;
    }
    let value = Value::hash([("o", Value::blessed("Ov", Value::hash([("v", 7)])))]);
    let ours = Storable.freeze(&value).unwrap();
    let perl = run_perl(
        "my ($image) = read_framed(); my $v = Storable::thaw($image); emit(\"$v->{o}\");",
        &[ours],
    );
    assert_eq!(perl, [b"OV:7".to_vec()]);
}

/// Perl's own Storable garbles a pattern with wide characters (its thaw reads the UTF-8
/// bytes as Latin-1); ours, written with `\x{...}` escapes, is the same regexp in Perl.
#[test]
fn perl_compiles_our_character_patterns_to_the_same_regexp() {
    if !oracle_available() {
        return;
    }
    let value = Value::array([Value::Regexp(Arc::new(Regexp {
        pattern: PerlString::from("caf\u{e9} \u{263a}+"),
        flags: "iu".to_string(),
    }))]);
    let ours = Storable.freeze(&value).unwrap();
    let script = r#"
        my ($image) = read_framed();
        my $re = Storable::thaw($image)->[0];
        emit(join ',', map { $_ =~ $re ? 1 : 0 } "CAF\x{c9} \x{263a}\x{263a}", "caf\xc3\xa9 \xe2\x98\xba");
        my $pattern = "caf\x{e9} \x{263a}+";
        my $perls = Storable::thaw(Storable::freeze([qr/$pattern/i]))->[0];
        emit(join ',', map { $_ =~ $perls ? 1 : 0 } "CAF\x{c9} \x{263a}\x{263a}", "caf\xc3\xa9 \xe2\x98\xba");
    "#;
    let perl = run_perl(script, &[ours]);
    assert_eq!(
        perl[0], b"1,0",
        "ours matches the characters, not their UTF-8 bytes"
    );
    assert_eq!(perl[1], b"0,1", "Perl's own round trip garbles the pattern");
}

#[test]
fn what_a_value_cannot_hold_is_refused_clearly() {
    if !oracle_available() {
        return;
    }
    let script = r#"
        { package Hooked; sub STORABLE_freeze { ('frozen') } sub STORABLE_thaw { } }
        emit(do { my $h = {'a' => 1}; $h->{'self'} = $h; Storable::freeze($h) });
        emit(do { my $x = [1]; push @$x, $x; Storable::freeze({'x' => $x}) });
        emit(do { local $Storable::Deparse = 1; Storable::freeze({'code' => sub { 42 }}) });
        emit(Storable::freeze({'obj' => bless({}, 'Hooked')}));
        emit(do { require Tie::Hash; tie my %t, 'Tie::StdHash'; $t{a} = 1; Storable::freeze({'tied' => \%t}) });
    "#;
    let perl = run_perl(script, &[]);
    let expect = [
        "contains a reference to itself",
        "contains a reference to itself",
        "code reference (SX_CODE)",
        "of class \"Hooked\" stored by its class's STORABLE_freeze hook",
        "tied data (SX_TIED_HASH",
    ];
    for (image, why) in perl.iter().zip(expect) {
        match Storable.thaw(image) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains(why), "{why}: {message}")
            }
            other => panic!("{why}: {other:?} from {}", show(image)),
        }
    }
}

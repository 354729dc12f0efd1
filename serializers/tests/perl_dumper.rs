//! Live tests against Perl's own Data::Dumper (XS) and CGI::Session: the oracle.
//!
//! 1. For each case, our `freeze` equals what Perl's Data::Dumper writes for the same
//!    data (built from a Perl literal) with CGI::Session's settings and `Sortkeys(1)`,
//!    byte for byte.
//! 2. Perl thaws our output with `CGI::Session::Serialize::default->thaw` and dumps it
//!    again: the same as when it thaws its own output for the literal (a round trip
//!    through Perl loses the UTF-8 flag of Latin-1 text either way, spec §7.6).
//! 3. We thaw what Perl's Data::Dumper writes with other settings (Indent 0..3, Useqq,
//!    Quotekeys, random key order, `$VAR1`) and write it again: the same as Perl
//!    dumping what `Safe->new->reval` made of it.
//!
//! Skipped, with a printed reason, when `perl` or the modules are missing, unless
//! `CGISESS_REQUIRE_ORACLE=1`, which makes that a failure.

use std::sync::Arc;

use cgi_session_serializers::{Dumper, Error, PerlString, Serializer, Value};
use cgi_session_test_support::{oracle_has, perl, perl_cases, run_framed};

/// Perl helpers shared by every script: `canon` dumps as CGI::Session does, with sorted
/// keys; `emit` frames one output as `LENGTH\nBYTES`.
#[path = "support/mod.rs"]
mod support;
use support::*;

const PRELUDE: &str = r#"
use strict;
use warnings;
use Data::Dumper;
use Safe;
use CGI::Session::Serialize::default;
$Data::Dumper::Sortkeys = 1;
$SIG{__WARN__} = sub {};    # "Encountered CODE ref, using dummy placeholder"
binmode STDIN;
binmode STDOUT;

sub dumper {
    my ($data, $name, $indent, $useqq, $quotekeys) = @_;
    my $d = Data::Dumper->new([$data], [$name]);
    $d->Indent($indent); $d->Purity(1); $d->Useqq($useqq); $d->Deepcopy(0);
    $d->Quotekeys($quotekeys); $d->Terse(0);
    my $text = $d->Dump;
    utf8::downgrade($text);
    return $text;
}

sub canon {
    my $text = dumper($_[0], 'D', 0, 0, 1) . ';$D';
    # A plain qr// evaluated in Safe comes back blessed into the compartment's Regexp.
    $text =~ s{bless\( (qr/(?:[^\\/]|\\.)*/[a-z]*), 'Safe::Root\d+::Regexp' \)}{$1}g;
    return $text;
}

sub emit { my ($text) = @_; print length($text), "\n", $text; }

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

sub perl_thaw {
    my ($text) = @_;
    $CGI::Session::Serialize::default::errstr = '';
    my $v = CGI::Session::Serialize::default->thaw($text);
    my $err = CGI::Session::Serialize::default->errstr;
    return $err ? "ERROR: $err" : canon($v);
}
"#;

fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "spec sample session",
            perl: "{'_SESSION_ETIME' => 7200,'_SESSION_ATIME' => 1795293613,'_SESSION_ID' => 'sample_default',\
                   'user' => 'alice','cart' => [1,2],'_SESSION_EXPIRE_LIST' => {'logged_in' => 1800},\
                   '_SESSION_REMOTE_ADDR' => '192.0.2.7','prefs' => {'lang' => 'en'},'_SESSION_CTIME' => 1795293613}",
            value: hash(vec![
                ("_SESSION_ETIME", 7200.into()),
                ("_SESSION_ATIME", 1795293613.into()),
                ("_SESSION_ID", "sample_default".into()),
                ("user", "alice".into()),
                ("cart", Value::array([1, 2])),
                ("_SESSION_EXPIRE_LIST", hash(vec![("logged_in", 1800.into())])),
                ("_SESSION_REMOTE_ADDR", "192.0.2.7".into()),
                ("prefs", hash(vec![("lang", "en".into())])),
                ("_SESSION_CTIME", 1795293613.into()),
            ]),
        },
        Case {
            name: "integers",
            perl: "[0, 1, -1, 42, 1234567890, -123456789, -1234567890, 12345678901, \
                   9223372036854775807, -9223372036854775807 - 1]",
            value: Value::array(
                [0, 1, -1, 42, 1234567890, -123456789, -1234567890, 12345678901, i64::MAX, i64::MIN]
                    .map(Value::Int),
            ),
        },
        Case {
            name: "floats",
            perl: "[3.25, 1e20, -1.5, 0.1 + 0.2, 1e-5, 1e15, 1e14, 1/3, 9**9**9, -9**9**9, \
                   9**9**9 - 9**9**9, 1e3, 1336640887.24082]",
            value: Value::array([
                3.25,
                1e20,
                -1.5,
                0.1 + 0.2,
                1e-5,
                1e15,
                1e14,
                1.0 / 3.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NAN,
                1000.0,
                1336640887.24082,
            ]),
        },
        Case {
            name: "byte strings",
            perl: r#"[join('', map { chr } 0..255), "it's \\ \"q\" \$x \@y", '', '0', '007', '-0', '+5']"#,
            value: Value::array([
                Value::bytes((0..=255u8).collect::<Vec<u8>>()),
                bytes(b"it's \\ \"q\" $x @y"),
                bytes(b""),
                bytes(b"0"),
                bytes(b"007"),
                bytes(b"-0"),
                bytes(b"+5"),
            ]),
        },
        Case {
            name: "character strings",
            perl: r#"[do { my $s = "caf\x{e9}"; utf8::upgrade($s); $s }, "\x{263a} \$\@\"\\' \n\t\0",
                     do { my $s = "abc"; utf8::upgrade($s); $s }, "\x{10ffff}\x{d800}\x{7fffffff}"]"#,
            value: Value::array([
                "café".into(),
                "\u{263a} $@\"\\' \n\t\0".into(),
                utf8_flagged("abc"),
                Value::Str(PerlString::from_code_points([0x10ffff, 0xd800, 0x7fff_ffff]).unwrap()),
            ]),
        },
        Case {
            name: "keys",
            perl: r#"{ '' => 1, '-x' => 2, '10' => 3, "caf\xe9" => 4, "\x{263a}" => 5, "a'b\\c" => 6,
                       do { my $k = "\x{e9}t\x{e9}"; utf8::upgrade($k); $k } => 7, "new\nline" => 8 }"#,
            value: Value::Hash(Arc::new(
                [
                    (PerlString::from_bytes(b"".to_vec()), 1),
                    (PerlString::from_text("-x"), 2),
                    (PerlString::from_text("10"), 3),
                    (PerlString::from_bytes(b"caf\xe9".to_vec()), 4),
                    (PerlString::from_text("\u{263a}"), 5),
                    (PerlString::from_text("a'b\\c"), 6),
                    (PerlString::from_text("été"), 7),
                    (PerlString::from_text("new\nline"), 8),
                ]
                .into_iter()
                .map(|(k, v)| (k, Value::Int(v)))
                .collect(),
            )),
        },
        Case {
            name: "references",
            perl: r#"[\'str', \42, \(my $u), \\'x', \{'k' => [1]}, \[], [], {}, [[]], {'a' => {}}, undef]"#,
            value: Value::array([
                Value::scalar_ref("str"),
                Value::scalar_ref(42),
                Value::scalar_ref(Value::Undef),
                Value::scalar_ref(Value::scalar_ref("x")),
                Value::scalar_ref(hash(vec![("k", Value::array([1]))])),
                Value::scalar_ref(Value::array(Vec::<Value>::new())),
                Value::array(Vec::<Value>::new()),
                hash(vec![]),
                Value::array([Value::array(Vec::<Value>::new())]),
                hash(vec![("a", hash(vec![]))]),
                Value::Undef,
            ]),
        },
        Case {
            name: "objects",
            perl: r#"[bless({'a' => 1}, 'Foo'), bless([1, 'x'], 'Foo::Bar'), bless(\(my $s = 'q'), 'Sc'),
                     bless(\(my $r = \1), 'X'), \bless([], 'Z'), bless({}, "O'Neil"), bless(sub { 1 }, 'K'),
                     bless(qr/x/, 'Re'), bless({}, "K\x{263a}"),
                     bless([], do { my $c = "Caf\xe9"; utf8::upgrade($c); $c })]"#,
            value: Value::array([
                Value::blessed("Foo", hash(vec![("a", 1.into())])),
                Value::blessed("Foo::Bar", Value::array([Value::Int(1), "x".into()])),
                Value::blessed("Sc", Value::scalar_ref("q")),
                Value::blessed("X", Value::scalar_ref(Value::scalar_ref(1))),
                Value::scalar_ref(Value::blessed("Z", Value::array(Vec::<Value>::new()))),
                Value::blessed("O'Neil", hash(vec![])),
                Value::blessed("K", Value::Code),
                Value::blessed("Re", regexp(PerlString::from_text("x"), "")),
                Value::blessed("K\u{263a}", hash(vec![])),
                Value::blessed("Caf\u{e9}", Value::array(Vec::<Value>::new())),
            ]),
        },
        Case {
            name: "code and regexps",
            perl: r#"{'c' => sub { 1 }, 'r1' => qr/ab+c/i, 'r2' => qr{a/b}, 'r3' => qr'a$b', 'r4' => qr/a$|(b$)$/,
                      'r5' => qr/x/msixn, 'r6' => do { my $p = "\x{263a}/\x{e9}"; qr/$p/ },
                      'r7' => do { my $p = "caf\xe9"; qr/$p/ }, 'r8' => qr'\$x\\'}"#,
            value: hash(vec![
                ("c", Value::Code),
                ("r1", regexp(PerlString::from_text("ab+c"), "i")),
                ("r2", regexp(PerlString::from_text("a/b"), "")),
                ("r3", regexp(PerlString::from_text("a$b"), "")),
                ("r4", regexp(PerlString::from_text("a$|(b$)$"), "")),
                ("r5", regexp(PerlString::from_text("x"), "msixn")),
                ("r6", regexp(PerlString::from_text("\u{263a}/\u{e9}"), "u")),
                ("r7", regexp(PerlString::from_bytes(b"caf\xe9".to_vec()), "")),
                ("r8", regexp(PerlString::from_text(r"\$x\\"), "")),
            ]),
        },
        Case { name: "top-level string", perl: "'top'", value: "top".into() },
        Case { name: "top-level integer", perl: "42", value: 42.into() },
        Case { name: "top-level undef", perl: "undef", value: Value::Undef },
        Case { name: "top-level scalar ref", perl: r"\'s'", value: Value::scalar_ref("s") },
    ];
    cases.extend(sharing_cases());
    cases
}

/// Shared references: the spec's fix-up examples and harder ones.
fn sharing_cases() -> Vec<Case> {
    let x = Value::array([1]);
    let b = Value::array([1]);
    let a = hash(vec![("b", b.clone())]);
    let s = Value::scalar_ref(1);
    let o = Value::blessed("Foo", hash(vec![]));
    let r = Value::scalar_ref("q");
    let rr = Value::scalar_ref(r.clone());
    let h = hash(vec![("k", 1.into())]);
    let re = regexp(PerlString::from_text("x"), "i");
    let sc = Value::blessed("Sc", Value::scalar_ref("q"));
    let y = Value::array([1]);
    let oy = Value::blessed("O", hash(vec![("in", y.clone())]));
    let k = Value::array([1]);
    let xk = hash(vec![("k", k.clone())]);
    vec![
        Case {
            name: "shared array",
            perl: "do { my $x = [1]; {'x' => $x, 'y' => $x} }",
            value: hash(vec![("x", x.clone()), ("y", x)]),
        },
        Case {
            name: "shared nested",
            perl: "do { my $b = [1]; my $a = {'b' => $b}; {'a' => $a, 'c' => $b, 'd' => $a} }",
            value: hash(vec![("a", a.clone()), ("c", b), ("d", a)]),
        },
        Case {
            name: "shared scalar ref",
            perl: r"do { my $s = \1; {'x' => $s, 'y' => $s} }",
            value: hash(vec![("x", s.clone()), ("y", s)]),
        },
        Case {
            name: "shared object and ref to it",
            perl: r"do { my $o = bless {}, 'Foo'; {'a' => $o, 'b' => $o, 'c' => \$o} }",
            value: hash(vec![("a", o.clone()), ("b", o.clone()), ("c", Value::scalar_ref(o))]),
        },
        Case {
            name: "shared ref to ref",
            perl: r"do { my $s = 'q'; my $r = \$s; {'a' => \$r, 'b' => \$r, 'c' => $r} }",
            value: hash(vec![("a", rr.clone()), ("b", rr), ("c", r)]),
        },
        Case {
            name: "hash behind two refs",
            perl: r"do { my $h = {'k' => 1}; [\\$h, $h] }",
            value: Value::array([Value::scalar_ref(Value::scalar_ref(h.clone())), h]),
        },
        Case {
            name: "shared regexp",
            perl: "do { my $re = qr/x/i; {'a' => $re, 'b' => $re} }",
            value: hash(vec![("a", re.clone()), ("b", re)]),
        },
        Case {
            name: "shared blessed scalar",
            perl: r"do { my $s = bless \(my $v = 'q'), 'Sc'; {'a' => $s, 'b' => $s} }",
            value: hash(vec![("a", sc.clone()), ("b", sc)]),
        },
        Case {
            name: "sharing inside objects",
            perl: r"do { my $y = [1]; my $o = bless {'in' => $y}, 'O'; [$o, $y, \$y, bless(\(my $r = $y), 'R'), $o] }",
            value: Value::array([
                oy.clone(),
                y.clone(),
                Value::scalar_ref(y.clone()),
                Value::blessed("R", Value::scalar_ref(y)),
                oy,
            ]),
        },
        Case {
            name: "deep sharing",
            perl: "do { my $x = {'k' => [1]}; {'a' => {'b' => [$x, $x->{'k'}]}, 'c' => $x->{'k'}, 'd' => $x} }",
            value: hash(vec![
                ("a", hash(vec![("b", Value::array([xk.clone(), k.clone()]))])),
                ("c", k),
                ("d", xk),
            ]),
        },
    ]
}

/// Whether the oracle can run; prints why not, or fails under `CGISESS_REQUIRE_ORACLE=1`.
fn oracle_available() -> bool {
    oracle_has(&["Data::Dumper", "Safe", "CGI::Session::Serialize::default"])
}

/// Runs a Perl script (after [`PRELUDE`]) with `input` framed on stdin; gives its framed outputs.
fn run_perl(script: &str, input: &[Vec<u8>]) -> Vec<Vec<u8>> {
    run_framed(&mut perl(&format!("{PRELUDE}\n{script}")), input)
}

#[test]
fn freeze_matches_perl_byte_for_byte() {
    if !oracle_available() {
        return;
    }
    let cases = cases();
    let script = format!(
        "{}emit(canon($_->())) for @cases;\n",
        perl_cases(cases.iter().map(|c| c.perl))
    );
    let perl = run_perl(&script, &[]);
    assert_eq!(perl.len(), cases.len());
    for (case, want) in cases.iter().zip(&perl) {
        let ours = Dumper.freeze(&case.value).unwrap();
        assert_eq!(show(&ours), show(want), "case {:?}", case.name);
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
        .map(|c| Dumper.freeze(&c.value).unwrap())
        .collect();
    let script = format!(
        "{}my @ours = read_framed();\nfor my $i (0..$#cases) {{ emit(perl_thaw($ours[$i])); emit(perl_thaw(canon($cases[$i]->()))); }}\n",
        perl_cases(cases.iter().map(|c| c.perl))
    );
    let perl = run_perl(&script, &ours);
    assert_eq!(perl.len(), 2 * cases.len());
    for (case, pair) in cases.iter().zip(perl.chunks(2)) {
        assert_eq!(show(&pair[0]), show(&pair[1]), "case {:?}", case.name);
    }
}

/// `Safe->reval` wraps every code ref it returns in a new, unblessed sub, so Perl
/// loses the class of a blessed code ref; we keep it. Drop it for the comparison
/// (the cases have blessed code only at the top or in a top-level array).
fn as_safe_returns_it(v: &Value) -> Value {
    let unbless_code = |x: &Value| match x {
        Value::Object(o) if matches!(o.value, Value::Code) => Value::Code,
        other => other.clone(),
    };
    match v {
        Value::Array(items) => Value::array(items.iter().map(unbless_code).collect::<Vec<_>>()),
        other => unbless_code(other),
    }
}

/// Data only Perl can build: thawing it must fail the way the model requires.
const PERL_ONLY: &[(&str, &str)] = &[
    ("cycle", "do { my $h = {'a' => 1}; $h->{'self'} = $h; $h }"),
    (
        "cycle through array",
        "do { my $x = [1]; push @$x, $x; {'x' => $x} }",
    ),
];

#[test]
fn we_read_data_dumper_output_with_any_settings() {
    if !oracle_available() {
        return;
    }
    let cases = cases();
    // Every combination of the settings that change the text; keys in Perl's own order.
    let script = format!(
        r#"{}
$Data::Dumper::Sortkeys = 0;
for my $make (@cases) {{
    for my $indent (0..3) {{ for my $useqq (0, 1) {{ for my $quotekeys (0, 1) {{ for my $name ('D', 'VAR1') {{
        local $Data::Dumper::Sortkeys = 0;
        my $text = dumper($make->(), $name, $indent, $useqq, $quotekeys);
        $text .= ";\$$name" if $name eq 'D';
        emit($text);
        my $v = Safe->new->reval($text);
        local $Data::Dumper::Sortkeys = 1;
        emit($@ ? "ERROR: $@" : canon($v));
    }} }} }} }}
}}
"#,
        perl_cases(cases.iter().map(|c| c.perl))
    );
    let perl = run_perl(&script, &[]);
    assert_eq!(perl.len(), cases.len() * 32 * 2);
    for (n, pair) in perl.chunks(2).enumerate() {
        let case = &cases[n / 32];
        let ours = Dumper
            .thaw(&pair[0])
            .unwrap_or_else(|e| panic!("case {:?}: {e}\n{}", case.name, show(&pair[0])));
        let again = Dumper.freeze(&as_safe_returns_it(&ours)).unwrap();
        assert_eq!(
            show(&again),
            show(&pair[1]),
            "case {:?} from\n{}",
            case.name,
            show(&pair[0])
        );
    }

    let cycles: Vec<Vec<u8>> = {
        let subs: Vec<String> = PERL_ONLY
            .iter()
            .map(|(_, p)| format!("sub {{ {p} }}"))
            .collect();
        let script = format!(
            "my @cases = ({});\nemit(dumper($_->(), 'D', 0, 0, 1) . ';$D') for @cases;\n",
            subs.join(",")
        );
        run_perl(&script, &[])
    };
    for ((name, _), text) in PERL_ONLY.iter().zip(&cycles) {
        match Dumper.thaw(text) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains("cyclic"), "{name}: {message}")
            }
            other => panic!("{name}: {other:?} from {}", show(text)),
        }
    }
}

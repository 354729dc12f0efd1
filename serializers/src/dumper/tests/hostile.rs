//! Input written by an attacker, a bug, a crash or a fuzzer: always an error, never a
//! panic, never anything run, never a stack overflow.

use proptest::collection::vec;
use proptest::prelude::*;

use super::reading::thaw;
use super::round_trip::as_read_back;
use crate::dumper::Dumper;
use crate::testing::{for_each_mutation, on_small_stack, sharing};
use crate::{Error, Serializer, MAX_DEPTH};

/// Perl that `Safe` might run, or that is outside what Data::Dumper writes.
const HOSTILE: &[&str] = &[
    "system('id')",
    "$D = system('id');;$D",
    "$D = `id`;;$D",
    "$D = qx{id};;$D",
    "$D = {'a' => `id`};;$D",
    "$D = do { system('id') };;$D",
    "$D = do 'file.pl';;$D",
    "$D = do{my $o; system('id')};;$D",
    "$D = do{\\(my $o = `id`)};;$D",
    "$D = eval \"1\";;$D",
    "require POSIX;$D = {};;$D",
    "BEGIN { system('id') } $D = {};;$D",
    "$D = {'a' => sub { system('id') }};;$D",
    "$D = sub { \"DUMMY\"; system('id') };;$D",
    "$D = sub { \"NOT DUMMY\" };;$D",
    "$D = {'a' => \"${\\ system('id')}\"};;$D",
    "$D = {'a' => \"@{[ system('id') ]}\"};;$D",
    "$D = {'a' => \"$ENV{HOME}\"};;$D",
    "$D = {'a' => 'x' . 'y'};;$D",
    "$D = {'a' => 1 x 1000000000};;$D",
    "$D = [(1) x 1e9];;$D",
    "$D = <<EOF;\nx\nEOF\n",
    "$D = {'a' => qr/(?{ system('id') })/};;$D",
    "$D = {'a' => qr/a/e};;$D",
    "$D = {'a' => s/a/b/e};;$D",
    "$D = {'a' => m/a/};;$D",
    "$D = {'a' => y/a/b/};;$D",
    "$D = {'a' => 1}; system('id');",
    "$D = {'a' => 1};;$D; unlink '/etc/passwd'",
    "$D = {'a' => 1};;$D;1;",
    "$D = {'a' => 1};$D->{'b'} = system('id');;$D",
    "$D = {'a' => 1};$D->{'b'} = $D->{'a'} = 5;;$D",
    "$D = {'a' => 1};${\\system('id')} = 1;;$D",
    "$D = {'a' => 1};$D->{$x} = 1;;$D",
    "$D = {'a' => 1};$D->{'b'} = $D->{'a'}[system('id')];;$D",
    "$D = {'a' => 1};$D->{'b'} = \\&foo;;$D",
    "$D = {'a' => 1};$D{'a'} = $D->{'a'};;$D",
    "$D = [1];${$D}[0] = 1;;$D",
    "$D = {'a' => 1} if system('id');",
    "$D = bless( {}, 'Foo' ) and system('id');",
    "$D = bless( {}, 'A' ), system('id');",
    "$D = bless( {}, ref system('id') );;$D",
    "$D = bless( {} );;$D",
    "$D = bless( 1, 'Foo' );;$D",
    "$D = bless {}, 'Foo';;$D",
    "$D = {'a' => *STDOUT};;$D",
    "$D = {'a' => \\*::STDOUT};;$D",
    "$D = {'a' => open(F, '/etc/passwd')};;$D",
    "$D = {'a' => <STDIN>};;$D",
    "$D = {'a' => @ARGV};;$D",
    "$D = {'a' => %ENV};;$D",
    "$D = {'a' => $ENV{'HOME'}};;$D",
    "$D = {'a' => &foo};;$D",
    "$D = {'a' => foo()};;$D",
    "$D = {'a' => Foo->new};;$D",
    "$D = {'a' => -x '/etc'};;$D",
    "$D = {'a' => 0x10};;$D",
    "$D = {'a' => 010};;$D",
    "$D = {'a' => 1_000};;$D",
    "$D = {'a' => \"\\N{U+263A}\"};;$D",
    "$D = {'a' => \"\\u\\LABC\"};;$D",
    "$D = {'a' => \"\\x{7fffffff0}\"};;$D",
    "$D = {\"a${\\ system('id')}\" => 1};;$D",
    "$D = {foo bar => 1};;$D",
    "$D = {foo, 1};;$D",
    "$D = {'a', 1};;$D",
    "$D = undef($x);;$D",
    "$D = {'a' => local $x};;$D",
    "$D = \\(1, 2);;$D",
    "$D = [1,,2];;$D",
    "$D = {'a' => 1};\n__END__\n",
    "=pod\n\n=cut\n$D = {};;$D",
    "my $D = {};;$D",
    "$D = $D;;$D",
    "$D = {'a' => $D->{'b'}};;$D",
    "$D = {};$VAR1->{'a'} = $D;;$D",
    "$D = {};$D->{'a'} = 1;;$D",
    "$D == {};;$D",
    "$D =~ s/a/b/;;$D",
    "{'a' => 1}",
    "",
    ";;",
    "\u{feff}$D = {};;$D",
];

#[test]
fn hostile_inputs_are_refused_with_an_offset() {
    for text in HOSTILE {
        match thaw(text) {
            Err(Error::Syntax {
                offset, message, ..
            }) => {
                assert!(offset <= text.len(), "{text}: offset {offset}");
                assert!(!message.is_empty());
            }
            Err(Error::Unsupported { message, .. }) => assert!(!message.is_empty()),
            Ok(v) => panic!("accepted {text:?} as {v:?}"),
        }
    }
}

#[test]
fn errors_say_where_and_what() {
    let Err(Error::Syntax {
        offset, message, ..
    }) = thaw("$D = {'a' => system('id')};;$D")
    else {
        panic!()
    };
    assert_eq!(offset, 13);
    assert!(message.starts_with("expected a value"), "{message}");
    assert!(message.contains("`system('id')};;$D`"), "{message}");
    let Err(e) = thaw("$D = {'a' => 1") else {
        panic!()
    };
    assert_eq!(
        e.to_string(),
        "default: at byte 14: expected `,` or `}`, found end of input"
    );
}

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("$D = {}{inner}{};;$D", open.repeat(n), close.repeat(n))
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        let n = 100_000;
        for (open, inner, close) in [
            ("[", "1", "]"),
            ("{'a' => ", "1", "}"),
            ("\\", "1", ""),
            ("do{\\(my $o = ", "1", ")}"),
            ("[\\", "1", "]"),
            ("bless( [", "1", "], 'C' )"),
        ] {
            let text = nested(open, inner, close, n);
            match thaw(&text) {
                Err(Error::Syntax { message, .. }) => {
                    assert!(message.contains("nested deeper"), "{message}")
                }
                other => panic!("{open}: {other:?}"),
            }
            // Truncated: still the depth error, found before the end.
            assert!(thaw(&text[..text.len() / 2]).is_err());
        }
        // `bless(` opens no reference: deep blessing is bounded by the input instead.
        assert!(thaw("$D = bless( ".repeat(n)).is_err());
        // Deep `${...}` in a fix-up path.
        let text = format!("$D = \\1;{}$D{} = 1;;$D", "${".repeat(n), "}".repeat(n));
        assert!(thaw(&text).is_err());
    });
}

#[test]
fn max_depth_itself_is_read_and_written_on_a_small_stack() {
    on_small_stack(|| {
        let text = nested("[", "1", "]", MAX_DEPTH);
        let v = thaw(&text).unwrap();
        assert_eq!(v.depth(), MAX_DEPTH);
        assert_eq!(Dumper.freeze(&v).unwrap(), text.as_bytes());
        for leaf in [
            "[]",
            "{}",
            "qr/x/",
            "sub { \"DUMMY\" }",
            "\\1",
            "do{\\(my $o = 1)}",
        ] {
            let text = nested("[", leaf, "]", MAX_DEPTH);
            assert!(thaw(&text).is_err(), "{leaf}");
        }
        let text = nested("[", "do{my $o}", "]", MAX_DEPTH);
        assert!(thaw(&text).is_ok());
    });
}

/// Fix-ups can stack one deep value under another; the result is still bounded.
#[test]
fn fixups_cannot_build_data_deeper_than_max_depth() {
    on_small_stack(|| {
        let half = MAX_DEPTH / 2 + 10;
        let deep = format!("{}1{}", "[".repeat(half), "]".repeat(half));
        let holder = format!("{}{}", "[".repeat(half), "]".repeat(half));
        let path = "[0]".repeat(half - 1);
        let text = format!("$D = [{deep},{holder}];$D->[1]{path} = $D->[0];;$D");
        match thaw(&text) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains("deeper"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    });
}

/// A record with every construct, cut at every byte: an error each time, no panic.
#[test]
fn truncated_records_are_errors() {
    let record = "$D = {'_SESSION_ID' => 'abc','a' => [1,-2.5,'x\\'y',\"caf\\x{e9}\\$\"],\
                  'b' => [],'c' => bless( {'k' => \\undef}, 'Foo' ),'d' => {},\
                  'e' => bless( do{\\(my $o = 'q')}, 'Sc' ),'f' => do{my $o},'g' => qr/a\\/b/i,\
                  'h' => sub { \"DUMMY\" },'i' => \\\\'z'};\
                  $D->{'b'} = $D->{'a'};$D->{'d'} = $D->{'c'};${${$D->{'i'}}} = $D->{'a'};$D->{'f'} = ${$D->{'e'}};;$D";
    let full = thaw(record).unwrap();
    assert!(full["a"].same_ref(&full["b"]));
    let main_end = record.find("};").unwrap() + 1;
    for cut in 0..record.len() {
        let result = thaw(&record[..cut]);
        if cut < main_end {
            match result {
                Err(Error::Syntax { offset, .. }) => {
                    assert!(offset <= cut, "cut {cut}: offset {offset}")
                }
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }
}

/// Anything we do read, we write and read back the same (the fuzz tests' oracle).
fn check_consistent(bytes: &[u8]) {
    if let Ok(v) = Dumper.thaw(bytes) {
        let text = Dumper.freeze(&v).expect("what we read, we can write");
        let back = Dumper.thaw(&text).expect("what we write, we can read");
        assert_eq!(back, as_read_back(&v));
        assert_eq!(sharing(&back), sharing(&v));
    }
}

const SEEDS: &[&str] = &[
    "$D = {'_SESSION_ID' => 'abc','cart' => [1,2],'x' => [],'o' => bless( {'k' => \\'v'}, 'Foo' ),'y' => {}};$D->{'x'} = $D->{'cart'};$D->{'y'} = $D->{'o'};;$D",
    "$VAR1 = {\n  \"a\" => \"x\\n\\t\\0012\\x{263a}\",\n  b => [\n    -1.5e3,\n    undef,\n  ],\n  c => qr/a${\\q($)}b/msix,\n  d => sub { \"DUMMY\" },\n};\n",
    "$D = [\\\\{'k' => 1},{},bless( do{\\(my $o = \\1)}, 'X' ),do{my $o}];$D->[1] = ${${$D->[0]}};$D->[3] = $D->[2];;$D",
];

#[test]
fn mutated_records_never_panic() {
    let seeds: Vec<&[u8]> = SEEDS.iter().map(|s| s.as_bytes()).collect();
    let alphabet = b"${}[]()\\'\",;=>-+.#\n qr/do my $o bless sub undef DUMMY 0123456789abc\xe9";
    for_each_mutation(&seeds, alphabet, 30_000, check_consistent);
}

const TOKENS: &[&str] = &[
    "$D",
    " = ",
    "{",
    "}",
    "[",
    "]",
    "'a'",
    "'b'",
    "\"c\\x{263a}\"",
    " => ",
    ",",
    ";",
    "\\",
    "bless( ",
    ", 'C' )",
    "do{my $o}",
    "do{\\(my $o = ",
    ")}",
    "sub { \"DUMMY\" }",
    "qr/a/i",
    "undef",
    "1",
    "-2.5e3",
    "->",
    "${",
    "}",
    "[0]",
    "{'a'}",
    "$D->{'a'}",
    "$D->[0]",
    "#c\n",
    " ",
    "+",
    "$VAR1",
];

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..256)) {
        check_consistent(&bytes);
    }

    #[test]
    fn token_soup_never_panics(picks in vec(0..TOKENS.len(), 0..48)) {
        let text: String = picks.iter().map(|&i| TOKENS[i]).collect();
        check_consistent(text.as_bytes());
    }
}

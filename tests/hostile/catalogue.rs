//! The catalogue of hostile stored records (issue 7): for every serializer, every kind
//! of hostile input that applies to its format. `tests/hostile/main.rs` checks what
//! each gives (a clear error, or inert data where Perl reads it too), and
//! `tests/hostile_alloc.rs` checks that no thaw of one allocates out of bounds.
//!
//! Code payloads would create [`canary`] if anything ran them.

use std::path::PathBuf;

use cgi_session::Value;

use super::common::fixtures;

/// What a hostile record must give.
pub enum Expect {
    /// An error whose text holds this (lower case); for a syntax error, at an offset
    /// inside the record.
    Refused(&'static str),
    /// Data, as Perl 4.48 reads it too, with nothing run: a tag or a class is a name,
    /// never behaviour.
    Reads(Value),
}

/// One hostile record for one serializer.
pub struct Case {
    /// The serializer's DSN name.
    pub serializer: &'static str,
    /// The kind of hostility, for the summary: `code`, `length`, `nesting`, ...
    pub kind: &'static str,
    /// The record.
    pub bytes: Vec<u8>,
    /// What it must give.
    pub expect: Expect,
}

/// The serializers with a format of their own (`auto` reads them all).
pub const FORMATS: [&str; 5] = ["default", "storable", "freezethaw", "yaml", "json"];

/// The file a code payload in the catalogue would create if it ran.
pub fn canary() -> PathBuf {
    std::env::temp_dir().join(format!("cgisess-hostile-canary-{}", std::process::id()))
}

fn refused(
    serializer: &'static str,
    kind: &'static str,
    bytes: impl Into<Vec<u8>>,
    needle: &'static str,
) -> Case {
    Case {
        serializer,
        kind,
        bytes: bytes.into(),
        expect: Expect::Refused(needle),
    }
}

fn reads(
    serializer: &'static str,
    kind: &'static str,
    bytes: impl Into<Vec<u8>>,
    value: Value,
) -> Case {
    Case {
        serializer,
        kind,
        bytes: bytes.into(),
        expect: Expect::Reads(value),
    }
}

/// Every hostile record but the truncations (see [`truncation_seeds`]).
pub fn catalogue() -> Vec<Case> {
    let mut cases = Vec::new();
    dumper(&mut cases);
    storable(&mut cases);
    freezethaw(&mut cases);
    yaml(&mut cases);
    json(&mut cases);
    ruby(&mut cases);
    auto(&mut cases);
    cases
}

/// A session record holding `payload` as the value of `a`.
fn dumper_record(payload: &str) -> String {
    format!("$D = {{'_SESSION_ID' => 'x','a' => {payload}}};;$D")
}

/// Data::Dumper text is Perl: everything Perl's `eval` (or a `Safe` compartment) could
/// run, in every place a reader could meet it.
fn dumper(cases: &mut Vec<Case>) {
    let touch = format!("touch {}", canary().display());
    let values = [
        format!("system('{touch}')"),
        format!("system '{touch}'"),
        format!("exec('{touch}')"),
        format!("`{touch}`"),
        format!("qx/{touch}/"),
        format!("qx{{{touch}}}"),
        format!("readpipe('{touch}')"),
        format!("do {{ system('{touch}') }}"),
        "do 'hostile.pl'".to_string(),
        "do \"/tmp/hostile.pl\"".to_string(),
        "do{\\(my $o = `id`)}".to_string(),
        "do{my $o; system('id')}".to_string(),
        "require POSIX".to_string(),
        "require 'hostile.pl'".to_string(),
        format!("sub {{ system('{touch}') }}"),
        "sub { \"DUMMY\"; unlink '/etc/passwd' }".to_string(),
        format!("eval \"system('{touch}')\""),
        format!("eval {{ system('{touch}') }}"),
        format!("\"@{{[ system '{touch}' ]}}\""),
        format!("\"${{\\ system('{touch}')}}\""),
        format!("\"${{\\ `{touch}`}}\""),
        "\"$ENV{PATH}\"".to_string(),
        "\"@INC\"".to_string(),
        "\"\\N{LATIN SMALL LETTER E WITH ACUTE}\"".to_string(),
        "\"\\N{U+263A}\"".to_string(),
        "\"\\x{110000000}\"".to_string(),
        "\"\\u\\LABC\"".to_string(),
        "\"\\c@\"".to_string(),
        "<<EOT;\nx\nEOT\n".to_string(),
        format!("<<`EOT`;\n{touch}\nEOT\n"),
        "local $SIG{__DIE__} = sub { system('id') }".to_string(),
        "local $/".to_string(),
        "*STDOUT".to_string(),
        "\\*main::STDOUT".to_string(),
        "\\&CORE::system".to_string(),
        "open(my $f, '>', '/tmp/x')".to_string(),
        "<STDIN>".to_string(),
        "Foo->new".to_string(),
        "Foo::bar()".to_string(),
        "&{'CORE::system'}('id')".to_string(),
        format!("qr/(?{{ system('{touch}') }})/"),
        format!("qr/(??{{ system('{touch}') }})/"),
        "qr/a/e".to_string(),
        "bless( {}, 'File::Temp' ) and system('id')".to_string(),
        "bless( {}, ref system('id') )".to_string(),
        "1 x 1000000000".to_string(),
        "[(1) x 1e9]".to_string(),
        "'a' . 'b'".to_string(),
        "0x7fffffff".to_string(),
        "1_000".to_string(),
    ];
    for value in &values {
        cases.push(refused("default", "code", dumper_record(value), ""));
    }
    // Statements around the assignment: before it, after it, instead of it.
    let statements = [
        format!("BEGIN {{ system('{touch}') }} $D = {{'_SESSION_ID' => 'x'}};;$D"),
        format!("END {{ system('{touch}') }} $D = {{'_SESSION_ID' => 'x'}};;$D"),
        format!("$D = {{'_SESSION_ID' => 'x'}};system('{touch}');$D"),
        format!("$D = {{'_SESSION_ID' => 'x'}};;$D;system('{touch}')"),
        format!("$D = {{'_SESSION_ID' => 'x'}};;$D\n__END__\n{touch}"),
        format!("$D = {{'_SESSION_ID' => 'x'}};;$D\n__DATA__\n{touch}"),
        format!("$D = {{'_SESSION_ID' => 'x'}};\n__END__\nsystem('{touch}')"),
        format!("$D = {{'_SESSION_ID' => 'x'}};$D->{{'a'}} = system('{touch}');;$D"),
        format!("$D = {{'_SESSION_ID' => 'x'}};${{\\ system('{touch}')}} = 1;;$D"),
        format!("$D = {{'_SESSION_ID' => 'x'}} if system('{touch}');"),
        format!("$D = {{'_SESSION_ID' => 'x'}}, system('{touch}');;$D"),
        format!("$D = {{'_SESSION_ID' => 'x'}} and system('{touch}');;$D"),
        format!("local $SIG{{__WARN__}} = sub {{ system('{touch}') }}; $D = {{'_SESSION_ID' => 'x'}};;$D"),
        "use POSIX; $D = {'_SESSION_ID' => 'x'};;$D".to_string(),
        "no strict; $D = {'_SESSION_ID' => 'x'};;$D".to_string(),
        format!("package Foo; sub DESTROY {{ system('{touch}') }} $D = {{'_SESSION_ID' => 'x'}};;$D"),
        format!("*CORE::GLOBAL::exit = sub {{ system('{touch}') }}; $D = {{'_SESSION_ID' => 'x'}};;$D"),
        "=pod\n\n=cut\n$D = {'_SESSION_ID' => 'x'};;$D".to_string(),
        format!("$D = {{'_SESSION_ID' => 'x'}};\n$D\n=cut\n{touch}"),
        "$D = {'_SESSION_ID' => 'x'};;$D\u{2028}system('id')".to_string(),
        "$D = {\"_SESSION_ID\\x{0}\" => 'x'};;$D; system('id')".to_string(),
    ];
    for text in &statements {
        cases.push(refused("default", "code", text.as_bytes(), ""));
    }
    // Keys are read like values: code in a key is refused too.
    for key in [
        format!("\"${{\\ system('{touch}')}}\""),
        format!("system('{touch}')"),
        "foo bar".to_string(),
    ] {
        let text = format!("$D = {{'_SESSION_ID' => 'x',{key} => 1}};;$D");
        cases.push(refused("default", "code", text.as_bytes(), ""));
    }
    // A class with a DESTROY (File::Temp unlinks the file its object names) is data
    // here: Perl would run DESTROY when the object goes; Rust runs nothing.
    let temp = "$D = {'_SESSION_ID' => 'x','a' => bless( {'_filename' => '/etc/passwd','_unlink' => 1}, 'File::Temp' )};;$D";
    cases.push(reads(
        "default",
        "class",
        temp,
        Value::hash([
            ("_SESSION_ID", Value::from("x")),
            (
                "a",
                Value::blessed(
                    "File::Temp",
                    Value::hash([
                        ("_filename", Value::from("/etc/passwd")),
                        ("_unlink", Value::Int(1)),
                    ]),
                ),
            ),
        ]),
    ));
    // Character strings: escapes beyond what Perl's UTF-8 holds.
    for text in [
        "\"\\x{80000000}\"",
        "\"\\x{ffffffffffffffff}\"",
        "\"\\x{zz}\"",
    ] {
        cases.push(refused("default", "utf8", dumper_record(text), ""));
    }
    // Duplicate keys: the last wins, as in Perl's hash assignment.
    cases.push(reads(
        "default",
        "duplicate key",
        "$D = {'_SESSION_ID' => 'x','_SESSION_ID' => 'y'};;$D",
        Value::hash([("_SESSION_ID", "y")]),
    ));
    for (open, close) in [
        ("[", "]"),
        ("{'a' => ", "}"),
        ("\\", ""),
        ("bless( [", "], 'C' )"),
        ("do{\\(my $o = ", ")}"),
    ] {
        let text = dumper_record(&format!(
            "{}1{}",
            open.repeat(100_000),
            close.repeat(100_000)
        ));
        cases.push(refused("default", "nesting", text, "nested deeper"));
    }
    // Fix-ups that point outside the data or loop.
    for fixup in [
        "$D->{'a'} = $D->{'b'}[7]",
        "$D->{'a'} = $D",
        "$D->{'a'} = $VAR1",
        "${$D->{'a'}} = $D->{'a'}",
    ] {
        let text = format!("$D = {{'_SESSION_ID' => 'x','a' => \\1,'b' => []}};{fixup};;$D");
        cases.push(refused("default", "reference", text, ""));
    }
}

/// Storable's item types (`sx::*` in the serializer).
mod sx {
    pub const LSCALAR: u8 = 0x01;
    pub const ARRAY: u8 = 0x02;
    pub const HASH: u8 = 0x03;
    pub const REF: u8 = 0x04;
    pub const BYTE: u8 = 0x08;
    pub const SCALAR: u8 = 0x0a;
    pub const BLESS: u8 = 0x11;
    pub const UTF8STR: u8 = 0x17;
    pub const LUTF8STR: u8 = 0x18;
    pub const FLAG_HASH: u8 = 0x19;
    pub const REGEXP: u8 = 0x20;
    pub const LOBJECT: u8 = 0x21;
}

/// The header of a native x86_64 `freeze` image.
const NATIVE: &[u8] = b"\x04\x0b\x0812345678\x04\x08\x08\x08";

fn native(body: &[u8]) -> Vec<u8> {
    [NATIVE, body].concat()
}

/// A network-order (`nfreeze`) image.
fn network(body: &[u8]) -> Vec<u8> {
    [&b"\x05\x0b"[..], body].concat()
}

fn le(n: u32) -> [u8; 4] {
    n.to_le_bytes()
}

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// Images Perl 5.36's Storable 3.26 wrote (`freeze`, `$Storable::Deparse = 1` for
/// the code): `{_SESSION_ID => 'x', t => ...}` holding a tied hash, array and scalar
/// (Tie::StdHash and friends), a code reference `sub { system("touch /tmp/x") }`, and
/// an object whose class has a `STORABLE_freeze` hook, native and network order.
const PERL_IMAGES: &[(&str, &str)] = &[
    ("tied hash", "040b0831323334353637380408080803020000000a01780b0000005f53455353494f4e5f4944040c04110c5469653a3a5374644861736803010000000881010000006b0100000074"),
    ("tied array", "040b083132333435363738040808080302000000040b04110d5469653a3a53746441727261790201000000088101000000740a01780b0000005f53455353494f4e5f4944"),
    ("tied scalar", "040b083132333435363738040808080302000000040d04110e5469653a3a5374645363616c6172088101000000740a01780b0000005f53455353494f4e5f4944"),
    ("code", "040b083132333435363738040808080302000000041a0a1e7b0a2020202073797374656d2027746f756368202f746d702f78273b0a7d01000000630a01780b0000005f53455353494f4e5f4944"),
    ("hook", "040b0831323334353637380408080803020000000a01780b0000005f53455353494f4e5f4944041342020100000008818206486f6f6b6564017801000000040100000068"),
    ("hook", "050b0300000002041342020000000108818206486f6f6b65640178010000000300000001680a01780000000b5f53455353494f4e5f4944"),
];

fn storable(cases: &mut Vec<Case>) {
    for (what, image) in PERL_IMAGES {
        let needle = match *what {
            "code" => "code reference",
            "hook" => "storable_freeze",
            _ => "tied",
        };
        cases.push(refused(
            "storable",
            "tied, code or hook",
            hex(image),
            needle,
        ));
    }
    // Tied keys and elements, and bare tied items at the root.
    for op in [0x0b_u8, 0x0c, 0x0d, 0x15, 0x16, 0x1a, 0x13] {
        cases.push(refused(
            "storable",
            "tied, code or hook",
            native(&[op, sx::BYTE, 0x81]),
            "",
        ));
    }
    // Claimed lengths and counts far beyond the image: 2^31, 2^32 - 1, and 2^63 for
    // the 64-bit `SX_LOBJECT` form, in every item that has one.
    for n in [0x8000_0000_u32, u32::MAX, 0x7fff_ffff, 1 << 20] {
        let n4 = le(n);
        for body in [
            [&[sx::LSCALAR][..], &n4, b"A"].concat(),
            [&[sx::LUTF8STR][..], &n4, b"A"].concat(),
            [&[sx::ARRAY][..], &n4, &[sx::BYTE, 0x81]].concat(),
            [&[sx::HASH][..], &n4, &[sx::BYTE, 0x81], &le(1), b"k"].concat(),
            [
                &[sx::FLAG_HASH, 0][..],
                &n4,
                &[sx::BYTE, 0x81, 0],
                &le(1),
                b"k",
            ]
            .concat(),
            // A hash key's length.
            [&[sx::HASH][..], &le(1), &[sx::BYTE, 0x81], &n4, b"k"].concat(),
            // A class name's length.
            [&[sx::BLESS, 0x80][..], &n4, b"C"].concat(),
            // A regexp's length.
            [&[sx::REGEXP, 0x01][..], &n4, b"a"].concat(),
        ] {
            cases.push(refused("storable", "length", native(&body), ""));
        }
        let n_be = n.to_be_bytes();
        for body in [
            [&[sx::LSCALAR][..], &n_be, b"A"].concat(),
            [&[sx::ARRAY][..], &n_be, &[sx::BYTE, 0x81]].concat(),
            [
                &[sx::HASH][..],
                &n_be,
                &[sx::BYTE, 0x81],
                &1u32.to_be_bytes(),
                b"k",
            ]
            .concat(),
        ] {
            cases.push(refused("storable", "length", network(&body), ""));
        }
    }
    for n in [u64::MAX, 1 << 63, 1 << 32] {
        for op in [sx::LSCALAR, sx::ARRAY, sx::HASH, sx::LUTF8STR] {
            let body = [&[sx::LOBJECT, op][..], &n.to_le_bytes(), &[sx::BYTE, 0x81]].concat();
            cases.push(refused("storable", "length", native(&body), ""));
        }
    }
    // Back-references to tags never stored.
    for tag in [0_u32, 1, 2, 0x7fff_ffff, u32::MAX] {
        let body = [&[sx::ARRAY][..], &le(1), &[0x00], &tag.to_be_bytes()].concat();
        cases.push(refused("storable", "reference", native(&body), ""));
    }
    // A class index never defined.
    cases.push(refused(
        "storable",
        "reference",
        native(&[0x12, 0x05, sx::ARRAY, 0, 0, 0, 0]),
        "",
    ));
    cases.push(refused(
        "storable",
        "reference",
        native(&[0x12, 0x80, 0xff, 0xff, 0xff, 0x7f, sx::ARRAY, 0, 0, 0, 0]),
        "",
    ));
    // Headers: sizes and versions that lie.
    for header in [
        &b"\x04\x0b\x08"[..],
        b"\x04\x0b\xff12345678\x04\x08\x08\x08",
        b"\x04\x0b\x0812345678\x00\x08\x08\x08",
        b"\x04\x0b\x0812345678\x08\x08\x08\x08",
        b"\x04\x0b\x0812345678\x04\x08\x08\x10",
        b"\x04\x0b\x0812345678\x04\x08\x08\x00",
        b"\x04\x0b\x0887654321\x04\x08\x08\x0c",
        b"\x04\x0b\x0412345678\x04\x08\x08\x08",
        b"\x04\x0b\x0800000000\x04\x08\x08\x08",
        b"\x04\x7f\x0812345678\x04\x08\x08\x08",
        b"\x06\x0b",
        b"\x00\x00",
        b"\x05\xff",
        b"pst0\x04\x0b",
    ] {
        cases.push(refused(
            "storable",
            "header",
            [header, &[sx::BYTE, 0x81][..]].concat(),
            "",
        ));
    }
    // Character strings and keys whose bytes are not UTF-8.
    for bad in [
        &b"\xff"[..],
        b"\xc3",
        b"\xe2\x82",
        b"\xc0\x80\xc3",
        b"a\x80",
    ] {
        let len = bad.len() as u8;
        cases.push(refused(
            "storable",
            "utf8",
            native(&[&[sx::UTF8STR, len][..], bad].concat()),
            "utf-8",
        ));
        cases.push(refused(
            "storable",
            "utf8",
            native(
                &[
                    &[sx::FLAG_HASH, 0][..],
                    &le(1),
                    &[sx::BYTE, 0x81, 0x01],
                    &le(len.into()),
                    bad,
                ]
                .concat(),
            ),
            "utf-8",
        ));
    }
    // A regexp with code in it: Perl's thaw refuses to compile it.
    let pattern = b"a(?{ system('id') })";
    cases.push(refused(
        "storable",
        "code",
        native(&[&[sx::REGEXP, 0, pattern.len() as u8][..], pattern, &[0]].concat()),
        "code",
    ));
    // Nesting: a reference, array, hash or blessed chain far beyond the limit.
    for open in [
        &[sx::REF][..],
        &[sx::ARRAY, 1, 0, 0, 0],
        &[sx::HASH, 1, 0, 0, 0],
        &[sx::BLESS, 1, b'C', sx::ARRAY, 1, 0, 0, 0],
    ] {
        let body = [open.repeat(100_000), vec![sx::BYTE, 0x81]].concat();
        cases.push(refused(
            "storable",
            "nesting",
            native(&body),
            "nested deeper",
        ));
    }
    // Bytes after the root item: Perl's thaw ignores them, and so do we.
    cases.push(reads(
        "storable",
        "trailing",
        native(&[sx::SCALAR, 1, b'x', sx::SCALAR]),
        Value::scalar_ref(Value::bytes("x")),
    ));
}

fn freezethaw(cases: &mut Vec<Case>) {
    for text in [
        // Code and globs: FreezeThaw writes them, nothing may read them as code.
        &b"FrT;@1|&$4|CODE"[..],
        b"FrT;@1|*$4|GLOB",
        b"FrT;@1|%2|$11|_SESSION_ID$1|x&$27|sub { system('touch /x') }",
        b"FrT;@1|/20|a(?{ system('id') })",
        b"FrT;@1|/21|a(??{ system('id') })",
        b"FrT;?$1|x@1|_",
    ] {
        cases.push(refused("freezethaw", "code", text, ""));
    }
    for text in [
        &b"FrT;@4294967295|_"[..],
        b"FrT;@18446744073709551615|_",
        b"FrT;@99999999999999999999999|_",
        b"FrT;@1|$4294967295|a",
        b"FrT;@1|$18446744073709551615|a",
        b"FrT;@1|%4294967296|$1|k_",
        b"FrT;@1|/4294967295|a",
        b"FrT;@1|>>0|$4294967295|A%0|",
        b"FrT;!4294967295|%0|@1|<0|",
    ] {
        cases.push(refused("freezethaw", "length", text, ""));
    }
    for text in [
        &b"FrT;@1|<0|"[..],
        b"FrT;@1|<4294967295|",
        b"FrT;!0|%0|@1|<1|",
        b"FrT;@1|)7|%0|",
    ] {
        cases.push(refused("freezethaw", "reference", text, ""));
    }
    for open in ["@1|", "%2|$1|k", "\\", ">>0|$1|A@1|"] {
        let text = format!("FrT;@1|{}_", open.repeat(100_000));
        cases.push(refused("freezethaw", "nesting", text, "nested deeper"));
    }
}

fn yaml(cases: &mut Vec<Case>) {
    let session = |rest: &str| format!("--- \n_SESSION_ID: x\n{rest}");
    // Tags, read as CGI::Session's thaw reads them (`LoadBlessed` on): any tag names a
    // class, and code stays a placeholder that never runs. In Perl such an object's
    // class may have a DESTROY; in Rust a class is only a name.
    cases.push(reads(
        "yaml",
        "tag",
        session("c: !!perl/code '{ system(q(touch /tmp/x)) }'\n"),
        Value::hash([("_SESSION_ID", Value::from("x")), ("c", Value::Code)]),
    ));
    cases.push(reads(
        "yaml",
        "tag",
        session("o: !ruby/object:Foo\n  a: 1\n"),
        Value::hash([
            ("_SESSION_ID", Value::from("x")),
            (
                "o",
                Value::blessed("ruby::object:Foo", Value::hash([("a", Value::bytes("1"))])),
            ),
        ]),
    ));
    cases.push(reads(
        "yaml",
        "tag",
        session("p: !!python/object/apply:os.system [\"id\"]\n"),
        Value::hash([
            ("_SESSION_ID", Value::from("x")),
            (
                "p",
                Value::blessed(
                    "python::object/apply:os.system",
                    Value::array([Value::bytes("id")]),
                ),
            ),
        ]),
    ));
    cases.push(reads(
        "yaml",
        "tag",
        session("g: !!perl/glob:\n  NAME: STDOUT\n  PACKAGE: main\n"),
        Value::hash([
            ("_SESSION_ID", Value::from("x")),
            (
                "g",
                Value::blessed(
                    "glob:",
                    Value::hash([
                        ("NAME", Value::bytes("STDOUT")),
                        ("PACKAGE", Value::bytes("main")),
                    ]),
                ),
            ),
        ]),
    ));
    // Regexps with code: Perl's Load dies compiling them.
    for text in [
        session("r: !!perl/regexp (?^:a(?{ system('id') }))\n"),
        session("r: !!perl/regexp a(??{ 1 })\n"),
        session("r: !!perl/regexp\n  REGEXP: a(?{ 1 })\n"),
    ] {
        cases.push(refused("yaml", "code", text, "code"));
    }
    // Duplicate keys: the last wins, as with YAML::Syck.
    cases.push(reads(
        "yaml",
        "duplicate key",
        "--- \n_SESSION_ID: x\n_SESSION_ID: y\n",
        Value::hash([("_SESSION_ID", Value::bytes("y"))]),
    ));
    // Aliases forming a cycle; an undefined alias is Syck's placeholder object.
    for text in ["--- &a\n_SESSION_ID: x\nself: *a\n", "--- \na: &b [*b]\n"] {
        cases.push(refused("yaml", "reference", text, "cycle"));
    }
    let bad_alias = Value::blessed(
        "YAML::Syck::BadAlias",
        Value::hash([("name", Value::bytes("nope"))]),
    );
    cases.push(reads(
        "yaml",
        "reference",
        "--- \n_SESSION_ID: *nope\n",
        Value::hash([("_SESSION_ID", bad_alias)]),
    ));
    // Unknown escapes stay as written, as with Syck; an unterminated string is refused.
    for text in [r#"\xZZ"#, r#"\u12"#, r#"\q"#] {
        let record = session(&format!("a: \"{text}\"\n"));
        let want = Value::hash([("_SESSION_ID", Value::from("x")), ("a", Value::bytes(text))]);
        cases.push(reads("yaml", "escape", record, want));
    }
    for text in ["\"\\", "\"abc"] {
        cases.push(refused(
            "yaml",
            "escape",
            session(&format!("a: {text}\n")),
            "",
        ));
    }
    for open in ["[", "{a: ", "- "] {
        let text = format!("--- {}x\n", open.repeat(100_000));
        cases.push(refused("yaml", "nesting", text, "deeper"));
    }
    let mut chain = String::from("--- \n- &a0 [x]\n");
    for i in 1..=1100 {
        chain.push_str(&format!("- &a{i} [*a{}]\n", i - 1));
    }
    cases.push(refused("yaml", "nesting", chain, "deeper"));
}

/// A billion laughs: 40 levels of ten aliases each. Aliases share, so the value costs
/// what the text costs (checked apart: it is data, and reads).
pub fn yaml_bomb() -> Vec<u8> {
    let mut text = String::from(
        "--- \n_SESSION_ID: x\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..40 {
        let p = i - 1;
        text.push_str(&format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    text.into_bytes()
}

fn json(cases: &mut Vec<Case>) {
    for text in [
        r#"{"_SESSION_ID":"x","a":"\x41"}"#,
        r#"{"_SESSION_ID":"x","a":"\u12"}"#,
        r#"{"_SESSION_ID":"x","a":"\ud800"}"#,
        r#"{"_SESSION_ID":"x","a":"\udc00\ud800"}"#,
        "{\"_SESSION_ID\":\"x\",\"a\":\"\x01\"}",
        r#"{"_SESSION_ID":"x","a":01}"#,
        r#"{"_SESSION_ID":"x","a":NaN}"#,
        r#"{"_SESSION_ID":"x","a":1e999999}"#,
        r#"{"_SESSION_ID":"x",}"#,
        r#"{"_SESSION_ID":"x"} {"_SESSION_ID":"y"}"#,
        r#"{"_SESSION_ID":"x"}]"#,
    ] {
        cases.push(refused("json", "escape", text, ""));
    }
    for bad in [
        &b"\xff"[..],
        b"\xc3",
        b"\xed\xa0\x80",
        b"\xc0\xaf",
        b"\xf8\x88\x80\x80\x80",
    ] {
        let text = [&b"{\"_SESSION_ID\":\"x\",\"a\":\""[..], bad, b"\"}"].concat();
        cases.push(refused("json", "utf8", text, ""));
        let text = [&b"{\"_SESSION_ID\":\"x\",\""[..], bad, b"\":1}"].concat();
        cases.push(refused("json", "utf8", text, ""));
    }
    // The mapping's tags: code is a placeholder, a regexp with code is refused, ids
    // that point nowhere or loop are refused.
    cases.push(reads(
        "json",
        "tag",
        r#"{"_SESSION_ID":"x","c":{"$code":null}}"#,
        Value::hash([("_SESSION_ID", Value::from("x")), ("c", Value::Code)]),
    ));
    for text in [
        r#"{"_SESSION_ID":"x","c":{"$code":"system('id')"}}"#,
        r#"{"_SESSION_ID":"x","r":{"$flags":"","$regexp":"a(?{ system('id') })"}}"#,
    ] {
        cases.push(refused("json", "code", text, ""));
    }
    for text in [
        r#"{"_SESSION_ID":"x","a":{"$same":7}}"#,
        r#"{"_SESSION_ID":"x","a":{"$id":1,"$value":[{"$same":1}]}}"#,
    ] {
        cases.push(refused("json", "reference", text, ""));
    }
    // An id is a label, not an index: the largest one allocates nothing.
    cases.push(reads(
        "json",
        "reference",
        r#"{"_SESSION_ID":"x","a":{"$id":18446744073709551615,"$value":[]}}"#,
        Value::hash([
            ("_SESSION_ID", Value::from("x")),
            ("a", Value::array(Vec::<Value>::new())),
        ]),
    ));
    cases.push(reads(
        "json",
        "duplicate key",
        r#"{"_SESSION_ID":"x","_SESSION_ID":"y"}"#,
        Value::hash([("_SESSION_ID", "y")]),
    ));
    for (open, close) in [("[", "]"), ("{\"a\":", "}"), ("{\"$ref\":", "}")] {
        let text = format!(
            "{{\"_SESSION_ID\":\"x\",\"a\":{}1{}}}",
            open.repeat(100_000),
            close.repeat(100_000)
        );
        cases.push(refused("json", "nesting", text, ""));
    }
}

/// Ruby's Marshal, in both Ruby store formats: a PStore file is one Marshal stream,
/// a FileStore line `key=` and an escaped one.
fn ruby(cases: &mut Vec<Case>) {
    let marshal: Vec<(&'static str, Vec<u8>, &'static str)> = vec![
        (
            "length",
            b"\x04\x08\"\x04\xff\xff\xff\x7fabc".to_vec(),
            "claimed",
        ),
        (
            "length",
            b"\x04\x08[\x04\xff\xff\xff\x7fi\x06".to_vec(),
            "claimed",
        ),
        (
            "length",
            b"\x04\x08{\x04\xff\xff\xff\x7f".to_vec(),
            "claimed",
        ),
        (
            "length",
            b"\x04\x08\"\xfc\x00\x00\x00\x80".to_vec(),
            "negative",
        ),
        ("length", b"\x04\x08l+\x04\xff\xff\xff\x7f".to_vec(), ""),
        (
            "length",
            b"\x04\x08i\x05\x01\x02\x03\x04\x05".to_vec(),
            "after the end",
        ),
        ("link", b"\x04\x08@\x06".to_vec(), "link"),
        ("link", b"\x04\x08[\x07:\x06a;\x06".to_vec(), "symlink"),
        ("link", b"\x04\x08[\x06@\x00".to_vec(), "cycle"),
        ("type", b"\x04\x08X".to_vec(), "unknown type"),
        ("type", b"\x04\x08d:\x06X".to_vec(), "t_data"),
        (
            "type",
            b"\x04\x08I[\x00\x06:\x06@ai\x06".to_vec(),
            "instance variables",
        ),
        ("version", b"\x04\x09i\x06".to_vec(), "version"),
        (
            "nesting",
            [&b"\x04\x08"[..], &b"[\x06".repeat(100_000), b"0"].concat(),
            "nested deeper",
        ),
        (
            "nesting",
            [
                &b"\x04\x08"[..],
                &b"o:\x06X\x06:\x07@a".repeat(20_000),
                b"0",
            ]
            .concat(),
            "nested deeper",
        ),
        // Billion laughs: each level is two links to the one before.
        (
            "links",
            {
                let mut bomb = b"\x04\x08[\x01\x65\"\x01\xc8".to_vec();
                bomb.extend([b'x'; 200]);
                bomb.extend(b"@\x06".repeat(100));
                bomb
            },
            "links copy more",
        ),
    ];
    for (kind, stream, needle) in marshal {
        let line = [
            &b"k="[..],
            &cgi_session::serializers::marshal::cgi_escape(&stream),
            b"\n",
        ]
        .concat();
        cases.push(refused("ruby_filestore", kind, line, needle));
        cases.push(refused("ruby_pstore", kind, stream, needle));
    }
    cases.push(refused(
        "ruby_filestore",
        "format",
        "no equals sign\n",
        "without `=`",
    ));
    cases.push(refused(
        "ruby_pstore",
        "format",
        b"\x04\x08[\x00".to_vec(),
        "corrupted",
    ));
    // Class names are names: nothing is loaded or run.
    let object = b"\x04\x08o:\x0bKernel\x06:\x0a@exec\"\x07id".to_vec();
    let value = Value::blessed(
        "Ruby::Object",
        Value::hash([
            ("class", Value::bytes("Kernel")),
            ("ivars", Value::hash([("@exec", Value::bytes("id"))])),
        ]),
    );
    let line = [
        &b"k="[..],
        &cgi_session::serializers::marshal::cgi_escape(&object),
        b"\n",
    ]
    .concat();
    cases.push(reads(
        "ruby_filestore",
        "code",
        line,
        Value::hash([("k", value)]),
    ));
}

/// Serializer `auto` reads what it sniffs: records no format claims, and records that
/// claim one format by their first bytes and are hostile in it.
fn auto(cases: &mut Vec<Case>) {
    for text in [
        &b""[..],
        b" ",
        b"$D=",
        b"$VAR1 = {};",
        b"\xef\xbb\xbf$D = {};;$D",
        b"---x",
        b"FrT",
        b"\x04\x0b\x08",
        b"\x05",
        b"[1]",
        b"system('id')",
    ] {
        cases.push(refused("auto", "format", text, ""));
    }
    // An empty YAML document is undef: data, which a load refuses as no session.
    cases.push(reads("auto", "format", "--- ", Value::Undef));
}

/// Realistic records of every serializer, as Perl 4.48 wrote them (`compat-fixtures/`),
/// for the truncation checks: each with the serializer that reads it.
pub fn truncation_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (set, serializer) in [
        ("file-default", "default"),
        ("file-storable", "storable"),
        ("file-freezethaw", "freezethaw"),
        ("file-yaml", "yaml"),
        ("file-json", "json"),
    ] {
        for id in fixtures::ids(set) {
            let bytes = fixtures::raw(set, &id);
            seeds.push((serializer, format!("{set}/{id}"), bytes));
        }
    }
    // Ruby's: its session files, and each Marshal stream as a FileStore line.
    let ruby = fixtures::root().join("ruby");
    for (dir, serializer) in [
        ("filestore", "ruby_filestore"),
        ("pstore", "ruby_pstore"),
        ("marshal", "ruby_filestore"),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(ruby.join(dir))
            .unwrap_or_else(|e| panic!("{}: {e}", ruby.join(dir).display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_none_or(|e| e == "bin"))
            .collect();
        files.sort();
        for path in files {
            let mut bytes = std::fs::read(&path).unwrap();
            if dir == "marshal" {
                bytes = [
                    &b"v="[..],
                    &cgi_session::serializers::marshal::cgi_escape(&bytes),
                ]
                .concat();
            }
            let name = path.file_name().unwrap().to_string_lossy();
            seeds.push((serializer, format!("ruby/{dir}/{name}"), bytes));
        }
    }
    seeds
}

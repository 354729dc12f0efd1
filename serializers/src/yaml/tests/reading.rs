//! Thawing: what Perl's `(Load($s))[0]` gives, with LoadBlessed on and implicit
//! typing off (the live test checks the same against Perl itself).

use crate::yaml::Yaml;
use crate::{Error, PerlString, Serializer, Value};

fn thaw(text: &str) -> Value {
    Yaml.thaw(text.as_bytes())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn s(text: &str) -> Value {
    Value::bytes(text)
}

#[test]
fn scalars_are_byte_strings() {
    let v = thaw("--- \nint: 42\nquoted: '1700000000'\nfloat: '3.25'\nundef: ~\nempty: ''\nnull: null\nnothing:\nwide: \u{263a}\n");
    assert_eq!(v["int"], s("42"));
    assert_eq!(v["quoted"], s("1700000000"));
    assert_eq!(v["float"], s("3.25"));
    assert!(v["undef"].is_undef());
    assert_eq!(v["empty"], s(""));
    assert_eq!(v["null"], s("null"));
    assert!(v["nothing"].is_undef());
    // Characters come back as their UTF-8 bytes (spec §7.6).
    assert_eq!(v["wide"], Value::bytes("\u{263a}".as_bytes()));
    assert!(!v["wide"].as_perl_str().unwrap().is_utf8());
}

#[test]
fn raw_latin1_is_read_as_bytes() {
    let v = Yaml.thaw(b"--- \ncaf\xe9: caf\xe9\n").unwrap();
    assert_eq!(
        v.as_hash()
            .unwrap()
            .get(&PerlString::from_bytes(b"caf\xe9".to_vec())),
        Some(&Value::bytes(b"caf\xe9".to_vec()))
    );
}

#[test]
fn quoted_scalars_use_syck_s_escapes() {
    let v = thaw("--- \n- \"a\\x41\\xe9\\t\\0\\e\\u263a\\/\\N\"\n- 'it''s'\n- 'x\n\n  y'\n- \"x\\\n   y\"\n- \"12\n\n\"\n");
    assert_eq!(v[0], Value::bytes(b"aA\xe9\t\0\x1b\\u263a\\/\\N".to_vec()));
    assert_eq!(v[1], s("it's"));
    assert_eq!(v[2], s("x\ny"));
    assert_eq!(v[3], s("xy"));
    assert_eq!(v[4], s("12\n"));
}

#[test]
fn perl_tags_make_objects_and_references() {
    let v = thaw(
        "--- \nh: !!perl/hash:My::H \n  a: 1\na: !!perl/array:My::A []\n\nsc: !!perl/scalar:My::S x\nsu: !!perl/scalar:My::S ~\n\
         r: !!perl/ref \n  =: !!perl/ref \n    =: x\nrb: !!perl/ref:My::R \n  =: 1\ncode: !!perl/code: '{ \"DUMMY\" }'\n\
         re: !!perl/regexp (?^i:ab+c)\nreb: !!perl/regexp:My::Re (?i:x)\nmap: !!map \n  a: 1\n",
    );
    assert_eq!(
        v["h"],
        Value::blessed("My::H", Value::hash([("a", s("1"))]))
    );
    assert_eq!(
        v["a"],
        Value::blessed("My::A", Value::array(Vec::<Value>::new()))
    );
    assert_eq!(v["sc"], Value::blessed("My::S", Value::scalar_ref(s("x"))));
    assert_eq!(
        v["su"],
        Value::blessed("My::S", Value::scalar_ref(Value::Undef))
    );
    assert_eq!(v["r"], Value::scalar_ref(Value::scalar_ref(s("x"))));
    assert_eq!(v["rb"], Value::blessed("My::R", Value::scalar_ref(s("1"))));
    assert_eq!(v["code"], Value::Code);
    // Perl's own stringification comes back as the pattern, with no flags.
    assert_eq!(format!("{:?}", v["re"]), "qr/(?^i:ab+c)/");
    assert_eq!(format!("{:?}", v["reb"]), "bless(qr/x/i, b\"My::Re\")");
    assert_eq!(v["map"].class().unwrap(), "map");
}

#[test]
fn anchors_share_and_lost_anchors_are_placeholders() {
    let v =
        thaw("--- \n- &1 \n  - x\n- *1\n- !!perl/ref \n  =: &2 t\n- !!perl/ref \n  =: *2\n- *9\n");
    assert!(v[0].same_ref(&v[1]));
    assert!(v[2].same_ref(&v[3]));
    assert_eq!(
        v[4],
        Value::blessed("YAML::Syck::BadAlias", Value::hash([("name", s("9"))]))
    );
    // `&1 &2`: the anchor nearer the node binds, the other one is lost.
    let v = thaw("--- \n- &1 &2 \n  - 1\n- *2\n- *1\n");
    assert!(v[0].same_ref(&v[1]));
    assert_eq!(v[2].class().unwrap(), "YAML::Syck::BadAlias");
}

#[test]
fn documents_and_line_ends() {
    assert!(thaw("--- ~\n").is_undef());
    assert!(thaw("# only a comment\n").is_undef());
    assert_eq!(thaw("--- x\n--- y\n"), s("x"));
    assert_eq!(thaw("a: 1\n"), Value::hash([("a", s("1"))]));
    // The first NUL ends the input, as in Syck's C string.
    assert_eq!(Yaml.thaw(b"--- a\0b: [").unwrap(), s("a"));
    // CRLF is a line break, a lone CR is text; Syck keeps the CR of ",\r\n".
    let v = Yaml.thaw(b"--- \r\n- x\r\n- a\rb\r\n- a,\r\n").unwrap();
    assert_eq!(v, Value::array([s("x"), s("a\rb"), s("a,\r")]));
    // A top-level key Syck wrote plain as "--- a" starts another document.
    assert_eq!(thaw("--- \na: 1\n--- b: 2\n"), Value::hash([("a", s("1"))]));
    assert!(matches!(
        Yaml.thaw(b""),
        Err(Error::Syntax { offset: 0, .. })
    ));
}

#[test]
fn general_yaml() {
    let v = thaw(
        "a:\n- 1\n- 2\nb: [x, [y], {k: v}]\nc: |\n  one\n  two\nd: >-\n  folded\n  text\ne:\n  - - n\n  - k: v\n    l: w\n\
         f: plain\n  continued\n",
    );
    assert_eq!(v["a"], Value::array([s("1"), s("2")]));
    assert_eq!(
        v["b"],
        Value::array([s("x"), Value::array([s("y")]), Value::hash([("k", s("v"))])])
    );
    assert_eq!(v["c"], s("one\ntwo\n"));
    assert_eq!(v["d"], s("folded text"));
    assert_eq!(
        v["e"],
        Value::array([
            Value::array([s("n")]),
            Value::hash([("k", s("v")), ("l", s("w"))])
        ])
    );
    assert_eq!(v["f"], s("plain continued"));
}

#[test]
fn core_tags() {
    let v = thaw("--- \n- !int 42\n- !float 1.5\n- !null x\n- !binary aGVsbG8=\n- !bool#yes x\n- !int#hex 0x1F\n");
    assert_eq!(v[0], Value::Int(42));
    assert_eq!(v[1], Value::Float(1.5));
    assert!(v[2].is_undef());
    assert_eq!(v[3], s("hello"));
    assert_eq!(v[4], Value::Int(1));
    assert_eq!(v[5], Value::Int(31));
}

#[test]
fn errors_say_where() {
    for (text, offset) in [
        ("--- \na: x: y\n", 9),
        ("--- \na: 1\n  b: 2\n", 13),
        ("--- [a, b\n", 4),
        ("--- 'x\n", 4),
    ] {
        match Yaml.thaw(text.as_bytes()) {
            Err(Error::Syntax {
                format: "yaml",
                offset: got,
                ..
            }) => assert_eq!(got, offset, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    // Offsets count the CRs of CRLFs.
    match Yaml.thaw(b"--- \r\na: x: y\r\n") {
        Err(Error::Syntax { offset, .. }) => assert_eq!(offset, 10),
        other => panic!("{other:?}"),
    }
}

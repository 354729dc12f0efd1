//! Input written by an attacker, a bug, a crash or a fuzzer: an error or a value,
//! never a panic, never a stack overflow, never memory out of proportion.

use proptest::collection::vec;
use proptest::prelude::*;

use super::as_read_back;
use crate::testing::{for_each_mutation, on_small_stack};
use crate::yaml::Yaml;
use crate::{Error, Serializer, Value, MAX_DEPTH};

fn nested_error(text: &[u8]) {
    match Yaml.thaw(text) {
        Err(Error::Syntax { message, .. }) => assert!(message.contains("deeper"), "{message}"),
        other => panic!(
            "{:?}: {other:?}",
            String::from_utf8_lossy(&text[..40.min(text.len())])
        ),
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        let n = 100_000;
        nested_error(format!("--- {}1{}", "[".repeat(n), "]".repeat(n)).as_bytes());
        nested_error(format!("--- {}", "[".repeat(n)).as_bytes());
        nested_error(format!("--- {}", "{a: ".repeat(n)).as_bytes());
        nested_error(format!("--- {}x", "- ".repeat(n)).as_bytes());
        let mut block = String::from("---\n");
        let mut map = String::from("---\n");
        let mut refs = String::from("---");
        for i in 0..n.min(5_000) {
            block.push_str(&format!("{}-\n", " ".repeat(i)));
            map.push_str(&format!("{}a:\n", " ".repeat(i)));
            refs.push_str(&format!(" !!perl/ref\n{}=:", " ".repeat(2 * i)));
        }
        nested_error(block.as_bytes());
        nested_error(map.as_bytes());
        nested_error(refs.as_bytes());
    });
}

#[test]
fn max_depth_itself_is_read_and_written_on_a_small_stack() {
    on_small_stack(|| {
        let text = format!("--- {}1{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let v = Yaml.thaw(text.as_bytes()).unwrap();
        assert_eq!(v.depth(), MAX_DEPTH);
        let written = Yaml.freeze(&v).unwrap();
        assert_eq!(Yaml.thaw(&written).unwrap(), v);
        let too_deep = format!("--- {}[]{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        nested_error(too_deep.as_bytes());
    });
}

/// Aliases can stack one deep value under another without nesting in the text.
#[test]
fn aliases_cannot_build_data_deeper_than_max_depth() {
    on_small_stack(|| {
        let mut text = String::from("--- \n- &a0 [x]\n");
        for i in 1..=MAX_DEPTH {
            text.push_str(&format!("- &a{i} [*a{}]\n", i - 1));
        }
        nested_error(text.as_bytes());
    });
}

/// A billion laughs: every level doubles the data, but aliases share, so reading
/// costs what the text costs.
#[test]
fn alias_bombs_share_instead_of_copying() {
    let mut text = String::from("--- \n- &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..40 {
        let p = i - 1;
        text.push_str(&format!(
            "- &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    let v = Yaml.thaw(text.as_bytes()).unwrap();
    assert!(v[39][0].same_ref(&v[38]));
    // Writing it back writes each level once, with aliases.
    assert!(Yaml.freeze(&v).unwrap().len() < 2 * text.len());
}

#[test]
fn cycles_are_refused() {
    for text in [
        "--- &a [*a]\n",
        "--- \n- &a\n  - *a\n",
        "--- &r !!perl/ref\n=: *r\n",
        "--- &h\nk: *h\n",
    ] {
        match Yaml.thaw(text.as_bytes()) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains("cycle"), "{message}")
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

const SEEDS: &[&str] = &[
    "--- \n_SESSION_ID: abc\ncart: &1 \n  - 1\n  - '2'\ncopy: *1\nempty: {}\n\nlist: []\n\n\
     obj: !!perl/hash:My::Obj \n  k: !!perl/ref \n    =: v\nre: !!perl/regexp (?^i:x)\ncode: !!perl/code: '{ \"DUMMY\" }'\n\
     s: \"a\\nb\\xE9\"\nt: 'it''s'\nu: ~\nsc: !!perl/scalar:S ~\n",
    "a: [1, {b: c}, 'q', \"d\"]\nb: |\n  x\n  y\nc: >-\n  p\n  q\nd:\n- - e\n  - f: g\n",
    "--- \n- &1 &2 \n  - 1\n- *1\n- *2\n- !!perl/ref:R \n  =: &3 !!perl/ref \n    =: *2\n- !int 5\n- !binary aGk=\n",
];

/// Whether every class name fits in a tag. Syck writes `bless({}, "a b")` as
/// `!!perl/hash:a b`, which reads back as another class, and strips a leading `%` or
/// `@` from the class when it reads; so do we.
fn classes_fit_tags(v: &Value) -> bool {
    let fits = |class: &[u8]| {
        !class.iter().any(|b| b" \t\n\r".contains(b))
            && !class.starts_with(b"%")
            && !class.starts_with(b"@")
    };
    match v {
        Value::Object(o) => fits(o.class.as_bytes()) && classes_fit_tags(&o.value),
        Value::Array(a) => a.iter().all(classes_fit_tags),
        Value::Hash(h) => h.values().all(classes_fit_tags),
        Value::Scalar(s) => classes_fit_tags(s),
        _ => true,
    }
}

/// Anything we do read, we write, and read back as Perl would (unless a class name
/// does not fit in a tag, when only writing is checked).
fn check_consistent(bytes: &[u8]) {
    if let Ok(v) = Yaml.thaw(bytes) {
        let text = Yaml.freeze(&v).expect("what we read, we can write");
        if classes_fit_tags(&v) {
            let back = Yaml
                .thaw(&text)
                .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&text)));
            assert_eq!(
                back,
                as_read_back(&v),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}

#[test]
fn truncated_documents_never_panic() {
    for seed in SEEDS {
        Yaml.thaw(seed.as_bytes()).unwrap();
        for cut in 0..seed.len() {
            check_consistent(&seed.as_bytes()[..cut]);
        }
    }
}

#[test]
fn mutated_documents_never_panic() {
    let alphabet = b"-:?,[]{}#&*!|>'\"%@`~=. \n\t\r\\0123456789abxy\xe9\x00";
    let seeds: Vec<&[u8]> = SEEDS.iter().map(|s| s.as_bytes()).collect();
    for_each_mutation(&seeds, alphabet, 30_000, check_consistent);
}

const TOKENS: &[&str] = &[
    "--- ",
    "...",
    "\n",
    "  ",
    "- ",
    "a",
    ": ",
    ":",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&1 ",
    "*1",
    "!!perl/hash:X ",
    "!!perl/ref ",
    "=: ",
    "!!perl/scalar:S ",
    "!!perl/regexp ",
    "'q'",
    "\"d\\x41\"",
    "|",
    ">-",
    "# c",
    "~",
    "\t",
    "\r\n",
    "!int ",
    "!binary ",
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

#[test]
fn blessed_non_references_are_refused_on_writing() {
    assert!(matches!(
        Yaml.freeze(&Value::blessed("C", Value::bytes("x"))),
        Err(Error::Unsupported { .. })
    ));
}

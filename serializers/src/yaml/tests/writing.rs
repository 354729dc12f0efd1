//! Freezing: the bytes YAML::Syck writes (the live test compares with Perl itself).

use std::sync::Arc;

use super::as_read_back;
use crate::value::Regexp;
use crate::yaml::Yaml;
use crate::{Error, PerlString, Serializer, Value, MAX_DEPTH};

fn freeze(v: &Value) -> String {
    String::from_utf8(Yaml.freeze(v).unwrap()).unwrap()
}

fn regexp(pattern: &str, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern: PerlString::from_text(pattern),
        flags: flags.to_string(),
    }))
}

/// The spec's example (§7.4), byte for byte.
#[test]
fn the_spec_sample_session() {
    let session = Value::hash([
        ("_SESSION_ATIME", Value::from("1795293613")),
        ("_SESSION_CTIME", "1795293613".into()),
        ("_SESSION_ETIME", 7200.into()),
        ("_SESSION_EXPIRE_LIST", Value::hash([("logged_in", 1800)])),
        ("_SESSION_ID", "sample_yaml".into()),
        ("_SESSION_REMOTE_ADDR", "192.0.2.7".into()),
        ("cart", Value::array([1, 2])),
        ("prefs", Value::hash([("lang", "en")])),
        ("user", "alice".into()),
    ]);
    assert_eq!(
        freeze(&session),
        "--- \n_SESSION_ATIME: '1795293613'\n_SESSION_CTIME: '1795293613'\n_SESSION_ETIME: 7200\n\
         _SESSION_EXPIRE_LIST: \n  logged_in: 1800\n_SESSION_ID: sample_yaml\n\
         _SESSION_REMOTE_ADDR: 192.0.2.7\ncart: \n  - 1\n  - 2\nprefs: \n  lang: en\nuser: alice\n"
    );
}

#[test]
fn numbers_are_bare_only_when_short_integers() {
    let v = Value::array([
        Value::Int(123_456_789),
        Value::Int(1_234_567_890),
        Value::Float(3.0),
        Value::Float(-0.0),
        "10".into(),
        "007".into(),
        "+5".into(),
        "1e3".into(),
        "".into(),
    ]);
    assert_eq!(
        freeze(&v),
        "--- \n- 123456789\n- '1234567890'\n- '3'\n- '0'\n- 10\n- '007'\n- +5\n- '1e3'\n- ''\n"
    );
}

#[test]
fn empty_collections_leave_a_blank_line() {
    let v = Value::hash([
        ("a", Value::array(Vec::<Value>::new())),
        ("b", Value::hash(Vec::<(&str, Value)>::new())),
    ]);
    assert_eq!(freeze(&v), "--- \na: []\n\nb: {}\n\n");
    assert_eq!(freeze(&Value::array(Vec::<Value>::new())), "--- []\n\n");
}

#[test]
fn bytes_and_characters() {
    let v = Value::array([
        Value::bytes(b"caf\xe9".to_vec()),
        Value::bytes(b"caf\xe9\n".to_vec()),
        "caf\u{e9}\n\u{263a}".into(),
        Value::bytes(b"a\x7f".to_vec()),
    ]);
    assert_eq!(
        Yaml.freeze(&v).unwrap(),
        b"--- \n- caf\xe9\n- \"caf\\xE9\\n\"\n- \"caf\xc3\xa9\\n\xe2\x98\xba\"\n- \"a\\x7F\"\n"
    );
}

#[test]
fn perl_tags() {
    let v = Value::hash([
        ("code", Value::Code),
        ("obj", Value::blessed("My::Obj", Value::hash([("n", 1)]))),
        ("re", regexp("ab+c", "i")),
        ("ref", Value::scalar_ref(Value::scalar_ref("x"))),
        (
            "sc",
            Value::blessed("My::Sc", Value::scalar_ref(Value::Undef)),
        ),
        (
            "seq",
            Value::blessed("My::Seq", Value::array(Vec::<Value>::new())),
        ),
    ]);
    assert_eq!(
        freeze(&v),
        "--- \ncode: !!perl/code: '{ \"DUMMY\" }'\nobj: !!perl/hash:My::Obj \n  \"n\": 1\n\
         re: !!perl/regexp (?^i:ab+c)\nref: !!perl/ref \n  =: !!perl/ref \n    =: x\n\
         sc: !!perl/scalar:My::Sc ~\nseq: !!perl/array:My::Seq []\n\n"
    );
}

/// Anchors are numbered in the order things are met a second time; a regexp or a
/// blessed scalar takes a number but is never anchored (Syck writes it inline).
#[test]
fn anchors_follow_syck() {
    let x = Value::array([1]);
    let y = Value::array([2]);
    let re = regexp("r", "");
    assert_eq!(
        freeze(&Value::array([re.clone(), re, x.clone(), y.clone(), y, x])),
        "--- \n- !!perl/regexp (?^:r)\n- !!perl/regexp (?^:r)\n- &3 \n  - 1\n- &2 \n  - 2\n- *2\n- *3\n"
    );
    // A shared reference to a shared thing: both anchors, as Syck writes them.
    let inner = Value::array([1]);
    let rv = Value::scalar_ref(inner.clone());
    assert_eq!(
        freeze(&Value::array([rv.clone(), rv, inner])),
        "--- \n- !!perl/ref \n  =: &1 &2 \n    - 1\n- !!perl/ref \n  =: *1\n- *2\n"
    );
}

/// Where we differ from Syck on purpose, Perl then reads the data back unchanged.
#[test]
fn deliberate_differences() {
    assert_eq!(
        freeze(&Value::blessed("F", Value::scalar_ref("yes"))),
        "--- !!perl/scalar:F 'yes'\n"
    );
    assert_eq!(freeze(&Value::hash([("--- a", 1)])), "--- \n\"--- a\": 1\n");
    assert_eq!(
        freeze(&Value::hash([("k", Value::hash([("--- a", 1)]))])),
        "--- \nk: \n  --- a: 1\n"
    );
    assert_eq!(
        freeze(&regexp("(?^i:ab+c)", "")),
        "--- !!perl/regexp (?^i:ab+c)\n"
    );
    assert_eq!(
        freeze(&regexp("(?^i:ab+c)", "m")),
        "--- !!perl/regexp (?^m:(?^i:ab+c))\n"
    );
}

#[test]
fn what_we_write_we_read_as_perl_would() {
    let shared = Value::array([1, 2]);
    let v = Value::hash([
        ("a", shared.clone()),
        ("b", shared),
        (
            "c",
            Value::blessed("C", Value::hash([("x", Value::Float(0.5))])),
        ),
        ("d", Value::scalar_ref(Value::Undef)),
        (
            "e",
            Value::array([
                "yes".into(),
                "~".into(),
                "".into(),
                " x".into(),
                "a\nb".into(),
                Value::Undef,
            ]),
        ),
        ("f", "caf\u{e9}".into()),
    ]);
    let back = Yaml.thaw(&Yaml.freeze(&v).unwrap()).unwrap();
    assert_eq!(back, as_read_back(&v));
    assert!(back["a"].same_ref(&back["b"]));
}

#[test]
fn refusals() {
    let too_deep = (0..=MAX_DEPTH).fold(Value::Int(1), |inner, _| Value::array([inner]));
    assert!(matches!(
        Yaml.freeze(&too_deep),
        Err(Error::Unsupported { .. })
    ));
    let not_a_ref = Value::blessed("C", Value::Int(1));
    assert!(matches!(
        Yaml.freeze(&not_a_ref),
        Err(Error::Unsupported { .. })
    ));
    // Shared subtrees may stack deeper than they nest in the text: still refused.
    let half = (0..MAX_DEPTH / 2 + 10).fold(Value::Int(1), |inner, _| Value::array([inner]));
    let stacked = (0..MAX_DEPTH / 2 + 10).fold(half.clone(), |inner, _| Value::array([inner]));
    assert!(matches!(
        Yaml.freeze(&Value::array([half, stacked])),
        Err(Error::Unsupported { .. })
    ));
}

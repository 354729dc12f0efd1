//! Records as Perl's FreezeThaw writes them, read as Perl's thaw reads them.

use crate::freezethaw::FreezeThaw;
use crate::{Error, PerlString, Serializer, Value};

pub(super) fn thaw(text: &[u8]) -> Result<Value, Error> {
    FreezeThaw.thaw(text)
}

pub(super) fn thaw_ok(text: &[u8]) -> Value {
    thaw(text).unwrap_or_else(|e| panic!("{e}\n{}", text.escape_ascii()))
}

fn s(text: &str) -> Value {
    Value::bytes(text)
}

#[test]
fn spec_examples() {
    assert_eq!(
        thaw_ok(b"FrT;@1|%6|$1|a$1|b$1|c$1|1$2|xy_"),
        Value::hash([("a", s("1")), ("b", s("xy")), ("c", Value::Undef)])
    );
    assert_eq!(
        thaw_ok(b"FrT;@1|%2|$1|o>>0|$8|Foo::Bar%2|$1|k$1|v"),
        Value::hash([(
            "o",
            Value::blessed("Foo::Bar", Value::hash([("k", s("v"))]))
        )])
    );
    let shared = thaw_ok(b"FrT;!0|@0|@1|$1|1@1|%4|$1|x$1|y<0|<0|");
    assert_eq!(shared["x"], Value::array([s("1")]));
    assert!(shared["x"].same_ref(&shared["y"]));
    let session = thaw_ok(
        b"FrT;@1|%18|$14|_SESSION_ATIME$14|_SESSION_CTIME$14|_SESSION_ETIME$20|_SESSION_EXPIRE_LIST\
          $11|_SESSION_ID$20|_SESSION_REMOTE_ADDR$4|cart$5|prefs$4|user$10|1795293613$10|1795293613\
          $4|7200%2|$9|logged_in$4|1800$17|sample_freezethaw$9|192.0.2.7@2|$1|1$1|2%2|$4|lang$2|en$5|alice",
    );
    // FreezeThaw writes numbers as strings, and Perl's thaw gives strings back.
    assert_eq!(session["_SESSION_ATIME"], s("1795293613"));
    assert_eq!(session["_SESSION_EXPIRE_LIST"]["logged_in"], s("1800"));
    assert_eq!(session["cart"][1], s("2"));
    assert_eq!(session["prefs"]["lang"], s("en"));
}

#[test]
fn a_self_reference_is_refused_as_cyclic() {
    for text in [
        &b"FrT;!0|%0|%4|$1|a$4|self$1|1<0|@1|<0|"[..],
        b"FrT;!1|@0|@0|@1|<1|@1|<0|@1|<0|",
        b"FrT;!0|\\_\\<0|@1|<0|",
    ] {
        match thaw(text) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains("cyclic"), "{message}")
            }
            other => panic!("{}: {other:?}", text.escape_ascii()),
        }
    }
}

/// `fx_shared` as Perl writes it: placeholders for a blessed hash and scalar refs, a
/// content (`\<4|`) that refers to a repeated object written after it.
#[test]
fn repeated_objects_become_shared_arcs() {
    let v = thaw_ok(
        b"FrT;!4|@0|%0|{>0|$10|My::Shared%0|\\_\\_@2|$1|1$1|2%2|$1|k$1|v})0|%2|$1|n$1|1\\<4|\\$6|target\
          @1|%12|$5|array$6|hash_a$6|hash_b$6|object$3|ref$4|refs@2|<0|<0|<1|<1|@2|<2|<2|@2|<3|<3|@2|<4|<4|",
    );
    assert!(v["array"][0].same_ref(&v["array"][1]));
    assert_eq!(v["array"][0], Value::array([s("1"), s("2")]));
    assert!(v["hash_a"].same_ref(&v["hash_b"]));
    assert!(v["object"][0].same_ref(&v["object"][1]));
    assert_eq!(
        v["object"][0],
        Value::blessed("My::Shared", Value::hash([("n", s("1"))]))
    );
    let target = Value::scalar_ref(s("target"));
    assert_eq!(v["refs"][0], target);
    assert!(v["refs"][0].same_ref(&v["refs"][1]));
    let Value::Scalar(to_ref) = &v["ref"][0] else {
        panic!("{:?}", v["ref"])
    };
    assert!(
        to_ref.same_ref(&v["refs"][0]),
        "`\\<4|` refers to the same ref"
    );
    assert!(v["ref"][0].same_ref(&v["ref"][1]));
}

#[test]
fn only_the_first_frozen_value_is_the_data() {
    assert_eq!(thaw_ok(b"FrT;@0|"), Value::Undef);
    assert_eq!(thaw_ok(b"FrT;@2|$1|a$1|b"), s("a"));
    assert_eq!(thaw_ok(b"FrT;@1|_"), Value::Undef);
    assert_eq!(
        thaw_ok(b"FrT;!0|%0|%0|@1|<0|"),
        Value::hash(Vec::<(&str, Value)>::new())
    );
}

#[test]
fn strings_are_bytes_counted_in_bytes() {
    let v = thaw_ok(b"FrT;@1|@4|$4|caf\xe9$5|caf\xc3\xa9$3|1|2$0|");
    assert_eq!(v[0], Value::bytes(b"caf\xe9".to_vec()));
    assert!(!v[0].as_perl_str().unwrap().is_utf8());
    assert_eq!(v[1], Value::bytes("café"));
    assert_eq!(v[2], s("1|2"));
    assert_eq!(v[3], s(""));
    // Perl's reading of digits with leading zeros, and of a later duplicate key.
    assert_eq!(thaw_ok(b"FrT;@1|$02|ab"), s("ab"));
    assert_eq!(
        thaw_ok(b"FrT;@1|%4|$1|k$1|k$1|a$1|b"),
        Value::hash([("k", s("b"))])
    );
}

#[test]
fn a_record_with_a_wide_character_is_unreadable_as_in_perl() {
    // What Perl's file driver stores for {w => "\x{263a}"}: UTF-8, length in characters.
    assert!(thaw("FrT;@1|%2|$1|w$1|\u{263a}".as_bytes()).is_err());
}

#[test]
fn regexps_come_back_as_perl_compiles_the_stored_text() {
    let v = thaw_ok(b"FrT;@1|@3|/10|(?^i:ab+c)/8|(?^pi:y)/9|(?^:caf\xe9)");
    let Value::Regexp(r) = &v[0] else {
        panic!("{v:?}")
    };
    assert_eq!(r.pattern, PerlString::from_text("(?^i:ab+c)"));
    assert_eq!(r.flags, "");
    let Value::Regexp(p) = &v[1] else {
        panic!("{v:?}")
    };
    assert_eq!(p.flags, "p", "a leading `(?^p` sets /p on the whole regexp");
    let Value::Regexp(latin1) = &v[2] else {
        panic!("{v:?}")
    };
    assert_eq!(latin1.pattern.as_bytes(), b"(?^:caf\xe9)");
}

/// Perl reads these back with an empty pattern (FreezeThaw cannot fill a regexp
/// placeholder); we give the pattern the record holds.
#[test]
fn repeated_regexps_keep_their_pattern() {
    let v = thaw_ok(b"FrT;!0|/5|(?^:)/10|(?^i:ab+c)@1|%4|$1|a$1|b<0|<0|");
    assert!(v["a"].same_ref(&v["b"]));
    let Value::Regexp(r) = &v["a"] else {
        panic!("{v:?}")
    };
    assert_eq!(r.pattern, PerlString::from_text("(?^i:ab+c)"));
    // `[qr//, qr//]`: Perl numbers the empty placeholder itself as a repeat.
    let v = thaw_ok(b"FrT;!0|<0|/5|(?^:)@1|@2|<0|<0|");
    assert!(v[0].same_ref(&v[1]));
    assert!(matches!(&v[0], Value::Regexp(r) if r.pattern == "(?^:)"));
}

#[test]
fn code_globs_and_safe_records_are_refused_as_perl_refuses_them() {
    for (text, why) in [
        (&b"FrT;@1|%2|$1|c&$21|CODE(0x55d0c8a1b2c8)"[..], "CODE"),
        (b"FrT;@1|*$22|GLOB(0x55d0c8a1b2c8)", "GLOB"),
        (b"FrT;?$3|abc@1|$1|x", "safeFreeze"),
        (b"FrT;@1|?$3|abc", "safeFreeze"),
        (b"FrT;@1|/9|a(?{ 1 })", "code"),
    ] {
        match thaw(text) {
            Err(Error::Unsupported { message, .. }) => {
                assert!(message.contains(why), "{message}")
            }
            other => panic!("{}: {other:?}", text.escape_ascii()),
        }
    }
}

#[test]
fn errors_say_where_and_what() {
    let e = thaw(b"FrT;@1|%2|$1|a").unwrap_err();
    assert_eq!(
        e.to_string(),
        "freezethaw: at byte 14: expected an item, found the end of the record"
    );
    let e = thaw(b"FrT;@1|$5|abc").unwrap_err();
    assert_eq!(
        e.to_string(),
        "freezethaw: at byte 8: a string of 5 bytes, but only 3 bytes are left"
    );
    let e = thaw(b"$D = {};;$D").unwrap_err();
    assert_eq!(
        e.to_string(),
        "freezethaw: at byte 0: expected the signature `FrT;`, found `$D = {};;$D`"
    );
    let e = thaw(b"FrT;@1|$1|ab").unwrap_err();
    assert_eq!(
        e.to_string(),
        "freezethaw: at byte 11: expected the end of the record, found `b`"
    );
    let e = thaw(b"FrT;@1|>)3|%0|").unwrap_err();
    assert_eq!(
        e.to_string(),
        "freezethaw: at byte 8: class number 3 was never defined"
    );
}

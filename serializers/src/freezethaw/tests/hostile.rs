//! Input written by an attacker, a bug, a crash or a fuzzer: always an error, never a
//! panic, never a stack overflow, never an allocation the input does not pay for.

use proptest::collection::vec;
use proptest::prelude::*;

use super::reading::thaw;
use super::writing::{as_read_back, freeze};
use crate::freezethaw::FreezeThaw;
use crate::testing::sharing;
use crate::testing::{assert_truncations_are_syntax_errors, for_each_mutation, on_small_stack};
use crate::{Error, Serializer, MAX_DEPTH};

/// Malformed or out-of-format records, each refused.
const HOSTILE: &[&[u8]] = &[
    b"",
    b"FrT",
    b"FrT;",
    b"FrT;@",
    b"FrT;@1",
    b"FrT;@1|",
    b"FrT;@|$1|a",
    b"FrT;@-1|$1|a",
    b"FrT;@+1|$1|a",
    b"FrT;@ 1|$1|a",
    b"FrT;@0x1|$1|a",
    b"FrT;@123456789012345678901|",
    b"FrT;@99999999999999999999|",
    b"FrT;@18446744073709551616|",
    b"FrT;@1|$18446744073709551615|a",
    b"FrT;@1|$99999999999999999999|a",
    b"FrT;@1|$2|a",
    b"FrT;@1|%1|$1|a",
    b"FrT;@1|%3|$1|a$1|b$1|c",
    b"FrT;@1|%2|_$1|a",
    b"FrT;@1|%2|@0|$1|a",
    b"FrT;@1|%18446744073709551614|$1|a",
    b"FrT;@1|<0|",
    b"FrT;@1|<18446744073709551615|",
    b"FrT;!0|%0|@1|$1|a@1|<0|",
    b"FrT;!0|%0|%0|@1|<1|",
    b"FrT;!0|%1|%0|@1|<0|",
    b"FrT;!0|%2|$1|a$1|b%0|@1|<0|",
    b"FrT;!0|\\$1|a\\_@1|<0|",
    b"FrT;!0|%0|<0|@1|<0|",
    b"FrT;!0|%0|$1|a@1|<0|",
    b"FrT;!0|{>0|$1|A/1|x/1|x@1|<0|",
    b"FrT;!0|{>0|$1|A<0|%0|@1|<0|",
    b"FrT;!0|%0|{>0|$1|A%0|@1|<0|",
    b"FrT;!1|%0|%0|",
    b"FrT;!18446744073709551615|%0|",
    b"FrT;!99999999999|%0|%0|@1|<0|",
    b"FrT;!0|%0|%0|$1|a",
    b"FrT;@1|>>0|$1|A$1|x",
    b"FrT;@1|>>0|$1|A_",
    b"FrT;@1|>>0|$0|%0|",
    b"FrT;@1|>>0|$1|A>>1|$1|B%0|",
    b"FrT;@1|>>0|$1|A<0|",
    b"FrT;@1|>)0|%0|",
    b"FrT;@1|>>0|%0|",
    b"FrT;@1|>>0|$1|A",
    b"FrT;@1|}>0|$1|A%0|",
    b"FrT;@1|{>0|$1|A%0|",
    b"FrT;@1|&$4|CODE",
    b"FrT;@1|*$4|GLOB",
    b"FrT;?$1|x@1|_",
    b"FrT;@1|/3|(?{",
    b"FrT;@1|/13|(??{ system })",
    b"FrT;@1|_x",
    b"FrT;@1|__",
    b"FrT;@1|$1|a\n",
    b" FrT;@1|_",
    b"FRT;@1|_",
    b"@1|$1|a",
    b"FrT;%2|$1|a$1|b",
    b"FrT;$1|a",
    b"FrT;_",
    b"FrT;\\_",
    b"FrT;@1|\\",
    b"FrT;@1|\\\\\\",
    b"FrT;@1|#",
    b"FrT;@1|\xff",
];

#[test]
fn hostile_records_are_refused_with_an_offset() {
    for text in HOSTILE {
        match thaw(text) {
            Err(Error::Syntax {
                offset, message, ..
            }) => {
                assert!(
                    offset <= text.len(),
                    "{}: offset {offset}",
                    text.escape_ascii()
                );
                assert!(!message.is_empty());
            }
            Err(Error::Unsupported { message, .. }) => assert!(!message.is_empty()),
            Ok(v) => panic!("accepted {} as {v:?}", text.escape_ascii()),
        }
    }
}

fn nested(open: &str, inner: &str, n: usize) -> String {
    format!("FrT;@1|{}{inner}", open.repeat(n))
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    on_small_stack(|| {
        let n = 100_000;
        for open in [
            "@1|",
            "%2|$1|k",
            "\\",
            ">>0|$1|A@1|",
            "@1|>>0|$1|A\\",
            "@2|_",
        ] {
            let text = nested(open, "_", n);
            match thaw(text.as_bytes()) {
                Err(Error::Syntax { message, .. }) => {
                    assert!(message.contains("nested deeper"), "{open}: {message}")
                }
                other => panic!("{open}: {other:?}"),
            }
            // Truncated: still the depth error, found before the end.
            assert!(thaw(&text.as_bytes()[..text.len() / 2]).is_err());
        }
        // Objects open no reference: a pile of them is refused at the second.
        assert!(thaw(nested(">>0|$1|A", "%0|", n).as_bytes()).is_err());
        // Repeated objects chained a hundred thousand deep.
        let chain: String = (1..n).map(|i| format!("@1|<{i}|")).collect();
        let record = format!("FrT;!{}|{}{chain}@0|@1|<0|", n - 1, "@0|".repeat(n));
        match thaw(record.as_bytes()) {
            Err(Error::Unsupported { message, .. }) => assert!(message.contains("deeper")),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn max_depth_itself_is_read_on_a_small_stack() {
    on_small_stack(|| {
        let v = thaw(nested("@1|", "_", MAX_DEPTH).as_bytes()).unwrap();
        assert_eq!(v.depth(), MAX_DEPTH);
        for leaf in ["@0|", "%0|", "\\_", "/1|x"] {
            assert!(
                thaw(nested("@1|", leaf, MAX_DEPTH).as_bytes()).is_err(),
                "{leaf}"
            );
        }
        // Objects do not count, as `Value::depth` does not count them.
        let blessed = thaw(nested(">>0|$1|A@1|", "_", MAX_DEPTH).as_bytes()).unwrap();
        assert_eq!(blessed.depth(), MAX_DEPTH);
    });
}

/// A record with every construct, cut at every byte: an error each time, no panic.
#[test]
fn truncated_records_are_errors() {
    let record = SEEDS[0];
    let full = thaw(record).unwrap();
    assert!(full["x"][0].same_ref(&full["x"][1]));
    assert_truncations_are_syntax_errors(&FreezeThaw, record);
}

/// Anything we do read, we write and read back the same (the fuzz tests' oracle).
fn check_consistent(bytes: &[u8]) {
    let Ok(v) = thaw(bytes) else { return };
    let text = match FreezeThaw.freeze(&v) {
        Ok(text) => text,
        // Perl blesses into any name; we do not write the ones FreezeThaw mistakes for types.
        Err(Error::Unsupported { message, .. }) if message.contains("Perl's own type") => return,
        Err(e) => panic!("{}: {e}", bytes.escape_ascii()),
    };
    let back = thaw(&text).expect("what we write, we can read");
    assert_eq!(back, as_read_back(&v));
    assert_eq!(sharing(&back), sharing(&as_read_back(&v)));
    assert_eq!(freeze(&back), text);
}

const SEEDS: &[&[u8]] = &[
    b"FrT;!2|{>0|$1|C\\_{>1|$1|B@0|%0|})0|\\<1|})1|@1|<2|%2|$2|n|$1|1\
      @1|%10|$1|r$1|s$1|t$1|x$1|y/10|(?^i:ab+c)@3|_$4|caf\xe9$0|\\\\$1|1@4|<0|<0|<1|<2|<1|",
    b"FrT;!1|{>0|$15|OverloadedClass%0|{>1|$6|Simple@0|})0|%2|$9|str_value$8|Embedded})1|@2|$1|a%0|\
      @1|%6|$1|a$1|e$1|s>>2|$9|My::Array@3|$1|1$3|two_@4|_<1|<0|<0|<1|",
    b"FrT;!4|@0|%0|{>0|$10|My::Shared%0|\\_\\_@2|$1|1$1|2%2|$1|k$1|v})0|%2|$1|n$1|1\\<4|\\$6|target\
      @1|%8|$1|a$1|b$1|c$1|d@2|<0|<0|<1|@2|<2|<3|@2|<4|<4|",
];

#[test]
fn mutated_records_never_panic() {
    let alphabet = b"FrT;!@%$\\_/<>{})|&*?0123456789abc\xe9";
    for_each_mutation(SEEDS, alphabet, 30_000, check_consistent);
}

#[test]
fn seeds_are_valid_records() {
    for seed in SEEDS {
        assert!(thaw(seed).is_ok(), "{}", seed.escape_ascii());
        check_consistent(seed);
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(tail in vec(any::<u8>(), 0..64)) {
        let mut bytes = b"FrT;".to_vec();
        bytes.extend(tail);
        check_consistent(&bytes);
    }
}

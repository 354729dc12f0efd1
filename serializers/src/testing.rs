//! What the serializers' hostile-input tests share: a small stack to run on, a
//! deterministic mutation fuzzer, the truncation check, and how data shares.

use std::collections::HashMap;

use crate::{Error, Serializer, Value};

pub(crate) use cgi_session_test_support::on_small_stack;

/// Tiny xorshift: deterministic mutations without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Calls `check` on `rounds` mutants of `seeds` (taken in turn), each with one to four
/// edits: a byte removed, inserted or replaced (from `alphabet`, the bytes that steer
/// the reader, or any byte), or a chunk of the input copied elsewhere.
pub(crate) fn for_each_mutation(
    seeds: &[&[u8]],
    alphabet: &[u8],
    rounds: usize,
    mut check: impl FnMut(&[u8]),
) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..rounds {
        let mut bytes = seeds[round % seeds.len()].to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(5) {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
                2 if at < bytes.len() => bytes[at] = alphabet[rng.below(alphabet.len())],
                3 if at < bytes.len() => bytes[at] = rng.next() as u8,
                _ => {
                    let from = rng.below(bytes.len());
                    let len = rng.below(12).min(bytes.len() - from);
                    let chunk = bytes[from..from + len].to_vec();
                    bytes.splice(at..at, chunk);
                }
            }
        }
        check(&bytes);
    }
}

/// `record` cut at every byte is an [`Error::Syntax`] naming a place at or before the
/// cut, with a message: never a value, never a panic.
pub(crate) fn assert_truncations_are_syntax_errors(serializer: &dyn Serializer, record: &[u8]) {
    for cut in 0..record.len() {
        match serializer.thaw(&record[..cut]) {
            Err(Error::Syntax {
                offset, message, ..
            }) => {
                assert!(offset <= cut, "cut {cut}: offset {offset}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("cut {cut} of {}: {other:?}", record.escape_ascii()),
        }
    }
}

/// Which references are the same thing: the first-visit number of every reference met
/// in a depth-first walk (a repeat is listed again, and not entered).
pub(crate) fn sharing(v: &Value) -> Vec<usize> {
    fn go(v: &Value, seen: &mut HashMap<usize, usize>, out: &mut Vec<usize>) {
        let Some(addr) = v.ref_addr() else { return };
        if let Some(&n) = seen.get(&addr) {
            out.push(n);
            return;
        }
        let n = seen.len();
        seen.insert(addr, n);
        out.push(n);
        match v.unblessed() {
            Value::Array(items) => items.iter().for_each(|x| go(x, seen, out)),
            Value::Hash(hash) => hash.values().for_each(|x| go(x, seen, out)),
            Value::Scalar(target) => go(target, seen, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    go(v, &mut HashMap::new(), &mut out);
    out
}

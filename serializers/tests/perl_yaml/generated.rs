//! Generated data: strings made of Syck's special characters, and trees of Perl data.

use std::sync::Arc;

use cgi_session_serializers::{PerlString, Value};

use crate::cases::regexp;

/// A small deterministic generator (xorshift), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces that strings are made of: Syck's indicators, number parts, the words its
/// implicit typing knows, controls, Latin-1 and, for character strings, wide chars.
pub const PIECES: &[&str] = &[
    " ", "\t", "\n", "\r", ":", "#", "-", "?", ",", "'", "\"", "[", "]", "{", "}", "!", "&", "*",
    "|", ">", "%", "@", "`", "^", "~", "=", ".", "\\", "0", "1", "5", "9", "e", "E", "+", "x", "a",
    "b", "yes", "no", "null", "Inf", "nan", "0x", "---", "...", "\0", "\u{1}", "\u{7f}", ": ",
    " #", "\n ", "y", "N", "true",
];

pub fn random_text(rng: &mut Rng, wide: bool) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(7) {
        match rng.below(if wide { 12 } else { 10 }) {
            0 => s.push(['\u{e9}', '\u{80}', '\u{ff}', '\u{a0}', '\u{85}'][rng.below(5)]),
            10 | 11 => s.push(['\u{263a}', '\u{65e5}', '\u{1f600}', '\u{2028}'][rng.below(4)]),
            _ => s.push_str(PIECES[rng.below(PIECES.len())]),
        }
    }
    s
}

/// A random tree of Perl data, sometimes reusing a reference made earlier.
pub fn random_value(rng: &mut Rng, depth: usize, made: &mut Vec<Value>) -> Value {
    let kinds = if depth >= 4 { 5 } else { 12 };
    let value = match rng.below(kinds) {
        0 => Value::Undef,
        1 => Value::Int([0, 7, -3, 999_999_999, 1_234_567_890, i64::MIN][rng.below(6)]),
        2 => Value::Float([0.5, -2.25, 1e21, 1e-7, 100.0][rng.below(5)]),
        3 | 4 => Value::bytes(
            random_text(rng, false)
                .trim_end_matches('\r')
                .chars()
                .map(|c| c as u32 as u8)
                .collect::<Vec<u8>>(),
        ),
        5 => Value::array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1, made))
                .collect::<Vec<_>>(),
        ),
        6 => Value::Hash(Arc::new(
            (0..rng.below(4))
                .map(|_| {
                    (
                        PerlString::from(random_text(rng, true)),
                        random_value(rng, depth + 1, made),
                    )
                })
                .filter(|(k, _)| {
                    !k.as_bytes().starts_with(b"--- ") && !k.as_bytes().starts_with(b"... ")
                })
                .collect(),
        )),
        7 => Value::scalar_ref(random_value(rng, depth + 1, made)),
        8 => {
            let inner = match rng.below(3) {
                0 => Value::array(
                    (0..rng.below(3))
                        .map(|_| random_value(rng, depth + 1, made))
                        .collect::<Vec<_>>(),
                ),
                1 => Value::hash([("k", random_value(rng, depth + 1, made))]),
                // Not a word that reads as a boolean: we keep that tag on purpose.
                _ => Value::scalar_ref(Value::bytes(
                    format!("s{}.", random_text(rng, false)).into_bytes(),
                )),
            };
            Value::blessed(["A", "B::C", "D'E"][rng.below(3)], inner)
        }
        9 | 10 if !made.is_empty() => made[rng.below(made.len())].clone(),
        // A flagless pattern that is already `(?^...)` is written as is on purpose.
        _ => match rng.below(3) {
            0 => regexp(PerlString::from_text("(?^i:z)"), ["i", "ms"][rng.below(2)]),
            n => regexp(
                PerlString::from_text(["a+", "x: y"][n - 1]),
                ["", "i", "ms"][rng.below(3)],
            ),
        },
    };
    if value.is_ref() {
        made.push(value.clone());
    }
    value
}

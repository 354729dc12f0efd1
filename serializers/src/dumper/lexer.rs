//! Tokens of the Perl subset Data::Dumper writes, scanned by hand over bytes.
//!
//! Each scanner reads exactly one token and is strict about what follows it where
//! Perl would read something else: `0x1F`, `1_000` and `012` are not the decimal
//! numbers they look like, `"$x"` interpolates, `qr/a$b/` interpolates. Those are
//! refused rather than guessed at.
//!
//! Scanners that may simply not match (a keyword, a punctuation token) give an
//! [`Option`]; the caller decides what was expected there. Scanners that commit once
//! they have started (a string, a number) give a [`PResult`]. Strings are copied out
//! of the input in runs, so a string without escapes costs one allocation.

use std::borrow::Cow;

use super::strings::string;
use super::FORMAT;
use crate::{Error, PerlString, Regexp, Value};

/// The input still to be read; its length gives the error offset.
pub(super) type In<'a> = &'a [u8];

/// What is left of the input after a token, and the token's value; or why reading stopped.
pub(super) type PResult<'a, O> = Result<(In<'a>, O), PErr<'a>>;

/// Where reading stopped and why. Boxed, so that the results every scanner returns stay
/// small: errors are rare, tokens are not.
#[derive(Debug)]
pub(super) struct PErr<'a>(Box<Stop<'a>>);

#[derive(Debug)]
struct Stop<'a> {
    at: In<'a>,
    why: Why,
}

#[derive(Debug)]
enum Why {
    /// Something else was expected here; the message shows what was found.
    Expected(&'static str),
    /// The input is recognisably Perl but outside the subset we read.
    Refused(Cow<'static, str>),
    /// A finished error from outside the scanner (a fix-up that cannot be applied).
    Built(Error),
}

impl<'a> PErr<'a> {
    /// Carries a finished error, whose offset is already known.
    pub(super) fn built(error: Error, src: In<'a>) -> Self {
        PErr(Box::new(Stop {
            at: src,
            why: Why::Built(error),
        }))
    }

    /// Converts to the crate's error, with the offset into `src` (of which `at` is a suffix).
    pub(super) fn into_error(self, src: &[u8]) -> Error {
        let Stop { at, why } = *self.0;
        let offset = src.len().saturating_sub(at.len());
        let message = match why {
            Why::Expected(what) => format!("expected {what}, found {}", describe(at)),
            Why::Refused(message) => message.into_owned(),
            Why::Built(error) => return error,
        };
        Error::Syntax {
            format: FORMAT,
            offset,
            message,
        }
    }
}

/// A short, printable view of the input at an error.
fn describe(at: &[u8]) -> String {
    if at.is_empty() {
        return "end of input".to_string();
    }
    let shown = &at[..at.len().min(24)];
    let more = if at.len() > shown.len() { "..." } else { "" };
    let text: String = shown
        .iter()
        .map(|&b| match b {
            b' '..=b'~' => char::from(b).to_string(),
            b'\n' => "\\n".to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect();
    format!("`{text}{more}`")
}

/// The error [`expected`] returns.
pub(super) fn expectation<'a>(at: In<'a>, what: &'static str) -> PErr<'a> {
    PErr(Box::new(Stop {
        at,
        why: Why::Expected(what),
    }))
}

/// Fails expecting `what` at `at`.
pub(super) fn expected<'a, O>(at: In<'a>, what: &'static str) -> PResult<'a, O> {
    Err(expectation(at, what))
}

/// Fails refusing what is at `at`.
pub(super) fn refuse<'a, O>(at: In<'a>, message: impl Into<Cow<'static, str>>) -> PResult<'a, O> {
    Err(refusal(at, message))
}

/// The error [`refuse`] returns.
pub(super) fn refusal<'a>(at: In<'a>, message: impl Into<Cow<'static, str>>) -> PErr<'a> {
    PErr(Box::new(Stop {
        at,
        why: Why::Refused(message.into()),
    }))
}

pub(super) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// The length of the run of bytes at the start of `i` that satisfy `keep`.
pub(super) fn run_len(i: In, keep: impl Fn(u8) -> bool) -> usize {
    i.iter().position(|&c| !keep(c)).unwrap_or(i.len())
}

/// Skips white space and `#` comments, as Indent(1..3) output has (Indent(3) adds `#0`
/// comments). Indent(0) output has none, so the first byte usually decides.
pub(super) fn ws(mut i: In) -> In {
    loop {
        match i.first() {
            Some(&c) if is_space(c) => i = &i[1..],
            Some(b'#') => i = &i[run_len(i, |c| c != b'\n')..],
            _ => return i,
        }
    }
}

/// `i` after `text`, if it starts with it. Tokens are a few bytes long: comparing them
/// in place is cheaper than a call to `memcmp`, which is what `strip_prefix` makes.
fn after<'a>(i: In<'a>, text: &[u8]) -> Option<In<'a>> {
    let (head, rest) = i.split_at_checked(text.len())?;
    head.iter().zip(text).all(|(a, b)| a == b).then_some(rest)
}

/// `word` as a whole word: `undef` but not `undefined`.
pub(super) fn keyword<'a>(i: In<'a>, word: &[u8]) -> Option<In<'a>> {
    let rest = after(i, word)?;
    match rest.first() {
        Some(&c) if is_word(c) => None,
        _ => Some(rest),
    }
}

/// A punctuation token after optional white space, e.g. `sym(i, b"=>")`.
pub(super) fn sym<'a>(i: In<'a>, text: &[u8]) -> Option<In<'a>> {
    after(ws(i), text)
}

/// [`sym`], or an error expecting `what` where the white space before it began.
pub(super) fn expect_sym<'a>(
    i: In<'a>,
    text: &[u8],
    what: &'static str,
) -> Result<In<'a>, PErr<'a>> {
    sym(i, text).ok_or_else(|| expectation(i, what))
}

/// An assignment `=`, not `==`, `=~` or `=>`.
pub(super) fn assign(i: In) -> Option<In> {
    let rest = sym(i, b"=")?;
    match rest.first() {
        Some(b'=' | b'~' | b'>') => None,
        _ => Some(rest),
    }
}

/// `$name` for the dumped variable (`$D`, `$VAR1`): the rest and the name.
pub(super) fn variable(i: In) -> Option<(In, In)> {
    let name = i.strip_prefix(b"$")?;
    if !name
        .first()
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
    {
        return None;
    }
    let len = 1 + run_len(&name[1..], is_word);
    Some((&name[len..], &name[..len]))
}

/// A bare decimal number: sign, digits, fraction, exponent. An integer that fits
/// `i64` is [`Value::Int`]; anything else is [`Value::Float`]. No number here is
/// "a value" not found.
pub(super) fn number(i: In) -> PResult<Value> {
    let sign = usize::from(matches!(i.first(), Some(b'+' | b'-')));
    let int_digits = run_len(&i[sign..], |c| c.is_ascii_digit());
    let mut end = sign + int_digits;
    let mut integral = true;
    if int_digits > 0 {
        // `12` or `12.` or `12.34`
        if i.get(end) == Some(&b'.') {
            integral = false;
            end += 1 + run_len(&i[end + 1..], |c| c.is_ascii_digit());
        }
    } else {
        // `.5`
        let frac = match i.get(end) {
            Some(b'.') => run_len(&i[end + 1..], |c| c.is_ascii_digit()),
            _ => 0,
        };
        if frac == 0 {
            return expected(i, "a value");
        }
        integral = false;
        end += 1 + frac;
    }
    if matches!(i.get(end), Some(b'e' | b'E')) {
        let exp_sign = usize::from(matches!(i.get(end + 1), Some(b'+' | b'-')));
        let exp_digits = run_len(&i[end + 1 + exp_sign..], |c| c.is_ascii_digit());
        if exp_digits > 0 {
            integral = false;
            end += 1 + exp_sign + exp_digits;
        }
    }
    let (text, rest) = i.split_at(end);
    // `0x1F`, `1_000`, `1.2.3` and `12abc` mean other things in Perl.
    if rest.first().is_some_and(|&c| is_word(c) || c == b'.') {
        return refuse(
            i,
            "unsupported number literal: only plain decimal numbers are read",
        );
    }
    let unsigned = &text[sign..];
    if unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1].is_ascii_digit() {
        return refuse(
            i,
            "a number with a leading zero is octal in Perl and is not read",
        );
    }
    if integral {
        if let Some(n) = decimal_i64(text[..sign] == *b"-", unsigned) {
            return Ok((rest, Value::Int(n)));
        }
    }
    // Only ASCII signs, digits, `.` and `eE` were taken.
    let literal = std::str::from_utf8(text).unwrap_or("0");
    Ok((rest, Value::Float(literal.parse::<f64>().unwrap_or(0.0))))
}

/// ASCII decimal digits as an `i64`, if it fits (what `str::parse::<i64>` accepts).
fn decimal_i64(negative: bool, digits: &[u8]) -> Option<i64> {
    // Accumulated below zero, where `i64::MIN` fits.
    let mut n = 0i64;
    for &d in digits {
        n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// A hash key or subscript: a string, or what `=>` and `{...}` quote by themselves —
/// an identifier, `-identifier`, or a decimal integer (Quotekeys(0) output).
pub(super) fn hash_key<'a>(i: In<'a>, scratch: &mut Vec<u8>) -> PResult<'a, PerlString> {
    const WHAT: &str = "a hash key";
    if matches!(i.first(), Some(b'\'' | b'"')) {
        return string(i, WHAT, scratch);
    }
    let dash = usize::from(i.first() == Some(&b'-'));
    let len = run_len(&i[dash..], is_word);
    if len == 0 {
        return expected(i, WHAT);
    }
    let (text, rest) = i.split_at(dash + len);
    let body = &text[dash..];
    if body[0].is_ascii_digit() {
        // Perl reads a bare number and stringifies it, so only canonical integers are
        // their own text (`010` is 8, `1_0` is 10, `-0` is 0).
        let canonical = body.iter().all(u8::is_ascii_digit)
            && (body.len() == 1 || body[0] != b'0')
            && body.len() <= 18
            && text != b"-0";
        if !canonical {
            return refuse(i, "unsupported bareword hash key: quote it");
        }
    }
    Ok((rest, PerlString::from(text)))
}

/// An array subscript: a canonical non-negative decimal.
pub(super) fn index(i: In) -> PResult<usize> {
    let len = run_len(i, |c| c.is_ascii_digit());
    if len == 0 {
        return expected(i, "an array index");
    }
    let (digits, rest) = i.split_at(len);
    if rest.first().copied().is_some_and(is_word) || (len > 1 && digits[0] == b'0') {
        return refuse(i, "unsupported array index");
    }
    let parsed = digits.iter().try_fold(0usize, |n, &d| {
        n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    });
    match parsed {
        Some(n) => Ok((rest, n)),
        None => refuse(i, "array index too large"),
    }
}

/// `qr/PATTERN/FLAGS` as Data::Dumper writes it: `\/` is a slash, `${\q($)}` a
/// dollar; every other escape stays as the regexp engine sees it.
pub(super) fn regexp(i: In) -> PResult<Regexp> {
    let Some(body) = keyword(i, b"qr") else {
        return expected(i, "`qr`");
    };
    let Some(mut rest) = body.strip_prefix(b"/") else {
        return expected(body, "`/` after `qr` (only `qr/.../` is read)");
    };
    let mut pattern = Vec::new();
    loop {
        match rest {
            [] => return refuse(i, "unterminated regexp"),
            [b'/', tail @ ..] => {
                rest = tail;
                break;
            }
            [b'\\', b'/', tail @ ..] => {
                pattern.push(b'/');
                rest = tail;
            }
            [b'\\', c, tail @ ..] => {
                pattern.extend_from_slice(&[b'\\', *c]);
                rest = tail;
            }
            [b'$', b'/' | b'|' | b')', ..] => {
                pattern.push(b'$');
                rest = &rest[1..];
            }
            [b'$', ..] => match rest.strip_prefix(b"${\\q($)}") {
                Some(tail) => {
                    pattern.push(b'$');
                    rest = tail;
                }
                None => return refuse(rest, "variable interpolation in a regexp is not supported"),
            },
            [b'@', next, ..]
                if is_word(*next) || matches!(next, b'{' | b'$' | b':' | b'+' | b'-') =>
            {
                return refuse(rest, "array interpolation in a regexp is not supported")
            }
            [c, tail @ ..] => {
                pattern.push(*c);
                rest = tail;
            }
        }
    }
    if Regexp::pattern_runs_code(&pattern) {
        return refuse(i, "code in a regexp (`(?{...})`) is not read");
    }
    let (flags, rest) = rest.split_at(run_len(rest, is_word));
    if let Some(bad) = flags.iter().find(|&&f| !b"msixpnoadlu".contains(&f)) {
        return refuse(
            rest,
            format!("unknown regexp flag `{}`", bad.escape_ascii()),
        );
    }
    let regexp = Regexp {
        pattern: PerlString::from_bytes(pattern),
        flags: String::from_utf8_lossy(flags).into_owned(),
    };
    Ok((rest, regexp))
}

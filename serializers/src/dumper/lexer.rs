//! Tokens of the Perl subset Data::Dumper writes, as nom parsers over bytes.
//!
//! Each parser reads exactly one token and is strict about what follows it where
//! Perl would read something else: `0x1F`, `1_000` and `012` are not the decimal
//! numbers they look like, `"$x"` interpolates, `qr/a$b/` interpolates. Those are
//! refused rather than guessed at.

use std::borrow::Cow;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1, take_while_m_n};
use nom::character::complete::{char, digit0, digit1, one_of, satisfy};
use nom::combinator::{not, opt, recognize, value};
use nom::multi::many0_count;
use nom::{IResult, Parser};

use super::FORMAT;
use crate::string::MAX_CODE_POINT;
use crate::{Error, PerlString, Regexp, Value};

/// The input still to be read; its length gives the error offset.
pub(super) type In<'a> = &'a [u8];

/// A nom result with our error type.
pub(super) type PResult<'a, O> = IResult<In<'a>, O, PErr<'a>>;

/// Where parsing stopped and why.
#[derive(Debug)]
pub(super) struct PErr<'a> {
    at: In<'a>,
    why: Why,
}

#[derive(Debug)]
enum Why {
    /// Something else was expected here; the message shows what was found.
    Expected(&'static str),
    /// The input is recognisably Perl but outside the subset we read.
    Refused(Cow<'static, str>),
    /// A finished error from outside the parser (a fix-up that cannot be applied).
    Built(Error),
    /// A nom combinator failed. Soft failures are routine while parsing (every `many0`
    /// and `not` ends with one), so this must be cheap to make.
    Nom(nom::error::ErrorKind),
}

impl<'a> PErr<'a> {
    /// Carries a finished error through nom's error channel.
    pub(super) fn built(error: Error, src: In<'a>) -> Self {
        PErr {
            at: src,
            why: Why::Built(error),
        }
    }

    /// Converts to the crate's error, with the offset into `src` (of which `at` is a suffix).
    pub(super) fn into_error(self, src: &[u8]) -> Error {
        let offset = src.len().saturating_sub(self.at.len());
        let message = match self.why {
            Why::Expected(what) => format!("expected {what}, found {}", describe(self.at)),
            Why::Refused(message) => message.into_owned(),
            Why::Built(error) => return error,
            Why::Nom(kind) => format!("malformed input ({})", kind.description()),
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

impl<'a> nom::error::ParseError<In<'a>> for PErr<'a> {
    fn from_error_kind(input: In<'a>, kind: nom::error::ErrorKind) -> Self {
        PErr {
            at: input,
            why: Why::Nom(kind),
        }
    }

    fn append(_: In<'a>, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two failed alternatives, report the one that got further.
    fn or(self, other: Self) -> Self {
        if other.at.len() <= self.at.len() {
            other
        } else {
            self
        }
    }
}

/// Fails, hard, expecting `what` at `at`.
pub(super) fn expected<'a, O>(at: In<'a>, what: &'static str) -> PResult<'a, O> {
    Err(nom::Err::Failure(PErr {
        at,
        why: Why::Expected(what),
    }))
}

/// Fails, hard, refusing what is at `at`.
pub(super) fn refuse<'a, O>(at: In<'a>, message: impl Into<Cow<'static, str>>) -> PResult<'a, O> {
    Err(refusal(at, message))
}

/// The error [`refuse`] returns.
pub(super) fn refusal<'a>(at: In<'a>, message: impl Into<Cow<'static, str>>) -> nom::Err<PErr<'a>> {
    nom::Err::Failure(PErr {
        at,
        why: Why::Refused(message.into()),
    })
}

/// Runs `parser`; if it does not match, fails hard expecting `what` where it started.
pub(super) fn expect<'a, O>(
    what: &'static str,
    mut parser: impl Parser<In<'a>, Output = O, Error = PErr<'a>>,
) -> impl FnMut(In<'a>) -> PResult<'a, O> {
    move |i| match parser.parse(i) {
        Err(nom::Err::Error(_)) => expected(i, what),
        other => other,
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// White space and `#` comments, as Indent(1..3) output has (Indent(3) adds `#0` comments).
pub(super) fn ws(i: In) -> PResult<()> {
    value(
        (),
        many0_count(alt((
            take_while1(is_space),
            recognize((char('#'), take_while(|c| c != b'\n'))),
        ))),
    )
    .parse(i)
}

/// `word` as a whole word: `undef` but not `undefined`.
pub(super) fn keyword<'a>(
    word: &'static str,
) -> impl Parser<In<'a>, Output = (), Error = PErr<'a>> {
    value(
        (),
        (
            tag(word.as_bytes()),
            not(satisfy(|c: char| c.is_ascii_alphanumeric() || c == '_')),
        ),
    )
}

/// A punctuation token after optional white space, e.g. `sym("=>")`.
pub(super) fn sym<'a>(text: &'static str) -> impl FnMut(In<'a>) -> PResult<'a, ()> {
    move |i| {
        let (i, ()) = ws(i)?;
        value((), tag(text.as_bytes())).parse(i)
    }
}

/// An assignment `=`, not `==`, `=~` or `=>`.
pub(super) fn assign(i: In) -> PResult<()> {
    value((), (sym("="), not(one_of("=~>")))).parse(i)
}

/// `'...'`: bytes, where only `\\` and `\'` are escapes (a lone `\` stays).
pub(super) fn single_quoted(i: In) -> PResult<Vec<u8>> {
    let (mut rest, _) = char('\'').parse(i)?;
    let mut out = Vec::new();
    loop {
        match rest {
            [] => return refuse(i, "unterminated single-quoted string"),
            [b'\'', tail @ ..] => return Ok((tail, out)),
            [b'\\', c @ (b'\\' | b'\''), tail @ ..] | [c, tail @ ..] => {
                out.push(*c);
                rest = tail;
            }
        }
    }
}

/// `"..."` with the escapes Data::Dumper's `Useqq` and character strings use.
/// Raw bytes are code points 0..=0xFF, as in Perl source without `use utf8`.
pub(super) fn double_quoted(i: In) -> PResult<PerlString> {
    let (mut rest, _) = char('"').parse(i)?;
    let mut points = Vec::new();
    loop {
        match rest {
            [] => return refuse(i, "unterminated double-quoted string"),
            [b'"', tail @ ..] => {
                // Every code point was checked against MAX_CODE_POINT on the way in.
                let s = PerlString::from_code_points(points).unwrap_or_default();
                return Ok((tail, s));
            }
            [b'\\', ..] => {
                let (tail, c) = escape(rest)?;
                points.push(c);
                rest = tail;
            }
            [b'$' | b'@', ..] => {
                return refuse(
                    rest,
                    "variable interpolation in a double-quoted string is not supported",
                )
            }
            [c, tail @ ..] => {
                points.push(u32::from(*c));
                rest = tail;
            }
        }
    }
}

/// One backslash escape in a double-quoted string; `i` starts at the backslash.
fn escape(i: In) -> PResult<u32> {
    let Some((&c, after)) = i.get(1..).and_then(<[u8]>::split_first) else {
        return refuse(i, "unterminated double-quoted string");
    };
    let simple = match c {
        b'n' => Some(0x0a),
        b't' => Some(0x09),
        b'r' => Some(0x0d),
        b'f' => Some(0x0c),
        b'a' => Some(0x07),
        b'e' => Some(0x1b),
        b'b' => Some(0x08),
        _ => None,
    };
    if let Some(code) = simple {
        return Ok((after, code));
    }
    match c {
        // \NNN: up to three octal digits (Useqq writes \0, \1, \177, \0012).
        b'0'..=b'7' => {
            let (rest, digits) =
                take_while_m_n(1, 3, |d: u8| (b'0'..=b'7').contains(&d)).parse(&i[1..])?;
            Ok((rest, radix_value(digits, 8)))
        }
        b'x' => {
            if after.first() == Some(&b'{') {
                braced(i, after, 16)
            } else {
                let (rest, digits) =
                    take_while_m_n(0, 2, |d: u8| d.is_ascii_hexdigit()).parse(after)?;
                Ok((rest, radix_value(digits, 16)))
            }
        }
        b'o' if after.first() == Some(&b'{') => braced(i, after, 8),
        // \u \L \Q \E \N{...} \c? and friends change or compute text; not ours.
        c if is_word(c) => refuse(
            i,
            format!(
                "unsupported escape `\\{}` in a double-quoted string",
                c as char
            ),
        ),
        // A backslash before any other character means that character.
        c => Ok((after, u32::from(c))),
    }
}

/// `\x{...}` or `\o{...}`; `after` starts at the `{`.
fn braced<'a>(escape_at: In<'a>, after: In<'a>, radix: u32) -> PResult<'a, u32> {
    let digits = |d: u8| (d as char).is_digit(radix);
    let parsed: PResult<In> = (char('{'), take_while(digits), char('}'))
        .map(|(_, d, _)| d)
        .parse(after);
    let Ok((rest, text)) = parsed else {
        return refuse(escape_at, "malformed `\\x{...}` escape");
    };
    let significant = text.iter().skip_while(|&&d| d == b'0').count();
    let code = if significant > 11 {
        u64::MAX
    } else {
        radix_value64(text, radix)
    };
    if code > u64::from(MAX_CODE_POINT) {
        return refuse(escape_at, "code point too large in escape");
    }
    Ok((rest, code as u32))
}

fn radix_value(digits: &[u8], radix: u32) -> u32 {
    radix_value64(digits, radix) as u32
}

fn radix_value64(digits: &[u8], radix: u32) -> u64 {
    digits.iter().fold(0u64, |acc, &d| {
        acc * u64::from(radix) + u64::from((d as char).to_digit(radix).unwrap_or(0))
    })
}

/// A string literal of either kind.
pub(super) fn string(i: In) -> PResult<PerlString> {
    alt((single_quoted.map(PerlString::from_bytes), double_quoted)).parse(i)
}

/// A bare decimal number: sign, digits, fraction, exponent. An integer that fits
/// `i64` is [`Value::Int`]; anything else is [`Value::Float`].
pub(super) fn number(i: In) -> PResult<Value> {
    let (rest, text) = recognize((
        opt(one_of("+-")),
        alt((
            recognize((digit1, opt((char('.'), digit0)))),
            recognize((char('.'), digit1)),
        )),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(i)?;
    // `0x1F`, `1_000`, `1.2.3` and `12abc` mean other things in Perl.
    if rest.first().is_some_and(|&c| is_word(c) || c == b'.') {
        return refuse(
            i,
            "unsupported number literal: only plain decimal numbers are read",
        );
    }
    let unsigned = text
        .strip_prefix(b"-")
        .or_else(|| text.strip_prefix(b"+"))
        .unwrap_or(text);
    if unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1].is_ascii_digit() {
        return refuse(
            i,
            "a number with a leading zero is octal in Perl and is not read",
        );
    }
    // The recognizer admits only ASCII signs, digits, `.` and `eE`.
    let literal = std::str::from_utf8(text).unwrap_or("0");
    let integral = !text.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
    if integral {
        if let Ok(n) = literal.parse::<i64>() {
            return Ok((rest, Value::Int(n)));
        }
    }
    Ok((rest, Value::Float(literal.parse::<f64>().unwrap_or(0.0))))
}

/// A hash key or subscript: a string, or what `=>` and `{...}` quote by themselves —
/// an identifier, `-identifier`, or a decimal integer (Quotekeys(0) output).
pub(super) fn hash_key(i: In) -> PResult<PerlString> {
    if matches!(i.first(), Some(b'\'' | b'"')) {
        return string(i);
    }
    let (rest, text) = recognize((opt(char('-')), take_while1(is_word))).parse(i)?;
    let body = text.strip_prefix(b"-").unwrap_or(text);
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
    Ok((rest, PerlString::from_bytes(text)))
}

/// An array subscript: a canonical non-negative decimal.
pub(super) fn index(i: In) -> PResult<usize> {
    let (rest, digits) = digit1(i)?;
    if rest.first().copied().is_some_and(is_word) || (digits.len() > 1 && digits[0] == b'0') {
        return refuse(i, "unsupported array index");
    }
    let parsed = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<usize>().ok());
    match parsed {
        Some(n) => Ok((rest, n)),
        None => refuse(i, "array index too large"),
    }
}

/// `$name` for the dumped variable (`$D`, `$VAR1`).
pub(super) fn variable(i: In) -> PResult<In> {
    let (rest, (_, name)) = (
        char('$'),
        recognize((
            satisfy(|c: char| c.is_ascii_alphabetic() || c == '_'),
            take_while(is_word),
        )),
    )
        .parse(i)?;
    Ok((rest, name))
}

/// Whether a regexp pattern holds Perl code, which a literal `qr//` would run:
/// `(?{...})`, `(??{...})` or `(*{...})`.
pub(super) fn runs_code(pattern: &[u8]) -> bool {
    [&b"(?{"[..], b"(??{", b"(*{"]
        .iter()
        .any(|code| pattern.windows(code.len()).any(|w| w == *code))
}

/// `qr/PATTERN/FLAGS` as Data::Dumper writes it: `\/` is a slash, `${\q($)}` a
/// dollar; every other escape stays as the regexp engine sees it.
pub(super) fn regexp(i: In) -> PResult<Regexp> {
    let (body, ()) = keyword("qr").parse(i)?;
    let (mut rest, _) = expect("`/` after `qr` (only `qr/.../` is read)", char('/')).parse(body)?;
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
            [b'$', ..] => match tag::<_, _, PErr>(&b"${\\q($)}"[..]).parse(rest) {
                Ok((tail, _)) => {
                    pattern.push(b'$');
                    rest = tail;
                }
                Err(_) => {
                    return refuse(rest, "variable interpolation in a regexp is not supported")
                }
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
    if runs_code(&pattern) {
        return refuse(i, "code in a regexp (`(?{...})`) is not read");
    }
    let (rest, flags) = take_while(is_word).parse(rest)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<'a, O>(r: PResult<'a, O>) -> (In<'a>, O) {
        match r {
            Ok(v) => v,
            Err(e) => panic!("parse failed: {e:?}"),
        }
    }

    #[test]
    fn single_quotes_unescape_only_backslash_and_quote() {
        let (rest, s) = ok(single_quoted(br"'a\\b\'c\nd\x'!"));
        assert_eq!(s, br"a\b'c\nd\x");
        assert_eq!(rest, b"!");
        assert!(single_quoted(b"'abc").is_err());
        assert!(single_quoted(b"'abc\\'").is_err());
    }

    #[test]
    fn double_quotes_read_useqq_escapes() {
        let (_, s) = ok(double_quoted(
            br#""x\n\t\r\f\a\e\b\0y\177\1\0012\x41\x{263a}\$\@\"\\\{\o{101}""#,
        ));
        let want: Vec<u32> = "x\n\t\r\x0c\x07\x1b\x08\0y\x7f\x01\x012A\u{263a}$@\"\\{A"
            .chars()
            .map(u32::from)
            .collect();
        assert_eq!(s.code_points().collect::<Vec<_>>(), want);
        let (_, s) = ok(double_quoted(b"\"caf\\x{e9}\""));
        assert!(
            !s.is_utf8(),
            "all code points <= 0xFF give bytes, as Perl's eval does"
        );
        assert_eq!(s.as_bytes(), b"caf\xe9");
        let (_, s) = ok(double_quoted(b"\"\xe9\\x{100}\""));
        assert_eq!(s.code_points().collect::<Vec<_>>(), [0xe9, 0x100]);
    }

    #[test]
    fn double_quotes_refuse_interpolation_and_unknown_escapes() {
        for bad in [
            &br#""a$b""#[..],
            br#""a@b""#,
            br#""\u0041""#,
            br#""\N{U+41}""#,
            br#""\cA""#,
            br#""\x{110000000}""#,
            br#""\x{zz}""#,
            br#""\8""#,
            b"\"abc",
            b"\"abc\\",
        ] {
            assert!(double_quoted(bad).is_err(), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn numbers_are_decimal_only() {
        let cases: &[(&[u8], Value)] = &[
            (b"42", Value::Int(42)),
            (b"-5", Value::Int(-5)),
            (b"+7", Value::Int(7)),
            (b"0", Value::Int(0)),
            (b"1.5", Value::Float(1.5)),
            (b".5", Value::Float(0.5)),
            (b"1e3", Value::Float(1000.0)),
            (b"-2.5E-1", Value::Float(-0.25)),
            (b"9223372036854775808", Value::Float(9223372036854775808.0)),
        ];
        for (text, want) in cases {
            let (rest, got) = ok(number(text));
            assert_eq!(&got, want, "{}", text.escape_ascii());
            assert!(rest.is_empty());
        }
        for bad in [&b"0x1F"[..], b"1_000", b"012", b"1.2.3", b"12abc", b"1e"] {
            assert!(number(bad).is_err(), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn bareword_keys() {
        for (text, want) in [
            (&b"abc"[..], &b"abc"[..]),
            (b"-dash", b"-dash"),
            (b"10", b"10"),
            (b"_x1", b"_x1"),
        ] {
            let (_, key) = ok(hash_key(text));
            assert_eq!(key.as_bytes(), want);
        }
        for bad in [&b"01"[..], b"-0", b"1_0", b"1abc"] {
            assert!(hash_key(bad).is_err(), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn regexps_undo_dumpers_escapes() {
        let (rest, r) = ok(regexp(br"qr/a\/b${\q($)}c\d$|x$/msix,"));
        assert_eq!(r.pattern.as_bytes(), br"a/b$c\d$|x$");
        assert_eq!(r.flags, "msix");
        assert_eq!(rest, b",");
        for bad in [
            &br"qr/a$b/"[..],
            br"qr/a@b/",
            br"qr{a}",
            br"qr/a/g",
            br"qr/abc",
            br"qr/(?{ system('id') })/",
            br"qr/(??{ 1 })/",
        ] {
            assert!(regexp(bad).is_err(), "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn whitespace_includes_comments() {
        let (rest, ()) = ok(ws(b"  # comment\n\t #0\n  x"));
        assert_eq!(rest, b"x");
    }
}

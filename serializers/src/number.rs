//! Perl's number conversions: how a number prints (`"$x"`) and how a string numifies (`0 + $x`).
//!
//! Data::Dumper, Storable and the session logic all depend on these: a float is
//! written as Perl prints it (`%.15g`), and stored ATIME/ETIME values may be
//! strings that Perl numifies with its own lenient rules (leading white space,
//! a sign, digits, a fraction and exponent; trailing junk ignored; no number is 0).

use std::fmt::{self, Write};

/// A number as Perl's numification gives it: an integer when the text is an
/// integer that fits, otherwise a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integral value that fits in an `i64`.
    Int(i64),
    /// Anything else, including Inf and NaN.
    Float(f64),
}

impl Number {
    /// The value as an `f64`.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// The value truncated towards zero as Perl's `int()` then IV conversion does,
    /// saturating at the `i64` bounds (NaN gives 0).
    pub fn as_i64(self) -> i64 {
        match self {
            Number::Int(i) => i,
            Number::Float(f) if f.is_nan() => 0,
            Number::Float(f) => f as i64,
        }
    }
}

/// Formats a float as Perl stringifies an NV: `%.15g`, with `Inf`, `-Inf` and `NaN`.
///
/// `0.1 + 0.2` gives `0.3`, `1e20` gives `1e+20`, `1000.0` gives `1000`, `-0.0` gives `0`
/// (Perl 5.36 stringifies a negative zero NV as `0`, and Data::Dumper writes `'0'`;
/// only `sprintf "%g"` shows the sign).
pub fn format_float(f: f64) -> String {
    let mut text = Vec::with_capacity(24);
    push_float(&mut text, f);
    // Only ASCII signs, digits, `.`, `e`, `Inf` and `NaN` are written.
    String::from_utf8(text).unwrap_or_default()
}

/// Appends [`format_float`]'s text for `f` to `out`, without allocating on the way.
pub fn push_float(out: &mut Vec<u8>, f: f64) {
    if f.is_nan() {
        return out.extend_from_slice(b"NaN");
    }
    if f.is_infinite() {
        return out.extend_from_slice(if f > 0.0 { b"Inf" } else { b"-Inf" });
    }
    if f == 0.0 {
        return out.push(b'0');
    }
    if f < 0.0 {
        out.push(b'-');
    }
    let mut buf = [b'0'; 20];
    let (digits, exp) = match short_decimal(f.abs()) {
        Some((m, decimals)) => {
            let digits = decimal_digits(m, &mut buf);
            let exp = digits.len() as i32 - 1 - decimals;
            (digits, exp)
        }
        None => rounded_digits(f.abs(), &mut buf),
    };
    // Trailing zeros are not significant (`%g`).
    let significant = digits.len() - digits.iter().rev().take_while(|&&d| d == b'0').count();
    let digits = &digits[..significant.max(1)];
    // %.15g: exponent form when exp < -4 or exp >= 15.
    if !(-4..15).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.extend_from_slice(if exp < 0 { b"e-" } else { b"e+" });
        if exp.unsigned_abs() < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(decimal_digits(u64::from(exp.unsigned_abs()), &mut buf));
    } else if exp >= 0 {
        let whole = exp as usize + 1;
        if digits.len() <= whole {
            out.extend_from_slice(digits);
            out.resize(out.len() + whole - digits.len(), b'0');
        } else {
            out.extend_from_slice(&digits[..whole]);
            out.push(b'.');
            out.extend_from_slice(&digits[whole..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + exp.unsigned_abs() as usize - 1, b'0');
        out.extend_from_slice(digits);
    }
}

/// `f` (finite, positive) as `m / 10^decimals` with `m` below 10^15, if that decimal
/// reads back as `f` — as the prices and times sessions hold mostly do.
///
/// Then `m`'s digits are `%.15g`'s: a decimal of at most 15 significant digits is
/// nearer to the double it reads as than half a unit in its 15th digit (the `DBL_DIG`
/// guarantee), so rounding that double to 15 digits gives the decimal back.
fn short_decimal(f: f64) -> Option<(u64, i32)> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    for (decimals, &power) in POWERS.iter().enumerate() {
        let scaled = f * power;
        if scaled >= 1e15 {
            return None;
        }
        // `m` and `power` are exact, and IEEE division rounds `m / power` as reading the
        // decimal would: equality means the decimal reads back as `f`.
        let m = scaled.round();
        if m / power == f {
            return Some((m as u64, decimals as i32));
        }
    }
    None
}

/// The 15 significant digits of `f` (finite, positive) correctly rounded, and the
/// decimal exponent of the rounded value, from the standard library's exact formatting.
fn rounded_digits(f: f64, buf: &mut [u8; 20]) -> (&[u8], i32) {
    let mut sci = SmallText::default();
    // At most 21 bytes (`1.23456789012345e-308`), so this cannot fail.
    let _ = write!(sci, "{f:.14e}");
    let sci = &sci.bytes[..sci.len];
    let e_at = sci.iter().position(|&c| c == b'e').unwrap_or(sci.len());
    let mantissa = sci[..e_at].iter().filter(|c| c.is_ascii_digit());
    let mut len = 0;
    for (slot, &d) in buf.iter_mut().zip(mantissa) {
        *slot = d;
        len += 1;
    }
    let exp = sci.get(e_at + 1..).map_or(0, |e| {
        let magnitude = e
            .iter()
            .filter(|c| c.is_ascii_digit())
            .fold(0i32, |n, &d| n * 10 + i32::from(d - b'0'));
        if e.first() == Some(&b'-') {
            -magnitude
        } else {
            magnitude
        }
    });
    (&buf[..len], exp)
}

/// The decimal digits of `n`, written at the end of `buf`, two at a time: a session
/// record holds ten-digit timestamps.
pub(crate) fn decimal_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    while n >= 10 {
        let pair = 2 * (n % 100) as usize;
        n /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    // An odd digit count leaves one (the last pair taken was 10..=99 otherwise); zero
    // is one digit.
    if n > 0 || at == buf.len() {
        at -= 1;
        buf[at] = b'0' + n as u8;
    }
    &buf[at..]
}

/// `00`, `01`, ... `99`, for [`decimal_digits`].
const DIGIT_PAIRS: [u8; 200] = {
    let mut table = [0; 200];
    let mut n = 0;
    while n < 100 {
        table[2 * n] = b'0' + (n / 10) as u8;
        table[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    table
};

/// Room for one formatted float, on the stack.
#[derive(Default)]
struct SmallText {
    bytes: [u8; 32],
    len: usize,
}

impl fmt::Write for SmallText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Numifies bytes as Perl does for a string in numeric context.
///
/// Leading white space is skipped; then an optional sign, digits with an optional
/// fraction and exponent; the rest is ignored. `Inf`/`Infinity`/`NaN` are recognised
/// in any case. Text with no leading number is 0.
pub fn numify(text: &[u8]) -> Number {
    let mut i = 0;
    while i < text.len() && matches!(text[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
        i += 1;
    }
    let start = i;
    let negative = text.get(i) == Some(&b'-');
    if matches!(text.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = &text[i..];
    let lower: Vec<u8> = rest.iter().take(8).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"inf") {
        return Number::Float(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if lower.starts_with(b"nan") {
        return Number::Float(f64::NAN);
    }
    let digits_start = i;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - digits_start;
    let mut is_int = true;
    let mut frac_digits = 0;
    if text.get(i) == Some(&b'.') {
        let mut j = i + 1;
        while j < text.len() && text[j].is_ascii_digit() {
            j += 1;
        }
        frac_digits = j - i - 1;
        if int_digits > 0 || frac_digits > 0 {
            is_int = false;
            i = j;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return Number::Int(0);
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(text.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_start = j;
        while j < text.len() && text[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            is_int = false;
            i = j;
        }
    }
    let literal = std::str::from_utf8(&text[start..i]).expect("ASCII digits and signs");
    if is_int {
        if let Ok(n) = literal.parse::<i64>() {
            return Number::Int(n);
        }
    }
    Number::Float(literal.parse::<f64>().unwrap_or(0.0))
}

/// Whether bytes look like a number to Perl's `looks_like_number` (whole string,
/// leading white space and one trailing newline allowed).
pub fn looks_like_number(text: &[u8]) -> bool {
    let trimmed = text.strip_suffix(b"\n").unwrap_or(text);
    let body = trimmed.trim_ascii_start();
    if body.is_empty() {
        return false;
    }
    let unsigned = body
        .strip_prefix(b"+")
        .or_else(|| body.strip_prefix(b"-"))
        .unwrap_or(body);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_slice(), b"inf" | b"infinity" | b"nan") {
        return true;
    }
    let mut i = 0;
    let digits = |from: usize| {
        unsigned[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_digits = digits(0);
    i += int_digits;
    let mut frac_digits = 0;
    if unsigned.get(i) == Some(&b'.') {
        frac_digits = digits(i + 1);
        i += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(unsigned.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(unsigned.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = digits(j);
        if exp_digits == 0 {
            return false;
        }
        i = j + exp_digits;
    }
    i == unsigned.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits_match_display() {
        let mut cases = vec![0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, u64::MAX];
        cases.extend((0..20).map(|p| 10u64.pow(p)));
        cases.extend((1..20).map(|p| 10u64.pow(p) - 1));
        cases.extend([1_795_320_319, 3600, 123_456_789]);
        for n in cases {
            assert_eq!(
                decimal_digits(n, &mut [0; 20]),
                n.to_string().as_bytes(),
                "{n}"
            );
        }
    }

    #[test]
    fn floats_print_as_perl_prints_them() {
        let cases: &[(f64, &str)] = &[
            (3.25, "3.25"),
            (0.1 + 0.2, "0.3"),
            (1e20, "1e+20"),
            (1e15, "1e+15"),
            (1e14, "100000000000000"),
            (1000.0, "1000"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-1.5, "-1.5"),
            (1336640887.24082, "1336640887.24082"),
            (1.0 / 3.0, "0.333333333333333"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (123456789012345680.0, "1.23456789012346e+17"),
            // Short decimals and those needing all 15 digits, checked against Perl 5.36.
            (9.99 + 7.0, "16.99"),
            (0.000123, "0.000123"),
            (123456789012345.0, "123456789012345"),
            (1234567890123456.0, "1.23456789012346e+15"),
            (999999999999999.9, "1e+15"),
            (1e21, "1e+21"),
            (5e-324, "4.94065645841247e-324"),
            (2.5e-7, "2.5e-07"),
            (1.5e300, "1.5e+300"),
            (-0.00012345678901234567, "-0.000123456789012346"),
            // Perl 5.36: `my $z = -1e-300 * 1e-300; print "$z"` prints 0.
            (-0.0, "0"),
        ];
        for &(f, want) in cases {
            assert_eq!(format_float(f), want, "{f:?}");
        }
    }

    #[test]
    fn strings_numify_as_perl_numifies_them() {
        assert_eq!(numify(b"3600"), Number::Int(3600));
        assert_eq!(numify(b"+3600"), Number::Int(3600));
        assert_eq!(numify(b"  -60xyz"), Number::Int(-60));
        assert_eq!(numify(b"00"), Number::Int(0));
        assert_eq!(numify(b"1.5h"), Number::Float(1.5));
        assert_eq!(numify(b"1e3"), Number::Float(1000.0));
        assert_eq!(numify(b"abc"), Number::Int(0));
        assert_eq!(numify(b""), Number::Int(0));
        assert_eq!(numify(b"."), Number::Int(0));
        assert_eq!(numify(b"5."), Number::Float(5.0));
        assert_eq!(numify(b"1e"), Number::Int(1));
        assert_eq!(numify(b"99999999999999999999"), Number::Float(1e20));
        assert!(matches!(numify(b"-inf"), Number::Float(f) if f == f64::NEG_INFINITY));
    }

    #[test]
    fn looks_like_number_matches_perl() {
        for yes in [
            &b"1"[..],
            b"-1",
            b"+1.5",
            b" 12",
            b"1e5",
            b".5",
            b"5.",
            b"Inf",
            b"nan",
            b"12\n",
        ] {
            assert!(
                looks_like_number(yes),
                "{:?}",
                yes.escape_ascii().to_string()
            );
        }
        for no in [&b""[..], b"abc", b"1a", b"1e", b"12 ", b"0x10", b"."] {
            assert!(
                !looks_like_number(no),
                "{:?}",
                no.escape_ascii().to_string()
            );
        }
    }
}

//! Just enough of Perl's numbers for `incr`: numify a string, add, stringify.
//!
//! `incr` does `$ID = <FH> || $IDInit; $ID += $IDIncr; print FH $ID` (spec §6.2), so the
//! counter file round-trips through Perl's string → number → string conversions.
//! Perl keeps an integer exactly when it fits an IV or UV (`-2**63 ..= 2**64-1`),
//! otherwise it holds a double and prints it with `%.15g`. This module reproduces
//! that; it is local because this crate depends on no other workspace crate.

/// A Perl number: an integer in IV/UV range, or a double.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PerlNum {
    /// Exactly representable as an IV or UV.
    Int(i128),
    /// Anything else (NV).
    Float(f64),
}

const INT_MIN: i128 = i64::MIN as i128;
const INT_MAX: i128 = u64::MAX as i128;

impl PerlNum {
    /// Perl's numification of a string (`grok_number` then `atof`): leading whitespace,
    /// an optional sign, then the longest prefix that reads as a decimal number
    /// (digits, optional fraction, optional exponent) or as `Inf`/`Infinity`/`NaN`; the
    /// rest is ignored and no number at all is 0. Returns the number and whether the
    /// whole string was numeric (Perl's `looks_like_number`, which also allows
    /// trailing whitespace).
    pub(crate) fn parse(text: &[u8]) -> (PerlNum, bool) {
        let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
        let start = text.iter().take_while(|b| is_space(b)).count();
        let rest = &text[start..];
        let (sign_len, negative) = match rest.first() {
            Some(b'-') => (1, true),
            Some(b'+') => (1, false),
            _ => (0, false),
        };
        let body = &rest[sign_len..];
        let (num, used) = match scan_decimal(body) {
            Some(scan) => (scan.value(negative, &rest[..sign_len + scan.len]), scan.len),
            None => match scan_inf_nan(body) {
                Some((value, len)) => (PerlNum::Float(if negative { -value } else { value }), len),
                None => (PerlNum::Int(0), 0),
            },
        };
        let tail = &body[used..];
        // "0 but true" is Perl's documented exemption from the numeric warning.
        let whole = (used > 0 && tail.iter().all(is_space)) || text == b"0 but true";
        (num, whole)
    }

    /// Perl's `+` on two numbers: integer arithmetic while the result stays in IV/UV
    /// range, a double otherwise.
    pub(crate) fn add(self, other: PerlNum) -> PerlNum {
        match (self, other) {
            (PerlNum::Int(a), PerlNum::Int(b)) => PerlNum::from_int(a + b),
            _ => PerlNum::Float(self.as_f64() + other.as_f64()),
        }
    }

    /// Whether the number is zero (`0`, `0.0`, `-0.0`).
    pub(crate) fn is_zero(self) -> bool {
        self.as_f64() == 0.0
    }

    fn from_int(value: i128) -> PerlNum {
        if (INT_MIN..=INT_MAX).contains(&value) {
            PerlNum::Int(value)
        } else {
            PerlNum::Float(value as f64)
        }
    }

    /// A double that holds an integer in IV range is used as an integer by Perl's
    /// arithmetic (`SvIV_please`), which changes nothing visible except exactness.
    fn from_float(value: f64) -> PerlNum {
        if value.fract() == 0.0 && value >= i64::MIN as f64 && value < i64::MAX as f64 {
            PerlNum::Int(value as i128)
        } else {
            PerlNum::Float(value)
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            PerlNum::Int(i) => i as f64,
            PerlNum::Float(f) => f,
        }
    }
}

impl std::fmt::Display for PerlNum {
    /// Perl's stringification: integers in decimal, doubles with `%.15g`, and
    /// `Inf`, `-Inf`, `NaN`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PerlNum::Int(i) => write!(f, "{i}"),
            PerlNum::Float(x) if x.is_nan() => f.write_str("NaN"),
            PerlNum::Float(x) if x.is_infinite() => {
                f.write_str(if x > 0.0 { "Inf" } else { "-Inf" })
            }
            // A float pattern compares with `==`, so this matches -0.0 as well.
            PerlNum::Float(0.0) => f.write_str("0"),
            PerlNum::Float(x) => f.write_str(&format_g15(x)),
        }
    }
}

/// C's `printf("%.15g", x)` for a finite, nonzero `x`.
fn format_g15(x: f64) -> String {
    const PRECISION: i32 = 15;
    // `{:e}` rounds correctly to the requested significant digits, and tells us the
    // decimal exponent after that rounding, which is what %g decides on.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, x);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..PRECISION).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_fraction_zeros(mantissa),
            exponent.abs()
        )
    } else {
        let decimals = (PRECISION - 1 - exponent).max(0) as usize;
        strip_fraction_zeros(&format!("{x:.decimals$}")).to_owned()
    }
}

/// %g drops trailing zeros of the fraction, and the point if nothing is left.
fn strip_fraction_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// The extent of a decimal number at the start of a string (after the sign).
struct DecimalScan {
    len: usize,
    integer_only: bool,
}

impl DecimalScan {
    fn value(&self, negative: bool, signed_text: &[u8]) -> PerlNum {
        // The scanned text is ASCII digits, `.`, `e`, signs: always UTF-8.
        let text = std::str::from_utf8(signed_text).unwrap_or("0");
        if self.integer_only {
            if let Ok(i) = text.parse::<i128>() {
                if (INT_MIN..=INT_MAX).contains(&i) {
                    return PerlNum::Int(i);
                }
            }
        }
        let value = text
            .parse::<f64>()
            .unwrap_or(if negative { -0.0 } else { 0.0 });
        PerlNum::from_float(value)
    }
}

/// `digits [. digits] [e|E [sign] digits]` or `. digits [...]`; `None` when there is
/// no digit before the exponent.
fn scan_decimal(body: &[u8]) -> Option<DecimalScan> {
    let digits_from = |at: usize| {
        body[at.min(body.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_digits = digits_from(0);
    let mut len = int_digits;
    let mut frac_digits = 0;
    let mut integer_only = true;
    if body.get(len) == Some(&b'.') {
        frac_digits = digits_from(len + 1);
        if int_digits + frac_digits > 0 {
            len += 1 + frac_digits;
            integer_only = false;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(body.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(body.get(len + 1), Some(b'+' | b'-')));
        let exp_digits = digits_from(len + 1 + sign);
        if exp_digits > 0 {
            len += 1 + sign + exp_digits;
            integer_only = false;
        }
    }
    Some(DecimalScan { len, integer_only })
}

/// Perl's `grok_infnan` for the common spellings: `Inf`, `Infinity`, `NaN`, any case.
fn scan_inf_nan(body: &[u8]) -> Option<(f64, usize)> {
    let starts = |word: &str| {
        body.len() >= word.len() && body[..word.len()].eq_ignore_ascii_case(word.as_bytes())
    };
    if starts("infinity") {
        Some((f64::INFINITY, 8))
    } else if starts("inf") {
        Some((f64::INFINITY, 3))
    } else if starts("nan") {
        Some((f64::NAN, 3))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> PerlNum {
        PerlNum::parse(text.as_bytes()).0
    }

    fn plus(a: &str, b: &str) -> String {
        num(a).add(num(b)).to_string()
    }

    #[test]
    fn numification_matches_perl() {
        // Each expectation is what `perl -e 'print "TEXT"+0'` prints.
        for (text, want) in [
            ("1006", "1006"),
            ("1006\n", "1006"),
            ("  12abc", "12"),
            ("0x10", "0"),
            (".5", "0.5"),
            ("1e3", "1000"),
            ("1_000", "1"),
            ("+3", "3"),
            ("-7", "-7"),
            ("1.5e", "1.5"),
            ("1.", "1"),
            ("abc", "0"),
            ("", "0"),
            ("\n", "0"),
            ("-", "0"),
            (".", "0"),
            ("Infinity", "Inf"),
            ("infx", "Inf"),
            ("-inf", "-Inf"),
            ("nan", "NaN"),
            ("0.1", "0.1"),
            ("18446744073709551615", "18446744073709551615"),
            ("18446744073709551616", "1.84467440737096e+19"),
            ("-9223372036854775808", "-9223372036854775808"),
            ("123456789012345678", "123456789012345678"),
        ] {
            assert_eq!(plus(text, "0"), want, "{text:?}");
        }
    }

    #[test]
    fn addition_matches_perl() {
        // `perl -e 'print A+B'`.
        for (a, b, want) in [
            ("1000", "2", "1002"),
            ("1.0", "2", "3"),
            ("0.1", "0.2", "0.3"),
            ("18446744073709551615", "1", "1.84467440737096e+19"),
            ("9223372036854775807", "1", "9223372036854775808"),
            ("-9223372036854775808", "-1", "-9.22337203685478e+18"),
            ("1e15", "0", "1000000000000000"),
            ("1e16", "0.5", "1e+16"),
            ("0.00001", "0", "1e-05"),
            ("0.0001", "0", "0.0001"),
            ("2.5", "-2.5", "0"),
            ("1.23456789012345678", "0", "1.23456789012346"),
        ] {
            assert_eq!(plus(a, b), want, "{a} + {b}");
        }
    }

    #[test]
    fn looks_like_number_is_whole_string() {
        for text in [
            "1",
            " 1 ",
            "-1.5e3",
            "+.5",
            "1.",
            "Inf",
            "nan\n",
            "0 but true",
        ] {
            assert!(PerlNum::parse(text.as_bytes()).1, "{text:?}");
        }
        for text in ["", " ", "1x", "0x10", "1_000", "e5", "-", "1e"] {
            assert!(!PerlNum::parse(text.as_bytes()).1, "{text:?}");
        }
    }

    #[test]
    fn zero_detection() {
        assert!(num("0.0").is_zero());
        assert!(num("-0").is_zero());
        assert!(!num("0.5").is_zero());
    }
}

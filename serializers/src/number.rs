//! Perl's number conversions: how a number prints (`"$x"`) and how a string numifies (`0 + $x`).
//!
//! Data::Dumper, Storable and the session logic all depend on these: a float is
//! written as Perl prints it (`%.15g`), and stored ATIME/ETIME values may be
//! strings that Perl numifies with its own lenient rules (leading white space,
//! a sign, digits, a fraction and exponent; trailing junk ignored; no number is 0).

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
/// `0.1 + 0.2` gives `0.3`, `1e20` gives `1e+20`, `1000.0` gives `1000`, `-0.0` gives `-0`
/// (Perl 5.36 prints `-0` for a negative zero NV; `"0"` only for the integer).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // %.15g: 15 significant digits; exponent form when exp < -4 or exp >= 15.
    let sci = format!("{:.14e}", f);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    if !(-4..15).contains(&exp) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    let decimals = (14 - exp).max(0) as usize;
    trim_fraction(&format!("{:.*}", decimals, f)).to_string()
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
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

//! Expiry intervals: Perl's `_str2seconds` (spec §3.4).
//!
//! An interval is given as a number of seconds (`3600`, `"3600"`, `"+3600"`) or as
//! a number and a unit (`"+1h"`, `"-10s"`, `"2d"`; units `s m h d w M y`, case
//! sensitive). What gets *stored* matters for Perl compatibility:
//! a plain number is stored **unchanged**, so `"3600"` stays the string `'3600'`
//! and `"+3600"` keeps its sign (which breaks CGI.pm's cookie `expires`, exactly
//! as in Perl), while a number with a unit is stored as integer seconds.

use cgi_session_serializers::Value;

use crate::error::{Error, Result};

/// Seconds per unit letter, as `_str2seconds` defines them (`M` is 30 days, `y` 365).
fn unit_seconds(unit: u8) -> Option<i64> {
    Some(match unit {
        b's' => 1,
        b'm' => 60,
        b'h' => 3600,
        b'd' => 86_400,
        b'w' => 604_800,
        b'M' => 2_592_000,
        b'y' => 31_536_000,
        _ => return None,
    })
}

/// Perl's `$` matches at the end or before one final newline.
fn strip_final_newline(s: &[u8]) -> &[u8] {
    s.strip_suffix(b"\n").unwrap_or(s)
}

/// `^[-+]?\d+$`, ASCII digits.
fn is_signed_integer(s: &[u8]) -> bool {
    let digits = s
        .strip_prefix(b"+")
        .or_else(|| s.strip_prefix(b"-"))
        .unwrap_or(s);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Converts an interval as Perl's `_str2seconds` does: `Ok(None)` for undef; the value
/// itself when it is a plain (signed) integer; integer seconds for `NUMBER UNIT`;
/// an error for anything else (`"1.5h"`, `"10 m"`, `"1H"`, `""`).
///
/// ```
/// use cgi_session::{str2seconds, Value};
/// assert_eq!(str2seconds(&"+1h".into()).unwrap(), Some(Value::Int(3600)));
/// assert_eq!(str2seconds(&"3600".into()).unwrap(), Some(Value::from("3600")));
/// assert!(str2seconds(&"1H".into()).is_err());
/// ```
pub fn str2seconds(interval: &Value) -> Result<Option<Value>> {
    let text = match interval {
        Value::Undef => return Ok(None),
        Value::Int(_) => return Ok(Some(interval.clone())),
        other => other
            .to_perl_string()
            .ok_or_else(|| Error::BadInterval(format!("{other:?}")))?,
    };
    let bytes = text.utf8_encoded();
    let body = strip_final_newline(&bytes);
    if is_signed_integer(body) {
        return Ok(Some(interval.clone()));
    }
    if let Some((&unit, number)) = body.split_last() {
        if let (Some(per_unit), true) = (unit_seconds(unit), is_signed_integer(number)) {
            let n: i64 = std::str::from_utf8(number)
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Error::BadInterval(text.to_string()))?;
            return n
                .checked_mul(per_unit)
                .map(|s| Some(Value::Int(s)))
                .ok_or_else(|| Error::BadInterval(text.to_string()));
        }
    }
    Err(Error::BadInterval(text.to_string()))
}

/// Whether an interval cancels expiry: Perl tests `$t =~ /^\d$/ and $t == 0`, so only
/// `0`/`"0"` (and undef) cancel, while `"00"` and `"+0"` set an interval of zero.
pub(crate) fn cancels(interval: &Value) -> bool {
    match interval {
        Value::Undef => true,
        Value::Int(0) => true,
        Value::Str(s) => strip_final_newline(s.as_bytes()) == b"0",
        Value::Float(f) => *f == 0.0 && !f.is_sign_negative(),
        _ => false,
    }
}

/// The seconds an interval stands for, numified as Perl does (`'+3600'` is 3600).
pub(crate) fn seconds(interval: &Value) -> f64 {
    interval.to_number().map_or(0.0, |n| n.as_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Value {
        str2seconds(&Value::from(s)).unwrap().unwrap()
    }

    #[test]
    fn units_convert_as_in_perls_str2seconds_t() {
        // t/str2seconds.t
        for (input, want) in [
            ("1m", 60),
            ("+1m", 60),
            ("-1m", -60),
            ("1h", 3600),
            ("1s", 1),
            ("1d", 86400),
            ("1w", 604800),
            ("1M", 2592000),
            ("1y", 31536000),
        ] {
            assert_eq!(secs(input), Value::Int(want), "{input}");
        }
    }

    #[test]
    fn plain_numbers_are_stored_unchanged() {
        // spec §3.4 table.
        assert_eq!(secs("3600"), Value::from("3600"));
        assert_eq!(secs("+3600"), Value::from("+3600"));
        assert_eq!(secs("00"), Value::from("00"));
        assert_eq!(str2seconds(&Value::Int(10)).unwrap(), Some(Value::Int(10)));
        assert_eq!(str2seconds(&Value::Undef).unwrap(), None);
        assert_eq!(secs("10\n"), Value::from("10\n"));
    }

    #[test]
    fn malformed_intervals_are_errors() {
        for bad in [
            "1.5h",
            "10 m",
            "1H",
            "",
            "h",
            "+h",
            "1hh",
            "99999999999999999y",
        ] {
            let err = str2seconds(&Value::from(bad)).unwrap_err();
            assert!(err.to_string().contains("couldn't parse"), "{bad}: {err}");
        }
        assert!(str2seconds(&Value::Float(1.5)).is_err());
    }

    #[test]
    fn only_a_single_zero_cancels() {
        assert!(cancels(&Value::Int(0)));
        assert!(cancels(&Value::from("0")));
        assert!(cancels(&Value::Undef));
        assert!(!cancels(&Value::from("00")));
        assert!(!cancels(&Value::from("+0")));
        assert!(!cancels(&Value::Int(-1)));
    }
}

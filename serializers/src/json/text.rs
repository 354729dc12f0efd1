//! JSON text: parsing with byte offsets in errors, and the compact writer whose
//! number format the Perl module reproduces.

use serde_json::Value as Json;

use super::FORMAT;
use crate::Error;

/// Parses JSON text. serde_json's parser is recursive but stops at 128 levels
/// ([`MAX_NESTING`](super::MAX_NESTING) is the deepest it accepts), so hostile
/// nesting gives an error, not a stack overflow.
pub(super) fn parse(bytes: &[u8]) -> Result<Json, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        let offset = byte_offset(bytes, e.line(), e.column());
        let position = format!(" at line {} column {}", e.line(), e.column());
        let text = e.to_string();
        Error::Syntax {
            format: FORMAT,
            offset,
            message: text.strip_suffix(&position).unwrap_or(&text).to_string(),
        }
    })
}

/// serde_json reports a 1-based line and a column counted in bytes (the byte at
/// which it stopped); this turns them back into an offset into the input.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = match line {
        0 | 1 => 0,
        _ => bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(line - 2)
            .map_or(0, |(i, _)| i + 1),
    };
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// Compact JSON (no white space), object keys in the map's (sorted) order, and
/// floats by [`float_text`]. Recursion is bounded: the mapping never builds JSON
/// deeper than [`MAX_NESTING`](super::MAX_NESTING).
pub(super) fn compact(json: &Json) -> Vec<u8> {
    let mut out = Vec::new();
    write(json, &mut out);
    out
}

fn write(json: &Json, out: &mut Vec<u8>) {
    match json {
        Json::Null => out.extend_from_slice(b"null"),
        Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        // Integers print as serde_json prints them; only floats need our format.
        Json::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => out.extend_from_slice(float_text(f).as_bytes()),
            None => out.extend_from_slice(n.to_string().as_bytes()),
        },
        Json::String(s) => string(s, out),
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Json::Object(map) => {
            out.push(b'{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out);
                out.push(b':');
                write(value, out);
            }
            out.push(b'}');
        }
    }
}

/// serde_json's string escaping: `"` and `\` escaped, control characters as `\n`,
/// `\t`, ... or `\u00XX` (lower-case hex), everything else as UTF-8. JSON::PP escapes
/// exactly the same way.
fn string(s: &str, out: &mut Vec<u8>) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A finite float as the mapping writes it: the shortest digits that read back as the
/// same double, in decimal notation when the exponent is in -4..16 (`1000.0`,
/// `0.0001`), otherwise as `d.ddde±XX` (`1.0e+20`, `1.5e-05`) — always with a decimal
/// point, so that every JSON reader (JSON::PP included) reads a float back.
pub(super) fn float_text(f: f64) -> String {
    // `{:e}` gives the shortest round-trip digits: "1.2345e17", "3e-1", "0e0".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let body = if (-4..16).contains(&exp) {
        if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{first}.{rest}e{exp_sign}{:02}", exp.unsigned_abs())
    };
    format!("{sign}{body}")
}

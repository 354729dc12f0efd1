//! Reading only some top-level entries of a record: what a purge needs to judge a
//! session (its `_SESSION_*` times), without building the rest.
//!
//! The common record — `$D = {PAIRS};;$D`, keys in single quotes, values made of
//! quoted strings, numbers, `undef`, arrays and hashes — is scanned once: the wanted
//! values are read by the full reader, the others are skipped over with their
//! structure checked (brackets, separators, `=>`, string ends) but nothing built.
//! Anything else (fix-up statements, `bless`, `qr//`, `do{...}`, references,
//! double-quoted strings with escapes, unusual keys, deep nesting) makes
//! [`thaw_fields`] give up with `None`, and the caller reads the record in full, so the
//! answer is always the full reader's.

use super::common::{separator, skip_semicolons};
use super::lexer::{keyword, number, variable, ws, In};
use super::reader::value;
use crate::{Hash, PerlString, Value};

/// The root hash's entries whose keys are in `wanted`, or `None` when the record is
/// not of the common shape (read it with the full reader then).
pub(super) fn thaw_fields(src: &[u8], wanted: &[&str]) -> Option<Value> {
    let (rest, var) = variable(ws(src))?;
    let rest = ws(rest).strip_prefix(b"=")?;
    let mut i = ws(rest).strip_prefix(b"{")?;
    let mut fields = Hash::new();
    i = ws(i);
    if let Some(rest) = i.strip_prefix(b"}") {
        i = rest;
    } else {
        loop {
            let (rest, key) = plain_key(i)?;
            let rest = ws(ws(rest).strip_prefix(b"=>")?);
            i = match wanted.iter().find(|w| w.as_bytes() == key) {
                Some(name) => {
                    let (rest, v) = value(rest).ok()?;
                    fields.insert(PerlString::from_text(name), v);
                    rest
                }
                None => skip_value(rest)?,
            };
            let (rest, more) = separator(ws(i), b'}')?;
            i = rest;
            if !more {
                break;
            }
        }
    }
    // `;` and empty statements, then the variable alone: no fix-ups.
    i = skip_semicolons(i);
    let (rest, last) = variable(i)?;
    (last == var && skip_semicolons(rest).is_empty()).then(|| Value::hash(fields))
}

/// `'key'` with no escapes in it: the raw key.
fn plain_key<'a>(i: In<'a>) -> Option<(In<'a>, &'a [u8])> {
    let body = i.strip_prefix(b"'")?;
    let end = body.iter().position(|&c| c == b'\'' || c == b'\\')?;
    (body[end] == b'\'').then(|| (&body[end + 1..], &body[..end]))
}

/// Open containers a skipped value may nest, one bit each (1: a hash).
const MAX_SKIP_DEPTH: u32 = 64;

/// Skips one value of the common shape, checking its structure; `None` for anything
/// else.
fn skip_value(mut i: In) -> Option<In> {
    let mut hashes: u64 = 0;
    let mut depth: u32 = 0;
    'value: loop {
        i = ws(i);
        match i.first()? {
            open @ (b'[' | b'{') => {
                let is_hash = *open == b'{';
                let close = if is_hash { b'}' } else { b']' };
                let rest = ws(&i[1..]);
                if let Some(rest) = rest.strip_prefix(&[close]) {
                    i = rest;
                } else {
                    if depth == MAX_SKIP_DEPTH {
                        return None;
                    }
                    hashes = (hashes << 1) | u64::from(is_hash);
                    depth += 1;
                    i = if is_hash { skip_key(rest)? } else { rest };
                    continue 'value;
                }
            }
            b'\'' => i = skip_single_quoted(i)?,
            b'"' => i = skip_plain_double_quoted(i)?,
            b'0'..=b'9' | b'-' => i = number(i).ok()?.0,
            _ => i = keyword(i, b"undef")?,
        }
        // The value is complete: close what it completes.
        loop {
            if depth == 0 {
                return Some(i);
            }
            let is_hash = hashes & 1 == 1;
            let (rest, more) = separator(ws(i), if is_hash { b'}' } else { b']' })?;
            i = rest;
            if more {
                if is_hash {
                    i = skip_key(i)?;
                }
                continue 'value;
            }
            hashes >>= 1;
            depth -= 1;
        }
    }
}

/// A nested hash's `'key' =>` (or a double-quoted key without escapes).
fn skip_key(i: In) -> Option<In> {
    let rest = match i.first()? {
        b'\'' => skip_single_quoted(i)?,
        b'"' => skip_plain_double_quoted(i)?,
        _ => return None,
    };
    Some(ws(ws(rest).strip_prefix(b"=>")?))
}

/// `'...'`, where `\` escapes the next byte.
fn skip_single_quoted(i: In) -> Option<In> {
    let mut rest = i.strip_prefix(b"'")?;
    loop {
        let at = rest.iter().position(|&c| c == b'\'' || c == b'\\')?;
        if rest[at] == b'\'' {
            return Some(&rest[at + 1..]);
        }
        rest = rest.get(at + 2..)?;
    }
}

/// `"..."` with no escape and nothing Perl would interpolate.
fn skip_plain_double_quoted(i: In) -> Option<In> {
    let body = i.strip_prefix(b"\"")?;
    let at = body
        .iter()
        .position(|&c| matches!(c, b'"' | b'\\' | b'$' | b'@'))?;
    (body[at] == b'"').then(|| &body[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dumper::common::tests::NOT_PLAIN;
    use crate::{Dumper, Serializer};

    const WANTED: &[&str] = &["_SESSION_ATIME", "_SESSION_ETIME", "_SESSION_ID"];

    /// The fast path's answer is the full reader's, restricted to the wanted keys.
    fn agrees(src: &str) {
        let fast = thaw_fields(src.as_bytes(), WANTED).expect("common shape");
        let full = Dumper.thaw(src.as_bytes()).unwrap();
        let mut expected = Hash::new();
        for (k, v) in full.as_hash().unwrap() {
            if WANTED.iter().any(|w| w.as_bytes() == k.as_bytes()) {
                expected.insert(k.clone(), v.clone());
            }
        }
        assert_eq!(fast, Value::hash(expected), "{src}");
    }

    #[test]
    fn reads_the_wanted_keys_of_common_records() {
        agrees("$D = {'_SESSION_ID' => 'abc','_SESSION_ATIME' => 1795000000,'_SESSION_ETIME' => '3600','cart' => [1,'two',{'k' => [undef,-2.5e3]}],'e' => {},'f' => []};;$D");
        agrees("$D = {};;$D");
        agrees("$VAR1 = {\n  'a' => \"plain\",\n  '_SESSION_ID' => 'x',\n};\n$VAR1;\n");
        agrees("$D = {'n' => 'it\\'s \\\\ here','_SESSION_ID' => 'y'};$D");
        agrees("$D = {'h' => {\"k\" => 1,},'l' => [[[]],[{}]],'_SESSION_ATIME' => '12'};;$D");
    }

    #[test]
    fn gives_up_on_everything_else() {
        for src in NOT_PLAIN.into_iter().chain([
            // escapes and interpolation in double quotes, unusual keys
            "$D = {'a' => \"\\x{263a}\"};;$D",
            "$D = {'a' => \"$x\"};;$D",
            "$D = {a => 1};;$D",
            "$D = {'a\\'b' => 1};;$D",
            // code, malformed structure, another variable, trailing statements
            "$D = {'a' => system('ls')};;$D",
            "$D = {'a' => [1 2]};;$D",
            "$D = {'a' => [1,,2]};;$D",
            "$D = {'a' => {'k' 1}};;$D",
            "$D = {'a' => 1};;$E",
            "$D = {'a' => 1};;$D;1",
            "$D = {'a' => 'unterminated};;$D",
            "{'a' => 1}",
        ]) {
            assert_eq!(thaw_fields(src.as_bytes(), WANTED), None, "{src}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_the_full_reader() {
        let deep = format!("$D = {{'a' => {}1{}}};;$D", "[".repeat(70), "]".repeat(70));
        assert_eq!(thaw_fields(deep.as_bytes(), WANTED), None);
        let ok = format!("$D = {{'a' => {}1{}}};;$D", "[".repeat(60), "]".repeat(60));
        assert!(thaw_fields(ok.as_bytes(), WANTED).is_some());
    }

    #[test]
    fn every_truncation_is_refused_or_agrees() {
        let src = "$D = {'_SESSION_ID' => 'abc','c' => [1,{'k' => 'v'}],'_SESSION_ATIME' => 5};;$D";
        for end in 0..src.len() {
            if let Some(v) = thaw_fields(&src.as_bytes()[..end], WANTED) {
                // Only a cut inside the trailing `;;$D` statements can still be complete.
                assert_eq!(Some(v), thaw_fields(src.as_bytes(), WANTED), "cut at {end}");
            }
        }
    }
}

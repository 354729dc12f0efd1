//! Perl values to JSON by the mapping (see the module docs).

use std::collections::HashMap;

use serde_json::{Map, Number, Value as Json};

use super::{FORMAT, MAX_NESTING};
use crate::{number, Error, PerlString, Value};

/// The key of an object's pairs list; the one tag a plain hash may carry.
pub(super) const PAIRS: &str = "$pairs";

/// Converts a Perl value to JSON by the mapping. Fails on what the mapping cannot
/// carry (see [`Json::freeze`](super::Json)).
///
/// `show --format json` prints this, and the serializer writes it compactly.
pub fn to_json(value: &Value) -> Result<Json, Error> {
    let mut counts = HashMap::new();
    count(value, &mut counts, 0);
    Writer {
        counts,
        ids: HashMap::new(),
        next: 1,
    }
    .value(value, 0)
}

fn unsupported(message: impl Into<String>) -> Error {
    Error::Unsupported {
        format: FORMAT,
        message: message.into(),
    }
}

/// The identity of a referent, for sharing. A blessed thing is one referent with
/// its object; code refs have none (Perl's oracle and Value::Code both ignore it).
fn identity(value: &Value) -> Option<usize> {
    match value {
        Value::Object(o) if matches!(o.value, Value::Code) => None,
        other => other.ref_addr(),
    }
}

/// The referents below a value, as Perl's `reftype` sees them.
fn children(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Hash(h) => h.values().collect(),
        Value::Scalar(inner) => vec![inner],
        Value::Object(o) => children(&o.value),
        _ => Vec::new(),
    }
}

/// Counts how often each referent is reached, entering each only once. Stops below
/// the nesting limit, which the writing pass reports.
fn count(value: &Value, counts: &mut HashMap<usize, usize>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    if let Some(addr) = identity(value) {
        let seen = counts.entry(addr).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            return;
        }
    }
    for child in children(value) {
        count(child, counts, depth + 1);
    }
}

/// Whether a hash key can be a plain JSON object key: text that reads back as the
/// same bytes, and no `$` that would make it look like a tag.
fn plain_key(key: &PerlString) -> Option<&str> {
    plain_text(key).filter(|text| !text.starts_with('$'))
}

/// The text of a string a plain JSON string stands for: valid UTF-8 bytes, or a
/// character string that is all ASCII (the flag makes no difference to Perl then).
fn plain_text(s: &PerlString) -> Option<&str> {
    if s.is_utf8() && !s.is_ascii() {
        return None;
    }
    std::str::from_utf8(s.as_bytes()).ok()
}

struct Writer {
    counts: HashMap<usize, usize>,
    ids: HashMap<usize, u64>,
    next: u64,
}

impl Writer {
    /// `value` as JSON, placed inside `depth` enclosing arrays and objects.
    fn value(&mut self, value: &Value, depth: usize) -> Result<Json, Error> {
        match value {
            Value::Undef => Ok(Json::Null),
            Value::Int(i) => Ok(Json::from(*i)),
            Value::Float(f) => match Number::from_f64(*f) {
                Some(n) => Ok(Json::Number(n)),
                None => tagged(depth, [("$float", Json::from(number::format_float(*f)))]),
            },
            Value::Str(s) => string(s, depth),
            _ => self.reference(value, depth),
        }
    }

    /// A reference: its first appearance carries an id when it is reached again later.
    fn reference(&mut self, value: &Value, depth: usize) -> Result<Json, Error> {
        let shared = identity(value).filter(|addr| self.counts.get(addr) > Some(&1));
        let Some(addr) = shared else {
            return self.referent(value, depth);
        };
        if let Some(&id) = self.ids.get(&addr) {
            return tagged(depth, [("$same", Json::from(id))]);
        }
        let id = self.next;
        self.next += 1;
        self.ids.insert(addr, id);
        let inner = self.referent(value, depth + 1)?;
        tagged(depth, [("$id", Json::from(id)), ("$value", inner)])
    }

    /// What a reference points to, without the sharing wrapper.
    fn referent(&mut self, value: &Value, depth: usize) -> Result<Json, Error> {
        nest(depth)?;
        match value {
            Value::Array(items) => Ok(Json::Array(
                items
                    .iter()
                    .map(|item| self.value(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Hash(h) => self.hash(h, depth),
            Value::Scalar(inner) => {
                let inner = self.value(inner, depth + 1)?;
                tagged(depth, [("$ref", inner)])
            }
            Value::Object(o) => {
                if !matches!(
                    o.value,
                    Value::Hash(_)
                        | Value::Array(_)
                        | Value::Scalar(_)
                        | Value::Code
                        | Value::Regexp(_)
                ) {
                    return Err(unsupported(format!(
                        "an object of class {:?} blesses {:?}, which is not a reference",
                        o.class.to_text(),
                        o.value
                    )));
                }
                let class = string(&o.class, depth + 1)?;
                let inner = self.referent(&o.value, depth + 1)?;
                tagged(depth, [("$bless", class), ("$value", inner)])
            }
            Value::Code => tagged(depth, [("$code", Json::Null)]),
            Value::Regexp(r) => {
                if !r.flags.bytes().all(|b| b.is_ascii_lowercase()) {
                    return Err(unsupported(format!(
                        "regexp flags {:?} are not lower-case letters",
                        r.flags
                    )));
                }
                let pattern = string(&r.pattern, depth + 1)?;
                tagged(
                    depth,
                    [
                        ("$flags", Json::from(r.flags.clone())),
                        ("$regexp", pattern),
                    ],
                )
            }
            Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_) => {
                self.value(value, depth)
            }
        }
    }

    /// Plain keys as object keys; the others as `"$pairs"`. Both are walked in the
    /// order they are written (keys sorted, `"$pairs"` in its sorted place), so
    /// shared ids are numbered as the Perl module numbers them.
    fn hash(&mut self, h: &crate::Hash, depth: usize) -> Result<Json, Error> {
        let mut plain = Vec::with_capacity(h.len());
        let mut odd = Vec::new();
        for (key, value) in h.iter() {
            match plain_key(key) {
                Some(text) => plain.push((text, value)),
                None => odd.push((key, value)),
            }
        }
        let split = plain.partition_point(|(k, _)| *k < PAIRS);
        let mut map = Map::new();
        for (key, value) in &plain[..split] {
            map.insert(key.to_string(), self.value(value, depth + 1)?);
        }
        if !odd.is_empty() {
            nest(depth + 1)?;
            let mut pairs = Vec::with_capacity(odd.len());
            for (key, value) in odd {
                nest(depth + 2)?;
                let key = string(key, depth + 3)?;
                pairs.push(Json::Array(vec![key, self.value(value, depth + 3)?]));
            }
            map.insert(PAIRS.to_string(), Json::Array(pairs));
        }
        for (key, value) in &plain[split..] {
            map.insert(key.to_string(), self.value(value, depth + 1)?);
        }
        Ok(Json::Object(map))
    }
}

/// A string: plain JSON when it is text, `$bytes` or `$chars` otherwise.
fn string(s: &PerlString, depth: usize) -> Result<Json, Error> {
    if let Some(text) = plain_text(s) {
        return Ok(Json::from(text));
    }
    if !s.is_utf8() {
        let latin1: String = s.as_bytes().iter().map(|&b| char::from(b)).collect();
        return tagged(depth, [("$bytes", Json::from(latin1))]);
    }
    match std::str::from_utf8(s.as_bytes()) {
        Ok(text) => tagged(depth, [("$chars", Json::from(text))]),
        Err(_) => Err(unsupported(
            "a character string holds a surrogate or a code point above U+10FFFF, \
             which JSON text cannot carry",
        )),
    }
}

/// One of the mapping's `$` objects, at `depth`.
fn tagged<const N: usize>(depth: usize, pairs: [(&str, Json); N]) -> Result<Json, Error> {
    nest(depth)?;
    Ok(Json::Object(
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    ))
}

/// Refuses an array or object inside `depth` others when that passes the limit.
fn nest(depth: usize) -> Result<(), Error> {
    if depth >= MAX_NESTING {
        return Err(unsupported(format!(
            "data nested deeper than {MAX_NESTING} JSON levels"
        )));
    }
    Ok(())
}

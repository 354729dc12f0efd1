//! JSON back to Perl values by the mapping (see the module docs).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::write::PAIRS;
use super::{FORMAT, MAX_NESTING};
use crate::{Error, Hash, Object, PerlString, Regexp, Value};

/// Converts JSON to a Perl value by the mapping. An object with a `$` key must be
/// exactly one of the mapping's forms; errors name the node by its JSON pointer.
///
/// `cgisess new --set-json` reads its argument with this, and the serializer its records.
pub fn from_json(json: &Json) -> Result<Value, Error> {
    let mut reader = Reader::default();
    reader.value(json, 0).map_err(|fail| Error::Unsupported {
        format: FORMAT,
        message: format!("at {}: {}", fail.pointer(), fail.message),
    })
}

/// A mapping error on its way up, collecting the path to the node that caused it.
struct Fail {
    /// Path segments, innermost first.
    path: Vec<String>,
    message: String,
}

impl Fail {
    fn new(message: impl Into<String>) -> Fail {
        Fail {
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// The JSON pointer (RFC 6901) of the node, `/` for the whole document.
    fn pointer(&self) -> String {
        if self.path.is_empty() {
            return "/".to_string();
        }
        self.path
            .iter()
            .rev()
            .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
            .collect()
    }
}

/// Adds one path segment to an error passing through a node's child.
fn at<T>(segment: impl ToString, result: Result<T, Fail>) -> Result<T, Fail> {
    result.map_err(|mut fail| {
        fail.path.push(segment.to_string());
        fail
    })
}

#[derive(Default)]
struct Reader {
    /// Referents defined by `$id`, for `$same`.
    ids: HashMap<u64, Value>,
}

impl Reader {
    fn value(&mut self, json: &Json, depth: usize) -> Result<Value, Fail> {
        // serde_json's parser already stops at this depth; a JSON value built by a
        // program may not have, and the conversion below recurses.
        if depth > MAX_NESTING {
            return Err(Fail::new(format!(
                "nested deeper than {MAX_NESTING} levels"
            )));
        }
        Ok(match json {
            Json::Null => Value::Undef,
            Json::Bool(b) => Value::Int(i64::from(*b)),
            // serde_json reads a number with a fraction or an exponent as f64 and
            // an integer as i64 when it fits; the rest (beyond i64) becomes a float.
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::Str(PerlString::from(s.as_bytes())),
            Json::Array(items) => Value::from(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| at(i, self.value(item, depth + 1)))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Json::Object(map) => self.object(map, depth)?,
        })
    }

    /// A plain hash, or one of the `$` forms, told apart by the set of `$` keys.
    fn object(&mut self, map: &Map<String, Json>, depth: usize) -> Result<Value, Fail> {
        let tags: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| k.starts_with('$'))
            .collect();
        if tags.is_empty() || tags == [PAIRS] {
            return self.hash(map, depth);
        }
        if tags.len() != map.len() {
            return Err(Fail::new(format!(
                "an object mixes the mapping's {tags:?} with other keys \
                 (a hash key starting with `$` belongs in \"{PAIRS}\")"
            )));
        }
        if let Some(s) = string_form(map) {
            return s.map(Value::Str);
        }
        let field = |name: &str| &map[name];
        let inner = depth + 1;
        Ok(match tags.as_slice() {
            ["$ref"] => Value::Scalar(Arc::new(at("$ref", self.value(field("$ref"), inner))?)),
            ["$bless", "$value"] => {
                let class = at("$bless", string(field("$bless")))?;
                let value = at("$value", self.blessable(field("$value"), inner))?;
                Value::Object(Arc::new(Object { class, value }))
            }
            ["$float"] => match at("$float", text_of(field("$float")))? {
                "Inf" => Value::Float(f64::INFINITY),
                "-Inf" => Value::Float(f64::NEG_INFINITY),
                "NaN" => Value::Float(f64::NAN),
                other => {
                    return fail(
                        "$float",
                        format!("expected Inf, -Inf or NaN, found {other:?}"),
                    )
                }
            },
            ["$code"] => match field("$code") {
                Json::Null => Value::Code,
                _ => return fail("$code", "expected null"),
            },
            ["$flags", "$regexp"] => {
                let flags = at("$flags", text_of(field("$flags")))?;
                if !flags.bytes().all(|b| b.is_ascii_lowercase()) {
                    return fail(
                        "$flags",
                        format!("regexp flags {flags:?} are not lower-case letters"),
                    );
                }
                let pattern = at("$regexp", string(field("$regexp")))?;
                if let Some(why) = Regexp::code_refusal(pattern.as_bytes()) {
                    return fail("$regexp", why);
                }
                Value::Regexp(Arc::new(Regexp {
                    pattern,
                    flags: flags.to_string(),
                }))
            }
            ["$id", "$value"] => {
                let id = at("$id", id_of(field("$id")))?;
                if self.ids.contains_key(&id) {
                    return fail("$id", format!("id {id} is defined twice"));
                }
                if is_sharing(field("$value")) {
                    return fail("$value", "a shared value must be a new reference");
                }
                let value = at("$value", self.value(field("$value"), inner))?;
                if !value.is_ref() {
                    return fail("$value", "only a reference can be shared");
                }
                self.ids.insert(id, value.clone());
                value
            }
            ["$same"] => {
                let id = at("$same", id_of(field("$same")))?;
                match self.ids.get(&id) {
                    Some(value) => value.clone(),
                    None => {
                        return fail(
                            "$same",
                            format!(
                                "id {id} is not defined before this point \
                                 (a cycle, which a Value cannot hold, or ids out of order)"
                            ),
                        )
                    }
                }
            }
            _ => {
                return Err(Fail::new(format!(
                    "unknown form {tags:?} (a hash key starting with `$` belongs in \"{PAIRS}\")"
                )))
            }
        })
    }

    /// What `$bless` blesses: a new reference (not a shared one, not another object).
    fn blessable(&mut self, json: &Json, depth: usize) -> Result<Value, Fail> {
        let shared = is_sharing(json);
        let value = self.value(json, depth)?;
        match value {
            Value::Hash(_)
            | Value::Array(_)
            | Value::Scalar(_)
            | Value::Code
            | Value::Regexp(_)
                if !shared =>
            {
                Ok(value)
            }
            _ => Err(Fail::new(
                "expected an unshared array, hash, `$ref`, `$code` or `$regexp` to bless",
            )),
        }
    }

    /// Plain keys, and those of `"$pairs"`, in key order with `"$pairs"` in its
    /// sorted place: the order both writers give shared ids.
    fn hash(&mut self, map: &Map<String, Json>, depth: usize) -> Result<Value, Fail> {
        let mut hash = Hash::new();
        for (key, json) in map {
            if key != PAIRS {
                let value = at(key, self.value(json, depth + 1))?;
                at(
                    key,
                    insert(&mut hash, PerlString::from(key.as_bytes()), value),
                )?;
                continue;
            }
            let Json::Array(pairs) = json else {
                return fail(PAIRS, "expected an array of [key, value] pairs");
            };
            for (i, pair) in pairs.iter().enumerate() {
                let one = |reader: &mut Reader, hash: &mut Hash| match pair {
                    Json::Array(kv) if kv.len() == 2 => {
                        let key = at(0, string(&kv[0]))?;
                        let value = at(1, reader.value(&kv[1], depth + 3))?;
                        insert(hash, key, value)
                    }
                    _ => Err(Fail::new("expected a [key, value] pair")),
                };
                at(PAIRS, at(i, one(self, &mut hash)))?;
            }
        }
        Ok(Value::from(hash))
    }
}

/// Whether a node is one of the sharing forms (`$id`, `$same`).
fn is_sharing(json: &Json) -> bool {
    json.as_object()
        .is_some_and(|m| m.contains_key("$id") || m.contains_key("$same"))
}

fn insert(hash: &mut Hash, key: PerlString, value: Value) -> Result<(), Fail> {
    if hash.contains_key(&key) {
        return Err(Fail::new(format!(
            "hash key {:?} appears twice",
            key.to_text()
        )));
    }
    hash.insert(key, value);
    Ok(())
}

fn fail<T>(segment: &str, message: impl Into<String>) -> Result<T, Fail> {
    at(segment, Err(Fail::new(message)))
}

/// A string in the mapping's string forms: plain, `$bytes` or `$chars`.
fn string(json: &Json) -> Result<PerlString, Fail> {
    match json {
        Json::String(s) => Ok(PerlString::from(s.as_bytes())),
        Json::Object(map) => {
            string_form(map).unwrap_or_else(|| Err(Fail::new("expected a string")))
        }
        _ => Err(Fail::new("expected a string")),
    }
}

/// `{"$bytes": ..}` or `{"$chars": ..}`, if the object is one of those.
fn string_form(map: &Map<String, Json>) -> Option<Result<PerlString, Fail>> {
    let (tag, json) = map.iter().next().filter(|_| map.len() == 1)?;
    let result = match tag.as_str() {
        "$bytes" => latin1(json),
        "$chars" => text_of(json).and_then(|text| {
            PerlString::from_utf8_internal_slice(text.as_bytes())
                .map_err(|e| Fail::new(e.to_string()))
        }),
        _ => return None,
    };
    Some(at(tag, result))
}

fn text_of(json: &Json) -> Result<&str, Fail> {
    json.as_str()
        .ok_or_else(|| Fail::new("expected a JSON string"))
}

/// `$bytes`: one character per byte.
fn latin1(json: &Json) -> Result<PerlString, Fail> {
    let text = text_of(json)?;
    let bytes = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| Fail::new("a `$bytes` string holds a character above U+00FF"))?;
    Ok(PerlString::from_bytes(bytes))
}

fn id_of(json: &Json) -> Result<u64, Fail> {
    json.as_u64()
        .ok_or_else(|| Fail::new("expected a non-negative integer id"))
}

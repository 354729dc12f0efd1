//! The JSON mapping of Perl values, for people and for other languages.
//!
//! | Perl | JSON |
//! |---|---|
//! | `undef` | `null` |
//! | integer | number |
//! | float | number; `"Inf"`, `"-Inf"`, `"NaN"` as strings |
//! | string | string (a byte string is read as UTF-8 when valid, else as Latin-1) |
//! | array ref | array |
//! | hash ref | object |
//! | scalar ref `\$x` | `{"$ref": x}` |
//! | blessed ref | `{"$bless": "Class", "$value": referent}` |
//! | code ref | `{"$code": null}` |
//! | regexp `qr/p/f` | `{"$regexp": "p", "$flags": "f"}` |
//!
//! Reading JSON back: `true`/`false` become 1/0, integers that fit become integers,
//! other numbers floats, and strings become character strings (pure ASCII stays
//! bytes, as Perl keeps it). An object is read as one of the tagged forms above
//! only when its keys are exactly that form's keys. Shared references are written
//! as copies; the mapping is for reading and for interchange, not a lossless image
//! of Perl's memory (the serializers are that).

use std::sync::Arc;

use cgi_session_serializers::{number, Hash, Object, PerlString, Regexp, Value};
use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// Converts a Perl value to JSON by the mapping above.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Undef => Json::Null,
        Value::Int(i) => Json::from(*i),
        Value::Float(f) if f.is_finite() => Json::from(*f),
        Value::Float(f) => Json::from(number::format_float(*f)),
        Value::Str(s) => Json::from(s.to_text().into_owned()),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Hash(h) => Json::Object(
            h.iter()
                .map(|(k, v)| (k.to_text().into_owned(), to_json(v)))
                .collect(),
        ),
        Value::Scalar(inner) => tagged([("$ref", to_json(inner))]),
        Value::Object(o) => tagged([
            ("$bless", Json::from(o.class.to_text().into_owned())),
            ("$value", to_json(&o.value)),
        ]),
        Value::Code => tagged([("$code", Json::Null)]),
        Value::Regexp(r) => tagged([
            ("$regexp", Json::from(r.pattern.to_text().into_owned())),
            ("$flags", Json::from(r.flags.clone())),
        ]),
    }
}

fn tagged<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// How deeply [`from_json`] nests: serde_json's own parser limit, so any JSON text
/// that parsed converts.
pub const JSON_MAX_DEPTH: usize = 128;

/// Converts JSON to a Perl value by the mapping above. Nesting deeper than
/// [`JSON_MAX_DEPTH`] is refused.
pub fn from_json(json: &Json) -> Result<Value> {
    from_json_at(json, 0)
}

fn from_json_at(json: &Json, depth: usize) -> Result<Value> {
    if depth > JSON_MAX_DEPTH {
        return Err(Error::Usage(format!(
            "JSON nested deeper than {JSON_MAX_DEPTH} levels"
        )));
    }
    let inner = |j: &Json| from_json_at(j, depth + 1);
    Ok(match json {
        Json::Null => Value::Undef,
        Json::Bool(b) => Value::Int(i64::from(*b)),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(PerlString::from(s.clone())),
        Json::Array(items) => Value::from(items.iter().map(inner).collect::<Result<Vec<_>>>()?),
        Json::Object(map) => match tagged_value(map, depth)? {
            Some(v) => v,
            None => Value::from(
                map.iter()
                    .map(|(k, v)| Ok((PerlString::from(k.as_str()), inner(v)?)))
                    .collect::<Result<Hash>>()?,
            ),
        },
    })
}

/// The tagged forms, recognised by their exact key sets.
fn tagged_value(map: &Map<String, Json>, depth: usize) -> Result<Option<Value>> {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let text = |k: &str| map[k].as_str();
    Ok(Some(match keys.as_slice() {
        ["$ref"] => Value::Scalar(Arc::new(from_json_at(&map["$ref"], depth + 1)?)),
        ["$bless", "$value"] if text("$bless").is_some() => Value::Object(Arc::new(Object {
            class: PerlString::from(text("$bless").unwrap_or_default()),
            value: from_json_at(&map["$value"], depth + 1)?,
        })),
        ["$code"] => Value::Code,
        ["$flags", "$regexp"] if text("$flags").is_some() && text("$regexp").is_some() => {
            Value::Regexp(Arc::new(Regexp {
                pattern: PerlString::from(text("$regexp").unwrap_or_default()),
                flags: text("$flags").unwrap_or_default().to_string(),
            }))
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_values_map_to_json_and_back() {
        let v = Value::hash([
            ("n", Value::Int(3)),
            ("f", Value::Float(0.5)),
            ("s", Value::from("café")),
            ("u", Value::Undef),
            ("a", Value::array([1, 2])),
            ("r", Value::scalar_ref("x")),
            ("o", Value::blessed("Foo::Bar", Value::hash([("k", 1)]))),
            ("c", Value::Code),
        ]);
        let json = to_json(&v);
        assert_eq!(json["o"]["$bless"], "Foo::Bar");
        assert_eq!(json["r"]["$ref"], "x");
        assert_eq!(from_json(&json).unwrap(), v);
    }

    #[test]
    fn byte_strings_show_as_text() {
        assert_eq!(to_json(&Value::bytes("café".as_bytes())), "café");
        assert_eq!(to_json(&Value::bytes(b"caf\xe9".to_vec())), "café");
        assert_eq!(to_json(&Value::Float(f64::INFINITY)), "Inf");
    }

    #[test]
    fn objects_with_other_keys_stay_hashes() {
        let json: Json = serde_json::from_str(r#"{"$ref": 1, "other": 2}"#).unwrap();
        assert_eq!(from_json(&json).unwrap().as_hash().unwrap().len(), 2);
        let mut deep = Json::Null;
        for _ in 0..JSON_MAX_DEPTH + 5 {
            deep = Json::Array(vec![deep]);
        }
        assert!(from_json(&deep).is_err());
    }
}

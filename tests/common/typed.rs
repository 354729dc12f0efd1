//! Typed JSON: Perl data written as JSON with nothing lost, the notation the Perl
//! oracle (`tests/oracle/oracle.pl`) and the fixtures use. The format is specified
//! in `tests/oracle/README.md`; this is its Rust half.
//!
//! [`to_typed`] and [`try_from_typed`] mirror `to_typed`/`from_typed` in
//! `oracle.pl` exactly, down to how shared references are numbered, so a Perl
//! value and a Rust [`Value`] compare as equal `serde_json::Value`s.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cgi_session_serializers::string::encode_lax;
use cgi_session_serializers::{Object, PerlString, Regexp, Value};
use serde_json::{json, Map, Value as Json};

/// The typed JSON of a value.
///
/// # Panics
/// On a hash key that JSON cannot hold (a surrogate or a code point beyond
/// U+10FFFF): no test data has one, and typed JSON has no form for it.
pub fn to_typed(value: &Value) -> Json {
    let mut counts = HashMap::new();
    count_refs(value, &mut counts);
    let mut writer = Writer {
        counts,
        ids: HashMap::new(),
        next: 1,
    };
    writer.typed(value)
}

/// The value typed JSON describes; panics with the reason if it is malformed or
/// cyclic (see [`try_from_typed`]).
pub fn from_typed(typed: &Json) -> Value {
    try_from_typed(typed).unwrap_or_else(|e| panic!("bad typed JSON: {e}\n{typed:#}"))
}

/// The value typed JSON describes. Fails on malformed input and on cycles (a
/// `{"same":N}` inside node N itself), which a [`Value`] cannot hold.
pub fn try_from_typed(typed: &Json) -> Result<Value, String> {
    Reader::default().value(typed)
}

/// How a float is written: the shortest of `%.15g`, `%.16g`, `%.17g` that reads back
/// as the same double (so `0.1` is `"0.1"`), and `Inf`, `-Inf`, `NaN` as Perl prints them.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf" } else { "-Inf" }.into();
    }
    for digits in 15..17 {
        let text = format_g(f, digits);
        if text.parse::<f64>() == Ok(f) {
            return text;
        }
    }
    format_g(f, 17)
}

/// C's `%.{digits}g` for a finite double.
fn format_g(f: f64, digits: usize) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", digits - 1, f);
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("the exponent is an integer");
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= digits as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.unsigned_abs())
    } else {
        let decimals = (digits as i32 - 1 - exp) as usize;
        trim(&format!("{:.*}", decimals, f))
    }
}

/// Perl's `qr//` thawed by the default serializer comes back blessed into the Safe
/// compartment's package, `Safe::Root<N>::Regexp` (N counts compartments in the
/// process). This rewrites such objects as plain regexps, for comparing Perl's
/// view with a reader that, rightly, gives a plain regexp.
pub fn without_safe_regexp_class(typed: &Json) -> Json {
    match typed {
        Json::Object(map) => {
            let is_safe_regexp = map
                .get("bless")
                .and_then(Json::as_str)
                .is_some_and(|class| {
                    class
                        .strip_prefix("Safe::Root")
                        .and_then(|rest| rest.strip_suffix("::Regexp"))
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
                && map.get("value").is_some_and(|v| v.get("regexp").is_some());
            if is_safe_regexp {
                let mut plain = map["value"].as_object().cloned().unwrap_or_default();
                if let Some(id) = map.get("id") {
                    plain.insert("id".into(), id.clone());
                }
                return Json::Object(plain);
            }
            Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), without_safe_regexp_class(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(without_safe_regexp_class).collect()),
        other => other.clone(),
    }
}

/// Where two typed values first differ, as a path (`$.hash.cart.array[1]`) with
/// both sides; `None` when they are equal. Test failures read better than a dump.
pub fn first_difference(got: &Json, want: &Json) -> Option<String> {
    fn walk(path: &str, got: &Json, want: &Json) -> Option<String> {
        match (got, want) {
            (Json::Object(a), Json::Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                keys.into_iter().find_map(|k| match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => walk(&format!("{path}.{k}"), x, y),
                    _ => Some(format!("{path}: got {got}, want {want}")),
                })
            }
            (Json::Array(a), Json::Array(b)) if a.len() == b.len() => a
                .iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| walk(&format!("{path}[{i}]"), x, y)),
            _ if got == want => None,
            _ => Some(format!("{path}: got {got}, want {want}")),
        }
    }
    walk("$", got, want)
}

// ------------------------------------------------------------------ Value -> JSON

/// How often each referent is reached; the first visit walks into it.
fn count_refs(value: &Value, counts: &mut HashMap<usize, usize>) {
    if let Some(addr) = value.ref_addr() {
        let seen = counts.entry(addr).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            return;
        }
    }
    match value {
        Value::Array(items) => items.iter().for_each(|v| count_refs(v, counts)),
        Value::Hash(hash) => hash.values().for_each(|v| count_refs(v, counts)),
        Value::Scalar(target) => count_refs(target, counts),
        Value::Object(object) => count_refs(&object.value, counts),
        _ => {}
    }
}

struct Writer {
    counts: HashMap<usize, usize>,
    ids: HashMap<usize, u64>,
    next: u64,
}

impl Writer {
    fn typed(&mut self, value: &Value) -> Json {
        let mut id = None;
        if let Some(addr) = value.ref_addr().filter(|a| self.counts[a] > 1) {
            if let Some(&seen) = self.ids.get(&addr) {
                return json!({ "same": seen });
            }
            id = Some(self.next);
            self.ids.insert(addr, self.next);
            self.next += 1;
        }
        let mut node = match value {
            Value::Undef => return Json::Null,
            Value::Int(i) => return json!({ "int": i }),
            Value::Float(f) => return json!({ "num": float_text(*f) }),
            Value::Str(s) => return typed_string(s),
            Value::Array(items) => {
                json!({ "array": items.iter().map(|v| self.typed(v)).collect::<Vec<_>>() })
            }
            Value::Hash(hash) => {
                let mut map = Map::new();
                let mut utf8_keys = Vec::new();
                // BTreeMap order is code point order, as Perl's `sort keys`: ids match.
                for (key, v) in hash.iter() {
                    let text =
                        text_of(key).unwrap_or_else(|| panic!("hash key {key:?} has no JSON form"));
                    if key.is_utf8() && key.code_points().all(|c| c <= 0xFF) {
                        utf8_keys.push(Json::String(text.clone()));
                    }
                    map.insert(text, self.typed(v));
                }
                let mut node = json!({ "hash": map });
                if !utf8_keys.is_empty() {
                    node["utf8_keys"] = Json::Array(utf8_keys);
                }
                node
            }
            Value::Scalar(target) => json!({ "ref": self.typed(target) }),
            Value::Code => json!({ "code": true }),
            Value::Regexp(re) => typed_regexp(re),
            Value::Object(object) => self.typed_object(object),
        };
        if let Some(id) = id {
            node["id"] = json!(id);
        }
        node
    }

    /// A blessed thing: its body inside `bless`. The object's identity is the
    /// `Arc<Object>`'s, handled by the caller, as in Perl it is the referent's.
    fn typed_object(&mut self, object: &Object) -> Json {
        if let (Value::Regexp(re), true) = (&object.value, object.class == "Regexp") {
            return typed_regexp(re); // every Perl qr// is blessed into Regexp
        }
        let body = self.typed(&object.value);
        json!({ "bless": code_point_text(&object.class), "value": body })
    }
}

fn typed_regexp(re: &Regexp) -> Json {
    json!({ "regexp": code_point_text(&re.pattern), "flags": re.flags })
}

fn typed_string(s: &PerlString) -> Json {
    if !s.is_utf8() {
        return json!({ "str": s.as_bytes().iter().map(|&b| b as char).collect::<String>() });
    }
    match text_of(s) {
        Some(text) => json!({ "utf8": text }),
        None => json!({ "utf8_cp": s.code_points().collect::<Vec<_>>() }),
    }
}

/// The code points as a Rust string, if every one is a Unicode scalar value.
fn text_of(s: &PerlString) -> Option<String> {
    s.code_points().map(char::from_u32).collect()
}

fn code_point_text(s: &PerlString) -> String {
    s.code_points()
        .map(|c| char::from_u32(c).unwrap_or('\u{FFFD}'))
        .collect()
}

// ------------------------------------------------------------------ JSON -> Value

#[derive(Default)]
struct Reader {
    /// Finished nodes by id. A node is entered only once built, so `same` inside
    /// its own node finds nothing: that is how cycles are detected.
    done: HashMap<u64, Value>,
    building: HashSet<u64>,
}

impl Reader {
    fn value(&mut self, typed: &Json) -> Result<Value, String> {
        let map = match typed {
            Json::Null => return Ok(Value::Undef),
            Json::Object(map) => map,
            other => return Err(format!("expected null or an object, found {other}")),
        };
        if let Some(same) = map.get("same") {
            let id = same.as_u64().ok_or("`same` must be a number")?;
            return match self.done.get(&id) {
                Some(v) => Ok(v.clone()),
                None if self.building.contains(&id) => {
                    Err(format!("cycle: node {id} refers to itself"))
                }
                None => Err(format!("`same: {id}` before the node with that id")),
            };
        }
        let id = map
            .get("id")
            .map(|v| v.as_u64().ok_or("`id` must be a number"))
            .transpose()?;
        if let Some(id) = id {
            if !self.building.insert(id) || self.done.contains_key(&id) {
                return Err(format!("id {id} is defined twice"));
            }
        }
        let value = self.body(map)?;
        if let Some(id) = id {
            self.building.remove(&id);
            self.done.insert(id, value.clone());
        }
        Ok(value)
    }

    fn body(&mut self, map: &Map<String, Json>) -> Result<Value, String> {
        let text = |key: &str| -> Result<&str, String> {
            map[key]
                .as_str()
                .ok_or_else(|| format!("`{key}` must be a string"))
        };
        if let Some(int) = map.get("int") {
            return int
                .as_i64()
                .map(Value::Int)
                .ok_or_else(|| format!("int {int} is not an i64"));
        }
        if map.contains_key("num") {
            return parse_float(text("num")?).map(Value::Float);
        }
        if map.contains_key("str") {
            return byte_string(text("str")?).map(Value::Str);
        }
        if map.contains_key("utf8") {
            return Ok(Value::Str(utf8_string(
                text("utf8")?.chars().map(u32::from),
            )?));
        }
        if let Some(points) = map.get("utf8_cp") {
            let points = points.as_array().ok_or("`utf8_cp` must be an array")?;
            let points = points
                .iter()
                .map(|p| {
                    p.as_u64()
                        .and_then(|p| u32::try_from(p).ok())
                        .ok_or("bad code point")
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Value::Str(utf8_string(points)?));
        }
        if let Some(items) = map.get("array") {
            let items = items.as_array().ok_or("`array` must be an array")?;
            let values = items
                .iter()
                .map(|v| self.value(v))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Value::Array(Arc::new(values)));
        }
        if let Some(hash) = map.get("hash") {
            return self.hash(hash, map.get("utf8_keys"));
        }
        if let Some(target) = map.get("ref") {
            return Ok(Value::Scalar(Arc::new(self.value(target)?)));
        }
        if map.contains_key("code") {
            return Ok(Value::Code);
        }
        if map.contains_key("regexp") {
            let flags = map
                .get("flags")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let pattern = PerlString::from_code_points(text("regexp")?.chars().map(u32::from))
                .map_err(|c| format!("code point {c:#x} out of range"))?;
            return Ok(Value::Regexp(Arc::new(Regexp { pattern, flags })));
        }
        if map.contains_key("bless") {
            let class = PerlString::from_code_points(text("bless")?.chars().map(u32::from))
                .map_err(|c| format!("code point {c:#x} out of range"))?;
            let body = map.get("value").ok_or("`bless` without `value`")?;
            let body = body.as_object().ok_or("`value` must be an object")?;
            if body.contains_key("same") || body.contains_key("id") {
                return Err("the `value` of `bless` carries no identity of its own".into());
            }
            let value = self.body(body)?;
            return Ok(Value::Object(Arc::new(Object { class, value })));
        }
        Err(format!("unknown typed value {}", Json::Object(map.clone())))
    }

    fn hash(&mut self, hash: &Json, utf8_keys: Option<&Json>) -> Result<Value, String> {
        let hash = hash.as_object().ok_or("`hash` must be an object")?;
        let utf8_keys: HashSet<&str> = match utf8_keys {
            None => HashSet::new(),
            Some(keys) => keys
                .as_array()
                .ok_or("`utf8_keys` must be an array")?
                .iter()
                .map(|k| k.as_str().ok_or("`utf8_keys` holds strings"))
                .collect::<Result<_, _>>()?,
        };
        let mut out = cgi_session_serializers::Hash::new();
        for (key, v) in hash {
            let points = key.chars().map(u32::from);
            let perl_key = if utf8_keys.contains(key.as_str()) || key.chars().any(|c| c > '\u{ff}')
            {
                utf8_string(points)?
            } else {
                byte_string(key)?
            };
            out.insert(perl_key, self.value(v)?);
        }
        Ok(Value::Hash(Arc::new(out)))
    }
}

fn parse_float(text: &str) -> Result<f64, String> {
    match text {
        "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text
            .parse()
            .map_err(|_| format!("num {text:?} is not a float")),
    }
}

/// A byte string: every char of the JSON text is one byte.
fn byte_string(text: &str) -> Result<PerlString, String> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c)).map_err(|_| format!("str {text:?} holds {c:?} above 0xFF"))
        })
        .collect::<Result<Vec<u8>, _>>()
        .map(PerlString::from_bytes)
}

/// A character string (UTF-8 flag on), whatever its code points.
fn utf8_string(points: impl IntoIterator<Item = u32>) -> Result<PerlString, String> {
    let mut bytes = Vec::new();
    for c in points {
        encode_lax(c, &mut bytes);
    }
    PerlString::from_utf8_internal(bytes).map_err(|e| e.to_string())
}

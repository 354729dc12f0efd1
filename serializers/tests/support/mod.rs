//! What the serializers' live Perl tests share: a piece of data written both as a
//! Perl expression and as a [`Value`], and the small builders the case lists use.
//! Each test binary includes this with `#[path]` and uses what it needs.
#![allow(dead_code)]

use std::sync::Arc;

use cgi_session_serializers::{PerlString, Regexp, Value};

/// One piece of data, as a Perl expression and as a [`Value`].
pub struct Case {
    pub name: &'static str,
    pub perl: &'static str,
    pub value: Value,
}

/// A byte string.
pub fn bytes(b: &[u8]) -> Value {
    Value::bytes(b.to_vec())
}

/// A character string (UTF-8 flag on), even when it is ASCII.
pub fn utf8_flagged(text: &str) -> Value {
    Value::Str(PerlString::from_utf8_internal(text.as_bytes().to_vec()).unwrap())
}

/// `qr/pattern/flags`.
pub fn regexp(pattern: impl Into<PerlString>, flags: &str) -> Value {
    Value::Regexp(Arc::new(Regexp {
        pattern: pattern.into(),
        flags: flags.to_string(),
    }))
}

/// A hash reference from key/value pairs.
pub fn hash(pairs: Vec<(&str, Value)>) -> Value {
    Value::hash(pairs)
}

/// `[]`.
pub fn empty_array() -> Value {
    Value::array(Vec::<Value>::new())
}

/// `{}`.
pub fn empty_hash() -> Value {
    Value::hash(Vec::<(&str, Value)>::new())
}

/// Bytes as a test message shows them.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

//! Tests of the `yaml` serializer that need no Perl; `tests/perl_yaml.rs` asks Perl.

mod hostile;
mod reading;
mod writing;

use crate::value::Regexp;
use crate::{PerlString, Value};

/// What Perl's thaw gives for data Perl froze: every number and character string
/// becomes a byte string (ImplicitTyping and ImplicitUnicode are off), a float as
/// Perl prints it, a regexp its stringification with no flags. Sharing is kept.
pub(super) fn as_read_back(v: &Value) -> Value {
    match v {
        Value::Regexp(re)
            if !(re.flags.is_empty() && re.pattern.as_bytes().starts_with(b"(?^")) =>
        {
            let text = [
                b"(?^",
                re.flags.as_bytes(),
                b":",
                re.pattern.as_bytes(),
                b")",
            ]
            .concat();
            Value::Regexp(std::sync::Arc::new(Regexp {
                pattern: PerlString::from_bytes(text),
                flags: String::new(),
            }))
        }
        Value::Int(i) => Value::bytes(i.to_string()),
        Value::Float(f) if *f == 0.0 => Value::bytes("0"),
        Value::Float(f) => Value::bytes(crate::number::format_float(*f)),
        Value::Str(s) => Value::bytes(s.as_bytes().to_vec()),
        Value::Array(a) => Value::array(a.iter().map(as_read_back)),
        Value::Hash(h) => Value::Hash(std::sync::Arc::new(
            h.iter()
                .map(|(k, v)| {
                    (
                        PerlString::from_bytes(k.as_bytes().to_vec()),
                        as_read_back(v),
                    )
                })
                .collect(),
        )),
        Value::Scalar(s) => Value::scalar_ref(as_read_back(s)),
        Value::Object(o) => Value::blessed(
            PerlString::from_bytes(o.class.as_bytes().to_vec()),
            as_read_back(&o.value),
        ),
        other => other.clone(),
    }
}

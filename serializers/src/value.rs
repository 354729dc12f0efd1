//! The Value model: Perl data as Perl sees it.
//!
//! A [`Value`] is one Perl scalar: `undef`, an integer, a float, a string (bytes or
//! characters, see [`PerlString`]), or a reference to an array, a hash, another
//! scalar, a blessed object, a code ref or a regexp.
//!
//! **Sharing.** A reference holds an [`Arc`]; two references to the same Perl thing
//! hold clones of the same `Arc`, and serializers that can express sharing
//! (Data::Dumper fix-ups, Storable back-references) write and read it from
//! `Arc::ptr_eq`. Mutating through [`Value::as_array_mut`] and friends is
//! copy-on-write, so it may break sharing: that is the price of a `Send + Sync`
//! value without interior mutability.
//!
//! **Cycles** cannot be built from `Arc`s without interior mutability, so a
//! `Value` is always a finite tree with shared branches; readers meeting a cyclic
//! record give a clear error instead.
//!
//! **Depth.** Readers refuse data nested deeper than [`MAX_DEPTH`], so that no
//! recursive walk over a `Value` (including its `Drop`) can overflow the stack.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use crate::number::{self, Number};
use crate::string::PerlString;

/// The deepest nesting of references any reader accepts: Data::Dumper's own default
/// `$Data::Dumper::Maxrecurse`, so Perl writes nothing deeper. Session data is shallow;
/// this bound keeps every recursive walk within a thread's stack.
pub const MAX_DEPTH: usize = 1000;

/// A Perl hash: keys are Perl strings (compared by code point, as Perl does), kept sorted
/// so that written records are deterministic.
pub type Hash = BTreeMap<PerlString, Value>;

/// One Perl scalar.
#[derive(Clone, Default)]
pub enum Value {
    /// `undef`.
    #[default]
    Undef,
    /// A scalar Perl holds as an integer (IOK).
    Int(i64),
    /// A scalar Perl holds as a floating-point number (NOK).
    Float(f64),
    /// A scalar Perl holds as a string (POK), bytes or characters.
    Str(PerlString),
    /// A reference to an array (`[...]`).
    Array(Arc<Vec<Value>>),
    /// A reference to a hash (`{...}`).
    Hash(Arc<Hash>),
    /// A reference to a scalar (`\$x`, `\'text'`, `\\...`).
    Scalar(Arc<Value>),
    /// A blessed reference: the class and the referenced thing.
    Object(Arc<Object>),
    /// A code reference. Perl's serializers never store code (Data::Dumper writes a
    /// dummy `sub { "DUMMY" }`), so this is only a placeholder that writes back the same way.
    Code,
    /// A compiled regular expression (`qr/.../`), kept as its pattern and flags.
    Regexp(Arc<Regexp>),
}

/// A blessed reference: `bless( value, 'Class' )`.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The package the thing is blessed into.
    pub class: PerlString,
    /// The blessed thing, itself a reference value: [`Value::Hash`], [`Value::Array`],
    /// [`Value::Scalar`], [`Value::Code`] or [`Value::Regexp`].
    pub value: Value,
}

/// A regexp as `qr/pattern/flags` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regexp {
    /// The pattern source.
    pub pattern: PerlString,
    /// The modifier letters, e.g. `"i"`.
    pub flags: String,
}

impl Regexp {
    /// Whether pattern source holds Perl code, `(?{...})`, `(??{...})` or `(*{...})`:
    /// a literal `qr//` would run it, and a regexp compiled at run time dies on it
    /// ("Eval-group not allowed"). Readers and writers refuse such patterns.
    pub fn pattern_runs_code(pattern: &[u8]) -> bool {
        [&b"(?{"[..], b"(??{", b"(*{"]
            .iter()
            .any(|code| pattern.windows(code.len()).any(|w| w == *code))
    }

    /// Why a reader refuses `pattern`, if it [runs code](Self::pattern_runs_code): Perl's
    /// thaw compiles a stored regexp at run time, and dies on code in it.
    pub(crate) fn code_refusal(pattern: &[u8]) -> Option<&'static str> {
        Regexp::pattern_runs_code(pattern)
            .then_some("the regexp holds code (`(?{...})`): Perl's thaw refuses to compile it too")
    }
}

impl Value {
    /// A byte string (UTF-8 flag off).
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Str(PerlString::from_bytes(bytes))
    }

    /// An array reference.
    pub fn array<I: IntoIterator<Item = V>, V: Into<Value>>(items: I) -> Value {
        Value::Array(Arc::new(items.into_iter().map(Into::into).collect()))
    }

    /// A hash reference from key/value pairs.
    pub fn hash<I, K, V>(pairs: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<PerlString>,
        V: Into<Value>,
    {
        Value::Hash(Arc::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ))
    }

    /// A reference to a scalar.
    pub fn scalar_ref(target: impl Into<Value>) -> Value {
        Value::Scalar(Arc::new(target.into()))
    }

    /// A blessed reference.
    pub fn blessed(class: impl Into<PerlString>, value: Value) -> Value {
        Value::Object(Arc::new(Object {
            class: class.into(),
            value,
        }))
    }

    /// Whether the value is `undef`.
    pub fn is_undef(&self) -> bool {
        matches!(self, Value::Undef)
    }

    /// Whether the value is a reference of any kind.
    pub fn is_ref(&self) -> bool {
        !matches!(
            self,
            Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_)
        )
    }

    /// Perl truthiness: false for `undef`, `""`, `"0"` and numeric zero; everything else
    /// (including `"00"`, `"0.0"`, `" 0"` and every reference) is true.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Undef => false,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !(s.is_empty() || s.as_bytes() == b"0"),
            _ => true,
        }
    }

    /// The string, if the value is a plain string scalar.
    pub fn as_perl_str(&self) -> Option<&PerlString> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string as Rust text, if the value is a string scalar holding exactly text
    /// (see [`PerlString::as_str`]).
    pub fn as_str(&self) -> Option<&str> {
        self.as_perl_str().and_then(PerlString::as_str)
    }

    /// The elements, if the value is an (unblessed) array reference.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The hash, if the value is an (unblessed) hash reference.
    pub fn as_hash(&self) -> Option<&Hash> {
        match self {
            Value::Hash(h) => Some(h),
            _ => None,
        }
    }

    /// The elements for writing (copy-on-write: a shared array is copied first).
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(Arc::make_mut(a)),
            _ => None,
        }
    }

    /// The hash for writing (copy-on-write: a shared hash is copied first).
    pub fn as_hash_mut(&mut self) -> Option<&mut Hash> {
        match self {
            Value::Hash(h) => Some(Arc::make_mut(h)),
            _ => None,
        }
    }

    /// The blessed object, if the value is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The class name, if the value is a blessed reference (`ref($x)` for objects).
    pub fn class(&self) -> Option<&PerlString> {
        self.as_object().map(|o| &o.class)
    }

    /// The value's own data whether blessed or not: for an object, the blessed thing.
    pub fn unblessed(&self) -> &Value {
        match self {
            Value::Object(o) => &o.value,
            other => other,
        }
    }

    /// Looks a key up in a hash reference, blessed or not.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.unblessed() {
            Value::Hash(h) => h.get(&PerlString::from_text(key)),
            _ => None,
        }
    }

    /// Perl numification of a plain scalar (`undef` is 0; references are not numbers
    /// here and give `None`).
    pub fn to_number(&self) -> Option<Number> {
        match self {
            Value::Undef => Some(Number::Int(0)),
            Value::Int(i) => Some(Number::Int(*i)),
            Value::Float(f) => Some(Number::Float(*f)),
            Value::Str(s) => Some(number::numify(&s.utf8_encoded())),
            _ => None,
        }
    }

    /// Perl stringification of a plain scalar (`undef` is `""`; references give `None`).
    pub fn to_perl_string(&self) -> Option<PerlString> {
        match self {
            Value::Undef => Some(PerlString::default()),
            Value::Int(i) => Some(PerlString::from_bytes(i.to_string())),
            Value::Float(f) => Some(PerlString::from_bytes(number::format_float(*f))),
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// The Perl type name as `ref()` reports it for an unblessed reference
    /// (`ARRAY`, `HASH`, `SCALAR`, `REF`, `CODE`, `Regexp`), or `None` for a plain scalar.
    pub fn ref_type(&self) -> Option<&'static str> {
        Some(match self {
            Value::Array(_) => "ARRAY",
            Value::Hash(_) => "HASH",
            Value::Scalar(inner) if inner.is_ref() => "REF",
            Value::Scalar(_) => "SCALAR",
            Value::Code => "CODE",
            Value::Regexp(_) => "Regexp",
            Value::Object(o) => return o.value.ref_type(),
            _ => return None,
        })
    }

    /// Whether two values are references to the very same Perl thing.
    pub fn same_ref(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Array(a), Value::Array(b)) => Arc::ptr_eq(a, b),
            (Value::Hash(a), Value::Hash(b)) => Arc::ptr_eq(a, b),
            (Value::Scalar(a), Value::Scalar(b)) => Arc::ptr_eq(a, b),
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            (Value::Regexp(a), Value::Regexp(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The address that identifies the referenced thing, for serializers tracking
    /// shared references; `None` for plain scalars and code refs.
    pub fn ref_addr(&self) -> Option<usize> {
        Some(match self {
            Value::Array(a) => Arc::as_ptr(a) as *const () as usize,
            Value::Hash(h) => Arc::as_ptr(h) as *const () as usize,
            Value::Scalar(s) => Arc::as_ptr(s) as *const () as usize,
            Value::Object(o) => Arc::as_ptr(o) as *const () as usize,
            Value::Regexp(r) => Arc::as_ptr(r) as *const () as usize,
            _ => return None,
        })
    }

    /// How deeply references nest below this value (a plain scalar is 0).
    pub fn depth(&self) -> usize {
        match self {
            Value::Array(a) => 1 + a.iter().map(Value::depth).max().unwrap_or(0),
            Value::Hash(h) => 1 + h.values().map(Value::depth).max().unwrap_or(0),
            Value::Scalar(s) => 1 + s.depth(),
            Value::Object(o) => o.value.depth(),
            Value::Code | Value::Regexp(_) => 1,
            _ => 0,
        }
    }
}

impl PartialEq for Value {
    /// Structural equality. Strings compare by code point (Perl's `eq`); integers,
    /// floats and strings are distinct kinds; sharing is not compared (see [`Value::same_ref`]).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Undef, Value::Undef) | (Value::Code, Value::Code) => true,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Hash(a), Value::Hash(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Scalar(a), Value::Scalar(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b) || a == b,
            (Value::Regexp(a), Value::Regexp(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Undef => f.write_str("undef"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{}f", number::format_float(*x)),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Array(a) => f.debug_list().entries(a.iter()).finish(),
            Value::Hash(h) => f.debug_map().entries(h.iter()).finish(),
            Value::Scalar(s) => write!(f, "\\{s:?}"),
            Value::Object(o) => write!(f, "bless({:?}, {:?})", o.value, o.class),
            Value::Code => f.write_str("sub { \"DUMMY\" }"),
            Value::Regexp(r) => write!(f, "qr/{}/{}", r.pattern, r.flags),
        }
    }
}

static UNDEF: Value = Value::Undef;

impl Index<&str> for Value {
    type Output = Value;

    /// `value["key"]` on a hash reference (blessed or not); `undef` when absent, as in Perl.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&UNDEF)
    }
}

impl Index<usize> for Value {
    type Output = Value;

    /// `value[i]` on an array reference (blessed or not); `undef` when out of range.
    fn index(&self, i: usize) -> &Value {
        match self.unblessed() {
            Value::Array(a) => a.get(i).unwrap_or(&UNDEF),
            _ => &UNDEF,
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(i: $t) -> Value { Value::Int(i as i64) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    /// Rust text becomes a character string (ASCII stays bytes, as in Perl).
    fn from(s: &str) -> Value {
        Value::Str(PerlString::from_text(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(PerlString::from(s))
    }
}

impl From<PerlString> for Value {
    fn from(s: PerlString) -> Value {
        Value::Str(s)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }
}

impl From<Hash> for Value {
    fn from(h: Hash) -> Value {
        Value::Hash(Arc::new(h))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Undef, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_follows_perl() {
        for falsy in [
            Value::Undef,
            Value::from(""),
            Value::from("0"),
            Value::Int(0),
            Value::Float(0.0),
        ] {
            assert!(!falsy.is_true(), "{falsy:?}");
        }
        for truthy in ["00", "0.0", " 0", "+0", "a"] {
            assert!(Value::from(truthy).is_true(), "{truthy}");
        }
        assert!(Value::array(Vec::<Value>::new()).is_true());
    }

    #[test]
    fn values_read_like_perl_data() {
        let v = Value::hash([
            ("name", Value::from("alice")),
            ("cart", Value::array([1, 2])),
        ]);
        assert_eq!(v["name"], Value::from("alice"));
        assert_eq!(v["cart"][1], Value::Int(2));
        assert!(v["missing"].is_undef());
        assert_eq!(v.ref_type(), Some("HASH"));
        assert_eq!(Value::scalar_ref(Value::array([1])).ref_type(), Some("REF"));
    }

    #[test]
    fn sharing_is_identity_of_the_arc() {
        let shared = Value::array([1]);
        let v = Value::array([shared.clone(), shared.clone(), Value::array([1])]);
        assert!(v[0].same_ref(&v[1]));
        assert!(!v[0].same_ref(&v[2]));
        assert_eq!(v[0], v[2]);
    }

    #[test]
    fn stringification_and_numification() {
        assert_eq!(Value::Float(0.5).to_perl_string().unwrap(), "0.5");
        assert_eq!(Value::Int(-7).to_perl_string().unwrap(), "-7");
        assert_eq!(Value::from("+3600").to_number(), Some(Number::Int(3600)));
        assert_eq!(Value::array([1]).to_number(), None);
    }
}

//! Writing a [`Value`] as Ruby 3.1's `Marshal.dump` (`w_object` in marshal.c) writes
//! the data the mapping gives it, links included.
//!
//! Ruby numbers every object it writes (everything but nil, true, false, fixnums and
//! symbols) in the order it starts writing it, except a `_dump` object, numbered once
//! its data is written; an object it meets again is written as a link `@N`. The writer
//! keeps the same count, so that its links are Ruby's (see the module docs for which
//! values it links).

use std::collections::HashMap;

use super::read::{as_boolean, NESTS_IN_PAIRS, NESTS_IN_RECORD};
use super::{bignum, class, regexp_option as opt, tag, unsupported, MAX_BIGNUM_BITS};
use crate::{Error, Hash, Object, PerlString, Regexp, Value, MAX_DEPTH};

pub(super) fn dump(value: &Value) -> Result<Vec<u8>, Error> {
    let mut writer = Writer::default();
    writer.out.extend_from_slice(&[4, 8]);
    writer.value(value, 0)?;
    Ok(writer.out)
}

/// A string's encoding, as its instance variables say it.
#[derive(Clone, Copy)]
enum Encoding<'a> {
    /// ASCII-8BIT: no `I`.
    Binary,
    /// `:E false`.
    UsAscii,
    /// `:E true`.
    Utf8,
    /// `:encoding "name"`.
    Named(&'a [u8]),
}

impl<'a> Encoding<'a> {
    fn named(name: &'a [u8]) -> Encoding<'a> {
        match name.to_ascii_uppercase().as_slice() {
            b"UTF-8" => Encoding::Utf8,
            b"US-ASCII" | b"ASCII" => Encoding::UsAscii,
            b"ASCII-8BIT" | b"BINARY" => Encoding::Binary,
            _ => Encoding::Named(name),
        }
    }
}

/// What a Ruby object is built on once its `e` and `C` wrappers are peeled off.
enum Core<'v> {
    /// A String (or `_dump` data) and its encoding.
    Str(&'v [u8], Encoding<'v>),
    /// Anything else: written by [`Writer::body`].
    Other(&'v Value),
}

#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    /// Symbols by (bytes, whether UTF-8 and not ASCII), numbered as written.
    symbols: HashMap<(Vec<u8>, bool), usize>,
    /// How many objects have been numbered.
    objects: usize,
    /// Numbers of objects by the address of their `Arc`.
    by_address: HashMap<usize, usize>,
    /// Numbers of flonums by their bits: Ruby's immediate floats are equal when equal.
    flonums: HashMap<u64, usize>,
    /// Numbers of classes and modules by type byte and name.
    classes: HashMap<(u8, Vec<u8>), usize>,
    /// Numbers of the encoding-name strings, by name (Ruby writes each once a dump).
    encodings: HashMap<Vec<u8>, usize>,
    /// Numbers of Hash keys that are Strings, by bytes and encoding name.
    keys: HashMap<(Vec<u8>, Vec<u8>), usize>,
}

impl Writer {
    /// `w_long`: Ruby refuses anything beyond 32 bits.
    fn long(&mut self, n: i64) -> Result<(), Error> {
        if !(-(1i64 << 31)..(1i64 << 31)).contains(&n) {
            return Err(unsupported(format!(
                "{n} is too long for Marshal's lengths (at most 2^31 - 1)"
            )));
        }
        match n {
            0 => self.out.push(0),
            1..=122 => self.out.push((n + 5) as u8),
            -123..=-1 => self.out.push((n - 5) as u8),
            _ => {
                let mut bytes = Vec::with_capacity(4);
                let mut x = n;
                loop {
                    bytes.push(x as u8);
                    x >>= 8;
                    if x == 0 || x == -1 {
                        break;
                    }
                }
                let len = bytes.len() as i8;
                self.out.push((if x == 0 { len } else { -len }) as u8);
                self.out.extend_from_slice(&bytes);
            }
        }
        Ok(())
    }

    fn len(&mut self, n: usize) -> Result<(), Error> {
        self.long(i64::try_from(n).unwrap_or(i64::MAX))
    }

    fn counted_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.len(bytes.len())?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// Numbers the next object.
    fn remember(&mut self) -> usize {
        self.objects += 1;
        self.objects - 1
    }

    fn link(&mut self, n: usize) -> Result<(), Error> {
        self.out.push(tag::LINK);
        self.len(n)
    }

    /// `w_symbol`: a symlink if written before, else the name (with `:E true` when it
    /// is UTF-8 and not ASCII).
    fn symbol(&mut self, name: &PerlString) -> Result<(), Error> {
        let utf8 = name.is_utf8() && !name.is_ascii();
        let key = (name.as_bytes().to_vec(), utf8);
        if let Some(&n) = self.symbols.get(&key) {
            self.out.push(tag::SYMLINK);
            return self.len(n);
        }
        if utf8 {
            self.out.push(tag::IVAR);
        }
        self.out.push(tag::SYMBOL);
        self.counted_bytes(name.as_bytes())?;
        let n = self.symbols.len();
        self.symbols.insert(key, n);
        if utf8 {
            self.ivars(Encoding::Utf8)?;
        }
        Ok(())
    }

    /// The instance variables that give a string its encoding, if it has any.
    fn ivars(&mut self, encoding: Encoding<'_>) -> Result<(), Error> {
        let (name, value) = match encoding {
            Encoding::Binary => return Ok(()),
            Encoding::UsAscii => ("E", false),
            Encoding::Utf8 => ("E", true),
            Encoding::Named(name) => {
                self.out.push(1 + 5);
                self.symbol(&PerlString::from("encoding"))?;
                return match self.encodings.get(name) {
                    Some(&n) => self.link(n),
                    None => {
                        let n = self.remember();
                        self.encodings.insert(name.to_vec(), n);
                        self.out.push(tag::STRING);
                        self.counted_bytes(name)
                    }
                };
            }
        };
        self.out.push(1 + 5);
        self.symbol(&PerlString::from(name))?;
        self.out.push(if value { tag::TRUE } else { tag::FALSE });
        Ok(())
    }

    // `value` and `body` are on the path of every level of nesting: they only
    // dispatch, so that their stack frames stay small (see read.rs).
    fn value(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(unwritable(value, true));
        }
        match value {
            Value::Undef => {
                self.out.push(tag::NIL);
                Ok(())
            }
            Value::Int(i) => self.integer(*i),
            Value::Float(f) => self.float(*f),
            Value::Str(s) => {
                self.remember();
                let (bytes, encoding) = perl_string(s);
                self.string(bytes, encoding)
            }
            Value::Object(object) => self.object(value, object, depth),
            Value::Array(_) | Value::Hash(_) | Value::Regexp(_) => {
                if self.linked(value)? {
                    return Ok(());
                }
                if let Value::Regexp(re) = value {
                    if !matches!(regexp_parts(re)?.1, Encoding::Binary) {
                        self.out.push(tag::IVAR);
                    }
                }
                self.body(value, depth)
            }
            Value::Scalar(_) | Value::Code => Err(unwritable(value, false)),
        }
    }

    /// Writes a link if `value`'s `Arc` was written before, else numbers it.
    fn linked(&mut self, value: &Value) -> Result<bool, Error> {
        let address = value.ref_addr().unwrap_or_default();
        if let Some(&n) = self.by_address.get(&address) {
            self.link(n)?;
            return Ok(true);
        }
        let n = self.remember();
        self.by_address.insert(address, n);
        Ok(false)
    }

    fn integer(&mut self, i: i64) -> Result<(), Error> {
        // Ruby writes a fixnum as `i` when its tagged form (2i+1) fits 31 bits.
        if (-(1i64 << 30)..(1i64 << 30)).contains(&i) {
            self.out.push(tag::FIXNUM);
            return self.long(i);
        }
        let magnitude = i.unsigned_abs().to_le_bytes();
        let len = magnitude.iter().rposition(|&b| b != 0).map_or(0, |l| l + 1);
        self.bignum(i < 0, &magnitude[..len])
    }

    fn bignum(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), Error> {
        self.remember();
        self.out.push(tag::BIGNUM);
        self.out.push(if negative { b'-' } else { b'+' });
        let shorts = magnitude.len().div_ceil(2);
        self.len(shorts)?;
        self.out.extend_from_slice(magnitude);
        if magnitude.len() % 2 == 1 {
            self.out.push(0);
        }
        Ok(())
    }

    fn float(&mut self, f: f64) -> Result<(), Error> {
        let flonum = is_flonum(f);
        if flonum {
            if let Some(&n) = self.flonums.get(&f.to_bits()) {
                return self.link(n);
            }
        }
        let n = self.remember();
        if flonum {
            self.flonums.insert(f.to_bits(), n);
        }
        self.out.push(tag::FLOAT);
        self.counted_bytes(float_text(f).as_bytes())
    }

    /// A String after its number: `I"bytes` and the encoding, or `"bytes`.
    fn string(&mut self, bytes: &[u8], encoding: Encoding<'_>) -> Result<(), Error> {
        let ivars = !matches!(encoding, Encoding::Binary);
        if ivars {
            self.out.push(tag::IVAR);
        }
        self.out.push(tag::STRING);
        self.counted_bytes(bytes)?;
        self.ivars(encoding)
    }

    /// A String as a Hash key. Ruby keeps one frozen copy of equal String keys (its
    /// `fstring` table, which `Hash#[]=` and so `Marshal.load` go through), so a key
    /// equal to one written before is that object again: a link.
    fn key_string(&mut self, bytes: &[u8], encoding: Encoding<'_>) -> Result<(), Error> {
        let name: &[u8] = match encoding {
            Encoding::Binary => b"",
            Encoding::UsAscii => b"US-ASCII",
            Encoding::Utf8 => b"UTF-8",
            Encoding::Named(name) => name,
        };
        let key = (bytes.to_vec(), name.to_vec());
        if let Some(&n) = self.keys.get(&key) {
            return self.link(n);
        }
        let n = self.remember();
        self.keys.insert(key, n);
        self.string(bytes, encoding)
    }

    // Like `value` and `body`, on the path of every level of nesting: what is not
    // needed while the children are written is done in functions that return first.
    fn object(&mut self, value: &Value, object: &Object, depth: usize) -> Result<(), Error> {
        match Form::of(object)? {
            Form::Boolean => self.boolean(value),
            Form::Scalar(t, class) => self.scalar_form(t, object, class),
            Form::Object => match self.ruby_object(value)? {
                Some(core) => self.body(core, depth),
                None => Ok(()),
            },
        }
    }

    /// `Ruby::Symbol`, `Ruby::Integer`, `Ruby::Class`, `Ruby::Module`.
    fn scalar_form(&mut self, t: u8, object: &Object, class: &str) -> Result<(), Error> {
        let name = scalar_string(object, class)?;
        match t {
            tag::SYMBOL => self.symbol(name),
            tag::BIGNUM => self.ruby_integer(name),
            _ => self.class_or_module(t, name),
        }
    }

    fn boolean(&mut self, value: &Value) -> Result<(), Error> {
        let b = as_boolean(value).ok_or_else(|| shape(class::BOOLEAN, "a reference to 0 or 1"))?;
        self.out.push(if b { tag::TRUE } else { tag::FALSE });
        Ok(())
    }

    fn ruby_integer(&mut self, digits: &PerlString) -> Result<(), Error> {
        let (negative, magnitude) = bignum::magnitude_of(digits.as_bytes()).map_err(|why| {
            shape(
                class::INTEGER,
                &format!("digits; {:?} {why}", digits.to_text()),
            )
        })?;
        if magnitude.len() * 8 > MAX_BIGNUM_BITS {
            return Err(unsupported(format!(
                "a Ruby::Integer of more than {MAX_BIGNUM_BITS} bits"
            )));
        }
        match bignum::from_magnitude(negative, &magnitude) {
            Ok(i) => self.integer(i),
            Err(_) => self.bignum(negative, &magnitude),
        }
    }

    /// A Class or Module: Ruby has one object per name, so a name written before is a link.
    fn class_or_module(&mut self, t: u8, name: &PerlString) -> Result<(), Error> {
        let key = (t, name.as_bytes().to_vec());
        if let Some(&n) = self.classes.get(&key) {
            return self.link(n);
        }
        let n = self.remember();
        self.out.push(t);
        self.counted_bytes(&key.1)?;
        self.classes.insert(key, n);
        Ok(())
    }

    /// One of the mapping's Ruby objects: a link if its `Arc` was written before;
    /// else `I` if what it is built on has an encoding, its `e` and `C` wrappers, and
    /// a String it is built on. Gives the object it is built on otherwise, for
    /// [`Writer::body`].
    fn ruby_object<'v>(&mut self, value: &'v Value) -> Result<Option<&'v Value>, Error> {
        let address = value.ref_addr().unwrap_or_default();
        if let Some(&n) = self.by_address.get(&address) {
            self.link(n)?;
            return Ok(None);
        }
        let (wrappers, core) = peel(value)?;
        let user_dump = core.class().is_some_and(|c| *c == class::USER_DUMP);
        let core_shape = core_shape(core, user_dump)?;
        if !user_dump {
            let n = self.remember();
            self.by_address.insert(address, n);
            if let Some(inner) = core.ref_addr().filter(|&a| a != address) {
                // The wrapped thing is the same Ruby object as its wrapper.
                self.by_address.insert(inner, n);
            }
        }
        let encoding = match &core_shape {
            Core::Str(_, encoding) => *encoding,
            Core::Other(Value::Regexp(re)) => regexp_parts(re)?.1,
            Core::Other(_) => Encoding::Binary,
        };
        if !matches!(encoding, Encoding::Binary) {
            self.out.push(tag::IVAR);
        }
        for (t, names) in wrappers {
            for name in names {
                let name = name
                    .as_perl_str()
                    .ok_or_else(|| shape(class::EXTENDED, "names that are strings"))?;
                self.out.push(t);
                self.symbol(name)?;
            }
        }
        match core_shape {
            Core::Str(bytes, encoding) if user_dump => {
                self.out.push(tag::USERDEF);
                self.symbol(class_name(core, class::USER_DUMP)?)?;
                self.counted_bytes(bytes)?;
                self.ivars(encoding)?;
                let n = self.remember();
                self.by_address.insert(address, n);
                Ok(None)
            }
            Core::Str(bytes, encoding) => {
                self.out.push(tag::STRING);
                self.counted_bytes(bytes)?;
                self.ivars(encoding)?;
                Ok(None)
            }
            Core::Other(core) => Ok(Some(core)),
        }
    }

    /// The type byte and contents of an object already numbered (not a String).
    fn body(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        let depth = depth + 1;
        match value {
            Value::Array(items) => self.array(items, depth),
            Value::Hash(hash) => self.hash(hash, depth),
            Value::Regexp(re) => self.regexp(re),
            Value::Object(object) => {
                // As the reader counts these forms (read.rs, NESTS_IN_*).
                let extra = match object.class.to_text().as_ref() {
                    class::OBJECT | class::USER_MARSHAL => NESTS_IN_RECORD,
                    class::STRUCT => NESTS_IN_PAIRS,
                    class::HASH if value.get("default").is_some() => NESTS_IN_PAIRS,
                    _ => 0,
                };
                self.record(value, object, depth + extra)
            }
            _ => Err(unwritable(value, false)),
        }
    }

    fn array(&mut self, items: &[Value], depth: usize) -> Result<(), Error> {
        self.out.push(tag::ARRAY);
        self.len(items.len())?;
        items.iter().try_for_each(|item| self.value(item, depth))
    }

    fn hash(&mut self, hash: &Hash, depth: usize) -> Result<(), Error> {
        self.out.push(tag::HASH);
        self.len(hash.len())?;
        for (key, item) in hash.iter() {
            let (bytes, encoding) = perl_string(key);
            self.key_string(bytes, encoding)?;
            self.value(item, depth)?;
        }
        Ok(())
    }

    /// A Regexp after its `I` (written first, before any `e` or `C` around it).
    fn regexp(&mut self, re: &Regexp) -> Result<(), Error> {
        let (source, encoding, options) = regexp_parts(re)?;
        self.out.push(tag::REGEXP);
        self.counted_bytes(&source)?;
        self.out.push(options);
        self.ivars(encoding)
    }

    /// The bodies of `Ruby::Hash`, `Ruby::Object`, `Ruby::Struct`, `Ruby::UserMarshal`.
    fn record(&mut self, value: &Value, object: &Object, depth: usize) -> Result<(), Error> {
        match object.class.to_text().as_ref() {
            class::HASH => self.ruby_hash(value, depth),
            class::OBJECT => self.ruby_plain_object(value, depth),
            class::STRUCT => self.ruby_struct(value, depth),
            class::USER_MARSHAL => {
                self.out.push(tag::USRMARSHAL);
                self.symbol(class_name(value, class::USER_MARSHAL)?)?;
                self.value(field(value, class::USER_MARSHAL, "data")?, depth)
            }
            other => Err(unsupported(format!(
                "a {other} cannot be wrapped by `e` or `C`"
            ))),
        }
    }

    fn ruby_hash(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        let pairs = field(value, class::HASH, "pairs")?
            .as_array()
            .ok_or_else(|| shape(class::HASH, "`pairs`, an array of [key, value]"))?;
        let default = value.get("default");
        self.out.push(if default.is_some() {
            tag::HASH_DEF
        } else {
            tag::HASH
        });
        self.len(pairs.len())?;
        for pair in pairs {
            let Some([key, item]) = pair.as_array() else {
                return Err(shape(class::HASH, "`pairs`, an array of [key, value]"));
            };
            match (key, string_of(key)) {
                (Value::Str(_) | Value::Object(_), Some(Core::Str(bytes, encoding))) => {
                    self.key_string(bytes, encoding)?
                }
                _ => self.value(key, depth)?,
            }
            self.value(item, depth)?;
        }
        match default {
            Some(default) => self.value(default, depth),
            None => Ok(()),
        }
    }

    fn ruby_plain_object(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        let ivars = field(value, class::OBJECT, "ivars")?
            .as_hash()
            .ok_or_else(|| shape(class::OBJECT, "`ivars`, a hash"))?;
        self.out.push(tag::OBJECT);
        self.symbol(class_name(value, class::OBJECT)?)?;
        self.len(ivars.len())?;
        for (name, item) in ivars.iter() {
            self.symbol(name)?;
            self.value(item, depth)?;
        }
        Ok(())
    }

    fn ruby_struct(&mut self, value: &Value, depth: usize) -> Result<(), Error> {
        let members = field(value, class::STRUCT, "members")?
            .as_array()
            .ok_or_else(|| shape(class::STRUCT, "`members`, an array of [name, value]"))?;
        self.out.push(tag::STRUCT);
        self.symbol(class_name(value, class::STRUCT)?)?;
        self.len(members.len())?;
        for member in members {
            let Some([Value::Str(name), item]) = member.as_array() else {
                return Err(shape(class::STRUCT, "`members`, an array of [name, value]"));
            };
            self.symbol(name)?;
            self.value(item, depth)?;
        }
        Ok(())
    }
}

/// How the writer handles one of the mapping's blessed forms.
enum Form {
    Boolean,
    /// A blessed scalar ref: its type byte (`:` for a symbol, `l` for an integer) and class.
    Scalar(u8, &'static str),
    /// A blessed hash written as a Ruby object.
    Object,
}

impl Form {
    fn of(object: &Object) -> Result<Form, Error> {
        let class = object.class.as_bytes();
        let scalars = [
            (tag::SYMBOL, class::SYMBOL),
            (tag::BIGNUM, class::INTEGER),
            (tag::CLASS, class::CLASS),
            (tag::MODULE, class::MODULE),
        ];
        let objects = [
            class::STRING,
            class::HASH,
            class::OBJECT,
            class::STRUCT,
            class::USER_DUMP,
            class::USER_MARSHAL,
            class::EXTENDED,
            class::USER_CLASS,
        ];
        if class == class::BOOLEAN.as_bytes() {
            Ok(Form::Boolean)
        } else if let Some(&(t, name)) = scalars.iter().find(|(_, c)| c.as_bytes() == class) {
            Ok(Form::Scalar(t, name))
        } else if objects.iter().any(|c| c.as_bytes() == class) {
            Ok(Form::Object)
        } else {
            Err(unsupported(format!(
                "an object of class {:?}: Marshal writes only the mapping's Ruby::* forms",
                object.class.to_text()
            )))
        }
    }
}

/// An `e` or `C` wrapper: its type byte and its module names or class name.
type Wrapper<'v> = (u8, &'v [Value]);

/// The `e` and `C` wrappers around a value (their type bytes and names, outermost
/// first), and what they wrap.
fn peel(value: &Value) -> Result<(Vec<Wrapper<'_>>, &Value), Error> {
    let mut wrappers = Vec::new();
    let mut core = value;
    loop {
        match core.class().map(PerlString::as_bytes) {
            Some(c) if c == class::EXTENDED.as_bytes() => {
                let modules = field(core, class::EXTENDED, "modules")?
                    .as_array()
                    .ok_or_else(|| shape(class::EXTENDED, "`modules`, an array of names"))?;
                wrappers.push((tag::EXTENDED, modules));
                core = field(core, class::EXTENDED, "value")?;
            }
            Some(c) if c == class::USER_CLASS.as_bytes() => {
                let name = field(core, class::USER_CLASS, "class")?;
                wrappers.push((tag::UCLASS, std::slice::from_ref(name)));
                core = field(core, class::USER_CLASS, "value")?;
            }
            _ => return Ok((wrappers, core)),
        }
    }
}

/// What a Ruby object is built on: a String (a `_dump` object's data too), or another object.
fn core_shape(core: &Value, user_dump: bool) -> Result<Core<'_>, Error> {
    if user_dump {
        let data = field(core, class::USER_DUMP, "data")?;
        return string_of(data).ok_or_else(|| shape(class::USER_DUMP, "`data`, a string"));
    }
    if core.class().is_some_and(|c| *c == class::STRING) {
        return string_of(core)
            .ok_or_else(|| shape(class::STRING, "`encoding` and `bytes`, byte strings"));
    }
    Ok(string_of(core).unwrap_or(Core::Other(core)))
}

/// A Perl string as Ruby holds it: ASCII and character strings are UTF-8 (a
/// character string's stored bytes are its UTF-8), other byte strings ASCII-8BIT.
fn perl_string(s: &PerlString) -> (&[u8], Encoding<'static>) {
    let encoding = if s.is_ascii() || s.is_utf8() {
        Encoding::Utf8
    } else {
        Encoding::Binary
    };
    (s.as_bytes(), encoding)
}

/// The String a value is, if it is one: a Perl string or a `Ruby::String`.
fn string_of(value: &Value) -> Option<Core<'_>> {
    match value {
        Value::Str(s) => {
            let (bytes, encoding) = perl_string(s);
            Some(Core::Str(bytes, encoding))
        }
        Value::Object(o) if o.class == class::STRING => {
            let bytes = value
                .get("bytes")?
                .as_perl_str()
                .filter(|b| !b.is_utf8() || b.is_ascii())?;
            let name = value.get("encoding")?.as_perl_str()?;
            Some(Core::Str(
                bytes.as_bytes(),
                Encoding::named(name.as_bytes()),
            ))
        }
        _ => None,
    }
}

/// A regexp's source, encoding and option byte, as Ruby holds the same regexp.
fn regexp_parts(re: &Regexp) -> Result<(Vec<u8>, Encoding<'static>, u8), Error> {
    let mut options = 0;
    for flag in re.flags.chars() {
        options |= match flag {
            'i' => opt::IGNORECASE,
            'x' => opt::EXTENDED,
            's' => opt::MULTILINE,
            other => {
                return Err(unsupported(format!(
                    "regexp flag `{other}`: Ruby's regexps have only i, x and m (Perl's s)"
                )))
            }
        };
    }
    let pattern = &re.pattern;
    Ok(if pattern.is_ascii() {
        (pattern.as_bytes().to_vec(), Encoding::UsAscii, options)
    } else if pattern.is_utf8() {
        (
            pattern.utf8_encoded(),
            Encoding::Utf8,
            options | opt::FIXED_ENCODING,
        )
    } else {
        (
            pattern.as_bytes().to_vec(),
            Encoding::Binary,
            options | opt::FIXED_ENCODING,
        )
    })
}

/// Whether Ruby holds `f` as an immediate (a flonum), so that equal ones are one object.
fn is_flonum(f: f64) -> bool {
    let bits = f.to_bits();
    let top = (bits >> 60) & 7;
    bits == 0 || ((top == 3 || top == 4) && bits != 0x3000_0000_0000_0000)
}

/// `w_float`: the shortest digits that read back as `f`, laid out as Ruby does.
pub(super) fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let decpt = exp.parse::<i32>().unwrap_or(0) + 1;
    let digs = digits.len() as i32;
    let mut text = String::from(if f < 0.0 { "-" } else { "" });
    if decpt < -3 || decpt > digs {
        text.push_str(&digits[..1]);
        if digs > 1 {
            text.push('.');
            text.push_str(&digits[1..]);
        }
        text.push_str(&format!("e{}", decpt - 1));
    } else if decpt > 0 {
        let (int, frac) = digits.split_at(decpt as usize);
        text.push_str(int);
        if !frac.is_empty() {
            text.push('.');
            text.push_str(frac);
        }
    } else {
        text.push_str("0.");
        text.push_str(&"0".repeat(decpt.unsigned_abs() as usize));
        text.push_str(&digits);
    }
    text
}

/// A field of one of the mapping's blessed hashes.
fn field<'v>(value: &'v Value, class: &str, name: &str) -> Result<&'v Value, Error> {
    match value.unblessed() {
        Value::Hash(hash) => hash
            .get(&PerlString::from(name))
            .ok_or_else(|| shape(class, &format!("a `{name}` field"))),
        _ => Err(shape(class, "a hash")),
    }
}

fn class_name<'v>(value: &'v Value, class: &str) -> Result<&'v PerlString, Error> {
    field(value, class, "class")?
        .as_perl_str()
        .ok_or_else(|| shape(class, "a `class` that is a string"))
}

/// The string a blessed scalar ref of the mapping holds (`Ruby::Symbol` and friends).
fn scalar_string<'v>(object: &'v Object, class: &str) -> Result<&'v PerlString, Error> {
    match &object.value {
        Value::Scalar(inner) => inner
            .as_perl_str()
            .ok_or_else(|| shape(class, "a reference to a string")),
        _ => Err(shape(class, "a reference to a string")),
    }
}

/// Why `value` cannot be written: too deep, or a Perl thing Ruby has no form for.
#[cold]
fn unwritable(value: &Value, too_deep: bool) -> Error {
    unsupported(match value {
        _ if too_deep => format!("data nested deeper than {MAX_DEPTH} levels"),
        Value::Scalar(_) => {
            "a scalar reference: Ruby has none (only the mapping's blessed forms hold one)".into()
        }
        Value::Code => "a code reference cannot be written".into(),
        other => format!("{other:.80?} cannot be wrapped by `e` or `C`"),
    })
}

fn shape(class: &str, expected: &str) -> Error {
    unsupported(format!("a {class} object must hold {expected}"))
}

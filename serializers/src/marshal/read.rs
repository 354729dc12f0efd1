//! Reading a Marshal stream (`r_object` in Ruby's marshal.c) into a [`Value`].
//!
//! Ruby numbers every object it reads, in the order it *enters* them, for the links
//! `@N`: an Array, Hash, Struct, Object or `marshal_dump` object enters before its
//! children are read, a String or Regexp before its instance variables, a Float,
//! Bignum, Class or Module when read, and a `_dump` object only after its data and
//! that data's instance variables. `e` and `C` wrap the object they precede and enter
//! nothing of their own; symbols are numbered apart, for the symlinks `;N`.

use std::sync::Arc;

use super::{bignum, class, regexp_option as opt, syntax, tag, unsupported, MAX_BIGNUM_BITS};
use crate::{Error, Hash, PerlString, Regexp, Value, MAX_DEPTH};

/// Reads the whole stream: the version, one value, and nothing after it.
pub(super) fn load(bytes: &[u8]) -> Result<Value, Error> {
    let mut reader = Reader {
        bytes,
        pos: 0,
        symbols: Vec::new(),
        objects: Vec::new(),
        copied: 0,
    };
    let major = reader.byte("the major version")?;
    let minor = reader.byte("the minor version")?;
    if (major, minor) != (4, 8) {
        return Err(syntax(
            0,
            format!("Marshal version {major}.{minor}: only 4.8 is read (every Ruby since 1.8 writes it)"),
        ));
    }
    let value = reader.value(0)?;
    if reader.pos < bytes.len() {
        return Err(syntax(
            reader.pos,
            format!(
                "{} bytes after the end of the value",
                bytes.len() - reader.pos
            ),
        ));
    }
    Ok(value)
}

/// The encoding a string's instance variables give it.
enum Encoding {
    /// No `E` or `encoding`: ASCII-8BIT.
    Binary,
    /// `:E false`.
    UsAscii,
    /// `:E true`.
    Utf8,
    /// `:encoding "name"`.
    Named(Vec<u8>),
}

impl Encoding {
    /// The encoding of a name, as Ruby writes the three it names by `E` or not at all.
    fn named(name: Vec<u8>) -> Encoding {
        match name.to_ascii_uppercase().as_slice() {
            b"UTF-8" => Encoding::Utf8,
            b"US-ASCII" | b"ASCII" => Encoding::UsAscii,
            b"ASCII-8BIT" | b"BINARY" => Encoding::Binary,
            _ => Encoding::Named(name),
        }
    }

    fn name(&self) -> String {
        match self {
            Encoding::Binary => "ASCII-8BIT".into(),
            Encoding::UsAscii => "US-ASCII".into(),
            Encoding::Utf8 => "UTF-8".into(),
            Encoding::Named(name) => String::from_utf8_lossy(name).into_owned(),
        }
    }
}

/// How much deeper than the stream the mapping's forms count, so that the limit
/// bounds the Value's nesting (what writers and `Drop` walk) and what the writer's
/// recursion through these forms needs of a 2 MB stack: a field of a blessed hash
/// counts two levels more, a pair in a list of pairs two. `write.rs` counts the
/// same, so that whatever is read can be written.
pub(super) const NESTS_IN_RECORD: usize = 2;
pub(super) const NESTS_IN_PAIRS: usize = 2;
/// `e` and `C` wrap what they extend in a blessed hash's field (the writer goes
/// through them without a frame of their own).
const NESTS_IN_WRAPPER: usize = 1;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Symbols by number; `None` while a symbol's own instance variables are read.
    symbols: Vec<Option<PerlString>>,
    /// Objects by number, for links; `None` while an object's children are read.
    objects: Vec<Option<Value>>,
    /// String bytes copied by links so far: bounded by the stream's length.
    copied: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn short(&self, len: usize, what: &str) -> Error {
        syntax(
            self.pos,
            format!(
                "{what}: needs {len} bytes, but the stream ends after {}",
                self.remaining()
            ),
        )
    }

    fn byte(&mut self, what: &str) -> Result<u8, Error> {
        let byte = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.short(1, what))?;
        self.pos += 1;
        Ok(byte)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&[u8], Error> {
        if len > self.remaining() {
            return Err(self.short(len, what));
        }
        let start = self.pos;
        self.pos += len;
        Ok(&self.bytes[start..self.pos])
    }

    /// `r_long`: one byte, a small number in it, or the count of little-endian bytes
    /// (at most 4) that follow it, negative for a negative number.
    fn long(&mut self, what: &str) -> Result<i64, Error> {
        let c = self.byte(what)? as i8;
        Ok(match c {
            0 => 0,
            5..=127 => i64::from(c) - 5,
            -128..=-5 => i64::from(c) + 5,
            _ => {
                let len = usize::from(c.unsigned_abs());
                let n = self
                    .take(len, what)?
                    .iter()
                    .rev()
                    .fold(0i64, |n, &b| (n << 8) | i64::from(b));
                // A negative number's bytes replace the low bytes of -1.
                if c < 0 {
                    n - (1i64 << (8 * len))
                } else {
                    n
                }
            }
        })
    }

    /// A count of things each at least `min_bytes` long: not negative, and no more
    /// than the bytes left can hold.
    fn count(&mut self, what: &str, min_bytes: usize) -> Result<usize, Error> {
        let at = self.pos;
        let n = self.long(what)?;
        let n =
            usize::try_from(n).map_err(|_| syntax(at, format!("{what}: a negative count {n}")))?;
        if n > self.remaining() / min_bytes {
            return Err(syntax(
                at,
                format!(
                    "{what}: {n} claimed, but only {} bytes are left",
                    self.remaining()
                ),
            ));
        }
        Ok(n)
    }

    /// `r_bytes`: a length and that many bytes.
    fn counted_bytes(&mut self, what: &str) -> Result<Vec<u8>, Error> {
        let len = self.count(what, 1)?;
        Ok(self.take(len, what)?.to_vec())
    }

    /// Charges `len` string bytes copied by a link against the stream's length.
    fn charge_copy(&mut self, at: usize, len: usize) -> Result<(), Error> {
        self.copied += len;
        if self.copied > self.bytes.len() {
            return Err(unsupported(format!(
                "at byte {at}: links copy more string bytes than the stream holds"
            )));
        }
        Ok(())
    }

    // `value` and `object` are on the path of every level of nesting: they only
    // dispatch, so that their stack frames stay small (MAX_DEPTH levels must fit a
    // 2 MB thread stack, unoptimised builds included).
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(too_deep(self.pos));
        }
        let at = self.pos;
        match self.byte("a type byte")? {
            tag::NIL => Ok(Value::Undef),
            tag::TRUE => Ok(boolean(true)),
            tag::FALSE => Ok(boolean(false)),
            tag::FIXNUM => self.long("an integer").map(Value::Int),
            tag::SYMBOL | tag::SYMLINK => {
                self.pos = at;
                self.symbol(depth).map(symbol_value)
            }
            tag::LINK => self.link(at),
            tag::IVAR => self.with_ivars(at, depth),
            t => self.object(t, at, depth, false).map(|(value, _)| value),
        }
    }

    /// What follows an `I` at `at`: a symbol, or an object whose instance variables
    /// (its encoding) follow it.
    fn with_ivars(&mut self, at: usize, depth: usize) -> Result<Value, Error> {
        if self.peek() == Some(tag::SYMBOL) {
            return self.symbol_at(at, depth).map(symbol_value);
        }
        let inner = self.pos;
        let t = self.byte("a type byte after `I`")?;
        self.object(t, inner, depth, true).map(|(value, _)| value)
    }

    /// `@N`: the object numbered N, again.
    fn link(&mut self, at: usize) -> Result<Value, Error> {
        let n = self.long("an object number")?;
        match usize::try_from(n).ok().and_then(|n| self.objects.get(n)) {
            Some(Some(value)) => {
                let value = value.clone();
                if let Value::Str(s) = &value {
                    self.charge_copy(at, s.byte_len())?;
                }
                Ok(value)
            }
            Some(None) => Err(unsupported(format!(
                "at byte {at}: a link to object {n}, which contains the link (a cycle cannot be held)"
            ))),
            None => Err(syntax(
                at,
                format!(
                    "a link to object {n}, but only {} objects come before it",
                    self.objects.len()
                ),
            )),
        }
    }

    /// A symbol where the format has one (a name): `:`, `;` or `I:`.
    fn symbol(&mut self, depth: usize) -> Result<PerlString, Error> {
        let at = self.pos;
        match self.byte("a symbol")? {
            tag::SYMBOL => self.new_symbol(depth, false),
            tag::SYMLINK => {
                let n = self.long("a symbol number")?;
                match usize::try_from(n).ok().and_then(|n| self.symbols.get(n)) {
                    Some(Some(name)) => {
                        let name = name.clone();
                        self.charge_copy(at, name.byte_len())?;
                        Ok(name)
                    }
                    Some(None) => Err(syntax(
                        at,
                        format!("a symlink to symbol {n}, which is still being read"),
                    )),
                    None => Err(syntax(
                        at,
                        format!(
                            "a symlink to symbol {n}, but only {} symbols come before it",
                            self.symbols.len()
                        ),
                    )),
                }
            }
            tag::IVAR => self.symbol_at(at, depth),
            other => Err(syntax(
                at,
                format!(
                    "expected a symbol (`:`, `;` or `I:`), found {}",
                    shown_byte(other)
                ),
            )),
        }
    }

    /// `I:` after its `I`, which is at `at`.
    fn symbol_at(&mut self, at: usize, depth: usize) -> Result<PerlString, Error> {
        match self.byte("a symbol after `I`")? {
            tag::SYMBOL => self.new_symbol(depth, true),
            other => Err(syntax(
                at + 1,
                format!("expected `:` after `I`, found {}", shown_byte(other)),
            )),
        }
    }

    /// `r_symreal`: the name, numbered before its instance variables are read.
    fn new_symbol(&mut self, depth: usize, ivars: bool) -> Result<PerlString, Error> {
        let at = self.pos;
        let bytes = self.counted_bytes("a symbol's name")?;
        let n = self.symbols.len();
        self.symbols.push(None);
        let encoding = if ivars {
            self.encoding(depth, "a Symbol")?
        } else {
            Encoding::Binary
        };
        let name = match text(bytes, &encoding) {
            Ok(name) => name,
            Err(_) => {
                return Err(unsupported(format!(
                    "at byte {at}: a symbol in {} that is not ASCII or UTF-8",
                    encoding.name()
                )))
            }
        };
        self.symbols[n] = Some(name.clone());
        Ok(name)
    }

    /// The instance variables of a String, Regexp or `_dump` data: only its encoding.
    fn encoding(&mut self, depth: usize, on: &str) -> Result<Encoding, Error> {
        let count = self.count("the number of instance variables", 2)?;
        let mut encoding = Encoding::Binary;
        for _ in 0..count {
            let at = self.pos;
            let name = self.symbol(depth + 1)?;
            let value_at = self.pos;
            let value = self.value(depth + 1)?;
            encoding = match (name.as_bytes(), &value) {
                (b"E", v) => match as_boolean(v) {
                    Some(true) => Encoding::Utf8,
                    Some(false) => Encoding::UsAscii,
                    None => return Err(syntax(value_at, "`E` must be true or false")),
                },
                (b"encoding", Value::Str(s)) if !s.is_utf8() => {
                    Encoding::named(s.as_bytes().to_vec())
                }
                (b"encoding", _) => return Err(syntax(value_at, "`encoding` must be a string")),
                _ => {
                    return Err(unsupported(format!(
                        "at byte {at}: instance variable {} on {on}: only its encoding is read",
                        name.to_text()
                    )))
                }
            };
        }
        Ok(encoding)
    }

    /// Numbers the next object; [`Reader::fill`] gives it its value once read.
    fn enter(&mut self) -> usize {
        self.objects.push(None);
        self.objects.len() - 1
    }

    fn fill(&mut self, n: usize, value: Value) -> (Value, Option<usize>) {
        self.objects[n] = Some(value.clone());
        (value, Some(n))
    }

    /// An object of type `t` (read at `at`), with the number it entered as (`e` and
    /// `C` give the number of the object they wrap). `ivars`: an `I` came before it.
    fn object(
        &mut self,
        t: u8,
        at: usize,
        depth: usize,
        ivars: bool,
    ) -> Result<(Value, Option<usize>), Error> {
        let depth = depth + 1;
        match t {
            tag::STRING => self.string_object(depth, ivars),
            tag::REGEXP => self.regexp_object(at, depth, ivars),
            tag::USERDEF => self.user_dump(depth, ivars),
            tag::EXTENDED => self.extended(depth + NESTS_IN_WRAPPER, ivars),
            tag::UCLASS => self.user_class(depth + NESTS_IN_WRAPPER, ivars),
            _ if ivars => Err(ivars_refused(at, t)),
            tag::FLOAT => self.float_object(),
            tag::BIGNUM => self.bignum(),
            tag::ARRAY => self.array(depth),
            tag::HASH => self.hash_object(t, depth),
            tag::HASH_DEF => self.hash_object(t, depth + NESTS_IN_PAIRS),
            tag::STRUCT => self.struct_object(depth + NESTS_IN_PAIRS),
            tag::OBJECT => self.plain_object(depth + NESTS_IN_RECORD),
            tag::USRMARSHAL => self.user_marshal(depth + NESTS_IN_RECORD),
            tag::CLASS | tag::MODULE | tag::MODULE_OLD => self.class_or_module(t),
            tag::NIL
            | tag::TRUE
            | tag::FALSE
            | tag::FIXNUM
            | tag::SYMBOL
            | tag::SYMLINK
            | tag::LINK
            | tag::IVAR => Err(ivars_refused(at, t)),
            other => Err(refused_type(at, other)),
        }
    }

    /// `"`: a String, numbered before its instance variables.
    fn string_object(
        &mut self,
        depth: usize,
        ivars: bool,
    ) -> Result<(Value, Option<usize>), Error> {
        let n = self.enter();
        let bytes = self.counted_bytes("a string")?;
        let encoding = if ivars {
            self.encoding(depth, "a String")?
        } else {
            Encoding::Binary
        };
        Ok(self.fill(n, string(bytes, &encoding)))
    }

    /// `/`: a Regexp, numbered before its instance variables.
    fn regexp_object(
        &mut self,
        at: usize,
        depth: usize,
        ivars: bool,
    ) -> Result<(Value, Option<usize>), Error> {
        let bytes = self.counted_bytes("a regexp's source")?;
        let options_at = self.pos;
        let options = self.byte("a regexp's options")?;
        let n = self.enter();
        let encoding = if ivars {
            self.encoding(depth, "a Regexp")?
        } else {
            Encoding::Binary
        };
        let regexp = regexp(bytes, &encoding, options, at, options_at)?;
        Ok(self.fill(n, regexp))
    }

    /// `u`: `_dump` data, numbered after it and its instance variables.
    fn user_dump(&mut self, depth: usize, ivars: bool) -> Result<(Value, Option<usize>), Error> {
        let class = self.symbol(depth)?;
        let data = self.counted_bytes("`_dump` data")?;
        let encoding = if ivars {
            self.encoding(depth, "`_dump` data")?
        } else {
            Encoding::Binary
        };
        let n = self.enter();
        let value = record(
            class::USER_DUMP,
            [
                ("class", Value::Str(class)),
                ("data", string(data, &encoding)),
            ],
        );
        Ok(self.fill(n, value))
    }

    /// `e`: the modules, then the object they extend.
    fn extended(&mut self, depth: usize, ivars: bool) -> Result<(Value, Option<usize>), Error> {
        let mut modules = vec![Value::Str(self.symbol(depth)?)];
        while self.peek() == Some(tag::EXTENDED) {
            self.pos += 1;
            modules.push(Value::Str(self.symbol(depth)?));
        }
        let inner = self.pos;
        let t = self.byte("the type of an extended object")?;
        // What Ruby's `w_extended` precedes: objects that can have a singleton class.
        let extendable = [
            tag::OBJECT,
            tag::STRUCT,
            tag::USERDEF,
            tag::USRMARSHAL,
            tag::UCLASS,
            tag::STRING,
            tag::REGEXP,
            tag::ARRAY,
            tag::HASH,
            tag::HASH_DEF,
        ];
        if !extendable.contains(&t) {
            return Err(syntax(
                inner,
                format!(
                    "an extended object (`e`) of {}: only an object, a String, Regexp, Array or Hash can be one",
                    shown_byte(t)
                ),
            ));
        }
        let (value, n) = self.object(t, inner, depth, ivars)?;
        let wrapped = record(
            class::EXTENDED,
            [("modules", Value::from(modules)), ("value", value)],
        );
        Ok(self.rewrap(n, wrapped))
    }

    /// `C`: a subclass of String, Regexp, Array or Hash, then its object.
    fn user_class(&mut self, depth: usize, ivars: bool) -> Result<(Value, Option<usize>), Error> {
        let class = self.symbol(depth)?;
        let inner = self.pos;
        let t = self.byte("the type of a user class's object")?;
        if ![
            tag::STRING,
            tag::REGEXP,
            tag::ARRAY,
            tag::HASH,
            tag::HASH_DEF,
        ]
        .contains(&t)
        {
            return Err(syntax(
                inner,
                format!(
                    "a user class (`C`) of {}: only a String, Regexp, Array or Hash can be one",
                    shown_byte(t)
                ),
            ));
        }
        let (value, n) = self.object(t, inner, depth, ivars)?;
        let wrapped = record(
            class::USER_CLASS,
            [("class", Value::Str(class)), ("value", value)],
        );
        Ok(self.rewrap(n, wrapped))
    }

    /// `f`: a Float.
    fn float_object(&mut self) -> Result<(Value, Option<usize>), Error> {
        let n = self.enter();
        let text_at = self.pos;
        let text = self.counted_bytes("a float")?;
        let value = float(&text).ok_or_else(|| {
            syntax(
                text_at,
                format!(
                    "a float {:?} that is not a number",
                    text.escape_ascii().to_string()
                ),
            )
        })?;
        Ok(self.fill(n, Value::Float(value)))
    }

    /// `l`: a Bignum.
    fn bignum(&mut self) -> Result<(Value, Option<usize>), Error> {
        let sign_at = self.pos;
        let negative = match self.byte("a bignum's sign")? {
            b'+' => false,
            b'-' => true,
            other => {
                return Err(syntax(
                    sign_at,
                    format!(
                        "a bignum's sign must be `+` or `-`, found {}",
                        shown_byte(other)
                    ),
                ))
            }
        };
        let len_at = self.pos;
        let shorts = self.count("a bignum's length", 2)?;
        if shorts * 16 > MAX_BIGNUM_BITS {
            return Err(unsupported(format!(
                "at byte {len_at}: a bignum of {} bits (at most {MAX_BIGNUM_BITS} are read)",
                shorts * 16
            )));
        }
        let magnitude = self.take(shorts * 2, "a bignum's digits")?;
        let value = match bignum::from_magnitude(negative, magnitude) {
            Ok(i) => Value::Int(i),
            Err(digits) => Value::blessed(class::INTEGER, Value::scalar_ref(Value::bytes(digits))),
        };
        let n = self.enter();
        Ok(self.fill(n, value))
    }

    /// `[`: an Array, numbered before its elements.
    fn array(&mut self, depth: usize) -> Result<(Value, Option<usize>), Error> {
        let len = self.count("an array's length", 1)?;
        let n = self.enter();
        let mut items = Vec::with_capacity(len.min(64));
        for _ in 0..len {
            items.push(self.value(depth)?);
        }
        Ok(self.fill(n, Value::from(items)))
    }

    /// `{` or `}`: a Hash, numbered before its pairs (and default).
    fn hash_object(&mut self, t: u8, depth: usize) -> Result<(Value, Option<usize>), Error> {
        let len = self.count("a hash's size", 2)?;
        let n = self.enter();
        let mut pairs = Vec::with_capacity(len.min(64));
        for _ in 0..len {
            let key = self.value(depth)?;
            let value = self.value(depth)?;
            pairs.push((key, value));
        }
        let default = if t == tag::HASH_DEF {
            Some(self.value(depth)?)
        } else {
            None
        };
        Ok(self.fill(n, hash(pairs, default)))
    }

    /// `S`: a Struct, numbered before its members.
    fn struct_object(&mut self, depth: usize) -> Result<(Value, Option<usize>), Error> {
        let class = self.symbol(depth)?;
        let len = self.count("a struct's size", 2)?;
        let n = self.enter();
        let mut members = Vec::with_capacity(len.min(64));
        for _ in 0..len {
            let name = self.symbol(depth)?;
            let value = self.value(depth)?;
            members.push(Value::array([Value::Str(name), value]));
        }
        let value = record(
            class::STRUCT,
            [
                ("class", Value::Str(class)),
                ("members", Value::from(members)),
            ],
        );
        Ok(self.fill(n, value))
    }

    /// `o`: an Object, numbered before its instance variables.
    fn plain_object(&mut self, depth: usize) -> Result<(Value, Option<usize>), Error> {
        let class = self.symbol(depth)?;
        let n = self.enter();
        let len = self.count("an object's number of instance variables", 2)?;
        let mut ivars = Hash::new();
        for _ in 0..len {
            let name_at = self.pos;
            let name = self.symbol(depth)?;
            let value = self.value(depth)?;
            if ivars.insert(name.clone(), value).is_some() {
                return Err(syntax(
                    name_at,
                    format!("instance variable {} appears twice", name.to_text()),
                ));
            }
        }
        let value = record(
            class::OBJECT,
            [("class", Value::Str(class)), ("ivars", Value::from(ivars))],
        );
        Ok(self.fill(n, value))
    }

    /// `U`: a `marshal_dump` object, numbered before its data.
    fn user_marshal(&mut self, depth: usize) -> Result<(Value, Option<usize>), Error> {
        let class = self.symbol(depth)?;
        let n = self.enter();
        let data = self.value(depth)?;
        let value = record(
            class::USER_MARSHAL,
            [("class", Value::Str(class)), ("data", data)],
        );
        Ok(self.fill(n, value))
    }

    /// `c`, `m`, `M`: a Class or Module by name.
    fn class_or_module(&mut self, t: u8) -> Result<(Value, Option<usize>), Error> {
        let name = self.counted_bytes("a class or module name")?;
        let kind = if t == tag::CLASS {
            class::CLASS
        } else {
            class::MODULE
        };
        let n = self.enter();
        Ok(self.fill(
            n,
            Value::blessed(kind, Value::scalar_ref(Value::bytes(name))),
        ))
    }

    /// An `e` or `C` wrapper around the object numbered `n`: a link to `n` means the wrapped object.
    fn rewrap(&mut self, n: Option<usize>, wrapped: Value) -> (Value, Option<usize>) {
        match n {
            Some(n) => self.fill(n, wrapped),
            None => (wrapped, None),
        }
    }
}

#[cold]
fn too_deep(at: usize) -> Error {
    unsupported(format!(
        "at byte {at}: nested deeper than {MAX_DEPTH} levels"
    ))
}

#[cold]
fn ivars_refused(at: usize, t: u8) -> Error {
    unsupported(format!(
        "at byte {at}: instance variables (`I`) on {} are not supported",
        type_name(t)
    ))
}

/// `d`, which only code of its class can restore, or a type byte Marshal 4.8 lacks.
#[cold]
fn refused_type(at: usize, t: u8) -> Error {
    if t == tag::DATA {
        return unsupported(format!(
            "at byte {at}: type `d` (a T_DATA object, restored by code of its class) is not read"
        ));
    }
    syntax(at, format!("unknown type byte {}", shown_byte(t)))
}

/// Ruby's `true`/`false` in the mapping.
pub(super) fn boolean(b: bool) -> Value {
    Value::blessed(class::BOOLEAN, Value::scalar_ref(Value::Int(i64::from(b))))
}

/// The boolean a `JSON::PP::Boolean` holds.
pub(super) fn as_boolean(v: &Value) -> Option<bool> {
    let object = v.as_object().filter(|o| o.class == class::BOOLEAN)?;
    match &object.value {
        Value::Scalar(inner) => match **inner {
            Value::Int(0) => Some(false),
            Value::Int(1) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

fn symbol_value(name: PerlString) -> Value {
    Value::blessed(class::SYMBOL, Value::scalar_ref(Value::Str(name)))
}

/// A blessed hash of the mapping: `bless({fields}, class)`.
pub(super) fn record<const N: usize>(class: &str, fields: [(&str, Value); N]) -> Value {
    Value::blessed(class, Value::hash(fields))
}

/// The string of `bytes` in `encoding`, if the mapping holds it as a [`PerlString`];
/// else the bytes back (another encoding, or bytes invalid in theirs).
fn text(bytes: Vec<u8>, encoding: &Encoding) -> Result<PerlString, Vec<u8>> {
    match encoding {
        Encoding::Binary => Ok(PerlString::from_bytes(bytes)),
        Encoding::UsAscii if bytes.is_ascii() => Ok(PerlString::from_bytes(bytes)),
        Encoding::Utf8 => match String::from_utf8(bytes) {
            Ok(text) => Ok(PerlString::from_text(&text)),
            Err(e) => Err(e.into_bytes()),
        },
        Encoding::UsAscii | Encoding::Named(_) => Err(bytes),
    }
}

/// A String by the mapping: a Perl string, or `Ruby::String` with its encoding.
fn string(bytes: Vec<u8>, encoding: &Encoding) -> Value {
    match text(bytes, encoding) {
        Ok(s) => Value::Str(s),
        Err(bytes) => record(
            class::STRING,
            [
                ("encoding", Value::bytes(encoding.name())),
                ("bytes", Value::bytes(bytes)),
            ],
        ),
    }
}

/// A Hash by the mapping: a hash ref when every key is a plain string and distinct.
fn hash(pairs: Vec<(Value, Value)>, default: Option<Value>) -> Value {
    if default.is_none() {
        let mut plain = Hash::new();
        for (key, value) in &pairs {
            match key {
                Value::Str(k) if !plain.contains_key(k) => {
                    plain.insert(k.clone(), value.clone());
                }
                _ => break,
            }
        }
        if plain.len() == pairs.len() {
            return Value::from(plain);
        }
    }
    let pairs: Vec<Value> = pairs
        .into_iter()
        .map(|(k, v)| Value::array([k, v]))
        .collect();
    let mut fields = Hash::new();
    fields.insert("pairs".into(), Value::from(pairs));
    if let Some(default) = default {
        fields.insert("default".into(), default);
    }
    Value::blessed(class::HASH, Value::from(fields))
}

/// A Regexp by the mapping: its source as a string, Ruby's i/x/m as Perl's i/x/s.
fn regexp(
    source: Vec<u8>,
    encoding: &Encoding,
    options: u8,
    at: usize,
    options_at: usize,
) -> Result<Value, Error> {
    let known =
        opt::IGNORECASE | opt::EXTENDED | opt::MULTILINE | opt::FIXED_ENCODING | opt::NO_ENCODING;
    if options & !known != 0 {
        return Err(syntax(
            options_at,
            format!("regexp options {options:#04x} hold unknown bits"),
        ));
    }
    let pattern = match text(source, encoding) {
        Ok(pattern) => pattern,
        Err(_) => {
            return Err(unsupported(format!(
                "at byte {at}: a Regexp in {} that is not ASCII or UTF-8",
                encoding.name()
            )))
        }
    };
    if let Some(why) = Regexp::code_refusal(pattern.as_bytes()) {
        return Err(unsupported(format!("at byte {at}: {why}")));
    }
    // Perl's order of modifiers (`re::regexp_pattern`): m s i x.
    let flags: String = [
        (opt::MULTILINE, 's'),
        (opt::IGNORECASE, 'i'),
        (opt::EXTENDED, 'x'),
    ]
    .iter()
    .filter(|(bit, _)| options & bit != 0)
    .map(|(_, flag)| flag)
    .collect();
    Ok(Value::Regexp(Arc::new(Regexp { pattern, flags })))
}

/// Ruby's `flo_dump` text back to a double: `nan`, `inf`, `-inf`, or decimal digits.
fn float(text: &[u8]) -> Option<f64> {
    match text {
        b"nan" => return Some(f64::NAN),
        b"inf" => return Some(f64::INFINITY),
        b"-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let numeric = text
        .iter()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(b));
    if !numeric || !text.iter().any(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn shown_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}` ({b:#04x})", b as char)
    } else {
        format!("{b:#04x}")
    }
}

/// The name of a type byte, for errors.
fn type_name(t: u8) -> &'static str {
    match t {
        tag::NIL => "nil",
        tag::TRUE | tag::FALSE => "a boolean",
        tag::FIXNUM => "an Integer",
        tag::SYMBOL | tag::SYMLINK => "a symbol link",
        tag::LINK => "an object link",
        tag::IVAR => "`I` itself",
        tag::FLOAT => "a Float",
        tag::BIGNUM => "a Bignum",
        tag::ARRAY => "an Array",
        tag::HASH | tag::HASH_DEF => "a Hash",
        tag::STRUCT => "a Struct",
        tag::OBJECT => "an Object",
        tag::USRMARSHAL => "a `marshal_dump` object",
        tag::CLASS => "a Class",
        tag::MODULE | tag::MODULE_OLD => "a Module",
        tag::DATA => "a T_DATA object",
        _ => "an unknown type",
    }
}

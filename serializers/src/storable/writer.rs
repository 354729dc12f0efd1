//! The writer: `do_store` and `store` in Storable.xs 3.26, as x86_64 Linux Perl runs
//! them with `$Storable::canonical = 1`.
//!
//! Perl numbers every stored item (`cxt->tagnum`) and remembers each referenced thing's
//! number by address; meeting the thing again writes `SX_OBJECT <number>` instead.
//! Here a thing's address is its [`Arc`](std::sync::Arc)'s, and the numbering follows
//! Perl's exactly, so Perl resolves every back-reference to the item we mean.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::{key_flag, sx, unsupported, REGEXP_CLASS, REGEXP_FLAGS};
use crate::string::PerlString;
use crate::value::{Object, Regexp, MAX_DEPTH};
use crate::{Error, Value};

/// `magic_write` for an in-memory native image on x86_64: format 2.11, byte order
/// `12345678`, then sizeof int, long, char * and NV.
const HEADER: &[u8] = b"\x04\x0b\x0812345678\x04\x08\x08\x08";

/// Above this, Storable writes `SX_LSCALAR`/`SX_LUTF8STR` with a 4-byte length.
const LG_SCALAR: usize = 255;
/// Above this, a class name length or index takes 4 bytes after a 0x80 marker.
const LG_BLESS: usize = 127;
/// Perl writes `SX_LOBJECT` beyond this; we refuse instead (see `Writer::len32`).
const MAX_LEN32: usize = i32::MAX as usize;
/// The output buffer's first capacity: a small session fits without regrowing.
const OUT_START: usize = 4096;
/// Doubles whose integral value is below this in magnitude are exact integers to Perl
/// (`NV_PRESERVES_UV_BITS` is 53 on x86_64).
const NV_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// Writes `data`, the reference `Storable::freeze` is given, as Perl does.
pub(super) fn freeze(data: &Value) -> Result<Vec<u8>, Error> {
    let mut w = Writer {
        out: Vec::with_capacity(OUT_START),
        ..Writer::default()
    };
    w.out.extend_from_slice(HEADER);
    // `do_store` stores what the reference points to, not the reference.
    if !data.is_ref() {
        return Err(unsupported(format!(
            "freeze needs a reference (Perl: \"Not a reference\"), not {data:?}"
        )));
    }
    w.tasks.push(Task::Referent(data, 0));
    while let Some(task) = w.tasks.pop() {
        match task {
            Task::Slot(v, depth) => w.slot(v, depth)?,
            Task::Referent(v, depth) => w.referent(v, depth)?,
            Task::Key(key, flagged) => w.key(key, flagged)?,
        }
    }
    Ok(w.out)
}

/// What is left to write, innermost last: Perl's recursion, kept on the heap so that
/// [`MAX_DEPTH`] levels write on any thread's stack.
enum Task<'v> {
    /// A scalar in an array or hash, at a depth of `usize` references.
    Slot(&'v Value, usize),
    /// The thing the reference `Value` points to.
    Referent(&'v Value, usize),
    /// A hash key, after its value; `true` in a flagged hash.
    Key(&'v PerlString, bool),
}

#[derive(Default)]
struct Writer<'v> {
    out: Vec<u8>,
    /// Items written so far (the next item's tag).
    tags: u32,
    /// Shared referenced things written, by address: their tags (`cxt->hseen`).
    /// Only a thing whose [`Arc`] has other owners can be met again, so only those
    /// are remembered; every item still takes a tag.
    seen: HashMap<usize, u32>,
    /// Class names written, by bytes: their indexes (`cxt->hclass`).
    classes: HashMap<Vec<u8>, usize>,
    tasks: Vec<Task<'v>>,
}

impl<'v> Writer<'v> {
    /// Gives the next item its tag.
    fn tag(&mut self) -> Result<u32, Error> {
        let tag = self.tags;
        // Perl switches to 8-byte tags (SX_LOBJECT) beyond this; no session gets here.
        if tag > i32::MAX as u32 {
            return Err(unsupported("more than 2^31 items"));
        }
        self.tags += 1;
        Ok(tag)
    }

    /// An array element or hash value: a new scalar, which holds a plain value or a
    /// reference (`store_scalar` or `store_ref`).
    fn slot(&mut self, v: &'v Value, depth: usize) -> Result<(), Error> {
        self.tag()?;
        self.scalar_body(v, depth)
    }

    /// The contents of a scalar item whose tag is taken.
    fn scalar_body(&mut self, v: &'v Value, depth: usize) -> Result<(), Error> {
        match v {
            Value::Undef => self.out.push(sx::UNDEF),
            Value::Int(i) => self.integer(*i),
            Value::Float(f) => self.float(*f),
            Value::Str(s) => self.string(s)?,
            Value::Code => return Err(cannot_store_code()),
            // Perl's `store_ref` writes SX_OVERLOAD for objects of overloaded classes,
            // which a Value cannot know; a plain SX_REF reads back the same (module docs).
            _ => {
                self.out.push(sx::REF);
                self.tasks.push(Task::Referent(v, depth));
            }
        }
        Ok(())
    }

    /// The thing `v` refers to: `SX_OBJECT` if it was written, else the thing itself,
    /// one reference deeper than `depth`.
    fn referent(&mut self, v: &'v Value, depth: usize) -> Result<(), Error> {
        let Some(addr) = v.ref_addr() else {
            return Err(cannot_store_code());
        };
        if is_shared(v) {
            if let Some(&tag) = self.seen.get(&addr) {
                self.out.push(sx::OBJECT);
                self.out.extend_from_slice(&tag.to_be_bytes());
                return Ok(());
            }
            let tag = self.tag()?;
            self.seen.insert(addr, tag);
        } else {
            self.tag()?;
        }
        let depth = depth + 1;
        if depth > MAX_DEPTH {
            return Err(unsupported(format!(
                "data nested deeper than {MAX_DEPTH} references"
            )));
        }
        match v {
            Value::Object(object) => self.object(object, depth),
            Value::Regexp(re) => self.regexp(REGEXP_CLASS, re),
            _ => self.thing(v, depth),
        }
    }

    /// A blessed thing: `SX_BLESS` or `SX_IX_BLESS`, then the thing (`store_blessed`).
    fn object(&mut self, object: &'v Object, depth: usize) -> Result<(), Error> {
        // Perl keeps a package name as bytes when it can, else as UTF-8.
        let class = object.class.downgraded();
        let class = class.as_ref().unwrap_or(&object.class).as_bytes();
        match &object.value {
            Value::Code => Err(cannot_store_code()),
            Value::Regexp(re) => self.regexp(class, re),
            thing @ (Value::Array(_) | Value::Hash(_) | Value::Scalar(_)) => {
                self.bless(class);
                self.thing(thing, depth)
            }
            other => Err(unsupported(format!(
                "an object of class {:?} must hold an unblessed reference, not {other:?}",
                object.class
            ))),
        }
    }

    /// An unblessed array, hash or scalar whose tag is taken, at `depth` references.
    fn thing(&mut self, v: &'v Value, depth: usize) -> Result<(), Error> {
        match v {
            Value::Array(items) => {
                self.out.push(sx::ARRAY);
                self.len32(items.len(), "an array")?;
                self.tasks
                    .extend(items.iter().rev().map(|item| Task::Slot(item, depth)));
            }
            Value::Hash(hash) => {
                // `store_hash`: flagged when a key has flags (HvHASKFLAGS); the hash
                // flags byte says "restricted", which a Value never is.
                let flagged = hash.keys().any(needs_flags);
                if flagged {
                    self.out.extend_from_slice(&[sx::FLAG_HASH, 0]);
                } else {
                    self.out.push(sx::HASH);
                }
                self.len32(hash.len(), "a hash")?;
                // Value first, then key; the BTreeMap's code point order is Perl's
                // `sort` of the keys (`$Storable::canonical`).
                for (key, value) in hash.iter().rev() {
                    self.tasks.push(Task::Key(key, flagged));
                    self.tasks.push(Task::Slot(value, depth));
                }
            }
            Value::Scalar(target) => self.scalar_body(target, depth)?,
            other => return Err(unsupported(format!("{other:?} is not a referenced thing"))),
        }
        Ok(())
    }

    /// `SX_BLESS len name` the first time a class is written, `SX_IX_BLESS index` after.
    fn bless(&mut self, class: &[u8]) {
        if let Some(&index) = self.classes.get(class) {
            self.out.push(sx::IX_BLESS);
            self.short_or_len32(index);
        } else {
            self.classes.insert(class.to_vec(), self.classes.len());
            self.out.push(sx::BLESS);
            self.short_or_len32(class.len());
            self.out.extend_from_slice(class);
        }
    }

    /// A regexp blessed into `class` (`qr//` is blessed into `Regexp`), as
    /// `store_regexp` writes what `re::regexp_pattern` gives.
    fn regexp(&mut self, class: &[u8], re: &Regexp) -> Result<(), Error> {
        if re.flags.len() > 0xFF || !re.flags.chars().all(|c| REGEXP_FLAGS.contains(c)) {
            return Err(unsupported(format!(
                "regexp modifiers {:?}: Perl's thaw accepts only [{REGEXP_FLAGS}]",
                re.flags
            )));
        }
        self.bless(class);
        let pattern = pattern_text(&re.pattern);
        let pattern = pattern.as_slice();
        self.out.push(sx::REGEXP);
        if pattern.len() > LG_SCALAR {
            self.out.push(0x01); // SHR_U32_RE_LEN
            self.len32(pattern.len(), "a regexp")?;
        } else {
            self.out.extend_from_slice(&[0, pattern.len() as u8]);
        }
        self.out.extend_from_slice(pattern);
        self.out.push(re.flags.len() as u8);
        self.out.extend_from_slice(re.flags.as_bytes());
        Ok(())
    }

    /// A hash key after its value (`store_hash`, canonical branch).
    fn key(&mut self, key: &PerlString, flagged: bool) -> Result<(), Error> {
        let (flags, bytes) = key_flags(key);
        if flagged {
            self.out.push(flags);
        }
        self.len32(bytes.len(), "a hash key")?;
        self.out.extend_from_slice(&bytes);
        Ok(())
    }

    /// `store_scalar` for an integer (IOK).
    fn integer(&mut self, i: i64) {
        match i8::try_from(i) {
            Ok(small) => self
                .out
                .extend_from_slice(&[sx::BYTE, (small as u8) ^ 0x80]),
            Err(_) => {
                self.out.push(sx::INTEGER);
                self.out.extend_from_slice(&i.to_le_bytes());
            }
        }
    }

    /// `store_scalar` for a float (NOK only): `SvIV_please` makes an exact integer of
    /// an integral value Perl's doubles hold exactly, and Storable stores that instead.
    fn float(&mut self, f: f64) {
        if f.fract() == 0.0 && f.abs() < NV_EXACT_INT {
            self.integer(f as i64);
        } else {
            self.out.push(sx::DOUBLE);
            self.out.extend_from_slice(&f.to_le_bytes());
        }
    }

    /// `STORE_SCALAR` or `STORE_UTF8STR`.
    fn string(&mut self, s: &PerlString) -> Result<(), Error> {
        let bytes = s.as_bytes();
        let (short, long) = if s.is_utf8() {
            (sx::UTF8STR, sx::LUTF8STR)
        } else {
            (sx::SCALAR, sx::LSCALAR)
        };
        if bytes.len() <= LG_SCALAR {
            self.out.extend_from_slice(&[short, bytes.len() as u8]);
        } else {
            self.out.push(long);
            self.len32(bytes.len(), "a string")?;
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// A native 4-byte length (`WLEN`). Perl writes `SX_LOBJECT` with an 8-byte length
    /// beyond 2³¹−1; a session never holds that much, so we refuse it.
    fn len32(&mut self, len: usize, what: &str) -> Result<(), Error> {
        if len > MAX_LEN32 {
            return Err(unsupported(format!(
                "{what} of {len} bytes or entries: more than Storable's 2^31-1 without SX_LOBJECT"
            )));
        }
        self.out.extend_from_slice(&(len as u32).to_le_bytes());
        Ok(())
    }

    /// A class name length or index: one byte up to 127, else 0x80 and 4 bytes.
    fn short_or_len32(&mut self, n: usize) {
        if n <= LG_BLESS {
            self.out.push(n as u8);
        } else {
            self.out.push(0x80);
            // A class name or class count over 2^31 cannot be in memory as a Value.
            self.out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }
}

/// The flags and bytes Perl stores for a hash key: a character string downgrades to
/// bytes when it can ("was UTF-8"), else stays UTF-8; ASCII needs no flag.
fn key_flags(key: &PerlString) -> (u8, Cow<'_, [u8]>) {
    if !needs_flags(key) {
        return (0, Cow::Borrowed(key.as_bytes()));
    }
    match key.downgraded() {
        Some(bytes) => (key_flag::WASUTF8, Cow::Owned(bytes.into_bytes())),
        None => (key_flag::UTF8, Cow::Borrowed(key.as_bytes())),
    }
}

/// Whether Perl stores `key` with flags: a character string with a non-ASCII character.
fn needs_flags(key: &PerlString) -> bool {
    key.is_utf8() && !key.is_ascii()
}

/// Whether the thing reference `v` points to has other owners, so that the data being
/// written may reach it again. A thing with one owner is reached once: through the
/// one reference, written once (a second path to that reference goes through a shared
/// thing above it, which is written as `SX_OBJECT` without descending).
fn is_shared(v: &Value) -> bool {
    match v {
        Value::Array(a) => Arc::strong_count(a) > 1,
        Value::Hash(h) => Arc::strong_count(h) > 1,
        Value::Scalar(s) => Arc::strong_count(s) > 1,
        Value::Object(o) => Arc::strong_count(o) > 1,
        Value::Regexp(r) => Arc::strong_count(r) > 1,
        _ => false,
    }
}

/// The pattern text to store. Perl stores a character-string pattern as its UTF-8
/// bytes without the flag, and its thaw compiles those bytes as Latin-1 characters: a
/// different regexp. We write each non-ASCII character as `\x{...}` instead, as
/// Data::Dumper does, which Perl compiles to the same regexp.
fn pattern_text(pattern: &PerlString) -> Vec<u8> {
    if !pattern.is_utf8() || pattern.is_ascii() {
        return pattern.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(pattern.byte_len() + 8);
    let mut backslashes = 0;
    for c in pattern.code_points() {
        match u8::try_from(c) {
            Ok(ascii) if ascii.is_ascii() => {
                out.push(ascii);
                backslashes = if ascii == b'\\' { backslashes + 1 } else { 0 };
            }
            _ => {
                // `\é` is a literal é, which `\x{e9}` already is.
                if backslashes % 2 == 1 {
                    out.pop();
                }
                out.extend_from_slice(format!("\\x{{{c:x}}}").as_bytes());
                backslashes = 0;
            }
        }
    }
    out
}

/// Perl's `store_other` message for code references.
fn cannot_store_code() -> Error {
    unsupported("Can't store CODE items")
}

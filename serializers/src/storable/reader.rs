//! The reader: `retrieve` in Storable.xs, on a heap stack instead of the C stack.
//!
//! Storable numbers every item it stores, in storage order from 0: each scalar, array,
//! hash, reference (the scalar holding it) and regexp, whether or not anything refers
//! back to it. `SX_OBJECT <tag>` means "the item numbered tag again". The reader keeps
//! every item it has read in that numbering, as the [`Value`] a reference to it is,
//! so a back-reference is the same [`Arc`] again. An item still being read has no
//! value yet: a back-reference to it is a cycle.

use std::sync::Arc;

use super::input::Input;
use super::{key_flag, sx, syntax, unsupported, REGEXP_CLASS, REGEXP_FLAGS};
use crate::string::{encode_lax, PerlString};
use crate::value::{Hash, Object, Regexp, MAX_DEPTH};
use crate::{Error, Value};

/// Reads a whole image; the result is what `thaw` returns, a reference to the root item.
pub(super) fn thaw(bytes: &[u8]) -> Result<Value, Error> {
    let mut reader = Reader {
        input: Input::new(bytes)?,
        seen: Vec::new(),
        classes: Vec::new(),
        stack: Vec::new(),
        copy_budget: bytes
            .len()
            .saturating_mul(COPY_FACTOR)
            .saturating_add(1 << 20),
    };
    Ok(reader.run()?.as_ref)
}

/// How many times its own size an image may grow by copies: a back-reference to a
/// string, and every use of a class name, copies bytes that appear once in the image.
/// Legitimate data stays far below this (a class name is short next to its objects);
/// a crafted image of tiny back-references to one huge string does not.
const COPY_FACTOR: usize = 64;

/// A finished item: the value a reference to it is, and that value's depth
/// ([`Value::depth`]), which a back-reference adds to wherever it appears.
#[derive(Clone)]
struct Item {
    as_ref: Value,
    depth: usize,
}

/// An array, hash or reference whose contents are being read.
enum Frame {
    Array {
        tag: usize,
        class: Option<PerlString>,
        items: Vec<Value>,
        len: usize,
        depth: usize,
    },
    Hash {
        tag: usize,
        class: Option<PerlString>,
        map: Hash,
        left: usize,
        flagged: bool,
        depth: usize,
    },
    /// `SX_REF` and friends: a scalar holding a reference to the next item.
    Ref {
        tag: usize,
        class: Option<PerlString>,
    },
}

/// What reading an item's type byte led to.
enum Start {
    /// A complete item, and whether it is a back-reference (`SX_OBJECT`).
    Done(Item, bool),
    /// A container or reference was opened on the stack.
    Opened,
}

struct Reader<'a> {
    input: Input<'a>,
    /// Every item by tag; `None` while it is being read.
    seen: Vec<Option<Item>>,
    /// Class names by index, in the order `SX_BLESS` introduced them.
    classes: Vec<PerlString>,
    stack: Vec<Frame>,
    /// Bytes that copies of strings and class names may still take (see [`COPY_FACTOR`]).
    copy_budget: usize,
}

impl Reader<'_> {
    fn run(&mut self) -> Result<Item, Error> {
        loop {
            let (mut item, mut backref) = match self.start()? {
                Start::Done(item, backref) => (item, backref),
                Start::Opened => continue,
            };
            // Hand the finished item to the innermost open frame; each frame it
            // completes is handed on in turn.
            loop {
                let Some(frame) = self.stack.pop() else {
                    return Ok(item);
                };
                let finished = match frame {
                    Frame::Array {
                        tag,
                        class,
                        mut items,
                        len,
                        depth,
                    } => {
                        let (value, d) = self.element(item, backref)?;
                        items.push(value);
                        let depth = depth.max(d);
                        if items.len() < len {
                            self.stack.push(Frame::Array {
                                tag,
                                class,
                                items,
                                len,
                                depth,
                            });
                            break;
                        }
                        self.finish(tag, class, Value::Array(Arc::new(items)), depth + 1)?
                    }
                    Frame::Hash {
                        tag,
                        class,
                        mut map,
                        left,
                        flagged,
                        depth,
                    } => {
                        let (value, d) = self.element(item, backref)?;
                        if let Some(key) = self.hash_key(flagged)? {
                            map.insert(key, value);
                        }
                        let depth = depth.max(d);
                        if left > 1 {
                            self.stack.push(Frame::Hash {
                                tag,
                                class,
                                map,
                                left: left - 1,
                                flagged,
                                depth,
                            });
                            break;
                        }
                        self.finish(tag, class, Value::Hash(Arc::new(map)), depth + 1)?
                    }
                    // The scalar holding the reference is what the tag names; a
                    // reference to that scalar is a reference to a reference.
                    Frame::Ref { tag, class } => self.finish(
                        tag,
                        class,
                        Value::Scalar(Arc::new(item.as_ref)),
                        item.depth + 1,
                    )?,
                };
                (item, backref) = (finished, false);
            }
        }
    }

    /// Reads one item's type byte (and any `SX_BLESS` or v-string prefixes) and either
    /// the whole item, if it holds no other items, or opens a frame for it.
    fn start(&mut self) -> Result<Start, Error> {
        // `retrieve(cxt, cname)`: a class applies to the next item that takes a tag.
        let mut class = None;
        loop {
            let at = self.input.pos();
            let op = self.input.byte("an item type")?;
            let scalar = |value| Value::Scalar(Arc::new(value));
            let (thing, class) = match op {
                sx::OBJECT => {
                    let tag = self.input.tag()?;
                    return Ok(Start::Done(self.backref(u64::from(tag), at)?, true));
                }
                sx::BLESS => {
                    let len = self.input.short_or_len32("a class name length")?;
                    let name = PerlString::from_bytes(self.input.take(len, "a class name")?);
                    self.classes.push(name.clone());
                    class = Some(name);
                    continue;
                }
                sx::IX_BLESS => {
                    let index = self.input.short_or_len32("a class index")?;
                    let Some(name) = self.classes.get(index) else {
                        return Err(syntax(
                            at,
                            format!(
                                "class #{index} used, but only {} classes were named",
                                self.classes.len()
                            ),
                        ));
                    };
                    let name = name.clone();
                    self.charge(name.byte_len(), at)?;
                    class = Some(name);
                    continue;
                }
                // The v-string's literal form (`v1.2.3`); the scalar after it holds
                // its string, which is all a Value keeps.
                sx::VSTRING | sx::LVSTRING => {
                    let len = if op == sx::VSTRING {
                        usize::from(self.input.byte("a v-string length")?)
                    } else {
                        self.input.len32("a v-string length")?
                    };
                    self.input.take(len, "a v-string")?;
                    continue;
                }
                sx::REF | sx::WEAKREF | sx::OVERLOAD | sx::WEAKOVERLOAD => {
                    let tag = self.open_tag();
                    return self.open(Frame::Ref { tag, class }, at);
                }
                sx::ARRAY => {
                    let len = self.input.len32("an array length")?;
                    return self.array(len as u64, class, at);
                }
                sx::HASH | sx::FLAG_HASH => {
                    let flagged = op == sx::FLAG_HASH;
                    if flagged {
                        // SHV_RESTRICTED: the hash was locked. The data is all we keep.
                        self.input.byte("hash flags")?;
                    }
                    let len = self.input.len32("a hash size")?;
                    return self.hash(len as u64, flagged, class, at);
                }
                sx::LOBJECT => return self.large(class, at),
                sx::UNDEF | sx::SV_UNDEF | sx::SVUNDEF_ELEM => (scalar(Value::Undef), class),
                // PL_sv_yes and PL_sv_no, and Perl 5.36 booleans: Storable writes a
                // copy of either as the string "1" or "".
                sx::SV_YES | sx::BOOLEAN_TRUE => (scalar(Value::bytes("1")), class),
                sx::SV_NO | sx::BOOLEAN_FALSE => (scalar(Value::bytes("")), class),
                sx::BYTE => {
                    let byte = self.input.byte("a byte")?;
                    (scalar(Value::Int(i64::from(byte) - 128)), class)
                }
                sx::INTEGER => (scalar(Value::Int(self.input.iv()?)), class),
                sx::NETINT => (scalar(Value::Int(self.input.netint()?)), class),
                sx::DOUBLE => (scalar(Value::Float(self.input.nv()?)), class),
                sx::SCALAR | sx::UTF8STR => {
                    let len = usize::from(self.input.byte("a string length")?);
                    (scalar(self.string(len, op == sx::UTF8STR)?), class)
                }
                sx::LSCALAR | sx::LUTF8STR => {
                    let len = self.input.len32("a string length")?;
                    (scalar(self.string(len, op == sx::LUTF8STR)?), class)
                }
                // `qr//` is blessed into Regexp: that is a plain Value::Regexp.
                sx::REGEXP => (
                    Value::Regexp(Arc::new(self.regexp()?)),
                    class.filter(|c| c.as_bytes() != REGEXP_CLASS),
                ),
                _ => return Err(refused(op, at, &mut self.input)),
            };
            return self.leaf(class, thing);
        }
    }

    /// Numbers and records an item that holds no other items.
    fn leaf(&mut self, class: Option<PerlString>, thing: Value) -> Result<Start, Error> {
        let tag = self.open_tag();
        Ok(Start::Done(self.finish(tag, class, thing, 1)?, false))
    }

    /// `SX_LOBJECT`: a string, array or hash of 2³¹ or more, or a tag that large.
    fn large(&mut self, class: Option<PerlString>, at: usize) -> Result<Start, Error> {
        let op = self.input.byte("the type of a large item")?;
        if op == sx::FLAG_HASH {
            self.input.byte("hash flags")?;
        }
        let len = self.input.len64("a large length")?;
        match op {
            sx::OBJECT => Ok(Start::Done(self.backref(len, at)?, true)),
            sx::ARRAY => self.array(len, class, at),
            sx::HASH | sx::FLAG_HASH => self.hash(len, op == sx::FLAG_HASH, class, at),
            sx::LSCALAR | sx::LUTF8STR => {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let value = self.string(len, op == sx::LUTF8STR)?;
                self.leaf(class, Value::Scalar(Arc::new(value)))
            }
            _ => Err(syntax(
                at,
                format!("{} (0x{op:02x}) cannot be a large item", sx::name(op)),
            )),
        }
    }

    fn array(&mut self, len: u64, class: Option<PerlString>, at: usize) -> Result<Start, Error> {
        // Every element takes at least one byte.
        let len = self.count(len, 1, "an array", at)?;
        let tag = self.open_tag();
        if len == 0 {
            let item = self.finish(tag, class, Value::Array(Arc::default()), 1)?;
            return Ok(Start::Done(item, false));
        }
        let frame = Frame::Array {
            tag,
            class,
            items: Vec::with_capacity(len),
            len,
            depth: 0,
        };
        self.open(frame, at)
    }

    fn hash(
        &mut self,
        len: u64,
        flagged: bool,
        class: Option<PerlString>,
        at: usize,
    ) -> Result<Start, Error> {
        // A value takes at least one byte, a key length four, a key's flags one.
        let len = self.count(len, 5 + usize::from(flagged), "a hash", at)?;
        let tag = self.open_tag();
        if len == 0 {
            let item = self.finish(tag, class, Value::Hash(Arc::default()), 1)?;
            return Ok(Start::Done(item, false));
        }
        let frame = Frame::Hash {
            tag,
            class,
            map: Hash::new(),
            left: len,
            flagged,
            depth: 0,
        };
        self.open(frame, at)
    }

    /// A count of entries of at least `min_size` bytes each, checked against the bytes
    /// left before anything is allocated for them.
    fn count(&self, len: u64, min_size: usize, what: &str, at: usize) -> Result<usize, Error> {
        let left = self.input.remaining();
        match usize::try_from(len) {
            Ok(n) if n <= left / min_size => Ok(n),
            _ => Err(syntax(
                at,
                format!("{what} of {len} entries, but only {left} bytes remain"),
            )),
        }
    }

    /// Pushes a frame, unless that nests deeper than any value within [`MAX_DEPTH`]
    /// could (a reference and its container are two frames for one level).
    fn open(&mut self, frame: Frame, at: usize) -> Result<Start, Error> {
        if self.stack.len() >= 2 * MAX_DEPTH {
            return Err(too_deep(at));
        }
        self.stack.push(frame);
        Ok(Start::Opened)
    }

    /// Numbers the next item; it has no value until it is finished.
    fn open_tag(&mut self) -> usize {
        self.seen.push(None);
        self.seen.len() - 1
    }

    /// Records a finished item (blessed into `class` if one was given) under its tag.
    fn finish(
        &mut self,
        tag: usize,
        class: Option<PerlString>,
        thing: Value,
        depth: usize,
    ) -> Result<Item, Error> {
        if depth > MAX_DEPTH {
            return Err(too_deep(self.input.pos()));
        }
        let as_ref = match class {
            Some(class) => Value::Object(Arc::new(Object {
                class,
                value: thing,
            })),
            None => thing,
        };
        let item = Item { as_ref, depth };
        if let Some(slot) = self.seen.get_mut(tag) {
            *slot = Some(item.clone());
        }
        Ok(item)
    }

    /// `SX_OBJECT`: the item numbered `tag`, which must be finished.
    fn backref(&self, tag: u64, at: usize) -> Result<Item, Error> {
        match usize::try_from(tag).ok().and_then(|t| self.seen.get(t)) {
            Some(Some(item)) => Ok(item.clone()),
            Some(None) => Err(unsupported(format!(
                "at byte {at}: item #{tag} contains a reference to itself; \
                 a Value cannot hold cyclic data"
            ))),
            None => Err(syntax(
                at,
                format!(
                    "back-reference to item #{tag}, but only {} items were read",
                    self.seen.len()
                ),
            )),
        }
    }

    /// An item as an array element or hash value: the scalar it is, and that value's depth.
    fn element(&mut self, item: Item, backref: bool) -> Result<(Value, usize), Error> {
        let scalar = match &item.as_ref {
            Value::Scalar(s) => Some(s),
            // A blessed scalar in a slot: the slot holds its value; references keep the class.
            Value::Object(o) => match &o.value {
                Value::Scalar(s) => Some(s),
                _ => None,
            },
            _ => None,
        };
        let Some(scalar) = scalar else {
            return Err(syntax(
                self.input.pos(),
                format!(
                    "an array element or hash value is a {}, not a scalar",
                    item.as_ref.ref_type().unwrap_or("scalar")
                ),
            ));
        };
        if let (true, Value::Str(s)) = (backref, &**scalar) {
            self.charge(s.byte_len(), self.input.pos())?;
        }
        Ok(((**scalar).clone(), item.depth - 1))
    }

    /// Takes `len` bytes of copies from the budget (see [`COPY_FACTOR`]).
    fn charge(&mut self, len: usize, at: usize) -> Result<(), Error> {
        self.copy_budget = self.copy_budget.checked_sub(len).ok_or_else(|| {
            syntax(
                at,
                format!(
                    "back-references and class indexes copy more than {COPY_FACTOR} times \
                     the image's size"
                ),
            )
        })?;
        Ok(())
    }

    /// The key after a hash value; `None` for a restricted hash's placeholder.
    fn hash_key(&mut self, flagged: bool) -> Result<Option<PerlString>, Error> {
        let at = self.input.pos();
        let flags = if flagged {
            self.input.byte("hash key flags")?
        } else {
            0
        };
        if flags & key_flag::ISSV != 0 {
            return Err(syntax(
                at,
                "a hash key stored as an item (flag 0x08) is not supported",
            ));
        }
        let len = self.input.len32("a hash key length")?;
        let bytes = self.input.take(len, "a hash key")?;
        if flags & key_flag::PLACEHOLDER != 0 {
            return Ok(None);
        }
        Ok(Some(if flags & key_flag::UTF8 != 0 {
            utf8(bytes, at)?
        } else if flags & key_flag::WASUTF8 != 0 {
            // Perl gives such a key back as a character string (spec §7.6).
            let mut upgraded = Vec::with_capacity(bytes.len() * 2);
            bytes
                .iter()
                .for_each(|&b| encode_lax(u32::from(b), &mut upgraded));
            utf8(&upgraded, at)?
        } else {
            PerlString::from_bytes(bytes)
        }))
    }

    fn string(&mut self, len: usize, is_utf8: bool) -> Result<Value, Error> {
        let at = self.input.pos();
        let bytes = self.input.take(len, "a string")?;
        Ok(Value::Str(if is_utf8 {
            utf8(bytes, at)?
        } else {
            PerlString::from_bytes(bytes)
        }))
    }

    /// `SX_REGEXP`: flags, pattern and modifiers, as `re::regexp_pattern` gave them.
    fn regexp(&mut self) -> Result<Regexp, Error> {
        let op_flags = self.input.byte("regexp flags")?;
        let len = if op_flags & 0x01 != 0 {
            self.input.len32("a regexp length")?
        } else {
            usize::from(self.input.byte("a regexp length")?)
        };
        // Storable stores the pattern's bytes without their UTF-8 flag, and Perl's
        // thaw compiles them as bytes.
        let pattern = PerlString::from_bytes(self.input.take(len, "a regexp")?);
        let at = self.input.pos();
        let len = usize::from(self.input.byte("a regexp modifiers length")?);
        let flags = self.input.take(len, "regexp modifiers")?;
        match std::str::from_utf8(flags) {
            Ok(flags) if flags.chars().all(|c| REGEXP_FLAGS.contains(c)) => Ok(Regexp {
                pattern,
                flags: flags.to_string(),
            }),
            _ => Err(syntax(
                at,
                format!(
                    "regexp modifiers {:?}: Perl's thaw accepts only [{REGEXP_FLAGS}]",
                    flags.escape_ascii().to_string()
                ),
            )),
        }
    }
}

/// Perl's internal UTF-8 from the image, checked.
fn utf8(bytes: &[u8], at: usize) -> Result<PerlString, Error> {
    PerlString::from_utf8_internal(bytes.to_vec()).map_err(|e| {
        syntax(
            at + e.offset,
            "malformed UTF-8 in a character string or key",
        )
    })
}

fn too_deep(at: usize) -> Error {
    syntax(
        at,
        format!("data nested deeper than {MAX_DEPTH} references"),
    )
}

/// The error for an item type this reader does not build, naming it and where it is.
fn refused(op: u8, at: usize, input: &mut Input) -> Error {
    let name = sx::name(op);
    match op {
        sx::CODE => unsupported(format!(
            "at byte {at}: a code reference ({name}): stored code is never evaluated"
        )),
        sx::TIED_ARRAY | sx::TIED_HASH | sx::TIED_SCALAR | sx::TIED_KEY | sx::TIED_IDX => {
            unsupported(format!(
                "at byte {at}: tied data ({name}, 0x{op:02x}) is not supported"
            ))
        }
        sx::HOOK => unsupported(format!(
            "at byte {at}: an object{} stored by its class's STORABLE_freeze hook \
             ({name}) is not supported",
            hook_class(input).map_or(String::new(), |c| format!(" of class {c:?}"))
        )),
        _ => syntax(at, format!("unknown item type 0x{op:02x}")),
    }
}

/// The class of an `SX_HOOK` item, when it is named right after the hook's flags
/// (`retrieve_hook_common`); `None` when the hook's items come first or it is indexed.
fn hook_class(input: &mut Input) -> Option<String> {
    const TYPE_MASK: u8 = 0x03;
    const EXTRA: u8 = 0x03;
    const LARGE_CLASSLEN: u8 = 0x04;
    const IDX_CLASSNAME: u8 = 0x20;
    const NEED_RECURSE: u8 = 0x40;
    let flags = input.byte("").ok()?;
    if flags & (NEED_RECURSE | IDX_CLASSNAME) != 0 {
        return None;
    }
    if flags & TYPE_MASK == EXTRA {
        input.byte("").ok()?;
    }
    let len = if flags & LARGE_CLASSLEN != 0 {
        input.len32("").ok()?
    } else {
        usize::from(input.byte("").ok()?)
    };
    Some(input.take(len, "").ok()?.escape_ascii().to_string())
}

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
use super::leaves::{hash_key, plain_scalar, refused, string};
use super::{sx, syntax, unsupported, REGEXP_CLASS, REGEXP_FLAGS};
use crate::string::PerlString;
use crate::value::{Hash, Object, Regexp, MAX_DEPTH};
use crate::{Error, Value};

/// Reads a whole image; the result is what `thaw` returns, a reference to the root item.
pub(super) fn thaw(bytes: &[u8]) -> Result<Value, Error> {
    let mut reader = Reader {
        input: Input::new(bytes)?,
        // One allocation for a typical image's items, which take about 8 bytes each:
        // growing the table by doubling costs more than the items.
        seen: Vec::with_capacity(bytes.len() / 8),
        classes: Vec::new(),
        stack: Vec::new(),
        copy_budget: bytes
            .len()
            .saturating_mul(COPY_FACTOR)
            .saturating_add(1 << 20),
    };
    let root = reader.run()?;
    Ok(reader.as_ref(root))
}

/// How many times its own size an image may grow by copies: a back-reference to a
/// string, and every use of a class name, copies bytes that appear once in the image.
/// Legitimate data stays far below this (a class name is short next to its objects);
/// a crafted image of tiny back-references to one huge string does not.
const COPY_FACTOR: usize = 64;

/// A finished item as a back-reference finds it: the value a reference to it is, and
/// that value's depth ([`Value::depth`]), which a back-reference adds to wherever it
/// appears.
#[derive(Clone)]
struct Item {
    as_ref: Value,
    depth: usize,
}

/// What the reader keeps of an item, by tag, for back-references. Most items are
/// never referred to again, so a plain scalar keeps no copy of its value and a
/// scalar holding a reference does not get its own [`Arc`] until a back-reference
/// asks for one; either is then built once and kept, so that every back-reference
/// shares it.
enum Seen {
    /// Still being read: a back-reference to it is a cycle.
    Open,
    /// An unblessed scalar holding no other item, whose type byte is at this offset:
    /// read again from there when a back-reference asks for it.
    Leaf(usize),
    /// An unblessed scalar holding a reference to the finished item `target`.
    RefTo { target: usize, depth: usize },
    /// A finished item.
    Done(Item),
}

/// A finished item, as handed to the frame that holds it.
struct Finished {
    /// With `scalar`, the contents of the unblessed scalar numbered `tag`, which has
    /// no [`Arc`] yet; else what a reference to the item is.
    value: Value,
    scalar: bool,
    /// The item's tag; for a back-reference, the tag it names.
    tag: usize,
    /// The depth of a reference to the item.
    depth: usize,
    /// The item is a back-reference (`SX_OBJECT`).
    backref: bool,
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
    /// A complete item.
    Done(Finished),
    /// A container or reference was opened on the stack.
    Opened,
}

struct Reader<'a> {
    input: Input<'a>,
    /// Every item by tag.
    seen: Vec<Seen>,
    /// Class names by index, in the order `SX_BLESS` introduced them.
    classes: Vec<PerlString>,
    stack: Vec<Frame>,
    /// Bytes that copies of strings and class names may still take (see [`COPY_FACTOR`]).
    copy_budget: usize,
}

impl Reader<'_> {
    fn run(&mut self) -> Result<Finished, Error> {
        loop {
            let mut done = match self.start()? {
                Start::Done(done) => done,
                Start::Opened => continue,
            };
            // Hand the finished item to the innermost open frame; each frame it
            // completes is handed on in turn.
            loop {
                let at = self.input.pos();
                match self.stack.last_mut() {
                    None => return Ok(done),
                    Some(Frame::Ref { tag, class }) => {
                        let (tag, class) = (*tag, class.take());
                        self.stack.pop();
                        done = self.close_ref(tag, class, done)?;
                    }
                    Some(Frame::Array {
                        tag,
                        class,
                        items,
                        len,
                        depth,
                    }) => {
                        let (value, d) = element(done, &mut self.copy_budget, at)?;
                        items.push(value);
                        *depth = (*depth).max(d);
                        if items.len() < *len {
                            break;
                        }
                        let (tag, class, depth) = (*tag, class.take(), *depth);
                        let array = Value::Array(Arc::new(std::mem::take(items)));
                        self.stack.pop();
                        done = self.finish(tag, class, array, depth + 1)?;
                    }
                    Some(Frame::Hash {
                        tag,
                        class,
                        map,
                        left,
                        flagged,
                        depth,
                    }) => {
                        let (value, d) = element(done, &mut self.copy_budget, at)?;
                        if let Some(key) = hash_key(&mut self.input, *flagged)? {
                            map.insert(key, value);
                        }
                        *depth = (*depth).max(d);
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        let (tag, class, depth) = (*tag, class.take(), *depth);
                        let hash = std::mem::take(map);
                        self.stack.pop();
                        done = self.finish(tag, class, Value::Hash(Arc::new(hash)), depth + 1)?;
                    }
                }
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
            if let Some(value) = plain_scalar(&mut self.input, op)? {
                return self.scalar(class, value, at);
            }
            match op {
                sx::OBJECT => {
                    let tag = self.input.tag()?;
                    return Ok(Start::Done(self.backref(u64::from(tag), at)?));
                }
                sx::BLESS => {
                    let len = self.input.short_or_len32("a class name length")?;
                    let name = PerlString::from_bytes(self.input.take(len, "a class name")?);
                    self.classes.push(name.clone());
                    class = Some(name);
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
                // `qr//` is blessed into Regexp: that is a plain Value::Regexp.
                sx::REGEXP => {
                    let re = Value::Regexp(Arc::new(self.regexp()?));
                    return self.leaf(class.filter(|c| c.as_bytes() != REGEXP_CLASS), re);
                }
                _ => return Err(refused(op, at, &mut self.input)),
            }
        }
    }

    /// Numbers a scalar holding no other item, read from its type byte at `at`.
    fn scalar(
        &mut self,
        class: Option<PerlString>,
        value: Value,
        at: usize,
    ) -> Result<Start, Error> {
        if class.is_some() {
            return self.leaf(class, Value::Scalar(Arc::new(value)));
        }
        self.seen.push(Seen::Leaf(at));
        Ok(Start::Done(Finished {
            value,
            scalar: true,
            tag: self.seen.len() - 1,
            depth: 1,
            backref: false,
        }))
    }

    /// Numbers and records an item that holds no other items.
    fn leaf(&mut self, class: Option<PerlString>, thing: Value) -> Result<Start, Error> {
        let tag = self.open_tag();
        Ok(Start::Done(self.finish(tag, class, thing, 1)?))
    }

    /// `SX_LOBJECT`: a string, array or hash of 2³¹ or more, or a tag that large.
    fn large(&mut self, class: Option<PerlString>, at: usize) -> Result<Start, Error> {
        let op = self.input.byte("the type of a large item")?;
        if op == sx::FLAG_HASH {
            self.input.byte("hash flags")?;
        }
        let len = self.input.len64("a large length")?;
        match op {
            sx::OBJECT => Ok(Start::Done(self.backref(len, at)?)),
            sx::ARRAY => self.array(len, class, at),
            sx::HASH | sx::FLAG_HASH => self.hash(len, op == sx::FLAG_HASH, class, at),
            sx::LSCALAR | sx::LUTF8STR => {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let value = string(&mut self.input, len, op == sx::LUTF8STR)?;
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
            return Ok(Start::Done(item));
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
            return Ok(Start::Done(item));
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
        self.seen.push(Seen::Open);
        self.seen.len() - 1
    }

    /// Records a finished item (blessed into `class` if one was given) under its tag.
    fn finish(
        &mut self,
        tag: usize,
        class: Option<PerlString>,
        thing: Value,
        depth: usize,
    ) -> Result<Finished, Error> {
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
        if let Some(slot) = self.seen.get_mut(tag) {
            *slot = Seen::Done(Item {
                as_ref: as_ref.clone(),
                depth,
            });
        }
        Ok(Finished {
            value: as_ref,
            scalar: false,
            tag,
            depth,
            backref: false,
        })
    }

    /// Finishes the scalar numbered `tag`, which holds a reference to `target`.
    fn close_ref(
        &mut self,
        tag: usize,
        class: Option<PerlString>,
        target: Finished,
    ) -> Result<Finished, Error> {
        let (target_tag, depth) = (target.tag, target.depth + 1);
        let value = self.as_ref(target);
        if class.is_some() {
            return self.finish(tag, class, Value::Scalar(Arc::new(value)), depth);
        }
        if depth > MAX_DEPTH {
            return Err(too_deep(self.input.pos()));
        }
        if let Some(slot) = self.seen.get_mut(tag) {
            *slot = Seen::RefTo {
                target: target_tag,
                depth,
            };
        }
        Ok(Finished {
            value,
            scalar: true,
            tag,
            depth,
            backref: false,
        })
    }

    /// What a reference to a finished item is. A scalar gets its [`Arc`] here, which
    /// is recorded for back-references to share.
    fn as_ref(&mut self, item: Finished) -> Value {
        if !item.scalar {
            return item.value;
        }
        let as_ref = Value::Scalar(Arc::new(item.value));
        if let Some(slot) = self.seen.get_mut(item.tag) {
            *slot = Seen::Done(Item {
                as_ref: as_ref.clone(),
                depth: item.depth,
            });
        }
        as_ref
    }

    /// `SX_OBJECT`: the item numbered `tag`, which must be finished.
    fn backref(&mut self, tag: u64, at: usize) -> Result<Finished, Error> {
        let Some(index) = usize::try_from(tag).ok().filter(|&t| t < self.seen.len()) else {
            return Err(syntax(
                at,
                format!(
                    "back-reference to item #{tag}, but only {} items were read",
                    self.seen.len()
                ),
            ));
        };
        let item = match &self.seen[index] {
            Seen::Done(item) => item.clone(),
            Seen::Open => {
                return Err(unsupported(format!(
                    "at byte {at}: item #{tag} contains a reference to itself; \
                     a Value cannot hold cyclic data"
                )))
            }
            // Read again: the same bytes give the same scalar.
            &Seen::Leaf(pos) => {
                let mut input = self.input.at(pos);
                let op = input.byte("an item type")?;
                let value = plain_scalar(&mut input, op)?.unwrap_or_default();
                Item {
                    as_ref: Value::Scalar(Arc::new(value)),
                    depth: 1,
                }
            }
            &Seen::RefTo { target, depth } => {
                let target = match self.seen.get(target) {
                    Some(Seen::Done(item)) => item.as_ref.clone(),
                    // `close_ref` records its target as done before itself.
                    _ => Value::Undef,
                };
                Item {
                    as_ref: Value::Scalar(Arc::new(target)),
                    depth,
                }
            }
        };
        self.seen[index] = Seen::Done(item.clone());
        Ok(Finished {
            value: item.as_ref,
            scalar: false,
            tag: index,
            depth: item.depth,
            backref: true,
        })
    }

    /// Takes `len` bytes of copies from the budget (see [`COPY_FACTOR`]).
    fn charge(&mut self, len: usize, at: usize) -> Result<(), Error> {
        charge(&mut self.copy_budget, len, at)
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
        let at = self.input.pos();
        let pattern = PerlString::from_bytes(self.input.take(len, "a regexp")?);
        if let Some(why) = Regexp::code_refusal(pattern.as_bytes()) {
            return Err(unsupported(format!("at byte {at}: {why}")));
        }
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

/// Takes `len` bytes of copies from `budget` (see [`COPY_FACTOR`]).
fn charge(budget: &mut usize, len: usize, at: usize) -> Result<(), Error> {
    *budget = budget.checked_sub(len).ok_or_else(|| {
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

/// An item as an array element or hash value, read up to `at`: the scalar it is, and
/// that value's depth. A back-reference's string is a copy, charged to `budget`.
fn element(item: Finished, budget: &mut usize, at: usize) -> Result<(Value, usize), Error> {
    let depth = item.depth - 1;
    if item.scalar {
        return Ok((item.value, depth));
    }
    let scalar = match &item.value {
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
            at,
            format!(
                "an array element or hash value is a {}, not a scalar",
                item.value.ref_type().unwrap_or("scalar")
            ),
        ));
    };
    if let (true, Value::Str(s)) = (item.backref, &**scalar) {
        charge(budget, s.byte_len(), at)?;
    }
    Ok(((**scalar).clone(), depth))
}

fn too_deep(at: usize) -> Error {
    syntax(
        at,
        format!("data nested deeper than {MAX_DEPTH} references"),
    )
}

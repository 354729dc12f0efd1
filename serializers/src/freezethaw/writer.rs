//! The writer: what `FreezeThaw::freeze($data)` writes, byte for byte (spec §7.3).
//!
//! It follows FreezeThaw's own two passes. The first writes the data and counts the
//! references it meets, stepping into each one only the first time; a reference met
//! a second time joins the list of repeated objects. If that list is empty, the first
//! pass's text is the record. Otherwise FreezeThaw starts again with the `!` prelude
//! (a placeholder, then the content, of each repeated object) and writes the data with
//! `<I|` for each of them. Both passes walk with a heap stack, so data nested
//! [`MAX_DEPTH`] deep is written on any thread's stack.

use std::collections::{btree_map, HashMap, HashSet};
use std::slice;

use super::text::{class_name, latin1, regexp};
use super::unsupported;
use crate::number::format_float;
use crate::string::PerlString;
use crate::value::{Regexp, MAX_DEPTH};
use crate::{Error, Hash, Value};

/// Writes `data` as FreezeThaw does: the list `(data)` after the signature `FrT;`.
pub(super) fn freeze(data: &Value) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    w.out.extend_from_slice(b"FrT;@1|");
    w.tree(data, false)?;
    if w.multiple.is_empty() {
        return Ok(w.out);
    }
    // FreezeThaw numbers repeated objects in the order their second occurrence was met,
    // and numbers classes afresh for the new text.
    w.second_pass = true;
    w.packages.clear();
    w.out.clear();
    let multiple = std::mem::take(&mut w.multiple);
    w.out
        .extend_from_slice(format!("FrT;!{}|", multiple.len() - 1).as_bytes());
    for m in &multiple {
        w.placeholder(m)?;
    }
    for m in &multiple {
        w.tree(m, true)?;
    }
    w.out.extend_from_slice(b"@1|");
    w.tree(data, false)?;
    Ok(w.out)
}

#[derive(Default)]
struct Writer<'v> {
    out: Vec<u8>,
    /// Class name → the number FreezeThaw gave it in this text (`>ID|` then `)ID|`).
    packages: HashMap<Vec<u8>, usize>,
    /// Referents met so far in the first pass.
    seen: HashSet<usize>,
    /// Repeated referent → its number in the `!` prelude.
    repeated: HashMap<usize, usize>,
    /// The repeated referents, in the order of their second occurrence.
    multiple: Vec<&'v Value>,
    /// Whether the `!` prelude is being written (repeats are then known in advance).
    second_pass: bool,
    /// Referent → how many references nest in it, including itself (for the depth check
    /// where a repeat is not stepped into).
    heights: HashMap<usize, usize>,
    /// References being written, innermost last.
    stack: Vec<Frame<'v>>,
}

/// A reference whose content is being written.
struct Frame<'v> {
    kids: Kids<'v>,
    /// The referent, if repeats of it are tracked.
    addr: Option<usize>,
    /// The greatest height among the kids written so far.
    height: usize,
}

/// What a reference holds, when FreezeThaw writes it with its own sigil.
enum Content<'v> {
    Array(&'v [Value]),
    Hash(&'v Hash),
    Scalar(&'v Value),
}

enum Kids<'v> {
    Items(slice::Iter<'v, Value>),
    /// A hash's values: FreezeThaw writes all the keys first, in `sort` order.
    Values(btree_map::Values<'v, PerlString, Value>),
    /// The target of a scalar reference.
    Target(Option<&'v Value>),
}

impl<'v> Iterator for Kids<'v> {
    type Item = &'v Value;

    fn next(&mut self) -> Option<&'v Value> {
        match self {
            Kids::Items(items) => items.next(),
            Kids::Values(values) => values.next(),
            Kids::Target(target) => target.take(),
        }
    }
}

impl<'v> Writer<'v> {
    /// Writes `root` and everything below it. `whole`: `root` is a repeated object
    /// written in the prelude, in full and with `}` for its class.
    fn tree(&mut self, root: &'v Value, whole: bool) -> Result<(), Error> {
        let mut height = self.start(root, whole)?;
        while let Some(frame) = self.stack.last_mut() {
            if let Some(kid) = frame.kids.next() {
                if let Some(h) = self.start(kid, false)? {
                    self.raise(h);
                }
                continue;
            }
            let Some(done) = self.stack.pop() else { break };
            let h = done.height + 1;
            if let Some(addr) = done.addr {
                self.heights.insert(addr, h);
            }
            self.raise(h);
            height = Some(h);
        }
        // The last frame to finish is the root's.
        if height.unwrap_or(0) > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(())
    }

    /// A kid of the innermost open reference is `h` references high.
    fn raise(&mut self, h: usize) {
        if let Some(parent) = self.stack.last_mut() {
            parent.height = parent.height.max(h);
        }
    }

    /// Writes `v` if it is a leaf or a repeat and gives its height; otherwise writes
    /// the head of the reference, pushes a frame for its content and gives `None`.
    fn start(&mut self, v: &'v Value, whole: bool) -> Result<Option<usize>, Error> {
        let (class, inner) = match v {
            Value::Undef => {
                self.out.push(b'_');
                return Ok(Some(0));
            }
            Value::Int(i) => return self.string(i.to_string().as_bytes()),
            Value::Float(f) => return self.string(format_float(*f).as_bytes()),
            Value::Str(s) => return self.string(&latin1(s, "the string")?),
            Value::Object(object) => (Some(&object.class), &object.value),
            _ => (None, v),
        };
        let content = match inner {
            Value::Array(items) => Content::Array(items),
            Value::Hash(hash) => Content::Hash(hash),
            Value::Scalar(target) => Content::Scalar(target),
            // FreezeThaw writes a blessed regexp as a plain one: the class is lost.
            Value::Regexp(r) => return self.regexp(r),
            Value::Code => return Err(code()),
            // Only an object's content can be anything else.
            other => {
                return Err(unsupported(format!(
                    "an object of class {} holds {other:?}, not an unblessed reference",
                    class.map_or_else(String::new, |c| format!("{c:?}"))
                )))
            }
        };
        let addr = v.ref_addr();
        if let (false, Some(addr)) = (whole, addr) {
            if let Some(index) = self.repeat(v, addr) {
                self.out.extend_from_slice(format!("<{index}|").as_bytes());
                return Ok(Some(self.heights.get(&addr).copied().unwrap_or(1)));
            }
        }
        if let Some(class) = class {
            self.out.push(if whole { b'}' } else { b'>' });
            self.package(class)?;
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep());
        }
        let kids = match content {
            Content::Array(items) => {
                self.out
                    .extend_from_slice(format!("@{}|", items.len()).as_bytes());
                Kids::Items(items.iter())
            }
            Content::Hash(hash) => {
                self.out
                    .extend_from_slice(format!("%{}|", 2 * hash.len()).as_bytes());
                for key in hash.keys() {
                    self.string(&latin1(key, "the hash key")?)?;
                }
                Kids::Values(hash.values())
            }
            Content::Scalar(target) => {
                self.out.push(b'\\');
                Kids::Target(Some(target))
            }
        };
        self.stack.push(Frame {
            kids,
            addr,
            height: 0,
        });
        Ok(None)
    }

    /// Whether `v` is a repeat, and its number if so. In the first pass a referent met
    /// for the second time is added to the repeated objects (FreezeThaw's `@multiple`).
    fn repeat(&mut self, v: &'v Value, addr: usize) -> Option<usize> {
        if self.second_pass {
            return self.repeated.get(&addr).copied();
        }
        if self.seen.insert(addr) {
            return None;
        }
        let next = self.multiple.len();
        let index = *self.repeated.entry(addr).or_insert(next);
        if index == next {
            self.multiple.push(v);
        }
        Some(index)
    }

    /// The placeholder of a repeated object in the prelude: what `freezeEmpty` writes.
    fn placeholder(&mut self, m: &Value) -> Result<(), Error> {
        let content = match m {
            Value::Object(object) => {
                self.out.push(b'{');
                self.package(&object.class)?;
                &object.value
            }
            other => other,
        };
        // Only hashes, arrays and scalar refs (blessed or not) are ever repeated.
        self.out.extend_from_slice(match content {
            Value::Hash(_) => b"%0|".as_slice(),
            Value::Array(_) => b"@0|",
            _ => b"\\_",
        });
        Ok(())
    }

    /// `>ID|$LEN|Class` the first time a class is written, `)ID|` after that.
    fn package(&mut self, class: &PerlString) -> Result<(), Error> {
        let name = class_name(class)?;
        if let Some(id) = self.packages.get(name.as_ref()) {
            self.out.extend_from_slice(format!("){id}|").as_bytes());
            return Ok(());
        }
        let id = self.packages.len();
        self.out.extend_from_slice(format!(">{id}|").as_bytes());
        self.string(&name)?;
        self.packages.insert(name.into_owned(), id);
        Ok(())
    }

    fn string(&mut self, bytes: &[u8]) -> Result<Option<usize>, Error> {
        self.out
            .extend_from_slice(format!("${}|", bytes.len()).as_bytes());
        self.out.extend_from_slice(bytes);
        Ok(Some(0))
    }

    fn regexp(&mut self, r: &Regexp) -> Result<Option<usize>, Error> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep());
        }
        let text = regexp(r)?;
        self.out
            .extend_from_slice(format!("/{}|", text.len()).as_bytes());
        self.out.extend_from_slice(&text);
        Ok(Some(1))
    }
}

fn code() -> Error {
    unsupported(
        "a code reference: FreezeThaw writes it as `&CODE(0x...)`, which no thaw can read back",
    )
}

fn too_deep() -> Error {
    unsupported(format!("data nested deeper than {MAX_DEPTH} references"))
}

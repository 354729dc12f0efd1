//! The writer: what `YAML::Syck::Dump` 1.34 emits for CGI::Session's data (spec §7.4).
//!
//! Syck walks the data twice. The first walk (`yaml_syck_mark_emitter`) visits every
//! referenced thing once and numbers the ones it meets a second time, in that order:
//! those numbers are the anchors. The second walk writes, putting `&N ` before the
//! first occurrence of an anchored thing and `*N` in place of every later one. Both
//! walks here visit hash values in sorted key order; Perl visits them in its own
//! hash order during the first walk, so with shared references inside a hash of
//! several keys Perl's anchor numbers may differ from ours (same data, other digits).
//!
//! Layout (`syck_emit_*` in emitter.c, as Perl's handler drives them): a collection
//! reached through a reference is written at the reference's own indentation; its
//! entries start on new lines indented by the level's spaces (`- ` for sequence items,
//! `key: ` for mapping entries, both leaving a trailing space when the value starts on
//! the next line); nested levels add two spaces; an empty collection is `[]` or `{}`
//! followed by a newline, which leaves a blank line before whatever follows.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::scalar::{self, looks_like_number, unquotable_integer, Request, Scalar};
use super::unsupported;
use crate::number::format_float;
use crate::value::{Object, Regexp};
use crate::{Error, Hash, PerlString, Value, MAX_DEPTH};

/// What Syck writes for a code reference (it never dumps code with CGI::Session's settings).
const CODE_TEXT: &[u8] = b"{ \"DUMMY\" }";

/// Writes `--- ` and the value, then the final newline.
pub(super) fn freeze(data: &Value) -> Result<Vec<u8>, Error> {
    let anchors = mark(data)?;
    let mut w = Writer {
        out: b"--- ".to_vec(),
        anchors,
        written: HashSet::new(),
    };
    // Syck recurses; we keep the work on the heap, so that any depth fits any stack.
    let mut tasks = vec![Task::Node(data, None, 0)];
    while let Some(task) = tasks.pop() {
        match task {
            Task::Node(v, ident, spaces) => w.node(v, ident, spaces, &mut tasks)?,
            Task::Item(v, spaces) => {
                w.indent(spaces);
                w.out.extend_from_slice(b"- ");
                tasks.push(Task::Node(v, None, spaces + 2));
            }
            Task::Entry(key, v, spaces) => {
                w.indent(spaces);
                w.key(key, spaces);
                w.out.extend_from_slice(b": ");
                tasks.push(Task::Node(v, None, spaces + 2));
            }
        }
    }
    w.out.push(b'\n');
    Ok(w.out)
}

/// What is left to write, innermost last: a value (with the address that anchors it,
/// if it is the shared target of references) at a level indented so many spaces, or
/// a sequence item or mapping entry with its line start.
enum Task<'v> {
    Node(&'v Value, Option<usize>, usize),
    Item(&'v Value, usize),
    Entry(&'v PerlString, &'v Value, usize),
}

/// The first walk (`yaml_syck_mark_emitter`): which referenced things are met twice,
/// numbered in the order of their second meeting; it also refuses data nested deeper
/// than [`MAX_DEPTH`] (as [`Value::depth`] counts it, shared parts included), which
/// our reader would refuse.
fn mark(root: &Value) -> Result<HashMap<usize, usize>, Error> {
    let mut depths: HashMap<usize, usize> = HashMap::new();
    let mut anchors = HashMap::new();
    // (value, children already visited): pre-order marks, post-order depths.
    let mut stack = vec![(root, false)];
    while let Some((v, visited)) = stack.pop() {
        let Some(addr) = v.ref_addr() else { continue };
        if visited {
            let depth = match v {
                Value::Object(o)
                    if !matches!(o.value, Value::Array(_) | Value::Hash(_) | Value::Scalar(_)) =>
                {
                    o.value.depth()
                }
                Value::Regexp(_) => 1,
                _ => {
                    1 + children(v)
                        .map(|c| {
                            c.ref_addr()
                                .map_or_else(|| c.depth(), |a| depths.get(&a).copied().unwrap_or(0))
                        })
                        .max()
                        .unwrap_or(0)
                }
            };
            if depth > MAX_DEPTH {
                return Err(unsupported(format!(
                    "data nested deeper than {MAX_DEPTH} references"
                )));
            }
            depths.insert(addr, depth);
            continue;
        }
        if depths.contains_key(&addr) {
            let next = anchors.len() + 1;
            anchors.entry(addr).or_insert(next);
            continue;
        }
        // Until its children are done; a `Value` cannot contain itself.
        depths.insert(addr, 0);
        stack.push((v, true));
        let first = stack.len();
        stack.extend(children(v).map(|c| (c, false)));
        stack[first..].reverse();
    }
    Ok(anchors)
}

/// What the first walk visits below a reference: a blessed scalar is the scalar
/// itself, so its content's target comes next.
fn children(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    let inner = match v {
        Value::Object(o) => &o.value,
        other => other,
    };
    match inner {
        Value::Array(a) => Box::new(a.iter()),
        Value::Hash(h) => Box::new(h.values()),
        Value::Scalar(target) => Box::new(std::iter::once(&**target)),
        _ => Box::new(std::iter::empty()),
    }
}

struct Writer {
    out: Vec<u8>,
    anchors: HashMap<usize, usize>,
    /// Anchors already written once (`e->anchored`).
    written: HashSet<usize>,
}

impl Writer {
    /// `syck_emit` of one Perl scalar at a level indented `spaces`: its anchor if it
    /// is the shared target of references (`ident`), then the handler. What goes
    /// below it is pushed onto `tasks`.
    fn node<'v>(
        &mut self,
        v: &'v Value,
        ident: Option<usize>,
        spaces: usize,
        tasks: &mut Vec<Task<'v>>,
    ) -> Result<(), Error> {
        if self.anchor_or_alias(ident) {
            return Ok(());
        }
        match v {
            Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_) => {
                self.plain_scalar(v, None)
            }
            Value::Code => self.scalar(
                Some(b"!!perl/code:"),
                Request::Single,
                CODE_TEXT,
                false,
                false,
            ),
            Value::Regexp(re) => self.regexp(re, b"!!perl/regexp"),
            Value::Array(a) => self.seq(a, Some(addr(a)), None, spaces, tasks),
            Value::Hash(h) => self.map(h, Some(addr(h)), None, spaces, tasks),
            Value::Scalar(target) => {
                self.ref_map(b"!!perl/ref", target, addr(target), spaces, tasks)
            }
            Value::Object(o) => return self.object(o, spaces, tasks),
        }
        Ok(())
    }

    /// Writes `&N ` before the first occurrence of an anchored thing, or `*N` for a
    /// later one (then nothing else is written for it: the result is `true`).
    fn anchor_or_alias(&mut self, ident: Option<usize>) -> bool {
        let Some(n) = ident.and_then(|id| self.anchors.get(&id).map(|&n| (id, n))) else {
            return false;
        };
        let (id, n) = n;
        if !self.written.insert(id) {
            self.out.extend_from_slice(format!("*{n}").as_bytes());
            return true;
        }
        self.out.extend_from_slice(format!("&{n} ").as_bytes());
        false
    }

    fn object<'v>(
        &mut self,
        o: &'v Arc<Object>,
        spaces: usize,
        tasks: &mut Vec<Task<'v>>,
    ) -> Result<(), Error> {
        let class = o.class.as_bytes();
        let tag = |kind: &str| [b"!!perl/", kind.as_bytes(), class].concat();
        let id = Some(addr(o));
        match &o.value {
            Value::Hash(h) => self.map(h, id, Some(&tag("hash:")), spaces, tasks),
            Value::Array(a) => self.seq(a, id, Some(&tag("array:")), spaces, tasks),
            Value::Code => {
                if !self.anchor_or_alias(id) {
                    self.scalar(
                        Some(&tag("code:")),
                        Request::Single,
                        CODE_TEXT,
                        false,
                        false,
                    );
                }
            }
            // Perl's own class for `qr//` is the unblessed form.
            Value::Regexp(re) if class == b"Regexp" => self.regexp(re, b"!!perl/regexp"),
            Value::Regexp(re) => self.regexp(re, &tag("regexp:")),
            // A blessed reference to a reference: the blessed thing is the inner reference.
            Value::Scalar(target) if target.is_ref() => {
                self.ref_map(&tag("ref:"), target, addr(o), spaces, tasks)
            }
            // A blessed plain scalar is written inline, tagged; its anchor never is.
            Value::Scalar(target) => self.plain_scalar(target, Some(&tag("scalar:"))),
            other => {
                return Err(unsupported(format!(
                    "an object of class {} blessing a non-reference ({other:?})",
                    o.class
                )))
            }
        }
        Ok(())
    }

    /// A reference to a scalar or to another reference: the mapping `{"=": target}`.
    fn ref_map<'v>(
        &mut self,
        tag: &[u8],
        target: &'v Value,
        ident: usize,
        spaces: usize,
        tasks: &mut Vec<Task<'v>>,
    ) {
        self.out.extend_from_slice(tag);
        self.out.push(b' ');
        self.indent(spaces);
        self.out.extend_from_slice(b"=: ");
        tasks.push(Task::Node(target, Some(ident), spaces + 2));
    }

    fn seq<'v>(
        &mut self,
        items: &'v [Value],
        ident: Option<usize>,
        tag: Option<&[u8]>,
        spaces: usize,
        tasks: &mut Vec<Task<'v>>,
    ) {
        if self.anchor_or_alias(ident) {
            return;
        }
        self.collection_tag(tag);
        if items.is_empty() {
            self.out.extend_from_slice(b"[]\n");
        }
        tasks.extend(items.iter().rev().map(|item| Task::Item(item, spaces)));
    }

    fn map<'v>(
        &mut self,
        hash: &'v Hash,
        ident: Option<usize>,
        tag: Option<&[u8]>,
        spaces: usize,
        tasks: &mut Vec<Task<'v>>,
    ) {
        if self.anchor_or_alias(ident) {
            return;
        }
        self.collection_tag(tag);
        if hash.is_empty() {
            self.out.extend_from_slice(b"{}\n");
        }
        tasks.extend(
            hash.iter()
                .rev()
                .map(|(key, value)| Task::Entry(key, value, spaces)),
        );
    }

    /// A mapping key. At the start of a line, one that would begin with `--- ` or
    /// `... ` is double-quoted: Syck writes it plain, and its reader then takes it for
    /// a document marker and loses the rest of the record.
    fn key(&mut self, key: &PerlString, spaces: usize) {
        let text = key.as_bytes();
        if spaces == 0 && (text.starts_with(b"--- ") || text.starts_with(b"... ")) {
            self.scalar(None, Request::Double, text, key.is_utf8(), true);
        } else {
            self.string_scalar(key, None, true);
        }
    }

    fn collection_tag(&mut self, tag: Option<&[u8]>) {
        if let Some(tag) = tag {
            self.out.extend_from_slice(tag);
            self.out.push(b' ');
        }
    }

    /// `syck_emit_indent`: a newline and the level's spaces.
    fn indent(&mut self, spaces: usize) {
        self.out.push(b'\n');
        self.out.resize(self.out.len() + spaces, b' ');
    }

    /// A scalar that is not a reference (callers check), as the handler asks for it
    /// (perl_syck.h): undef is a plain `~`.
    fn plain_scalar(&mut self, v: &Value, tag: Option<&[u8]>) {
        match v {
            Value::Int(i) => {
                let text = i.to_string();
                let request = if unquotable_integer(text.as_bytes()) {
                    Request::Any
                } else {
                    Request::Single
                };
                self.scalar(tag, request, text.as_bytes(), false, false);
            }
            // An NV is never an IV: always quoted, as Perl prints it.
            Value::Float(f) => {
                let text = format_float(*f);
                self.scalar(tag, Request::Single, text.as_bytes(), false, false);
            }
            Value::Str(s) => self.string_scalar(s, tag, false),
            _ => self.scalar(tag, Request::Plain, b"~", false, false),
        }
    }

    /// A string: numeric-looking text is quoted unless it is a short simple integer;
    /// the empty string is `''`.
    fn string_scalar(&mut self, s: &PerlString, tag: Option<&[u8]>, key: bool) {
        let text = s.as_bytes();
        let request = if looks_like_number(text) {
            if unquotable_integer(text) {
                Request::Any
            } else {
                Request::Single
            }
        } else if text.is_empty() {
            Request::Single
        } else {
            Request::Any
        };
        self.scalar(tag, request, text, s.is_utf8(), key);
    }

    /// A regexp is written as Perl stringifies it, `(?^FLAGS:PATTERN)`. A pattern that
    /// already is such a string with no flags of its own (what every regexp read from
    /// Syck's YAML holds) is written as it is, so that a record read and written back
    /// is unchanged and reads back as the same pattern.
    fn regexp(&mut self, re: &Regexp, tag: &[u8]) {
        let pattern = re.pattern.as_bytes();
        let text = if re.flags.is_empty() && pattern.starts_with(b"(?^") {
            pattern.to_vec()
        } else {
            [b"(?^", re.flags.as_bytes(), b":", pattern, b")"].concat()
        };
        self.scalar(Some(tag), Request::Any, &text, false, false);
    }

    fn scalar(&mut self, tag: Option<&[u8]>, request: Request, text: &[u8], utf8: bool, key: bool) {
        scalar::write(
            &mut self.out,
            &Scalar {
                tag,
                request,
                text,
                utf8,
                key,
            },
        );
    }
}

fn addr<T>(arc: &Arc<T>) -> usize {
    Arc::as_ptr(arc) as *const () as usize
}

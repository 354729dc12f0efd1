//! The writer: what XS Data::Dumper 2.184 emits with CGI::Session's settings (spec §7.1).
//!
//! The structure follows `DD_dump` in `Dumper.xs` closely, because its quirks are the
//! format: every reference's target is remembered with the Perl expression that
//! names it (`$D->{'a'}[1]`), and a target met again is written as an empty
//! placeholder plus a fix-up statement `NAME = FIRST_NAME` (Purity).
//!
//! Only a reference whose `Arc` has other owners can be met again, so only those are
//! remembered; the expression naming the current value is kept in one buffer that
//! grows and shrinks with the walk, so data without sharing is written without a
//! hash lookup or an allocation per reference.

use std::collections::{btree_map, HashMap};
use std::sync::Arc;

use super::strings::{push_hex_escape, write_single_quoted, write_string};
use super::FORMAT;
use crate::number::{decimal_digits, push_float};
use crate::string::{decode_lax, PerlString};
use crate::value::{Regexp, MAX_DEPTH};
use crate::{Error, Value};

/// The name CGI::Session gives the dumped variable (`Data::Dumper->new([$data], ["D"])`).
const VAR: &[u8] = b"$D";

/// Writes `$D = VALUE;` then the fix-ups, then the `;$D` CGI::Session appends.
pub(super) fn freeze(data: &Value) -> Result<Vec<u8>, Error> {
    // Room for a typical session record and the names of its references, so that
    // writing one grows neither buffer.
    let mut w = Writer {
        out: Vec::with_capacity(1024),
        name: Vec::with_capacity(64),
        ..Writer::default()
    };
    w.out.extend_from_slice(VAR);
    w.out.extend_from_slice(b" = ");
    w.name.extend_from_slice(VAR);
    w.start(data, 0, 0)?;
    w.run()?;
    w.out.push(b';');
    // Dumpxs joins the fix-ups with ";" and ends them with one more ";".
    w.out.extend_from_slice(&w.fixups);
    w.out.extend_from_slice(b";$D");
    Ok(w.out)
}

/// `DD_dump` recurses; we keep its recursion on the heap so that data nested
/// [`MAX_DEPTH`] deep is written on any thread's stack.
#[derive(Default)]
struct Writer<'v> {
    out: Vec<u8>,
    /// The Perl expression naming the value being written, less the `opens` leading
    /// `${` that a scalar dereference puts in front (see [`Name`]).
    name: Vec<u8>,
    /// Target address → the Perl expression that first reached it (`seenhv`), for
    /// references that may occur again.
    seen: HashMap<usize, Vec<u8>>,
    /// `NAME = FIRST_NAME;` statements, in the order the repeats were met (`postav`).
    fixups: Vec<u8>,
    /// Containers being written, innermost last.
    stack: Vec<Frame<'v>>,
}

/// Where the names of a container's elements start: `opens` times `${`, then the
/// first `len` bytes of [`Writer::name`]. `${${$D->[0]}}->{'k'}` is 2 opens and
/// `$D->[0]}}->`, to which each element's subscript is appended in turn.
#[derive(Clone, Copy)]
struct Name {
    opens: usize,
    len: usize,
}

/// A container whose elements are being written, or text owed after a nested value.
enum Frame<'v> {
    Array {
        items: std::slice::Iter<'v, Value>,
        next: usize,
        prefix: Name,
        depth: usize,
    },
    Hash {
        entries: btree_map::Iter<'v, PerlString, Value>,
        first: bool,
        prefix: Name,
        depth: usize,
    },
    /// `, 'Class' )` after a blessed thing.
    Bless(&'v PerlString),
    /// `)}` after a blessed scalar's body.
    DoClose,
}

impl<'v> Writer<'v> {
    /// Writes the remaining elements of every open container.
    fn run(&mut self) -> Result<(), Error> {
        while let Some(frame) = self.stack.last_mut() {
            // Names are built only for references: plain scalars are never repeats.
            let (item, opens, depth) = match frame {
                Frame::Array {
                    items,
                    next,
                    prefix,
                    depth,
                } => {
                    let Some(item) = items.next() else {
                        self.out.push(b']');
                        self.stack.pop();
                        continue;
                    };
                    if *next > 0 {
                        self.out.push(b',');
                    }
                    let index = *next;
                    *next += 1;
                    if write_plain(&mut self.out, item, *depth + 1)? {
                        continue;
                    }
                    self.name.truncate(prefix.len);
                    self.name.push(b'[');
                    push_decimal(&mut self.name, false, index as u64);
                    self.name.push(b']');
                    (item, prefix.opens, *depth + 1)
                }
                Frame::Hash {
                    entries,
                    first,
                    prefix,
                    depth,
                } => {
                    let Some((key, item)) = entries.next() else {
                        self.out.push(b'}');
                        self.stack.pop();
                        continue;
                    };
                    if !*first {
                        self.out.push(b',');
                    }
                    *first = false;
                    let key_at = self.out.len();
                    write_string(&mut self.out, key);
                    let key_end = self.out.len();
                    self.out.extend_from_slice(b" => ");
                    if write_plain(&mut self.out, item, *depth + 1)? {
                        continue;
                    }
                    self.name.truncate(prefix.len);
                    self.name.push(b'{');
                    self.name.extend_from_slice(&self.out[key_at..key_end]);
                    self.name.push(b'}');
                    (item, prefix.opens, *depth + 1)
                }
                Frame::Bless(class) => {
                    // Perl keeps a package name as bytes when it can, else as UTF-8, and
                    // Data::Dumper copies those bytes into single quotes either way.
                    self.out.extend_from_slice(b", ");
                    match class.is_utf8().then(|| class.downgraded()).flatten() {
                        Some(bytes) => write_single_quoted(&mut self.out, bytes.as_bytes()),
                        None => write_single_quoted(&mut self.out, class.as_bytes()),
                    }
                    self.out.extend_from_slice(b" )");
                    self.stack.pop();
                    continue;
                }
                Frame::DoClose => {
                    self.out.extend_from_slice(b")}");
                    self.stack.pop();
                    continue;
                }
            };
            self.start(item, opens, depth)?;
        }
        Ok(())
    }

    /// Writes a scalar named by `opens` times `${` and [`Writer::name`], inside `depth`
    /// references, or opens the container it refers to.
    fn start(&mut self, mut v: &'v Value, mut opens: usize, mut depth: usize) -> Result<(), Error> {
        while !write_plain(&mut self.out, v, depth)? {
            check_depth(depth)?;
            let Some(target) = self.referent(v, opens, depth)? else {
                break;
            };
            // Only a scalar reference continues here: write its target next, named
            // `${NAME}`.
            v = target;
            opens += 1;
            self.name.push(b'}');
            depth += 1;
        }
        Ok(())
    }

    /// Writes the reference `v` up to its contents: a placeholder if it was seen, else
    /// `bless( ` and the opening of the thing. Gives the target of a scalar reference,
    /// which the caller writes next.
    fn referent(
        &mut self,
        v: &'v Value,
        opens: usize,
        depth: usize,
    ) -> Result<Option<&'v Value>, Error> {
        let Some(addr) = v.ref_addr() else {
            return Err(unsupported("a reference without an address".to_string()));
        };
        if may_repeat(v) {
            if let Some(first) = self.seen.get(&addr) {
                // Purity: an empty thing of the same kind now, the real target assigned later.
                self.out.extend_from_slice(match v.unblessed() {
                    Value::Hash(_) => b"{}".as_slice(),
                    Value::Array(_) => b"[]",
                    _ => b"do{my $o}",
                });
                push_name(&mut self.fixups, opens, &self.name);
                self.fixups.extend_from_slice(b" = ");
                self.fixups.extend_from_slice(first);
                self.fixups.push(b';');
                return Ok(None);
            }
            let mut first = Vec::new();
            push_name(&mut first, opens, &self.name);
            self.seen.insert(addr, first);
        }
        let (thing, blessed) = match v {
            Value::Object(object) => {
                if !object.value.is_ref() || matches!(object.value, Value::Object(_)) {
                    return Err(unsupported(format!(
                        "an object of class {:?} must hold an unblessed reference, not {:?}",
                        object.class, object.value
                    )));
                }
                self.out.extend_from_slice(b"bless( ");
                self.stack.push(Frame::Bless(&object.class));
                (&object.value, true)
            }
            other => (other, false),
        };
        match thing {
            Value::Array(items) => {
                self.out.push(b'[');
                let prefix = self.element_prefix(opens);
                self.stack.push(Frame::Array {
                    items: items.iter(),
                    next: 0,
                    prefix,
                    depth,
                });
            }
            Value::Hash(hash) => {
                self.out.push(b'{');
                let prefix = self.element_prefix(opens);
                self.stack.push(Frame::Hash {
                    entries: hash.iter(),
                    first: true,
                    prefix,
                    depth,
                });
            }
            Value::Scalar(target) if blessed => {
                // A blessed scalar needs a fresh variable to bless (Dumper.xs).
                self.out.extend_from_slice(b"do{\\(my $o = ");
                self.stack.push(Frame::DoClose);
                return Ok(Some(target));
            }
            Value::Scalar(target) => {
                self.out.push(b'\\');
                return Ok(Some(target));
            }
            Value::Regexp(regexp) => write_regexp(&mut self.out, regexp)?,
            Value::Code => self.out.extend_from_slice(DUMMY_SUB),
            Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Object(_) => {
                return Err(unsupported(format!("{thing:?} is not a reference")))
            }
        }
        Ok(None)
    }

    /// The start of the current container's element names: the name as it is, or with
    /// `->` when `DD_dump` adds one — after a name not ending in a subscript, and
    /// after any name starting with `${`.
    fn element_prefix(&mut self, opens: usize) -> Name {
        if opens > 0 || !matches!(self.name.last(), Some(b']' | b'}')) {
            self.name.extend_from_slice(b"->");
        }
        Name {
            opens,
            len: self.name.len(),
        }
    }
}

/// Appends a full name: `opens` times `${`, then `name` (see [`Name`]).
fn push_name(to: &mut Vec<u8>, opens: usize, name: &[u8]) {
    for _ in 0..opens {
        to.extend_from_slice(b"${");
    }
    to.extend_from_slice(name);
}

/// Whether the reference `v` can occur again in the data being written: each place
/// that holds it holds one strong count of its `Arc`, so a count of one means this is
/// its only place.
fn may_repeat(v: &Value) -> bool {
    match v {
        Value::Array(a) => Arc::strong_count(a) > 1,
        Value::Hash(h) => Arc::strong_count(h) > 1,
        Value::Scalar(s) => Arc::strong_count(s) > 1,
        Value::Object(o) => Arc::strong_count(o) > 1,
        Value::Regexp(r) => Arc::strong_count(r) > 1,
        Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Code => false,
    }
}

const DUMMY_SUB: &[u8] = br#"sub { "DUMMY" }"#;

/// Writes `v` if it is not a reference with an identity (a plain scalar or a code ref);
/// gives whether it did.
fn write_plain(out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<bool, Error> {
    match v {
        Value::Undef => out.extend_from_slice(b"undef"),
        Value::Int(i) => {
            // Longer integers are quoted "so that a 32 bit system reading the number
            // copes better" (Dumper.xs); the sign counts (spec §7.1).
            let bare = (-999_999_999..=9_999_999_999).contains(i);
            if !bare {
                out.push(b'\'');
            }
            push_decimal(out, *i < 0, i.unsigned_abs());
            if !bare {
                out.push(b'\'');
            }
        }
        // An NV is never IOK, so Data::Dumper quotes its string form (which has no
        // quote or backslash to escape).
        Value::Float(f) => {
            out.push(b'\'');
            push_float(out, *f);
            out.push(b'\'');
        }
        Value::Str(s) => write_string(out, s),
        // A code ref has no identity in the model; each one is its own dummy.
        Value::Code => {
            check_depth(depth)?;
            out.extend_from_slice(DUMMY_SUB);
        }
        Value::Array(_)
        | Value::Hash(_)
        | Value::Scalar(_)
        | Value::Object(_)
        | Value::Regexp(_) => return Ok(false),
    }
    Ok(true)
}

/// Appends `n` in decimal, after a `-` if `negative`, as Perl prints an integer.
fn push_decimal(out: &mut Vec<u8>, negative: bool, n: u64) {
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(decimal_digits(n, &mut [0; 20]));
}

/// `qr/PATTERN/FLAGS` as `dump_regexp` in Dumper.xs writes it: an unescaped `/`
/// becomes `\/`, a `$` that is not an end anchor becomes `${\q($)}`, and in a
/// character-string pattern each non-ASCII character becomes `\x{...}` (even right
/// after a backslash, which Data::Dumper does too).
fn write_regexp(out: &mut Vec<u8>, regexp: &Regexp) -> Result<(), Error> {
    if !regexp.flags.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(unsupported(format!(
            "regexp flags {:?} are not letters",
            regexp.flags
        )));
    }
    let bytes = regexp.pattern.as_bytes();
    if Regexp::pattern_runs_code(bytes) {
        return Err(unsupported(
            "a regexp with code in it (`(?{...})`) is not written".to_string(),
        ));
    }
    let utf8 = regexp.pattern.is_utf8();
    out.extend_from_slice(b"qr/");
    let mut copied = 0;
    let mut p = 0;
    while p < bytes.len() {
        let mut k = bytes[p];
        let backslashed = k == b'\\';
        if backslashed {
            p += 1;
            let Some(&next) = bytes.get(p) else {
                return Err(unsupported(
                    "a regexp pattern ending in a lone backslash".to_string(),
                ));
            };
            k = next;
        }
        let anchor_end = p + 1 == bytes.len() || matches!(bytes.get(p + 1), Some(b'|' | b')'));
        if !backslashed && k == b'/' {
            out.extend_from_slice(&bytes[copied..p]);
            out.extend_from_slice(b"\\/");
            p += 1;
        } else if !backslashed && k == b'$' && !anchor_end {
            out.extend_from_slice(&bytes[copied..p]);
            out.extend_from_slice(b"${\\q($)}");
            p += 1;
        } else if utf8 && !k.is_ascii() {
            out.extend_from_slice(&bytes[copied..p]);
            let (c, len) = decode_lax(&bytes[p..]).unwrap_or((k as u32, 1));
            push_hex_escape(out, c);
            p += len;
        } else {
            p += 1;
            continue;
        }
        copied = p;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'/');
    out.extend_from_slice(regexp.flags.as_bytes());
    Ok(())
}

/// A reference inside `depth` others nests `depth + 1` deep, as [`Value::depth`] counts.
fn check_depth(depth: usize) -> Result<(), Error> {
    if depth >= MAX_DEPTH {
        return Err(unsupported(format!(
            "data nested deeper than {MAX_DEPTH} references"
        )));
    }
    Ok(())
}

fn unsupported(message: String) -> Error {
    Error::Unsupported {
        format: FORMAT,
        message,
    }
}

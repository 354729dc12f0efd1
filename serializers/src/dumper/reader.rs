//! The reader: a parser for the statements Data::Dumper writes (spec §7.1, thaw).
//!
//! ```text
//! record    := ws first (";" ws statement?)* ws EOF
//! first     := "$" NAME "=" value  |  "+" value  |  value      (a value not starting with "{")
//! statement := path "=" ["\"] path  |  path                   (fix-up, or the final "$D")
//! path      := "${"* "$" NAME steps ("}" steps)*              (one "}" per "${")
//! steps     := (["->"] ("{" key "}" | "[" index "]"))*       ("->" required first)
//! value     := string | number | "undef" | "[" list "]" | "{" pairs "}" | "\" value
//!            | "bless(" value "," string ")" | "do{my $o}" | "do{\(my $o =" value ")}"
//!            | "sub { "DUMMY" }" | "qr/" pattern "/" flags | "+" value
//! ```
//!
//! Nesting is parsed with an explicit stack rather than recursion, so that hostile
//! input nested a million deep costs heap, not stack, and is refused at
//! [`MAX_DEPTH`] with an error naming the offset.

use std::sync::Arc;

use super::fixup::{Doc, Path, Step};
use super::lexer::{
    assign, expect_sym, expectation, expected, hash_key, index, keyword, number, refusal, refuse,
    regexp, sym, variable, ws, In, PErr, PResult,
};
use super::strings::{double_quoted, single_quoted, string};
use crate::{Error, Hash, Object, PerlString, Value, MAX_DEPTH};

/// Reads a whole record.
pub(super) fn thaw(src: &[u8]) -> Result<Value, Error> {
    record(src).map_err(|e| e.into_error(src))
}

/// The statements of a record, applied in order.
fn record(src: &[u8]) -> Result<Value, PErr<'_>> {
    let offset = |rest: In| src.len() - rest.len();
    let i = ws(src);
    let (mut i, (var, root)) = first_statement(i)?;
    let mut doc = Doc::new(root);
    // The result is the value of the last statement, as `Safe->reval` returns it.
    let mut last = Path {
        steps: Vec::new(),
        offset: 0,
        text: String::new(),
    };
    loop {
        // Statements are separated by `;`; empty statements are allowed.
        let rest = ws(i);
        if rest.is_empty() {
            break;
        }
        let Some(rest) = rest.strip_prefix(b";") else {
            return Err(expectation(rest, "`;` or the end of the record"));
        };
        let rest = ws(rest);
        if rest.is_empty() || rest[0] == b';' {
            i = rest;
            continue;
        }
        let Some(var) = var else {
            return Err(refusal(
                rest,
                "statements after a value are only read when the value is assigned to a variable",
            ));
        };
        let (rest, lhs) = path(rest, var, offset(rest))?;
        i = rest;
        if let Some(rest) = assign(i) {
            let rest = ws(rest);
            let alias = rest.first() == Some(&b'\\');
            let after = if alias { ws(&rest[1..]) } else { rest };
            let (rest, source) = path(after, var, offset(after))?;
            let target = doc.get(&source).map_err(|e| fail_with(e, src))?.clone();
            // `X = \$D->{'a'}` aliases a plain scalar slot; a Value cannot alias one, so
            // the slot gets a reference to a copy.
            let target = if alias {
                Value::Scalar(Arc::new(target))
            } else {
                target
            };
            doc.assign(&lhs, target).map_err(|e| fail_with(e, src))?;
            i = rest;
        }
        last = lhs;
    }
    doc.into_value(&last).map_err(|e| fail_with(e, src))
}

/// Carries an already-built error through the reader's error channel.
fn fail_with(e: Error, src: &[u8]) -> PErr<'_> {
    PErr::built(e, src)
}

/// `$NAME = VALUE`, or a lone value; gives the variable name if there is one.
fn first_statement(i: In) -> PResult<(Option<In>, Value)> {
    if let Some((rest, name)) = variable(i) {
        let Some(rest) = assign(rest) else {
            return expected(rest, "`=` after the variable");
        };
        let (rest, root) = value(ws(rest))?;
        return Ok((rest, (Some(name), root)));
    }
    if i.first() == Some(&b'{') {
        return refuse(
            i,
            "a record cannot start with `{`: Perl reads that as a block (write `+{...}`)",
        );
    }
    let (rest, root) = value(i)?;
    Ok((rest, (None, root)))
}

/// A path expression rooted at `$var`: `$D`, `$D->{'a'}[0]`, `${${$D->[0]}}->{'k'}`.
fn path<'a>(i: In<'a>, var: In<'_>, offset: usize) -> PResult<'a, Path> {
    let start = i;
    let mut opens = 0usize;
    let mut i = i;
    while i.starts_with(b"${") {
        opens += 1;
        if opens > MAX_DEPTH {
            return refuse(
                i,
                format!("path nested deeper than {MAX_DEPTH} dereferences"),
            );
        }
        i = ws(&i[2..]);
    }
    let Some((mut i, name)) = variable(i) else {
        return expected(i, "the record's variable");
    };
    if name != var {
        return expected(start, "the record's variable (a record uses one variable)");
    }
    let mut steps = Vec::new();
    i = subscripts(i, &mut steps)?;
    for _ in 0..opens {
        let rest = ws(i);
        let Some(rest) = rest.strip_prefix(b"}") else {
            return expected(rest, "`}` closing `${`");
        };
        steps.push(Step::Deref);
        i = subscripts(rest, &mut steps)?;
    }
    let text = String::from_utf8_lossy(&start[..start.len() - i.len()]).into_owned();
    Ok((
        i,
        Path {
            steps,
            offset,
            text,
        },
    ))
}

/// `->{'k'}[1]{'j'}`: the first subscript after a variable or `${...}` needs the arrow,
/// since `$D{'k'}` names the hash `%D` and `${$x}{'k'}` means `$x->{'k'}`.
fn subscripts<'a>(mut i: In<'a>, steps: &mut Vec<Step>) -> Result<In<'a>, PErr<'a>> {
    let mut first = true;
    loop {
        let after_ws = ws(i);
        let (rest, arrow) = match after_ws.strip_prefix(b"->") {
            Some(rest) => (ws(rest), true),
            None => (after_ws, false),
        };
        let step = match rest.first() {
            Some(b'{') | Some(b'[') if first && !arrow => {
                return Err(expectation(rest, "`->` before the first subscript"))
            }
            Some(b'{') => {
                let (r, key) = hash_key(ws(&rest[1..]), &mut Vec::new())?;
                i = expect_sym(r, b"}", "`}`")?;
                Step::Key(key)
            }
            Some(b'[') => {
                let (r, n) = index(ws(&rest[1..]))?;
                i = expect_sym(r, b"]", "`]`")?;
                Step::Index(n)
            }
            _ if arrow => return Err(expectation(rest, "`{` or `[` after `->`")),
            _ => return Ok(i),
        };
        steps.push(step);
        first = false;
    }
}

/// A container being read. The elements read so far wait in [`Parts`].
enum Frame {
    /// An array whose elements start at this index of [`Parts::items`].
    Array(usize),
    /// A hash and the key whose value is being read.
    Hash(Hash, PerlString),
    /// `\`: the next value is the target of a reference.
    Ref,
    /// `do{\(my $o = ` ... `)}`: a reference to a fresh scalar (a blessed scalar's body).
    DoRef,
    /// `bless( ` ... `, 'Class' )`.
    Bless,
}

/// What the start of a value turned out to be.
enum Start {
    Done(Value),
    Open(Frame),
}

/// What all open containers share: the elements of the open arrays, and working space
/// for double-quoted strings.
#[derive(Default)]
struct Parts {
    items: Items,
    scratch: Vec<u8>,
}

/// The elements of the open arrays, innermost last; each array is allocated once, at
/// its full size, when it closes.
///
/// glibc's malloc tidies up all its recently freed small chunks whenever a block of
/// 1 KiB or more is asked for, after which every small allocation (one per string read)
/// is slower. So while they are few, the elements wait in blocks of [`BLOCK`] values,
/// each under 1 KiB, and the first large request is usually the finished array. Past
/// [`BLOCKS`] blocks they move to one buffer that doubles, which suits big records
/// better (fewer, larger chunks to return and reuse).
#[derive(Default)]
struct Items {
    /// Full blocks, then the one being filled; empty once `spill` is in use.
    blocks: Vec<Vec<Value>>,
    spill: Vec<Value>,
    len: usize,
}

/// Values per block of [`Items`]: 31 × 32 bytes.
const BLOCK: usize = 31;

/// Blocks [`Items`] fills before it moves to one buffer.
const BLOCKS: usize = 8;

impl Items {
    fn push(&mut self, value: Value) {
        self.len += 1;
        if !self.spill.is_empty() {
            return self.spill.push(value);
        }
        let full = self.blocks.last().is_none_or(|block| block.len() == BLOCK);
        if !full {
            if let Some(block) = self.blocks.last_mut() {
                block.push(value);
            }
        } else if self.blocks.len() == BLOCKS {
            let mut spill = Vec::with_capacity(2 * self.len);
            self.blocks.drain(..).for_each(|block| spill.extend(block));
            spill.push(value);
            self.spill = spill;
        } else {
            let mut block = Vec::with_capacity(BLOCK);
            block.push(value);
            self.blocks.push(block);
        }
    }

    /// Removes the elements from index `start` on, in order.
    fn take_from(&mut self, start: usize) -> Vec<Value> {
        let count = self.len.saturating_sub(start);
        self.len = start;
        if !self.spill.is_empty() {
            return self.spill.drain(start.min(self.spill.len())..).collect();
        }
        let mut taken = Vec::with_capacity(count);
        let first = start / BLOCK;
        for (n, block) in self.blocks.iter_mut().enumerate().skip(first) {
            let from = if n == first { start % BLOCK } else { 0 };
            taken.extend(block.drain(from.min(block.len())..));
        }
        self.blocks
            .truncate(first + usize::from(!start.is_multiple_of(BLOCK)));
        taken
    }
}

/// One value, however deeply nested, without recursion.
pub(super) fn value(input: In) -> PResult<Value> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut parts = Parts::default();
    // References currently open: what `Value::depth` will count.
    let mut depth = 0usize;
    let mut i = input;
    'value: loop {
        let (rest, start) = value_start(i, depth, &mut parts)?;
        i = rest;
        let mut done = match start {
            Start::Done(v) => v,
            Start::Open(frame) => {
                if !matches!(frame, Frame::Bless) {
                    depth += 1;
                }
                stack.push(frame);
                continue 'value;
            }
        };
        // Close every container the value completes.
        loop {
            let Some(frame) = stack.pop() else {
                return Ok((i, done));
            };
            match frame {
                Frame::Array(start) => {
                    parts.items.push(done);
                    let (rest, more) = list_separator(i, b']')?;
                    i = rest;
                    if more {
                        stack.push(Frame::Array(start));
                        continue 'value;
                    }
                    done = Value::Array(Arc::new(parts.items.take_from(start)));
                }
                Frame::Hash(mut hash, key) => {
                    hash.insert(key, done);
                    let (rest, more) = list_separator(i, b'}')?;
                    i = rest;
                    if more {
                        let (rest, key) = pair_key(i, &mut parts.scratch)?;
                        i = rest;
                        stack.push(Frame::Hash(hash, key));
                        continue 'value;
                    }
                    done = Value::Hash(Arc::new(hash));
                }
                Frame::Ref => done = Value::Scalar(Arc::new(done)),
                Frame::DoRef => {
                    let rest = expect_sym(i, b")", "`)` closing `do{\\(my $o = ...`")?;
                    i = expect_sym(rest, b"}", "`}` closing `do{\\(my $o = ...)`")?;
                    done = Value::Scalar(Arc::new(done));
                }
                Frame::Bless => {
                    let (rest, object) = bless_tail(i, done, &mut parts.scratch)?;
                    i = rest;
                    done = object;
                    // `bless` opened no reference of its own.
                    continue;
                }
            }
            depth -= 1;
        }
    }
}

/// After a list item: `,` (then maybe the closing bracket: a trailing comma) or the
/// closing bracket. Gives whether another item follows.
fn list_separator(i: In, close: u8) -> PResult<bool> {
    let rest = ws(i);
    match rest.first() {
        Some(b',') => {
            let rest = ws(&rest[1..]);
            if rest.first() == Some(&close) {
                Ok((&rest[1..], false))
            } else {
                Ok((rest, true))
            }
        }
        Some(&c) if c == close => Ok((&rest[1..], false)),
        _ if close == b']' => expected(rest, "`,` or `]`"),
        _ => expected(rest, "`,` or `}`"),
    }
}

/// `KEY =>` inside a hash.
fn pair_key<'a>(i: In<'a>, scratch: &mut Vec<u8>) -> PResult<'a, PerlString> {
    let (rest, key) = hash_key(i, scratch)?;
    let rest = expect_sym(rest, b"=>", "`=>`")?;
    Ok((ws(rest), key))
}

/// `, 'Class' )` after the blessed thing.
fn bless_tail<'a>(i: In<'a>, thing: Value, scratch: &mut Vec<u8>) -> PResult<'a, Value> {
    let rest = expect_sym(i, b",", "`,` and the class name")?;
    let (rest, class) = string(ws(rest), "the class name as a string", scratch)?;
    let rest = ws(rest);
    let rest = rest.strip_prefix(b",").unwrap_or(rest);
    let rest = expect_sym(rest, b")", "`)` closing `bless(`")?;
    let value = match thing {
        // Blessing a blessed thing re-blesses it.
        Value::Object(object) => object.value.clone(),
        Value::Undef | Value::Int(_) | Value::Float(_) | Value::Str(_) => {
            return refuse(i, "`bless` needs a reference")
        }
        referent => referent,
    };
    Ok((rest, Value::Object(Arc::new(Object { class, value }))))
}

/// Reads the start of a value: a whole scalar, or the opening of a container.
fn value_start<'a>(mut i: In<'a>, depth: usize, parts: &mut Parts) -> PResult<'a, Start> {
    // Unary plus changes nothing (`+{...}`); before a digit it is the number's sign.
    while i.first() == Some(&b'+') && !i.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
        i = ws(&i[1..]);
    }
    let Some(&c) = i.first() else {
        return expected(i, "a value");
    };
    if matches!(c, b'[' | b'{' | b'\\') {
        room_for_ref(i, depth)?;
    }
    match c {
        b'[' => {
            let rest = ws(&i[1..]);
            if let Some(rest) = rest.strip_prefix(b"]") {
                return Ok((rest, Start::Done(Value::Array(Arc::default()))));
            }
            Ok((rest, Start::Open(Frame::Array(parts.items.len))))
        }
        b'{' => {
            let rest = ws(&i[1..]);
            if let Some(rest) = rest.strip_prefix(b"}") {
                return Ok((rest, Start::Done(Value::Hash(Arc::default()))));
            }
            let (rest, key) = pair_key(rest, &mut parts.scratch)?;
            Ok((rest, Start::Open(Frame::Hash(Hash::new(), key))))
        }
        b'\\' => {
            let rest = ws(&i[1..]);
            if rest.first() == Some(&b'(') {
                return refuse(i, "`\\(...)` (a list of references) is not read");
            }
            Ok((rest, Start::Open(Frame::Ref)))
        }
        b'\'' => single_quoted(i).map(|(r, s)| (r, Start::Done(Value::Str(s)))),
        b'"' => double_quoted(i, &mut parts.scratch).map(|(r, s)| (r, Start::Done(Value::Str(s)))),
        b'0'..=b'9' | b'-' | b'+' | b'.' => number(i).map(|(r, n)| (r, Start::Done(n))),
        b'$' | b'@' | b'%' => refuse(
            i,
            "a variable inside the value is not read (Data::Dumper writes that only without Purity)",
        ),
        b'*' => refuse(i, "globs are not read"),
        _ => word_value(i, depth, &mut parts.scratch),
    }
}

/// Refuses one more reference inside `depth` open ones beyond [`MAX_DEPTH`], as
/// [`Value::depth`] counts them.
fn room_for_ref(i: In<'_>, depth: usize) -> Result<(), PErr<'_>> {
    if depth >= MAX_DEPTH {
        return Err(refusal(
            i,
            format!("data nested deeper than {MAX_DEPTH} references"),
        ));
    }
    Ok(())
}

/// Values that start with a word: `undef`, `bless(`, `do{...}`, `sub {...}`, `qr/.../`.
fn word_value<'a>(i: In<'a>, depth: usize, scratch: &mut Vec<u8>) -> PResult<'a, Start> {
    let done = |rest, v| Ok((rest, Start::Done(v)));
    if let Some(rest) = keyword(i, b"undef") {
        if sym(rest, b"(").is_some() {
            return refuse(i, "`undef(...)` is a function call");
        }
        return done(rest, Value::Undef);
    }
    if let Some(rest) = keyword(i, b"bless") {
        let rest = expect_sym(rest, b"(", "`(` after `bless`")?;
        return Ok((ws(rest), Start::Open(Frame::Bless)));
    }
    if let Some(rest) = keyword(i, b"do") {
        return do_block(i, rest, depth);
    }
    if let Some(rest) = keyword(i, b"sub") {
        room_for_ref(i, depth)?;
        let dummy = sym(rest, b"{")
            .and_then(|rest| string(ws(rest), "a string", scratch).ok())
            .and_then(|(rest, body)| Some((sym(rest, b"}")?, body)));
        return match dummy {
            Some((rest, body)) if body.as_bytes() == b"DUMMY" => done(rest, Value::Code),
            _ => refuse(
                i,
                "code is never read: only the placeholder `sub { \"DUMMY\" }` is accepted",
            ),
        };
    }
    if keyword(i, b"qr").is_some() {
        room_for_ref(i, depth)?;
        let (rest, r) = regexp(i)?;
        return done(rest, Value::Regexp(Arc::new(r)));
    }
    Err(expectation(
        i,
        "a value (a string, a number, undef, [...], {...}, \\..., bless(...), \
         do{my $o}, do{\\(my $o = ...)}, sub { \"DUMMY\" } or qr/.../)",
    ))
}

/// `do{my $o}` (an empty placeholder) or the opening of `do{\(my $o = ...)}`.
fn do_block<'a>(start: In<'a>, i: In<'a>, depth: usize) -> PResult<'a, Start> {
    let only = "only `do{my $o}` and `do{\\(my $o = ...)}` are read: other blocks are code";
    let my_o = |j| keyword(ws(sym(j, b"my")?), b"$o");
    let Some(rest) = sym(i, b"{") else {
        return refuse(start, only);
    };
    if let Some(rest) = my_o(rest) {
        return match sym(rest, b"}") {
            Some(rest) => Ok((rest, Start::Done(Value::Undef))),
            None => refuse(start, only),
        };
    }
    let opening = sym(rest, b"\\")
        .and_then(|rest| sym(rest, b"("))
        .and_then(my_o)
        .and_then(assign);
    let Some(rest) = opening else {
        return refuse(start, only);
    };
    room_for_ref(start, depth)?;
    Ok((ws(rest), Start::Open(Frame::DoRef)))
}

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

use nom::character::complete::char;
use nom::Parser;

use super::fixup::{Doc, Path, Step};
use super::lexer::{
    assign, double_quoted, expect, expected, hash_key, index, keyword, number, refusal, refuse,
    regexp, single_quoted, string, sym, variable, ws, In, PErr, PResult,
};
use crate::{Error, Hash, Object, PerlString, Value, MAX_DEPTH};

/// Reads a whole record.
pub(super) fn thaw(src: &[u8]) -> Result<Value, Error> {
    record(src).map_err(|e| match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.into_error(src),
        // All parsers here read complete input.
        nom::Err::Incomplete(_) => Error::Syntax {
            format: super::FORMAT,
            offset: src.len(),
            message: "unexpected end of input".to_string(),
        },
    })
}

/// The statements of a record, applied in order.
fn record(src: &[u8]) -> Result<Value, nom::Err<PErr<'_>>> {
    let offset = |rest: In| src.len() - rest.len();
    let (i, ()) = ws(src)?;
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
        let (rest, ()) = ws(i)?;
        if rest.is_empty() {
            break;
        }
        let (rest, _) = expect("`;` or the end of the record", char(';')).parse(rest)?;
        let (rest, ()) = ws(rest)?;
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
        if let Ok((rest, ())) = assign(i) {
            let (rest, ()) = ws(rest)?;
            let alias = rest.first() == Some(&b'\\');
            let after = if alias { ws(&rest[1..])?.0 } else { rest };
            let (rest, source) =
                expect("a path such as `$D->{'key'}`", |j| path(j, var, offset(j))).parse(after)?;
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

/// Carries an already-built error through nom's error channel.
fn fail_with(e: Error, src: &[u8]) -> nom::Err<PErr<'_>> {
    nom::Err::Failure(PErr::built(e, src))
}

/// `$NAME = VALUE`, or a lone value; gives the variable name if there is one.
fn first_statement(i: In) -> PResult<(Option<In>, Value)> {
    if let Ok((rest, name)) = variable(i) {
        let (rest, ()) = expect("`=` after the variable", assign).parse(rest)?;
        let (rest, ()) = ws(rest)?;
        let (rest, root) = value(rest)?;
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
        i = ws(&i[2..])?.0;
    }
    let (mut i, name) = expect("the record's variable", variable).parse(i)?;
    if name != var {
        return expected(start, "the record's variable (a record uses one variable)");
    }
    let mut steps = Vec::new();
    i = subscripts(i, &mut steps)?.0;
    for _ in 0..opens {
        let (rest, ()) = ws(i)?;
        let Some(rest) = rest.strip_prefix(b"}") else {
            return expected(rest, "`}` closing `${`");
        };
        i = rest;
        steps.push(Step::Deref);
        i = subscripts(i, &mut steps)?.0;
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
fn subscripts<'a>(mut i: In<'a>, steps: &mut Vec<Step>) -> PResult<'a, ()> {
    let mut first = true;
    loop {
        let (after_ws, ()) = ws(i)?;
        let (rest, arrow) = match after_ws.strip_prefix(b"->") {
            Some(rest) => (ws(rest)?.0, true),
            None => (after_ws, false),
        };
        let step = match rest.first() {
            Some(b'{') | Some(b'[') if first && !arrow => {
                return expected(rest, "`->` before the first subscript")
            }
            Some(b'{') => {
                let (r, ()) = ws(&rest[1..])?;
                let (r, key) = expect("a hash key", hash_key).parse(r)?;
                let (r, ()) = expect("`}`", sym("}")).parse(r)?;
                i = r;
                Step::Key(key)
            }
            Some(b'[') => {
                let (r, ()) = ws(&rest[1..])?;
                let (r, n) = expect("an array index", index).parse(r)?;
                let (r, ()) = expect("`]`", sym("]")).parse(r)?;
                i = r;
                Step::Index(n)
            }
            _ if arrow => return expected(rest, "`{` or `[` after `->`"),
            _ => return Ok((i, ())),
        };
        steps.push(step);
        first = false;
    }
}

/// A container being read.
enum Frame {
    Array(Vec<Value>),
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

/// One value, however deeply nested, without recursion.
pub(super) fn value(input: In) -> PResult<Value> {
    let mut stack: Vec<Frame> = Vec::new();
    // References currently open: what `Value::depth` will count.
    let mut depth = 0usize;
    let mut i = input;
    'value: loop {
        let (rest, start) = value_start(i, depth)?;
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
                Frame::Array(mut items) => {
                    items.push(done);
                    let (rest, more) = list_separator(i, b']')?;
                    i = rest;
                    if more {
                        stack.push(Frame::Array(items));
                        continue 'value;
                    }
                    done = Value::Array(Arc::new(items));
                }
                Frame::Hash(mut hash, key) => {
                    hash.insert(key, done);
                    let (rest, more) = list_separator(i, b'}')?;
                    i = rest;
                    if more {
                        let (rest, key) = pair_key(i)?;
                        i = rest;
                        stack.push(Frame::Hash(hash, key));
                        continue 'value;
                    }
                    done = Value::Hash(Arc::new(hash));
                }
                Frame::Ref => done = Value::Scalar(Arc::new(done)),
                Frame::DoRef => {
                    let (rest, ()) =
                        expect("`)` closing `do{\\(my $o = ...`", sym(")")).parse(i)?;
                    let (rest, ()) =
                        expect("`}` closing `do{\\(my $o = ...)`", sym("}")).parse(rest)?;
                    i = rest;
                    done = Value::Scalar(Arc::new(done));
                }
                Frame::Bless => {
                    let (rest, object) = bless_tail(i, done)?;
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
    let (rest, ()) = ws(i)?;
    match rest.first() {
        Some(b',') => {
            let (rest, ()) = ws(&rest[1..])?;
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
fn pair_key(i: In) -> PResult<PerlString> {
    let (rest, key) = expect("a hash key", hash_key).parse(i)?;
    let (rest, ()) = expect("`=>`", sym("=>")).parse(rest)?;
    let (rest, ()) = ws(rest)?;
    Ok((rest, key))
}

/// `, 'Class' )` after the blessed thing.
fn bless_tail(i: In, thing: Value) -> PResult<Value> {
    let (rest, ()) = expect("`,` and the class name", sym(",")).parse(i)?;
    let (rest, ()) = ws(rest)?;
    let (rest, class) = expect("the class name as a string", string).parse(rest)?;
    let (rest, ()) = ws(rest)?;
    let rest = rest.strip_prefix(b",").unwrap_or(rest);
    let (rest, ()) = expect("`)` closing `bless(`", sym(")")).parse(rest)?;
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
fn value_start(mut i: In, depth: usize) -> PResult<Start> {
    // Unary plus changes nothing (`+{...}`); before a digit it is the number's sign.
    while i.first() == Some(&b'+') && !i.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
        i = ws(&i[1..])?.0;
    }
    let Some(&c) = i.first() else {
        return expected(i, "a value");
    };
    if matches!(c, b'[' | b'{' | b'\\') {
        room_for_ref(i, depth)?;
    }
    match c {
        b'[' => {
            let (rest, ()) = ws(&i[1..])?;
            if let Some(rest) = rest.strip_prefix(b"]") {
                return Ok((rest, Start::Done(Value::Array(Arc::default()))));
            }
            Ok((rest, Start::Open(Frame::Array(Vec::new()))))
        }
        b'{' => {
            let (rest, ()) = ws(&i[1..])?;
            if let Some(rest) = rest.strip_prefix(b"}") {
                return Ok((rest, Start::Done(Value::Hash(Arc::default()))));
            }
            let (rest, key) = pair_key(rest)?;
            Ok((rest, Start::Open(Frame::Hash(Hash::new(), key))))
        }
        b'\\' => {
            let (rest, ()) = ws(&i[1..])?;
            if rest.first() == Some(&b'(') {
                return refuse(i, "`\\(...)` (a list of references) is not read");
            }
            Ok((rest, Start::Open(Frame::Ref)))
        }
        b'\'' => single_quoted(i).map(|(r, s)| (r, Start::Done(Value::bytes(s)))),
        b'"' => double_quoted(i).map(|(r, s)| (r, Start::Done(Value::Str(s)))),
        b'0'..=b'9' | b'-' | b'+' | b'.' => {
            number(i).map(|(r, n)| (r, Start::Done(n))).or_else(|e| match e {
                nom::Err::Error(_) => expected(i, "a value"),
                other => Err(other),
            })
        }
        b'$' | b'@' | b'%' => refuse(
            i,
            "a variable inside the value is not read (Data::Dumper writes that only without Purity)",
        ),
        b'*' => refuse(i, "globs are not read"),
        _ => word_value(i, depth),
    }
}

/// Refuses one more reference inside `depth` open ones beyond [`MAX_DEPTH`], as
/// [`Value::depth`] counts them.
fn room_for_ref(i: In, depth: usize) -> PResult<()> {
    if depth >= MAX_DEPTH {
        return refuse(i, format!("data nested deeper than {MAX_DEPTH} references"));
    }
    Ok((i, ()))
}

/// Values that start with a word: `undef`, `bless(`, `do{...}`, `sub {...}`, `qr/.../`.
fn word_value(i: In, depth: usize) -> PResult<Start> {
    let done = |rest, v| Ok((rest, Start::Done(v)));
    if let Ok((rest, ())) = keyword("undef").parse(i) {
        if sym("(").parse(rest).is_ok() {
            return refuse(i, "`undef(...)` is a function call");
        }
        return done(rest, Value::Undef);
    }
    if let Ok((rest, ())) = keyword("bless").parse(i) {
        let (rest, ()) = expect("`(` after `bless`", sym("(")).parse(rest)?;
        let (rest, ()) = ws(rest)?;
        return Ok((rest, Start::Open(Frame::Bless)));
    }
    if let Ok((rest, ())) = keyword("do").parse(i) {
        return do_block(i, rest, depth);
    }
    if let Ok((rest, ())) = keyword("sub").parse(i) {
        room_for_ref(i, depth)?;
        let dummy = (sym("{"), ws, string, sym("}")).parse(rest);
        return match dummy {
            Ok((rest, (_, _, body, _))) if body.as_bytes() == b"DUMMY" => done(rest, Value::Code),
            _ => refuse(
                i,
                "code is never read: only the placeholder `sub { \"DUMMY\" }` is accepted",
            ),
        };
    }
    if keyword("qr").parse(i).is_ok() {
        room_for_ref(i, depth)?;
        let (rest, r) = regexp(i)?;
        return done(rest, Value::Regexp(Arc::new(r)));
    }
    expected(
        i,
        "a value (a string, a number, undef, [...], {...}, \\..., bless(...), \
         do{my $o}, do{\\(my $o = ...)}, sub { \"DUMMY\" } or qr/.../)",
    )
}

/// `do{my $o}` (an empty placeholder) or the opening of `do{\(my $o = ...)}`.
fn do_block<'a>(start: In<'a>, i: In<'a>, depth: usize) -> PResult<'a, Start> {
    let only = "only `do{my $o}` and `do{\\(my $o = ...)}` are read: other blocks are code";
    let my_o = |j| (sym("my"), ws, keyword("$o")).parse(j);
    let Ok((rest, ())) = sym("{").parse(i) else {
        return refuse(start, only);
    };
    if let Ok((rest, _)) = my_o(rest) {
        return match sym("}").parse(rest) {
            Ok((rest, ())) => Ok((rest, Start::Done(Value::Undef))),
            Err(_) => refuse(start, only),
        };
    }
    let opening = (sym("\\"), sym("("), my_o, assign).parse(rest);
    let Ok((rest, _)) = opening else {
        return refuse(start, only);
    };
    room_for_ref(start, depth)?;
    let (rest, ()) = ws(rest)?;
    Ok((rest, Start::Open(Frame::DoRef)))
}

//! The common record, read in one pass: what our writer and Perl's Data::Dumper
//! write for nearly every session.
//!
//! ```text
//! $D = {'_SESSION_ID' => 'abc','cart' => ['x',2],'n' => undef,'p' => {'k' => 'v'}};;$D
//! ```
//!
//! That is one variable assigned a value made of strings, numbers, `undef`, arrays
//! and hashes, then `;`s and the variable alone: no fix-ups, references, objects,
//! regexps or code. [`thaw_common`] reads such a record by plain recursion, building
//! each container directly, which costs a fraction of the full reader's explicit
//! stack of frames. Every token is read by the full reader's own scanners, so a
//! value is built exactly as the full reader builds it; anything else (and nesting
//! deeper than [`MAX_COMMON_DEPTH`]) gives `None`, and the caller reads the record
//! with the full reader, whose answer (or error) then stands.
//!
//! [`thaw_fields`](super::fields::thaw_fields) reads the same shape.

use std::sync::Arc;

use super::lexer::{hash_key, keyword, number, sym, variable, ws, In};
use super::strings::{double_quoted, single_quoted};
use crate::{Hash, Value};

/// Containers [`thaw_common`] nests before it leaves a record to the full reader:
/// far below [`MAX_DEPTH`](crate::MAX_DEPTH), so the full reader's depth limit is
/// never what the fast path decides, and the recursion stays shallow.
const MAX_COMMON_DEPTH: usize = 64;

/// The value of a record of the common shape, as the full reader gives it, or
/// `None` when the record is of another shape (or malformed).
pub(super) fn thaw_common(src: &[u8]) -> Option<Value> {
    let (rest, var) = variable(ws(src))?;
    let rest = ws(rest).strip_prefix(b"=")?;
    let mut scratch = Vec::new();
    let (rest, root) = value(ws(rest), 0, &mut scratch)?;
    // At least one `;` ends the assignment; then only the variable, as the last
    // statement, whose value the record is.
    let rest = skip_semicolons(ws(rest).strip_prefix(b";")?);
    let (rest, last) = variable(rest)?;
    (last == var && skip_semicolons(rest).is_empty()).then_some(root)
}

/// White space, comments and `;`s (empty statements).
pub(super) fn skip_semicolons(mut i: In) -> In {
    loop {
        i = ws(i);
        match i.strip_prefix(b";") {
            Some(rest) => i = rest,
            None => return i,
        }
    }
}

/// After an item: `,` (a trailing comma may precede the close) or the closing bracket.
/// Gives whether another item follows.
pub(super) fn separator(i: In, close: u8) -> Option<(In, bool)> {
    match i.first()? {
        b',' => {
            let rest = ws(&i[1..]);
            match rest.strip_prefix(&[close]) {
                Some(after) => Some((after, false)),
                None => Some((rest, true)),
            }
        }
        &c if c == close => Some((&i[1..], false)),
        _ => None,
    }
}

/// One value of the common shape inside `depth` containers; `i` starts at it (after
/// white space, as the full reader starts every value).
fn value<'a>(i: In<'a>, depth: usize, scratch: &mut Vec<u8>) -> Option<(In<'a>, Value)> {
    match *i.first()? {
        b'\'' => {
            let (rest, text) = single_quoted(i).ok()?;
            Some((rest, Value::Str(text)))
        }
        b'"' => {
            let (rest, text) = double_quoted(i, scratch).ok()?;
            Some((rest, Value::Str(text)))
        }
        b'0'..=b'9' | b'-' | b'.' => number(i).ok(),
        b'{' if depth < MAX_COMMON_DEPTH => hash(ws(&i[1..]), depth + 1, scratch),
        b'[' if depth < MAX_COMMON_DEPTH => array(ws(&i[1..]), depth + 1, scratch),
        _ => {
            let rest = keyword(i, b"undef")?;
            // `undef(...)` is a call, which the full reader refuses.
            match sym(rest, b"(") {
                Some(_) => None,
                None => Some((rest, Value::Undef)),
            }
        }
    }
}

/// The pairs of a hash after its `{` and white space, and the closing `}`.
fn hash<'a>(mut i: In<'a>, depth: usize, scratch: &mut Vec<u8>) -> Option<(In<'a>, Value)> {
    if let Some(rest) = i.strip_prefix(b"}") {
        return Some((rest, Value::Hash(Arc::default())));
    }
    let mut hash = Hash::new();
    loop {
        let (rest, key) = hash_key(i, scratch).ok()?;
        let rest = ws(sym(rest, b"=>")?);
        let (rest, item) = value(rest, depth, scratch)?;
        // A repeated key keeps the last value, as in Perl and the full reader.
        hash.insert(key, item);
        let (rest, more) = separator(ws(rest), b'}')?;
        i = rest;
        if !more {
            return Some((i, Value::Hash(Arc::new(hash))));
        }
    }
}

/// The items of an array after its `[` and white space, and the closing `]`.
fn array<'a>(mut i: In<'a>, depth: usize, scratch: &mut Vec<u8>) -> Option<(In<'a>, Value)> {
    if let Some(rest) = i.strip_prefix(b"]") {
        return Some((rest, Value::Array(Arc::default())));
    }
    let mut items = Vec::new();
    loop {
        let (rest, item) = value(i, depth, scratch)?;
        items.push(item);
        let (rest, more) = separator(ws(rest), b']')?;
        i = rest;
        if !more {
            return Some((i, Value::Array(Arc::new(items))));
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::dumper::reader;
    use crate::{Dumper, Serializer};

    /// What the fast path reads is what the full reader reads.
    fn agrees(src: &str) {
        let fast = thaw_common(src.as_bytes()).expect("common shape");
        assert_eq!(Ok(fast), reader::thaw(src.as_bytes()), "{src}");
    }

    #[test]
    fn reads_common_records_as_the_full_reader_does() {
        agrees("$D = {'_SESSION_ID' => 'abc','_SESSION_ATIME' => 1795000000,'_SESSION_ETIME' => '3600','cart' => [1,'two',{'k' => [undef,-2.5e3]}],'e' => {},'f' => []};;$D");
        agrees("$D = {};;$D");
        agrees("$D = 'plain';$D");
        agrees("$VAR1 = {\n  'a' => \"plain\",\n  '_SESSION_ID' => 'x',\n};\n$VAR1;\n");
        agrees("$D = {'n' => 'it\\'s \\\\ here','u' => \"caf\\x{e9} \\x{263a}\"};$D");
        agrees("$D = {'h' => {\"k\" => 1,},'l' => [[[]],[{}]],'a' => 'x','a' => 'y'};;$D");
        agrees("$D = {-bare => 1, 12 => .5, 'z' => 99999999999999999999};;$D # note\n");
    }

    /// Records of every kind the one-pass readers leave to the full reader: fix-ups,
    /// references, objects, regexps, code placeholders.
    pub(in crate::dumper) const NOT_PLAIN: [&str; 6] = [
        "$D = {'a' => [],'b' => []};$D->{'b'} = $D->{'a'};;$D",
        "$D = {'a' => \\'x'};;$D",
        "$D = {'a' => bless( {}, 'K' )};;$D",
        "$D = {'a' => qr/x/};;$D",
        "$D = {'a' => sub { \"DUMMY\" }};;$D",
        "$D = {'a' => do{my $o}};;$D",
    ];

    #[test]
    fn leaves_everything_else_to_the_full_reader() {
        for src in NOT_PLAIN.into_iter().chain([
            "$D = {'a' => +{}};;$D",
            // malformed or refused text: the full reader gives the error
            "$D = {'a' => \"$x\"};;$D",
            "$D = {'a' => undef(1)};;$D",
            "$D = {'a' => 012};;$D",
            "$D = {'a' => system('ls')};;$D",
            "$D = {'a' => [1 2]};;$D",
            "$D = {'a' => [1,,2]};;$D",
            "$D = {'a' => {'k' 1}};;$D",
            "$D = {'a' => 1}$D",
            // another variable, trailing statements, no final variable
            "$D = {'a' => 1};;$E",
            "$D = {'a' => 1};;$D;1",
            "$D = {'a' => 1};",
            "$D == 1;$D",
            "{'a' => 1}",
        ]) {
            assert_eq!(thaw_common(src.as_bytes()), None, "{src}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_the_full_reader() {
        let nested = |n| format!("$D = {}1{};;$D", "[".repeat(n), "]".repeat(n));
        assert_eq!(thaw_common(nested(MAX_COMMON_DEPTH + 1).as_bytes()), None);
        agrees(&nested(MAX_COMMON_DEPTH));
    }

    #[test]
    fn every_truncation_is_left_to_the_full_reader_or_agrees() {
        let data = Value::hash([
            ("_SESSION_ID", Value::from("abc")),
            (
                "c",
                Value::array([Value::from(1), Value::hash([("k", "v")])]),
            ),
            ("t", Value::from("it's")),
        ]);
        let src = Dumper.freeze(&data).unwrap();
        assert_eq!(thaw_common(&src), Some(data));
        for end in 0..src.len() {
            let cut = &src[..end];
            if let Some(v) = thaw_common(cut) {
                assert_eq!(Ok(v), reader::thaw(cut), "cut at {end}");
            }
        }
    }
}

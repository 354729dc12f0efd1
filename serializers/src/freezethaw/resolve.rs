//! Building the value of a parsed record: repeated objects first, each once, so that
//! every `<I|` becomes a clone of the same [`Arc`] (spec §7.3).
//!
//! The content of a repeated object may refer to one written after it (FreezeThaw
//! numbers them by their second occurrence), so the segments of the record are built
//! in dependency order, found by a depth-first walk on a heap stack. A segment met
//! again while it is still open is a cycle, which a [`Value`] cannot hold. Within a
//! segment, a node's children come before it, so one pass in order builds it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::reader::{Node, Parsed};
use super::text::thawed_flags;
use super::unsupported;
use crate::value::MAX_DEPTH;
use crate::{Error, Object, PerlString, Regexp, Value};

/// The first frozen value of the record, with its sharing.
pub(super) fn build(parsed: &Parsed, src: &[u8]) -> Result<Value, Error> {
    let mut values = vec![Value::Undef; parsed.nodes.len()];
    // How many references nest in each node's value, as `Value::depth` counts.
    let mut depths = vec![0usize; parsed.nodes.len()];
    let mut repeated: Vec<Option<(Value, usize)>> = vec![None; parsed.repeated_roots.len()];
    for segment in order(parsed)? {
        for id in parsed.segments[segment].nodes.clone() {
            let take = |values: &mut Vec<Value>, kid: usize| std::mem::take(&mut values[kid]);
            let (value, depth) = match &parsed.nodes[id] {
                Node::Undef => (Value::Undef, 0),
                Node::Str(bytes) => (Value::Str(PerlString::from(&src[bytes.clone()])), 0),
                Node::Array(items) => (
                    Value::Array(Arc::new(
                        items.iter().map(|&k| take(&mut values, k)).collect(),
                    )),
                    1 + items.iter().map(|&k| depths[k]).max().unwrap_or(0),
                ),
                Node::Hash(pairs) => {
                    let hash: BTreeMap<PerlString, Value> = pairs
                        .iter()
                        .map(|(key, k)| {
                            (PerlString::from(&src[key.clone()]), take(&mut values, *k))
                        })
                        .collect();
                    let depth = 1 + pairs.iter().map(|(_, k)| depths[*k]).max().unwrap_or(0);
                    (Value::Hash(Arc::new(hash)), depth)
                }
                Node::Scalar(k) => (
                    Value::Scalar(Arc::new(take(&mut values, *k))),
                    1 + depths[*k],
                ),
                // Perl's thaw compiles the stored text, `qr/(?^i:ab+c)/`.
                Node::Regexp(pattern) => {
                    let pattern = &src[pattern.clone()];
                    let regexp = Regexp {
                        pattern: PerlString::from_bytes(pattern),
                        flags: thawed_flags(pattern).to_string(),
                    };
                    (Value::Regexp(Arc::new(regexp)), 1)
                }
                Node::Object { class, value } => (
                    Value::Object(Arc::new(Object {
                        class: PerlString::from(&src[class.clone()]),
                        value: take(&mut values, *value),
                    })),
                    depths[*value],
                ),
                Node::Repeat(index) => repeated
                    .get(*index)
                    .and_then(Option::clone)
                    .ok_or_else(|| unsupported(format!("repeated object {index} is not built")))?,
            };
            if depth > MAX_DEPTH {
                return Err(unsupported(format!(
                    "the record's repeated objects nest data deeper than {MAX_DEPTH} references"
                )));
            }
            values[id] = value;
            depths[id] = depth;
        }
        if let Some(&root) = parsed.repeated_roots.get(segment) {
            repeated[segment] = Some((std::mem::take(&mut values[root]), depths[root]));
        }
    }
    Ok(parsed
        .first
        .map(|id| std::mem::take(&mut values[id]))
        .unwrap_or_default())
}

/// The segments the frozen list needs, each after the repeated objects it refers to;
/// the list itself (the last segment) comes last.
fn order(parsed: &Parsed) -> Result<Vec<usize>, Error> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let segments = &parsed.segments;
    let mut state = vec![State::New; segments.len()];
    let mut order = Vec::new();
    let Some(list) = segments.len().checked_sub(1) else {
        return Ok(order);
    };
    let mut stack = vec![(list, 0usize)];
    state[list] = State::Open;
    while let Some((segment, next)) = stack.last_mut() {
        let current = *segment;
        let Some(&needed) = segments[current].repeats.get(*next) else {
            state[current] = State::Done;
            order.push(current);
            stack.pop();
            continue;
        };
        *next += 1;
        match state.get(needed) {
            Some(State::New) => {
                state[needed] = State::Open;
                stack.push((needed, 0));
            }
            Some(State::Open) => {
                return Err(unsupported(format!(
                    "the record is cyclic: repeated object {needed} contains itself \
                     (`<{needed}|`), and a Value cannot hold a cycle"
                )))
            }
            Some(State::Done) => {}
            None => return Err(unsupported(format!("no repeated object {needed}"))),
        }
    }
    Ok(order)
}

//! Fix-up statements: how Data::Dumper writes shared references (Purity, spec §7.1).
//!
//! `$D->{'y'} = $D->{'x'};` makes slot `y` hold the very reference slot `x` holds.
//! Here that is a clone of the same [`Arc`], put in place with [`Arc::get_mut`] so
//! that no container on the way is copied (which would silently split sharing).
//!
//! Data::Dumper only ever writes fix-ups into containers that are not yet shared
//! (every placeholder sits inside the first, full copy of its parents), so a fix-up
//! that would have to write through a shared container is refused rather than
//! copied. A fix-up whose source contains its own target would make a cycle, which
//! a [`Value`] cannot hold: that is refused too.

use std::collections::{btree_map, HashMap, HashSet};
use std::sync::Arc;

use super::FORMAT;
use crate::{Error, PerlString, Value, MAX_DEPTH};

/// One step of a Perl path expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    /// `{'key'}`
    Key(PerlString),
    /// `[3]`
    Index(usize),
    /// `${...}`
    Deref,
}

/// A path such as `${$D->{'a'}[1]}` read from the record, with where it was found.
#[derive(Debug, Clone)]
pub(super) struct Path {
    /// The steps from the root variable.
    pub steps: Vec<Step>,
    /// Byte offset of the path in the record.
    pub offset: usize,
    /// The path as written, for messages.
    pub text: String,
}

/// The value being rebuilt, and what applying fix-ups needs to remember.
pub(super) struct Doc {
    root: Value,
    /// Memoized [`Value::depth`] of shared things, by address (sharing would make a
    /// plain recursive walk exponential).
    depths: HashMap<usize, usize>,
    /// Values replaced by fix-ups, kept alive so that no address in `depths` is reused.
    graveyard: Vec<Value>,
}

impl Doc {
    pub(super) fn new(root: Value) -> Doc {
        Doc {
            root,
            depths: HashMap::new(),
            graveyard: Vec::new(),
        }
    }

    /// The value a path names now.
    pub(super) fn get(&self, path: &Path) -> Result<&Value, Error> {
        let mut cur = &self.root;
        for step in &path.steps {
            cur = child(cur, step).map_err(|why| why.into_error(path))?;
        }
        Ok(cur)
    }

    /// Consumes the document, giving the value `last` names (the value of Perl's last statement).
    pub(super) fn into_value(self, last: &Path) -> Result<Value, Error> {
        if last.steps.is_empty() {
            return Ok(self.root);
        }
        self.get(last).cloned()
    }

    /// `LHS = RHS;`: puts `rhs` in the slot `lhs` names.
    pub(super) fn assign(&mut self, lhs: &Path, rhs: Value) -> Result<(), Error> {
        // Identities of every container the write goes through, root first.
        let mut through = Vec::with_capacity(2 * lhs.steps.len());
        let mut cur = &self.root;
        for (n, step) in lhs.steps.iter().enumerate() {
            through.extend(cur.ref_addr());
            through.extend(cur.unblessed().ref_addr());
            if n + 1 < lhs.steps.len() {
                cur = child(cur, step).map_err(|why| why.into_error(lhs))?;
            } else {
                writable(cur, step).map_err(|why| why.into_error(lhs))?;
            }
        }
        if rhs.ref_addr().is_some_and(|addr| through.contains(&addr)) {
            return Err(cyclic(lhs));
        }
        // Each step enters one reference, so the slot sits `steps.len()` deep.
        if lhs.steps.len() + self.depth(&rhs) > MAX_DEPTH {
            return Err(unsupported(format!(
                "fix-up `{}` nests data deeper than {MAX_DEPTH} references",
                lhs.text
            )));
        }
        let slot = if lhs.steps.is_empty() {
            &mut self.root
        } else {
            match slot_mut(&mut self.root, &lhs.steps) {
                Ok(slot) => slot,
                Err(why @ (StepError::Missing(_) | StepError::Kind(..))) => {
                    return Err(why.into_error(lhs))
                }
                Err(StepError::Shared) if reaches(&rhs, &through) => return Err(cyclic(lhs)),
                Err(StepError::Shared) => {
                    return Err(unsupported(format!(
                        "fix-up `{}` writes into a container that is already shared; \
                         Data::Dumper never writes that",
                        lhs.text
                    )))
                }
            }
        };
        self.graveyard.push(std::mem::replace(slot, rhs));
        for addr in through {
            self.depths.remove(&addr);
        }
        Ok(())
    }

    /// [`Value::depth`], memoized by address and walked without recursion.
    fn depth(&mut self, v: &Value) -> usize {
        let depths = &mut self.depths;
        let known = |v: &Value, depths: &HashMap<usize, usize>| match v.ref_addr() {
            Some(addr) if kids(v).is_some() => depths.get(&addr).copied(),
            _ => Some(leaf_depth(v)),
        };
        if let Some(d) = known(v, depths) {
            return d;
        }
        let mut stack = vec![Frame::new(v)];
        while let Some(top) = stack.last_mut() {
            if let Some(kid) = top.kids.next() {
                match known(kid, depths) {
                    Some(d) => top.max = top.max.max(d),
                    None => stack.push(Frame::new(kid)),
                }
                continue;
            }
            let done = stack.pop().map_or(0, |f| {
                let d = f.own + f.max;
                depths.insert(f.addr, d);
                d
            });
            match stack.last_mut() {
                Some(parent) => parent.max = parent.max.max(done),
                None => return done,
            }
        }
        0
    }
}

/// A container being measured by [`Doc::depth`].
struct Frame<'v> {
    addr: usize,
    own: usize,
    kids: Kids<'v>,
    max: usize,
}

impl<'v> Frame<'v> {
    fn new(v: &'v Value) -> Frame<'v> {
        let (own, kids) = kids(v).unwrap_or((0, Kids::One(None)));
        Frame {
            addr: v.ref_addr().unwrap_or(0),
            own,
            kids,
            max: 0,
        }
    }
}

/// The values directly inside a reference.
enum Kids<'v> {
    Items(std::slice::Iter<'v, Value>),
    Values(btree_map::Values<'v, PerlString, Value>),
    One(Option<&'v Value>),
}

impl<'v> Iterator for Kids<'v> {
    type Item = &'v Value;

    fn next(&mut self) -> Option<&'v Value> {
        match self {
            Kids::Items(items) => items.next(),
            Kids::Values(values) => values.next(),
            Kids::One(one) => one.take(),
        }
    }
}

/// How much a container adds to the depth (an object adds nothing) and what it holds;
/// `None` for values with nothing inside.
fn kids(v: &Value) -> Option<(usize, Kids<'_>)> {
    Some(match v {
        Value::Array(items) => (1, Kids::Items(items.iter())),
        Value::Hash(hash) => (1, Kids::Values(hash.values())),
        Value::Scalar(target) => (1, Kids::One(Some(target))),
        Value::Object(object) => (0, Kids::One(Some(&object.value))),
        _ => return None,
    })
}

fn leaf_depth(v: &Value) -> usize {
    usize::from(matches!(v, Value::Code | Value::Regexp(_)))
}

/// Whether `target` addresses are reachable from `from` (only used to word an error).
fn reaches(from: &Value, targets: &[usize]) -> bool {
    let mut seen = HashSet::new();
    let mut todo = vec![from];
    while let Some(v) = todo.pop() {
        for addr in [v.ref_addr(), v.unblessed().ref_addr()]
            .into_iter()
            .flatten()
        {
            if targets.contains(&addr) {
                return true;
            }
        }
        if v.ref_addr().is_some_and(|addr| !seen.insert(addr)) {
            continue;
        }
        if let Some((_, inside)) = kids(v) {
            todo.extend(inside);
        }
    }
    false
}

/// Why a step of a path could not be taken.
enum StepError {
    /// The element does not exist (what was asked for).
    Missing(String),
    /// The step does not fit the value (what was asked for, what is there).
    Kind(String, &'static str),
    /// The container is shared, so writing into it would write into several places.
    Shared,
}

impl StepError {
    fn into_error(self, path: &Path) -> Error {
        let message = match self {
            StepError::Missing(step) => format!("fix-up path `{}`: there is no {step}", path.text),
            StepError::Kind(step, found) => {
                format!("fix-up path `{}`: cannot take {step} of {found}", path.text)
            }
            StepError::Shared => format!(
                "fix-up path `{}` goes through a shared container",
                path.text
            ),
        };
        Error::Syntax {
            format: FORMAT,
            offset: path.offset,
            message,
        }
    }
}

fn describe_step(step: &Step) -> String {
    match step {
        Step::Key(key) => format!("hash element {key:?}"),
        Step::Index(n) => format!("array element [{n}]"),
        Step::Deref => "the scalar dereference".to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Undef => "undef",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Array(_) => "an array reference",
        Value::Hash(_) => "a hash reference",
        Value::Scalar(_) => "a scalar reference",
        Value::Object(object) => kind(&object.value),
        Value::Code => "a code reference",
        Value::Regexp(_) => "a regexp",
    }
}

/// The value one step inside `v`.
fn child<'v>(v: &'v Value, step: &Step) -> Result<&'v Value, StepError> {
    let found = match (v.unblessed(), step) {
        (Value::Hash(hash), Step::Key(key)) => hash.get(key),
        (Value::Array(items), Step::Index(n)) => items.get(*n),
        (Value::Scalar(target), Step::Deref) => Some(&**target),
        (other, _) => return Err(StepError::Kind(describe_step(step), kind(other))),
    };
    found.ok_or_else(|| StepError::Missing(describe_step(step)))
}

/// Whether `step` can be assigned to inside `v`: any key of a hash (Perl creates it),
/// an existing element of an array, the target of a scalar reference.
fn writable(v: &Value, step: &Step) -> Result<(), StepError> {
    match (v.unblessed(), step) {
        (Value::Hash(_), Step::Key(_)) | (Value::Scalar(_), Step::Deref) => Ok(()),
        (Value::Array(items), Step::Index(n)) if *n < items.len() => Ok(()),
        (Value::Array(_), Step::Index(_)) => Err(StepError::Missing(describe_step(step))),
        (other, _) => Err(StepError::Kind(describe_step(step), kind(other))),
    }
}

/// The slot `steps` names, for writing, without copying any container on the way.
fn slot_mut<'v>(mut cur: &'v mut Value, steps: &[Step]) -> Result<&'v mut Value, StepError> {
    for (n, step) in steps.iter().enumerate() {
        let last = n + 1 == steps.len();
        let target = match cur {
            Value::Object(object) => &mut Arc::get_mut(object).ok_or(StepError::Shared)?.value,
            other => other,
        };
        cur = match (target, step) {
            (Value::Hash(hash), Step::Key(key)) => {
                let hash = Arc::get_mut(hash).ok_or(StepError::Shared)?;
                if last {
                    hash.entry(key.clone()).or_default()
                } else {
                    hash.get_mut(key)
                        .ok_or_else(|| StepError::Missing(describe_step(step)))?
                }
            }
            (Value::Array(items), Step::Index(i)) => Arc::get_mut(items)
                .ok_or(StepError::Shared)?
                .get_mut(*i)
                .ok_or_else(|| StepError::Missing(describe_step(step)))?,
            (Value::Scalar(target), Step::Deref) => {
                Arc::get_mut(target).ok_or(StepError::Shared)?
            }
            (other, _) => return Err(StepError::Kind(describe_step(step), kind(other))),
        };
    }
    Ok(cur)
}

fn cyclic(lhs: &Path) -> Error {
    unsupported(format!(
        "cyclic references are not supported: the fix-up for `{}` would make a value contain itself",
        lhs.text
    ))
}

fn unsupported(message: String) -> Error {
    Error::Unsupported {
        format: FORMAT,
        message,
    }
}

//! The reader: FreezeThaw text into a flat tree of nodes (spec §7.3, thaw).
//!
//! ```text
//! record      := "FrT;" prelude? "@" N "|" item{N}          (the list given to freeze)
//! prelude     := "!" LAST "|" placeholder{LAST+1} content{LAST+1}
//! placeholder := ("{" class)? ("%0|" | "@0|" | "\_")  |  "/" LEN "|" BYTES  |  "<" I "|"
//! content     := "}" class item  |  item
//! item        := "_" | "$" LEN "|" BYTES | "/" LEN "|" BYTES | "@" N "|" item{N}
//!              | "%" 2N "|" ("$" LEN "|" BYTES){N} item{N} | "\" item | ">" class item | "<" I "|"
//! class       := ">" ID "|" "$" LEN "|" NAME  |  ")" ID "|"
//! ```
//!
//! `LEN` counts bytes (spec §7.3). Nesting is parsed with a heap stack and refused
//! beyond [`MAX_DEPTH`]; every count is checked against the bytes left before it is
//! trusted. A back-reference `<I|` may name a repeated object whose content comes
//! later in the record, so values are built afterwards, by [`super::resolve`].

use std::collections::HashMap;
use std::ops::Range;

use super::cursor::Cursor;
use super::{syntax, unsupported};
use crate::value::MAX_DEPTH;
use crate::{Error, Regexp};

/// A node's index in [`Parsed::nodes`].
pub(super) type NodeId = usize;

/// One item of the record. Byte ranges point into the input.
pub(super) enum Node {
    Undef,
    Str(Range<usize>),
    Array(Vec<NodeId>),
    /// Keys and values in record order (a later duplicate key wins, as in Perl).
    Hash(Vec<(Range<usize>, NodeId)>),
    Scalar(NodeId),
    /// The pattern as stored: Perl's stringification of the regexp.
    Regexp(Range<usize>),
    Object {
        class: Range<usize>,
        value: NodeId,
    },
    /// `<I|`: repeated object I.
    Repeat(usize),
}

/// A run of nodes parsed as one unit: the content of one repeated object, or the
/// frozen list itself.
pub(super) struct Segment {
    pub(super) nodes: Range<NodeId>,
    /// The repeated objects the segment refers to.
    pub(super) repeats: Vec<usize>,
}

/// A whole record, parsed.
pub(super) struct Parsed {
    /// Every node; a node's children come before it.
    pub(super) nodes: Vec<Node>,
    /// The content of each repeated object, in prelude order, then the frozen list.
    pub(super) segments: Vec<Segment>,
    /// The root node of each repeated object's content.
    pub(super) repeated_roots: Vec<NodeId>,
    /// The first frozen value (CGI::Session takes `(thaw($text))[0]`), if any.
    pub(super) first: Option<NodeId>,
}

/// Parses a record; fails with the offset and what was expected there.
pub(super) fn parse(src: &[u8]) -> Result<Parsed, Error> {
    let mut p = Parser {
        cur: Cursor { src, pos: 0 },
        nodes: Vec::new(),
        packages: HashMap::new(),
        repeated: 0,
        repeats: Vec::new(),
        stack: Vec::new(),
        level: 0,
    };
    if !src.starts_with(b"FrT;") {
        return Err(syntax(
            0,
            format!("expected the signature `FrT;`, found {}", p.cur.found(0)),
        ));
    }
    p.cur.pos = 4;
    let mut segments = Vec::new();
    let mut repeated_roots = Vec::new();
    match p.cur.peek() {
        Some(b'?') => {
            return Err(unsupported(
                "a record written by `safeFreeze`: only the Perl process that wrote it can read it",
            ))
        }
        Some(b'!') => {
            p.cur.pos += 1;
            for (root, segment) in p.prelude()? {
                repeated_roots.push(root);
                segments.push(segment);
            }
        }
        _ => {}
    }
    let at = p.cur.pos;
    p.cur.expect(b'@', "the list of frozen values (`@N|`)")?;
    let count = p.items_count(at)?;
    let start = p.nodes.len();
    p.repeats.clear();
    let mut first = None;
    for _ in 0..count {
        let id = p.item()?;
        first.get_or_insert(id);
    }
    segments.push(p.segment(start));
    if p.cur.pos != src.len() {
        return Err(syntax(
            p.cur.pos,
            format!(
                "expected the end of the record, found {}",
                p.cur.found(p.cur.pos)
            ),
        ));
    }
    Ok(Parsed {
        nodes: p.nodes,
        segments,
        repeated_roots,
        first,
    })
}

struct Parser<'a> {
    cur: Cursor<'a>,
    nodes: Vec<Node>,
    /// Class number → name (`>ID|$LEN|NAME` defines, `)ID|` uses).
    packages: HashMap<u64, Range<usize>>,
    /// How many repeated objects the prelude declares.
    repeated: usize,
    /// The repeated objects referred to in the current segment.
    repeats: Vec<usize>,
    /// Containers and objects still open, innermost last.
    stack: Vec<Open>,
    /// How many references the open containers nest (objects do not count).
    level: usize,
}

/// An item whose content is still being read.
enum Open {
    Array {
        len: usize,
        items: Vec<NodeId>,
    },
    Hash {
        keys: Vec<Range<usize>>,
        values: Vec<NodeId>,
    },
    Scalar,
    Object {
        class: Range<usize>,
        at: usize,
    },
}

/// What a repeated object is, as its placeholder declares it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Hash,
    Array,
    Scalar,
    Regexp,
    /// A `<I|` placeholder (Perl writes one for an empty regexp `qr//`): not said.
    Any,
}

impl Parser<'_> {
    /// `LAST|`, the placeholders and the contents; gives the root and the segment of
    /// each content.
    fn prelude(&mut self) -> Result<Vec<(NodeId, Segment)>, Error> {
        let at = self.cur.pos;
        let last = self.cur.number("the number of the last repeated object")?;
        // A repeated object takes at least two bytes of placeholder and two of content.
        self.repeated = usize::try_from(last)
            .ok()
            .and_then(|last| last.checked_add(1))
            .filter(|&n| n <= self.cur.left() / 4)
            .ok_or_else(|| {
                syntax(
                    at,
                    format!(
                        "{} repeated objects cannot fit in the {} bytes left",
                        u128::from(last) + 1,
                        self.cur.left()
                    ),
                )
            })?;
        let kinds = (0..self.repeated)
            .map(|_| self.placeholder())
            .collect::<Result<Vec<Kind>, Error>>()?;
        let mut contents = Vec::with_capacity(kinds.len());
        for (index, declared) in kinds.into_iter().enumerate() {
            let at = self.cur.pos;
            let start = self.nodes.len();
            self.repeats.clear();
            let root = self.content()?;
            let held = self.kind(root);
            if held.is_none() || (declared != Kind::Any && held != Some(declared)) {
                return Err(syntax(
                    at,
                    format!(
                        "repeated object {index} is declared as {declared:?} but holds {}",
                        held.map_or("no reference".to_string(), |k| format!("{k:?}"))
                    ),
                ));
            }
            contents.push((root, self.segment(start)));
        }
        Ok(contents)
    }

    /// What `freezeEmpty` writes for a repeated object.
    fn placeholder(&mut self) -> Result<Kind, Error> {
        let at = self.cur.pos;
        let blessed = self.cur.peek() == Some(b'{');
        if blessed {
            self.cur.pos += 1;
            self.package()?;
        }
        let kind = match (self.cur.byte("a placeholder")?, blessed) {
            (b'%', _) => Kind::Hash,
            (b'@', _) => Kind::Array,
            (b'\\', _) => {
                self.cur
                    .expect(b'_', "`_` (a scalar placeholder is `\\_`)")?;
                return Ok(Kind::Scalar);
            }
            (b'/', false) => {
                self.regexp_body(at)?;
                return Ok(Kind::Regexp);
            }
            (b'<', false) => {
                self.repeat_index(at)?;
                return Ok(Kind::Any);
            }
            _ => {
                return Err(syntax(
                    at,
                    format!(
                        "expected the placeholder of a repeated object (`%0|`, `@0|`, `\\_`, \
                         a regexp, `<I|`, or a class `{{...` and one of the first three), found {}",
                        self.cur.found(at)
                    ),
                ))
            }
        };
        if self.cur.number("the size of a placeholder")? != 0 {
            return Err(syntax(at, "a placeholder must be empty (`%0|` or `@0|`)"));
        }
        Ok(kind)
    }

    /// The content of a repeated object: an item, or `}` with a class and an item.
    fn content(&mut self) -> Result<NodeId, Error> {
        let at = self.cur.pos;
        if self.cur.peek() == Some(b'}') {
            self.cur.pos += 1;
            let class = self.package()?;
            self.stack.push(Open::Object { class, at });
        }
        self.item()
    }

    /// The nodes parsed since `start`, and the repeats they refer to.
    fn segment(&mut self, start: NodeId) -> Segment {
        Segment {
            nodes: start..self.nodes.len(),
            repeats: std::mem::take(&mut self.repeats),
        }
    }

    /// Parses one item with everything in it; gives its node. The stack may already
    /// hold the object a `}` opened.
    fn item(&mut self) -> Result<NodeId, Error> {
        loop {
            let Some(mut node) = self.head()? else {
                continue;
            };
            // Close every container this node completes.
            loop {
                let id = self.nodes.len();
                self.nodes.push(node);
                node = match self.stack.last_mut() {
                    None => return Ok(id),
                    Some(Open::Array { len, items }) => {
                        items.push(id);
                        if items.len() < *len {
                            break;
                        }
                        Node::Array(std::mem::take(items))
                    }
                    Some(Open::Hash { keys, values }) => {
                        values.push(id);
                        if values.len() < keys.len() {
                            break;
                        }
                        let keys = std::mem::take(keys);
                        Node::Hash(keys.into_iter().zip(std::mem::take(values)).collect())
                    }
                    Some(Open::Scalar) => Node::Scalar(id),
                    Some(Open::Object { class, at }) => {
                        let held = &self.nodes[id];
                        if !matches!(
                            held,
                            Node::Hash(_) | Node::Array(_) | Node::Scalar(_) | Node::Regexp(_)
                        ) {
                            return Err(syntax(
                                *at,
                                "an object's content must be a hash, an array, a scalar \
                                 reference or a regexp written in place",
                            ));
                        }
                        Node::Object {
                            class: class.clone(),
                            value: id,
                        }
                    }
                };
                if !matches!(self.stack.pop(), Some(Open::Object { .. })) {
                    self.level -= 1;
                }
            }
        }
    }

    /// Reads the start of an item: a whole leaf, or the head of a container (which is
    /// then opened, giving `None`).
    fn head(&mut self) -> Result<Option<Node>, Error> {
        let at = self.cur.pos;
        let open = match self.cur.byte("an item")? {
            b'_' => return Ok(Some(Node::Undef)),
            b'$' => return Ok(Some(Node::Str(self.cur.counted("a string")?))),
            b'<' => {
                let index = self.repeat_index(at)?;
                self.repeats.push(index);
                return Ok(Some(Node::Repeat(index)));
            }
            b'/' => {
                self.deeper(at)?;
                return Ok(Some(Node::Regexp(self.regexp_body(at)?)));
            }
            b'@' => {
                self.deeper(at)?;
                let len = self.items_count(at)?;
                if len == 0 {
                    return Ok(Some(Node::Array(Vec::new())));
                }
                Open::Array {
                    len,
                    items: Vec::new(),
                }
            }
            b'%' => {
                self.deeper(at)?;
                let count = self.cur.number("the size of a hash")?;
                if count % 2 != 0 {
                    return Err(syntax(at, format!("a hash of {count} keys and values")));
                }
                let mut keys = Vec::new();
                for _ in 0..count / 2 {
                    self.cur.expect(b'$', "a hash key (`$LEN|`)")?;
                    keys.push(self.cur.counted("a hash key")?);
                }
                if keys.is_empty() {
                    return Ok(Some(Node::Hash(Vec::new())));
                }
                Open::Hash {
                    keys,
                    values: Vec::new(),
                }
            }
            b'\\' => {
                self.deeper(at)?;
                Open::Scalar
            }
            b'>' => {
                // Refused at once, so that `>>0|$1|A>)0|>)0|...` cannot pile up frames.
                if matches!(self.stack.last(), Some(Open::Object { .. })) {
                    return Err(syntax(at, "an object's content cannot be another object"));
                }
                let class = self.package()?;
                self.stack.push(Open::Object { class, at });
                return Ok(None);
            }
            b'&' => {
                return Err(unsupported(format!(
                    "a CODE reference (`&`) at byte {at}: Perl's thaw dies on it too"
                )))
            }
            b'*' => {
                return Err(unsupported(format!(
                    "a GLOB (`*`) at byte {at}: Perl's thaw dies on it too"
                )))
            }
            b'?' => {
                return Err(unsupported(format!(
                    "data saved by `safeFreeze` (`?`) at byte {at}: only the Perl process \
                     that wrote it can read it"
                )))
            }
            _ => {
                return Err(syntax(
                    at,
                    format!(
                        "expected an item (`$`, `_`, `@`, `%`, `\\`, `/`, `>` or `<`), found {}",
                        self.cur.found(at)
                    ),
                ))
            }
        };
        self.level += 1;
        self.stack.push(open);
        Ok(None)
    }

    /// A new reference nests one deeper than the open ones.
    fn deeper(&self, at: usize) -> Result<(), Error> {
        if self.level >= MAX_DEPTH {
            return Err(syntax(
                at,
                format!("data nested deeper than {MAX_DEPTH} references"),
            ));
        }
        Ok(())
    }

    /// What a node is, if it is a reference that can be repeated or blessed.
    fn kind(&self, id: NodeId) -> Option<Kind> {
        match &self.nodes[id] {
            Node::Hash(_) => Some(Kind::Hash),
            Node::Array(_) => Some(Kind::Array),
            Node::Scalar(_) => Some(Kind::Scalar),
            Node::Regexp(_) => Some(Kind::Regexp),
            // Objects never hold objects: the item loop refuses them.
            Node::Object { value, .. } => self.kind(*value),
            Node::Undef | Node::Str(_) | Node::Repeat(_) => None,
        }
    }

    /// `>ID|$LEN|NAME` (defines class ID) or `)ID|` (uses it); gives the name.
    fn package(&mut self) -> Result<Range<usize>, Error> {
        let at = self.cur.pos;
        match self.cur.byte("a class (`>ID|$LEN|NAME` or `)ID|`)")? {
            b'>' => {
                let id = self.cur.number("a class number")?;
                self.cur.expect(b'$', "the class name (`$LEN|NAME`)")?;
                let name = self.cur.counted("a class name")?;
                if name.is_empty() {
                    return Err(syntax(at, "an empty class name"));
                }
                self.packages.insert(id, name.clone());
                Ok(name)
            }
            b')' => {
                let id = self.cur.number("a class number")?;
                self.packages
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| syntax(at, format!("class number {id} was never defined")))
            }
            _ => Err(syntax(
                at,
                format!(
                    "expected a class (`>ID|$LEN|NAME` or `)ID|`), found {}",
                    self.cur.found(at)
                ),
            )),
        }
    }

    /// `LEN|PATTERN` after `/`.
    fn regexp_body(&mut self, at: usize) -> Result<Range<usize>, Error> {
        let pattern = self.cur.counted("a regexp")?;
        if Regexp::pattern_runs_code(&self.cur.src[pattern.clone()]) {
            return Err(unsupported(format!(
                "the regexp at byte {at} holds code (`(?{{...}})`): Perl's thaw refuses to \
                 compile it too"
            )));
        }
        Ok(pattern)
    }

    /// `I|` after `<`: a repeated object the prelude declares.
    fn repeat_index(&mut self, at: usize) -> Result<usize, Error> {
        let index = self.cur.number("the number of a repeated object")?;
        usize::try_from(index)
            .ok()
            .filter(|&i| i < self.repeated)
            .ok_or_else(|| {
                syntax(
                    at,
                    format!(
                        "`<{index}|` refers to a repeated object, but the record declares {}",
                        self.repeated
                    ),
                )
            })
    }

    /// `N|` after `@`: a number of items, each at least one byte.
    fn items_count(&mut self, at: usize) -> Result<usize, Error> {
        let count = self.cur.number("the length of an array")?;
        usize::try_from(count)
            .ok()
            .filter(|&n| n <= self.cur.left())
            .ok_or_else(|| {
                syntax(
                    at,
                    format!(
                        "{count} items cannot fit in the {} bytes left",
                        self.cur.left()
                    ),
                )
            })
    }
}

//! The reader: the YAML that YAML::Syck writes and reads, parsed from bytes.
//!
//! ```text
//! stream    := ("..." | document)*     the first document is the result, the rest unread
//! document  := ["---"] node
//! node      := properties? ( alias | flow | block-scalar | quoted | plain
//!                          | block-seq | block-map )                 (by indentation)
//! properties:= ("&" anchor | "!" tag)*
//! block-seq := ("- " node)+          entries at one column; a mapping value's
//!                                    sequence may sit at its key's column
//! block-map := (key ": " node)+      keys plain or quoted, at one column
//! flow      := "[" (node ("," node)*)? "]" | "{" (key [":" node] ("," ...)*)? "}"
//! ```
//!
//! Open collections live on a stack on the heap, not in recursive calls, so nesting
//! costs no call stack; more than [`MAX_DEPTH`] collections inside one another is an
//! error, and so is data that aliases make deeper than that.

use super::build::{build, Anchors, Content, Node};
use super::cursor::{input_offset, is_blank, shown, without_crlf_crs, Cursor};
use super::syntax;
use crate::{Error, Value, MAX_DEPTH};

/// Reads the first document, as CGI::Session's thaw takes `(Load($s))[0]`.
pub(super) fn thaw(bytes: &[u8]) -> Result<Value, Error> {
    // Syck reads a C string: the first NUL byte ends the input.
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    if end == 0 {
        return Err(syntax(
            0,
            "no document at all (Perl's thaw dies on empty input)",
        ));
    }
    let src = &bytes[..end];
    let (text, crs) = without_crlf_crs(src);
    let mut reader = Reader {
        cur: Cursor::new(&text),
        anchors: Anchors::default(),
        frames: Vec::new(),
    };
    reader.stream().map_err(|e| match e {
        Error::Syntax {
            format,
            offset,
            message,
        } => Error::Syntax {
            format,
            offset: input_offset(&crs, offset),
            message,
        },
        other => other,
    })
}

struct Reader<'a> {
    cur: Cursor<'a>,
    anchors: Anchors,
    /// The collections open around the cursor, innermost last.
    frames: Vec<Frame<'a>>,
}

/// An open collection: where it started, its properties, and what is read so far.
struct Frame<'a> {
    props: Props<'a>,
    at: usize,
    kind: Kind,
    items: Vec<Node>,
    pairs: Vec<(Node, Node)>,
    /// The key whose value is being read.
    key: Option<Node>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Block entries at this column.
    Seq(usize),
    Map(usize),
    /// `true` when opened in block context, where the rest of the line must be empty.
    FlowSeq(bool),
    FlowMap(bool),
}

/// What starting a node gave: the node, or a collection now open on the stack.
enum Step {
    Done(Node),
    Opened,
}

/// A node's tag (leading `!`s included) and anchor.
#[derive(Default, Clone, Copy)]
struct Props<'a> {
    tag: Option<&'a [u8]>,
    anchor: Option<&'a [u8]>,
}

impl<'a> Props<'a> {
    /// These properties, completed by `inner` where they have none.
    fn or(self, inner: Props<'a>) -> Props<'a> {
        Props {
            tag: self.tag.or(inner.tag),
            anchor: self.anchor.or(inner.anchor),
        }
    }
}

/// Where a block node sits, which decides what may start on its own line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// On a `---` line: anything, and a collection starting here has its entries at
    /// column 0 (Syck reads `--- a: 1` then `b: 2` as one mapping).
    Header,
    /// A whole document, or a node below its properties' line: anything.
    Document,
    /// After `- `: a compact sequence or mapping may start on the same line.
    SeqItem,
    /// After `key: `: neither may; a sequence may start below at the key's column.
    MapValue,
}

impl<'a> Reader<'a> {
    /// The first document. Perl's `Load` parses the others too (and dies if one is
    /// malformed) only to drop them; we stop after the first.
    fn stream(&mut self) -> Result<Value, Error> {
        loop {
            self.cur.skip_blank_lines();
            if self.cur.peek().is_none() {
                return Ok(Value::Undef);
            }
            // Syck starts a document after `...` too if the line goes on (`... x: 1`).
            let end_marker = self.cur.at_marker(b"...");
            if end_marker || self.cur.at_marker(b"---") {
                self.cur.pos += 3;
                self.cur.skip_blanks();
                if end_marker && matches!(self.cur.peek(), None | Some(b'\n' | b'#')) {
                    self.cur.finish_line()?;
                    continue;
                }
            }
            let value = self.document()?;
            self.cur.skip_blank_lines();
            if self.cur.peek().is_some() && !self.cur.at_any_marker() {
                return Err(self.cur.error("unexpected content after the document"));
            }
            return Ok(value);
        }
    }

    /// The document's node: each finished node goes to the innermost open
    /// collection, which then reads its next entry or closes.
    fn document(&mut self) -> Result<Value, Error> {
        let mut step = self.block_node(-1, Slot::Header, Props::default())?;
        loop {
            step = match step {
                Step::Opened => self.entry(true)?,
                Step::Done(node) => {
                    let Some(frame) = self.frames.last_mut() else {
                        return Ok(node.value);
                    };
                    match frame.key.take() {
                        Some(key) => frame.pairs.push((key, node)),
                        None => frame.items.push(node),
                    }
                    self.entry(false)?
                }
            };
        }
    }

    /// Starts the innermost collection's next entry (`first`: right after it opened),
    /// or closes the collection.
    fn entry(&mut self, first: bool) -> Result<Step, Error> {
        let Some((kind, frame_at)) = self.frames.last().map(|f| (f.kind, f.at)) else {
            return Err(self.cur.error("no collection is open"));
        };
        match kind {
            Kind::Seq(indent) => {
                let more =
                    first || (self.next_entry(indent, "a sequence entry")? && self.at_seq_entry());
                if !more {
                    return self.close();
                }
                self.cur.pos += 1;
                self.block_node(indent as isize, Slot::SeqItem, Props::default())
            }
            Kind::Map(indent) => {
                if !first {
                    if !self.next_entry(indent, "a mapping key")? {
                        return self.close();
                    }
                    if self.at_seq_entry() {
                        return Err(self
                            .cur
                            .error("a sequence entry where a mapping key was expected"));
                    }
                }
                let key = self.key(false)?;
                // `key:` then the end of input: Syck refuses it after the first key, and
                // never writes it (an undef value is `~`); it is a record cut short.
                if !(self.cur.peek() == Some(b':')
                    && self.cur.at(1).is_some()
                    && self.cur.spaced(1))
                {
                    return Err(self.cur.error("expected ': ' after a mapping key"));
                }
                self.cur.pos += 1;
                self.set_key(key);
                self.block_node(indent as isize, Slot::MapValue, Props::default())
            }
            Kind::FlowSeq(_) | Kind::FlowMap(_) => {
                let seq = matches!(kind, Kind::FlowSeq(_));
                let close = if seq { b']' } else { b'}' };
                self.flow_space();
                if first && self.cur.peek() == Some(close) {
                    self.cur.pos += 1;
                    return self.close();
                }
                if !first {
                    match self.cur.peek() {
                        Some(b',') => self.cur.pos += 1,
                        Some(c) if c == close => {
                            self.cur.pos += 1;
                            return self.close();
                        }
                        Some(c) => {
                            return Err(self.cur.error(format!(
                                "expected ',' or '{}', found {}",
                                close as char,
                                shown(c)
                            )))
                        }
                        None => return Err(syntax(frame_at, "a flow collection is not closed")),
                    }
                }
                if seq {
                    return self.flow_node();
                }
                self.flow_space();
                let key = self.key(true)?;
                self.set_key(key);
                if self.cur.peek() == Some(b':') {
                    self.cur.pos += 1;
                    self.flow_space();
                    if !matches!(self.cur.peek(), Some(b',' | b'}')) {
                        return self.flow_node();
                    }
                }
                let at = self.cur.pos;
                Ok(Step::Done(self.finish(
                    Props::default(),
                    Content::Empty,
                    at,
                )?))
            }
        }
    }

    fn set_key(&mut self, key: Node) {
        if let Some(frame) = self.frames.last_mut() {
            frame.key = Some(key);
        }
    }

    fn at_seq_entry(&self) -> bool {
        self.cur.peek() == Some(b'-') && self.cur.spaced(1)
    }

    /// Opens a collection whose first entry starts at the cursor (a flow collection:
    /// on its bracket).
    fn open(&mut self, kind: Kind, props: Props<'a>) -> Result<Step, Error> {
        let at = self.cur.pos;
        if self.frames.len() >= MAX_DEPTH {
            return Err(syntax(
                at,
                format!("collections nested deeper than {MAX_DEPTH}"),
            ));
        }
        if let Some(name) = props.anchor {
            self.anchors.open(name);
        }
        if matches!(kind, Kind::FlowSeq(_) | Kind::FlowMap(_)) {
            self.cur.pos += 1;
        }
        self.frames.push(Frame {
            props,
            at,
            kind,
            items: Vec::new(),
            pairs: Vec::new(),
            key: None,
        });
        Ok(Step::Opened)
    }

    /// Closes the innermost collection and builds it.
    fn close(&mut self) -> Result<Step, Error> {
        let Some(frame) = self.frames.pop() else {
            return Err(self.cur.error("no collection is open"));
        };
        let content = match frame.kind {
            Kind::Seq(_) | Kind::FlowSeq(_) => Content::Seq(frame.items),
            Kind::Map(_) | Kind::FlowMap(_) => Content::Map(frame.pairs),
        };
        if matches!(frame.kind, Kind::FlowSeq(true) | Kind::FlowMap(true)) {
            self.cur.finish_line()?;
        }
        Ok(Step::Done(self.finish(frame.props, content, frame.at)?))
    }

    /// Starts a node in block context, the cursor where it may start (blanks first),
    /// inside a collection indented `parent`. `outer` are properties already read
    /// for it on an earlier line. A finished node leaves the cursor at a line start.
    fn block_node(
        &mut self,
        parent: isize,
        mut slot: Slot,
        mut outer: Props<'a>,
    ) -> Result<Step, Error> {
        loop {
            self.cur.skip_blanks();
            let start = self.cur;
            let props = outer.or(self.properties(false)?);
            let at = self.cur.pos;
            let done =
                |reader: &mut Self, content| Ok(Step::Done(reader.finish(props, content, at)?));
            match self.cur.peek() {
                None | Some(b'\n' | b'#') => {
                    // Only properties here: the node is on the next lines, or empty.
                    self.cur.finish_line()?;
                    self.cur.skip_blank_lines();
                    let at = self.cur.pos;
                    if self.cur.peek().is_none() || self.cur.at_any_marker() {
                        return Ok(Step::Done(self.finish(props, Content::Empty, at)?));
                    }
                    let col = self.cur.col() as isize;
                    if self.at_seq_entry()
                        && (col > parent || (col == parent && slot == Slot::MapValue))
                    {
                        return self.open(Kind::Seq(col as usize), props);
                    }
                    if col <= parent {
                        return Ok(Step::Done(self.finish(props, Content::Empty, at)?));
                    }
                    slot = Slot::Document;
                    outer = props;
                }
                Some(b'*') => {
                    if props.tag.is_some() {
                        return Err(self.cur.error("an alias cannot have a tag"));
                    }
                    let node = self.alias(false)?;
                    self.cur.finish_line()?;
                    return Ok(Step::Done(node));
                }
                Some(b'[') => return self.open(Kind::FlowSeq(true), props),
                Some(b'{') => return self.open(Kind::FlowMap(true), props),
                Some(b'|' | b'>') => {
                    let text = self.cur.block_scalar(parent)?;
                    return done(self, Content::Scalar(text, false));
                }
                Some(b'"' | b'\'') => {
                    let text = self.quoted()?;
                    self.cur.skip_blanks();
                    if self.cur.peek() == Some(b':') && self.cur.spaced(1) {
                        return self.compact_map(start, slot, outer);
                    }
                    self.cur.finish_line()?;
                    return done(self, Content::Scalar(text, false));
                }
                Some(b'-') if self.cur.spaced(1) => {
                    if slot == Slot::MapValue {
                        return Err(self
                            .cur
                            .error("a sequence cannot start on the line of its key"));
                    }
                    let indent = if slot == Slot::Header {
                        0
                    } else {
                        self.cur.col()
                    };
                    return self.open(Kind::Seq(indent), props);
                }
                Some(b'?') if self.cur.spaced(1) => {
                    return Err(self
                        .cur
                        .error("complex mapping keys ('? ') are not supported"))
                }
                Some(_) => {
                    let save = self.cur;
                    self.cur.plain_line(false);
                    if self.cur.peek() == Some(b':') {
                        return self.compact_map(start, slot, outer);
                    }
                    self.cur = save;
                    let text = self.cur.plain_block(parent);
                    self.cur.finish_line()?;
                    return done(self, Content::Scalar(text, true));
                }
            }
        }
    }

    /// A mapping whose first key is on the current line (`- a: 1`, a document `a: 1`).
    fn compact_map(
        &mut self,
        start: Cursor<'a>,
        slot: Slot,
        props: Props<'a>,
    ) -> Result<Step, Error> {
        if slot == Slot::MapValue {
            return Err(self.cur.error("a mapping cannot start on the line of its key (mapping values are not allowed here)"));
        }
        self.cur = start;
        let indent = if slot == Slot::Header {
            0
        } else {
            self.cur.col()
        };
        self.open(Kind::Map(indent), props)
    }

    /// Moves to the next line of content: whether it continues the collection at
    /// `indent` (a deeper line is an error, a shallower one or a document marker ends it).
    fn next_entry(&mut self, indent: usize, what: &str) -> Result<bool, Error> {
        self.cur.skip_blank_lines();
        if self.cur.peek().is_none() || self.cur.at_any_marker() || self.cur.col() < indent {
            return Ok(false);
        }
        if self.cur.col() > indent {
            return Err(self.cur.error(format!(
                "bad indentation: expected {what} at column {indent}"
            )));
        }
        Ok(true)
    }

    /// A node inside `[...]` or `{...}`.
    fn flow_node(&mut self) -> Result<Step, Error> {
        self.flow_space();
        let props = self.properties(true)?;
        let at = self.cur.pos;
        let content = match self.cur.peek() {
            Some(b'[') => return self.open(Kind::FlowSeq(false), props),
            Some(b'{') => return self.open(Kind::FlowMap(false), props),
            Some(b'*') if props.tag.is_none() => return Ok(Step::Done(self.alias(true)?)),
            Some(b'"' | b'\'') => Content::Scalar(self.quoted()?, false),
            Some(b',' | b']' | b'}') if props.tag.is_some() || props.anchor.is_some() => {
                Content::Empty
            }
            None => return Err(self.cur.error("a flow collection is not closed")),
            Some(_) => {
                let text = self.cur.plain_line(true);
                if text.is_empty() {
                    return Err(self.cur.error("expected a value"));
                }
                Content::Scalar(text.to_vec(), true)
            }
        };
        Ok(Step::Done(self.finish(props, content, at)?))
    }

    /// A mapping key, with its properties, up to (not including) the `:`.
    fn key(&mut self, flow: bool) -> Result<Node, Error> {
        let props = self.properties(flow)?;
        let at = self.cur.pos;
        let content = match self.cur.peek() {
            Some(b'"' | b'\'') => Content::Scalar(self.quoted()?, false),
            Some(c @ (b'*' | b'[' | b'{')) => {
                return Err(self
                    .cur
                    .error(format!("a mapping key cannot start with {}", shown(c))))
            }
            Some(b'?') if self.cur.spaced(1) => {
                return Err(self
                    .cur
                    .error("complex mapping keys ('? ') are not supported"))
            }
            Some(b'-') if self.cur.spaced(1) => {
                return Err(self
                    .cur
                    .error("a sequence entry where a mapping key was expected"))
            }
            _ => {
                let text = self.cur.plain_line(flow);
                if text.is_empty() {
                    return Err(self.cur.error("expected a mapping key"));
                }
                Content::Scalar(text.to_vec(), true)
            }
        };
        self.cur.skip_blanks();
        self.finish(props, content, at)
    }

    fn quoted(&mut self) -> Result<Vec<u8>, Error> {
        if self.cur.peek() == Some(b'"') {
            self.cur.double_quoted()
        } else {
            self.cur.single_quoted()
        }
    }

    /// `*name`, the cursor on the `*`. An anchor before it (`&1 *2`, which Syck
    /// writes for a shared reference to a shared thing) is declared but binds
    /// nothing, as in Syck.
    fn alias(&mut self, flow: bool) -> Result<Node, Error> {
        let at = self.cur.pos;
        self.cur.pos += 1;
        let name = self.token(flow);
        if name.is_empty() {
            return Err(syntax(at, "an alias needs a name"));
        }
        self.anchors.alias(name, at)
    }

    /// Anchors (`&name`, the last one wins, as in Syck) and tags (`!tag`, the first one
    /// wins), each followed by blanks.
    fn properties(&mut self, flow: bool) -> Result<Props<'a>, Error> {
        let mut props = Props::default();
        loop {
            match self.cur.peek() {
                Some(b'&') => {
                    self.cur.pos += 1;
                    let name = self.token(flow);
                    if name.is_empty() {
                        return Err(self.cur.error("an anchor needs a name"));
                    }
                    self.anchors.declare(name);
                    props.anchor = Some(name);
                }
                Some(b'!') => {
                    let tag = self.token(flow);
                    props.tag = props.tag.or(Some(tag));
                }
                _ => return Ok(props),
            }
            if flow {
                self.flow_space();
            } else {
                self.cur.skip_blanks();
            }
        }
    }

    /// An anchor name or tag: up to a blank or line end, in flow context also `,[]{}`.
    fn token(&mut self, flow: bool) -> &'a [u8] {
        let start = self.cur.pos;
        while let Some(c) = self.cur.peek() {
            if is_blank(c) || c == b'\n' || (flow && matches!(c, b',' | b'[' | b']' | b'{' | b'}'))
            {
                break;
            }
            self.cur.pos += 1;
        }
        &self.cur.src[start..self.cur.pos]
    }

    /// Builds the node from its content and tag, and binds its anchor.
    fn finish(&mut self, props: Props<'a>, content: Content, at: usize) -> Result<Node, Error> {
        // Syck's handler skips every leading `!`: `!!perl/hash:Foo` is `perl/hash:Foo`.
        let tag = props
            .tag
            .map(|t| &t[t.iter().take_while(|&&b| b == b'!').count()..]);
        let node = build(&mut self.anchors, tag, content, at)?;
        Ok(match props.anchor {
            Some(name) => self.anchors.define(name, node),
            None => node,
        })
    }

    /// Blanks, line breaks and comments between flow tokens.
    fn flow_space(&mut self) {
        loop {
            self.cur.skip_blanks();
            match self.cur.peek() {
                Some(b'\n') => self.cur.bump(),
                Some(b'#') => {
                    while self.cur.peek().is_some_and(|b| b != b'\n') {
                        self.cur.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }
}

//! A position in the document, and the scalar tokens read at it: plain, quoted and
//! block scalars, as Syck's scanner (token.re) reads them.
//!
//! Everything works on bytes: Syck writes raw Latin-1 and UTF-8 alike and reads them
//! back as they are, so the reader never decodes text.

use std::borrow::Cow;

use super::syntax;
use crate::Error;

/// Where the reader is: the byte offset and the offset of the current line's start.
#[derive(Clone, Copy)]
pub(super) struct Cursor<'a> {
    pub src: &'a [u8],
    pub pos: usize,
    pub line_start: usize,
}

/// The input as the reader sees it, and where CRs were taken out. Syck's scanner
/// takes "\r\n" for a line break (a lone "\r" is text), except that a plain scalar
/// keeps the CR of ",\r\n": every other CR of a CRLF goes.
pub(super) fn without_crlf_crs(src: &[u8]) -> (Cow<'_, [u8]>, Vec<usize>) {
    let crs: Vec<usize> = (0..src.len().saturating_sub(1))
        .filter(|&i| src[i] == b'\r' && src[i + 1] == b'\n' && (i == 0 || src[i - 1] != b','))
        .collect();
    if crs.is_empty() {
        return (Cow::Borrowed(src), crs);
    }
    let kept = src
        .iter()
        .enumerate()
        .filter(|(i, _)| crs.binary_search(i).is_err());
    (Cow::Owned(kept.map(|(_, &b)| b).collect()), crs)
}

/// The input offset of an offset in [`without_crlf_crs`]'s text: the CRs taken out
/// before it count again.
pub(super) fn input_offset(crs: &[usize], offset: usize) -> usize {
    crs.iter()
        .fold(offset, |at, &cr| if cr <= at { at + 1 } else { at })
}

/// A blank: what separates tokens on a line (space or tab).
pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Cursor {
            src,
            pos: 0,
            line_start: 0,
        }
    }

    pub fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    pub fn at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Moves one byte on, noting a new line.
    pub fn bump(&mut self) {
        if let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'\n' {
                self.line_start = self.pos;
            }
        }
    }

    pub fn col(&self) -> usize {
        self.pos - self.line_start
    }

    pub fn error(&self, message: impl Into<String>) -> Error {
        syntax(self.pos, message)
    }

    /// Whether the byte `ahead` is a line end, the end of input or a space (what must
    /// follow `-`, `?`, `:` and the document markers; Syck does not count a tab).
    pub fn spaced(&self, ahead: usize) -> bool {
        matches!(self.at(ahead), None | Some(b' ' | b'\n'))
    }

    pub fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    /// Skips blanks and a comment, then the line break; anything else there is an error.
    pub fn finish_line(&mut self) -> Result<(), Error> {
        self.skip_blanks();
        if self.peek() == Some(b'#') {
            while self.peek().is_some_and(|b| b != b'\n') {
                self.pos += 1;
            }
        }
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.bump();
                Ok(())
            }
            Some(c) => Err(self.error(format!("unexpected {} after the value", shown(c)))),
        }
    }

    /// Skips empty lines and comment lines, stopping at the first byte of content
    /// (or the end). Idempotent on a byte of content.
    pub fn skip_blank_lines(&mut self) {
        loop {
            self.skip_blanks();
            match self.peek() {
                Some(b'\n') => self.bump(),
                Some(b'#') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    /// Whether a document marker (`---` or `...`) starts here, at the start of a line.
    pub fn at_marker(&self, marker: &[u8; 3]) -> bool {
        self.col() == 0 && self.src[self.pos..].starts_with(marker) && self.spaced(3)
    }

    pub fn at_any_marker(&self) -> bool {
        self.at_marker(b"---") || self.at_marker(b"...")
    }

    /// A line break inside a quoted scalar and the indentation after it: one break
    /// folds to a space, `n` breaks to `n - 1` newlines (`keep` false after `\`+break:
    /// nothing). Leaves the cursor on the next content byte.
    fn fold_breaks(&mut self, out: &mut Vec<u8>, keep: bool) {
        let mut breaks = 0;
        loop {
            match (self.peek(), self.at(1)) {
                (Some(b'\n'), _) => {
                    breaks += 1;
                    self.bump();
                }
                (Some(b' '), _) => self.pos += 1,
                _ => break,
            }
        }
        if keep {
            if breaks <= 1 {
                out.push(b' ');
            } else {
                out.resize(out.len() + breaks - 1, b'\n');
            }
        }
    }

    /// A single-quoted scalar, the cursor on its opening quote: `''` is a quote, line
    /// breaks fold.
    pub fn single_quoted(&mut self) -> Result<Vec<u8>, Error> {
        let start = self.pos;
        self.bump();
        let mut out = Vec::new();
        loop {
            match (self.peek(), self.at(1)) {
                (None, _) => return Err(syntax(start, "a single-quoted scalar is not closed")),
                (Some(b'\''), Some(b'\'')) => {
                    out.push(b'\'');
                    self.pos += 2;
                }
                (Some(b'\''), _) => {
                    self.pos += 1;
                    return Ok(out);
                }
                (Some(b'\n'), _) => self.fold_breaks(&mut out, true),
                (Some(c), _) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// A double-quoted scalar, the cursor on its opening quote. Syck's escapes are
    /// `\0 \a \b \e \f \n \r \t \v \" \\` and `\xHH`; a backslash before anything else
    /// (`\u`, `\/`, `\N`) is kept as it is; a backslash before a line break joins the
    /// lines.
    pub fn double_quoted(&mut self) -> Result<Vec<u8>, Error> {
        let start = self.pos;
        self.bump();
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(syntax(start, "a double-quoted scalar is not closed"));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => self.escape(&mut out),
                b'\n' => self.fold_breaks(&mut out, true),
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// One escape, the cursor on its backslash.
    fn escape(&mut self, out: &mut Vec<u8>) {
        let hex = |b: Option<u8>| b.and_then(|b| (b as char).to_digit(16));
        let named = match self.at(1) {
            Some(b'0') => Some(0),
            Some(b'a') => Some(0x07),
            Some(b'b') => Some(0x08),
            Some(b'e') => Some(0x1B),
            Some(b'f') => Some(0x0C),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            Some(b'v') => Some(0x0B),
            Some(c @ (b'"' | b'\\')) => Some(c),
            _ => None,
        };
        if let Some(byte) = named {
            out.push(byte);
            self.pos += 2;
            return;
        }
        if self.at(1) == Some(b'x') {
            if let (Some(hi), Some(lo)) = (hex(self.at(2)), hex(self.at(3))) {
                out.push((hi * 16 + lo) as u8);
                self.pos += 4;
                return;
            }
        }
        // `\` then spaces then a line break: the lines are joined.
        let mut ahead = 1;
        while self.at(ahead) == Some(b' ') {
            ahead += 1;
        }
        if self.at(ahead) == Some(b'\n') {
            self.pos += ahead;
            self.fold_breaks(out, false);
        } else {
            out.push(b'\\');
            self.pos += 1;
        }
    }

    /// The rest of a plain scalar's line: up to a line break, `: `, a `:` ending the
    /// line, ` #`, or in flow context one of `,[]{}`; trailing blanks dropped.
    pub fn plain_line(&mut self, flow: bool) -> &'a [u8] {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let stop = match c {
                b'\n' => true,
                b':' => {
                    self.spaced(1)
                        || (flow && matches!(self.at(1), Some(b',' | b'[' | b']' | b'{' | b'}')))
                }
                // Only a space starts a comment here: `a\t#b` is all text.
                b'#' => self.pos > start && self.src[self.pos - 1] == b' ',
                b',' | b'[' | b']' | b'{' | b'}' => flow,
                _ => false,
            };
            if stop {
                break;
            }
            self.pos += 1;
        }
        let mut end = self.pos;
        while end > start && is_blank(self.src[end - 1]) {
            end -= 1;
        }
        &self.src[start..end]
    }

    /// A plain scalar in block context: its first line, then continuation lines
    /// indented more than `parent`, folded (a line break is a space, each blank line a
    /// newline). Stops before a `: ` or comment, which the caller then sees.
    pub fn plain_block(&mut self, parent: isize) -> Vec<u8> {
        let mut out = self.plain_line(false).to_vec();
        while self.peek() == Some(b'\n') {
            let save = *self;
            let mut breaks = 0;
            while self.peek() == Some(b'\n') {
                breaks += 1;
                self.bump();
                self.skip_blanks();
            }
            // A deeper line goes on the scalar even if it starts with `#`, as in Syck.
            let more_indented = (self.col() as isize) > parent;
            if self.peek().is_none() || !more_indented || self.at_any_marker() {
                *self = save;
                break;
            }
            if breaks == 1 {
                out.push(b' ');
            } else {
                out.resize(out.len() + breaks - 1, b'\n');
            }
            out.extend_from_slice(self.plain_line(false));
        }
        out
    }
}

/// How a block scalar's final line breaks are kept (`|`, `|-`, `|+`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

impl Cursor<'_> {
    /// A literal (`|`) or folded (`>`) block scalar, the cursor on the indicator; its
    /// lines are those indented more than `parent`. Leaves the cursor at a line start.
    pub fn block_scalar(&mut self, parent: isize) -> Result<Vec<u8>, Error> {
        let folded = self.peek() == Some(b'>');
        self.pos += 1;
        let mut chomp = Chomp::Clip;
        let mut explicit = None;
        loop {
            match self.peek() {
                Some(b'+') => chomp = Chomp::Keep,
                Some(b'-') => chomp = Chomp::Strip,
                Some(d @ b'1'..=b'9') => explicit = Some((d - b'0') as isize),
                _ => break,
            }
            self.pos += 1;
        }
        self.finish_line()?;
        let indent = match explicit {
            Some(k) => (parent + k).max(0) as usize,
            None => self.content_indent(parent),
        };
        let mut lines: Vec<&[u8]> = Vec::new();
        while self.peek().is_some() {
            let line_end = self.src[self.pos..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.src.len(), |n| self.pos + n);
            let line = &self.src[self.pos..line_end];
            let spaces = line.iter().take_while(|&&b| b == b' ').count();
            let empty = spaces == line.len();
            if !empty && (spaces < indent || (indent == 0 && self.at_any_marker())) {
                break;
            }
            lines.push(line.get(indent..).unwrap_or(b""));
            self.pos = line_end;
            self.bump();
        }
        let trailing = lines.iter().rev().take_while(|l| l.is_empty()).count();
        let body = &lines[..lines.len() - trailing];
        let mut out = if folded {
            fold_lines(body)
        } else {
            body.join(&b'\n')
        };
        let breaks = match (chomp, body.is_empty()) {
            (Chomp::Strip, _) | (Chomp::Clip, true) => 0,
            (Chomp::Clip, false) => 1,
            (Chomp::Keep, _) => usize::from(!body.is_empty()) + trailing,
        };
        out.resize(out.len() + breaks, b'\n');
        Ok(out)
    }

    /// The indentation of a block scalar's first non-empty line, if it is deeper than
    /// `parent` (otherwise the scalar has no lines).
    fn content_indent(&self, parent: isize) -> usize {
        let mut at = self.pos;
        loop {
            let spaces = self.src[at..].iter().take_while(|&&b| b == b' ').count();
            match self.src.get(at + spaces) {
                Some(b'\n') => at += spaces + 1,
                None => return usize::MAX,
                Some(_) if (spaces as isize) > parent => return spaces,
                Some(_) => return usize::MAX,
            }
        }
    }
}

/// Folded-style line joining: a break between two lines of text is a space; blank
/// lines are newlines; breaks next to more-indented lines are kept.
fn fold_lines(body: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous: Option<&[u8]> = None;
    let mut blanks = 0;
    for &line in body {
        if line.is_empty() {
            blanks += 1;
            continue;
        }
        let indented = |l: &[u8]| l.first().is_some_and(|&b| is_blank(b));
        match previous {
            None => out.resize(blanks, b'\n'),
            Some(prev) if indented(prev) || indented(line) => {
                out.resize(out.len() + blanks + 1, b'\n')
            }
            Some(_) if blanks == 0 => out.push(b' '),
            Some(_) => out.resize(out.len() + blanks, b'\n'),
        }
        out.extend_from_slice(line);
        previous = Some(line);
        blanks = 0;
    }
    out
}

/// A byte as an error message shows it.
pub(super) fn shown(c: u8) -> String {
    format!("'{}'", c.escape_ascii())
}

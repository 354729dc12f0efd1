//! The bytes of a record under a read position: FreezeThaw's counts, lengths and
//! single bytes, each checked against the input, and errors that quote the input.

use std::ops::Range;

use super::syntax;
use crate::Error;

/// A record and how far it has been read.
pub(super) struct Cursor<'a> {
    pub(super) src: &'a [u8],
    pub(super) pos: usize,
}

impl Cursor<'_> {
    /// `LEN|BYTES` after `$` or `/`: the bytes' range, checked against the input.
    pub(super) fn counted(&mut self, what: &str) -> Result<Range<usize>, Error> {
        let at = self.pos;
        let len = self.number(&format!("the length of {what}"))?;
        match usize::try_from(len).ok().filter(|&n| n <= self.left()) {
            Some(len) => {
                self.pos += len;
                Ok(self.pos - len..self.pos)
            }
            None => Err(syntax(
                at,
                format!(
                    "{what} of {len} bytes, but only {} bytes are left",
                    self.left()
                ),
            )),
        }
    }

    /// A decimal number ended by `|`: at most 20 digits, as FreezeThaw reads them.
    pub(super) fn number(&mut self, what: &str) -> Result<u64, Error> {
        let at = self.pos;
        let digits = self.src[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let value = std::str::from_utf8(&self.src[at..at + digits])
            .ok()
            .filter(|_| (1..=20).contains(&digits))
            .and_then(|text| text.parse::<u64>().ok());
        match (value, self.src.get(at + digits)) {
            (Some(value), Some(b'|')) => {
                self.pos = at + digits + 1;
                Ok(value)
            }
            _ => Err(syntax(
                at,
                format!(
                    "expected {what}: decimal digits and `|`, found {}",
                    self.found(at)
                ),
            )),
        }
    }

    pub(super) fn expect(&mut self, byte: u8, what: &str) -> Result<(), Error> {
        let at = self.pos;
        if self.byte(what)? != byte {
            return Err(syntax(
                at,
                format!("expected {what}, found {}", self.found(at)),
            ));
        }
        Ok(())
    }

    pub(super) fn byte(&mut self, what: &str) -> Result<u8, Error> {
        let Some(&b) = self.src.get(self.pos) else {
            return Err(syntax(
                self.pos,
                format!("expected {what}, found the end of the record"),
            ));
        };
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    pub(super) fn left(&self) -> usize {
        self.src.len() - self.pos
    }

    /// The input at `at`, shortened, for an error message.
    pub(super) fn found(&self, at: usize) -> String {
        let rest = &self.src[at.min(self.src.len())..];
        if rest.is_empty() {
            return "the end of the record".to_string();
        }
        let shown = &rest[..rest.len().min(24)];
        let more = if rest.len() > shown.len() { "..." } else { "" };
        format!("`{}{more}`", shown.escape_ascii())
    }
}

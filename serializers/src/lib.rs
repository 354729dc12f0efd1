//! Perl data and the serializers that CGI::Session 4.48 stores it with.
//!
//! This crate owns the [`Value`] model — Perl data as Perl sees it — and every
//! codec that turns a session's data hash into the bytes a store holds and back.
//! It knows nothing of drivers or sessions: a serializer sees a [`Value`] and bytes.
//!
//! # The contract
//! A [`Serializer`] is two functions, as in Perl (`freeze` and `thaw`):
//! * [`Serializer::freeze`] writes exactly what Perl 4.48's serializer of the same
//!   name writes for the same data (apart from hash order, which Perl randomises),
//!   so Perl reads it back as the same data;
//! * [`Serializer::thaw`] reads everything Perl's serializer writes and **never
//!   executes anything**: stored data is parsed, not evaluated. Malformed,
//!   truncated, hostile or too deeply nested input gives an [`Error`] naming the
//!   byte offset and what was expected — never a panic, a hang or an unbounded
//!   allocation.
//!
//! # What is here
//! * [`value`]: [`Value`], [`Hash`](type@Hash), [`Object`]; [`string`]: [`PerlString`];
//!   [`number`]: Perl's number printing and numification.
//! * [`dumper`]: serializer `default` (Data::Dumper text, spec §7.1).
//! * [`json`]: serializer `json`, a Rust extension with a Perl module beside it.
//! * [`sniff`](mod@sniff): which serializer wrote a record, from its first bytes (spec §7);
//!   [`auto`]: serializer `auto`, which reads every format it recognises.
//! * [`freezethaw`]: serializer `freezethaw` (FreezeThaw 0.5001 text, spec §7.3).
//! * [`storable`]: serializer `storable` (Perl's Storable binary images, spec §7.2).
//! * [`yaml`]: serializer `yaml` (YAML as YAML::Syck 1.34 writes it, spec §7.4).
//! * [`marshal`]: Ruby's Marshal 4.8, and serializers `ruby_filestore` and `ruby_pstore`,
//!   the records of Ruby's CGI::Session stores.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auto;
pub mod dumper;
pub mod freezethaw;
pub mod json;
pub mod marshal;
pub mod number;
pub mod sniff;
pub mod storable;
pub mod string;
#[cfg(test)]
pub(crate) mod testing;
pub mod value;
pub mod yaml;

pub use auto::Auto;
pub use dumper::Dumper;
pub use freezethaw::FreezeThaw;
pub use json::Json;
pub use marshal::{RubyFileStore, RubyPStore};
pub use sniff::{sniff, Format};
pub use storable::Storable;
pub use string::PerlString;
pub use value::{Hash, Object, Regexp, Value, MAX_DEPTH};
pub use yaml::Yaml;

/// Why data could not be frozen or thawed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input is not valid for the format: where it went wrong and what was expected.
    #[error("{format}: at byte {offset}: {message}")]
    Syntax {
        /// The serializer's name, e.g. `default`.
        format: &'static str,
        /// Byte offset into the input where the problem was found.
        offset: usize,
        /// What was found, and what was expected there.
        message: String,
    },
    /// The data is well-formed but holds something this implementation refuses to build
    /// (a cycle, executable code, a type the format cannot carry, nesting beyond [`MAX_DEPTH`]).
    #[error("{format}: {message}")]
    Unsupported {
        /// The serializer's name.
        format: &'static str,
        /// What was refused, and why.
        message: String,
    },
}

impl Error {
    /// [`Error::Syntax`]: the input of `format` goes wrong at byte `offset`.
    pub(crate) fn syntax(format: &'static str, offset: usize, message: impl Into<String>) -> Error {
        Error::Syntax {
            format,
            offset,
            message: message.into(),
        }
    }

    /// [`Error::Unsupported`]: well-formed data `format` refuses to build or write.
    pub(crate) fn unsupported(format: &'static str, message: impl Into<String>) -> Error {
        Error::Unsupported {
            format,
            message: message.into(),
        }
    }
}

/// Turns a session's data into stored bytes and back (Perl's `freeze`/`thaw`).
///
/// Implementations are stateless or internally immutable, so one instance serves
/// every session and thread.
pub trait Serializer: Send + Sync {
    /// The name used in a DSN (`serializer:NAME`), lower case.
    fn name(&self) -> &'static str;

    /// Writes `data` (the session's hash reference) as Perl's serializer would.
    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error>;

    /// Reads bytes written by this serializer (by Perl or by us) back into a value.
    /// Never executes anything from the input.
    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error>;

    /// The record's top-level entries named in `keys` — what a purge reads to judge a
    /// session by its `_SESSION_*` times. A serializer may answer faster than
    /// [`thaw`](Serializer::thaw) by skipping the other values (Data::Dumper does), and
    /// may also return more entries than asked: the default is `thaw` itself. It fails
    /// where `thaw` would, except that a skipping reader checks skipped values for
    /// their structure only.
    fn thaw_fields(&self, bytes: &[u8], keys: &[&str]) -> Result<Value, Error> {
        let _ = keys;
        self.thaw(bytes)
    }

    /// Whether this serializer reads records written by a program that keeps no
    /// `_SESSION_*` keys (Ruby's CGI::Session): a record of it without `_SESSION_ID` is
    /// then the session stored under the id it was read by, not a corrupt record.
    /// Perl's formats always carry the id, so the default is `false`.
    fn id_from_store(&self) -> bool {
        false
    }
}

/// A shared serializer is a serializer, so one looked up at run time (an
/// `Arc<dyn Serializer>` from a registry) can go wherever a concrete one can.
impl<S: Serializer + ?Sized> Serializer for std::sync::Arc<S> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn freeze(&self, data: &Value) -> Result<Vec<u8>, Error> {
        (**self).freeze(data)
    }

    fn thaw(&self, bytes: &[u8]) -> Result<Value, Error> {
        (**self).thaw(bytes)
    }

    fn thaw_fields(&self, bytes: &[u8], keys: &[&str]) -> Result<Value, Error> {
        (**self).thaw_fields(bytes, keys)
    }

    fn id_from_store(&self) -> bool {
        (**self).id_from_store()
    }
}

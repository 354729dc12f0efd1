//! Session id generators, as CGI::Session 4.48 selects them with `id:NAME` (spec §6).
//!
//! # The contract
//! [`IdGenerator::generate`] returns a new id for a session being created, given the
//! driver arguments (the same map the driver sees; `incr` reads `IDFile`, `IDInit` and
//! `IDIncr` from it) and the id the client claimed, if any (`static` adopts it).
//! A generator never returns an empty id.
//!
//! * [`md5`]: 32 lowercase hex digits, Perl's shape, from the OS CSPRNG.
//! * [`incr`]: a counter in a file shared with Perl (same format and lock).
//! * [`static`](crate::fixed): the claimed id itself.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::BTreeMap;

pub mod fixed;
pub mod incr;
pub mod md5;
mod perl_num;

pub use fixed::Static;
pub use incr::Incr;
pub use md5::Md5;

/// Driver arguments by Perl's option names; the same map the driver is given.
pub type Args = BTreeMap<String, String>;

/// Why no id could be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A required argument is missing or malformed (e.g. `incr` without `IDFile`).
    #[error("id:{generator}: {message}")]
    BadArg {
        /// The generator's name.
        generator: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An I/O error on the id file.
    #[error("id:{generator}: {what} '{path}': {source}")]
    Io {
        /// The generator's name.
        generator: &'static str,
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The OS random number generator failed.
    #[error("id:{generator}: the OS random number generator failed: {message}")]
    Random {
        /// The generator's name.
        generator: &'static str,
        /// The error.
        message: String,
    },
}

/// Makes new session ids.
pub trait IdGenerator: Send + Sync {
    /// The name used in a DSN (`id:NAME`).
    fn name(&self) -> &'static str;

    /// A new id for a session being created. `claimed_id` is the id the client asked
    /// for (which only `static` uses).
    fn generate(&self, args: &Args, claimed_id: Option<&str>) -> Result<String, Error>;

    /// Whether Perl holds this generator's ids as numbers (`incr` does, so Data::Dumper
    /// writes `'_SESSION_ID' => 1002` unquoted). Sessions store such ids as integers.
    fn numeric_ids(&self) -> bool {
        false
    }
}

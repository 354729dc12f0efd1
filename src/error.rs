//! The facade's error type: every failure names what failed and where.

use cgi_session_drivers as drivers;
use cgi_session_idgen as idgen;
use cgi_session_serializers as serializers;

/// Everything that can go wrong in a session operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The DSN string is malformed or names components that do not exist.
    #[error("DSN {dsn:?}: {message}")]
    Dsn {
        /// The DSN as given.
        dsn: String,
        /// What is wrong with it.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Driver(#[from] drivers::Error),
    /// A record could not be written.
    #[error("flush(): couldn't freeze data of session {id:?}: {source}")]
    Freeze {
        /// The session id.
        id: String,
        /// The serializer's error.
        #[source]
        source: serializers::Error,
    },
    /// A stored record could not be read.
    #[error("load(): couldn't thaw() data of session {id:?}: {source}")]
    Thaw {
        /// The session id.
        id: String,
        /// The serializer's error.
        #[source]
        source: serializers::Error,
    },
    /// A stored record thawed, but is not a session (spec §2.3 step 8).
    #[error("load(): invalid data structure in session {id:?}: {message}")]
    InvalidData {
        /// The session id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// A migration's target holds a record of a session that its serializer cannot
    /// read, so whether it is newer than the source's cannot be told; it is kept.
    #[error(
        "the target's record of session {id:?} cannot be read, so it is kept \
         (overwriting replaces it): {source}"
    )]
    UnreadableTarget {
        /// The session id.
        id: String,
        /// Why the target's record cannot be read.
        #[source]
        source: Box<Error>,
    },
    /// No id could be generated.
    #[error("new(): couldn't generate a session id: {0}")]
    IdGen(#[from] idgen::Error),
    /// An attempt to write a reserved `_SESSION_*` parameter.
    #[error("param(): attempt to write to private parameter {0:?}")]
    PrivateParam(String),
    /// An expiry interval that `str2seconds` cannot read.
    #[error(
        "_str2seconds(): couldn't parse {0:?} into $koef and $d parts. Possible invalid syntax"
    )]
    BadInterval(String),
    /// An API used in a way that cannot work.
    #[error("{0}")]
    Usage(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

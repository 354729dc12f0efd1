//! A drop-in Rust peer of Perl's CGI::Session 4.48.
//!
//! Same DSN strings and driver arguments, same semantics (status flags, idle
//! expiry per session and per parameter, read-only `find`), and the same bytes in
//! the same stores — so a Perl process and a Rust process can share one session
//! store, both ways, at the same time, while an application moves to Rust page by page.
//!
//! ```
//! # let dir = tempfile_dir();
//! # fn tempfile_dir() -> String { std::env::temp_dir().join("cgi-session-doc-lib").display().to_string() }
//! use cgi_session::{Args, Config, Value};
//!
//! // Perl: CGI::Session->new("driver:file;serializer:default", $sid, {Directory => $dir})
//! let config = Config::new(Some("driver:file;serializer:default"), Args::from([
//!     ("Directory".to_string(), dir.clone()),
//! ])).unwrap();
//! let mut session = config.new_session(None).unwrap();
//! session.set_param("cart", Value::array([1, 2])).unwrap();
//! session.expire("+1h").unwrap();
//! session.flush().unwrap();
//!
//! let id = session.id().unwrap();
//! let again = config.load(Some(&id)).unwrap();
//! assert_eq!(again.param("cart").unwrap()[1], Value::Int(2));
//! ```
//!
//! # Layout
//! * [`Dsn`] parses DSN strings as Perl does; [`Config`] resolves one into a driver,
//!   a serializer and an id generator (crates `cgi-session-drivers`,
//!   `cgi-session-serializers`, `cgi-session-idgen`).
//! * [`Session`] holds the semantics; [`Config::find`] walks a store, and
//!   [`Config::purge`] is its cron job (module [`purge`]); [`Config::migrate_to`]
//!   copies every session to another store (module [`migrate`]).
//! * [`cgi`] reads the claimed id from a request and prints cookies and headers as CGI.pm.
//! * `web::axum` (feature `axum`) loads, flushes and sets the cookie of a session
//!   around an axum handler.
//! * `init` (with a SQL driver feature) creates the table a SQL store keeps sessions in.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cgi;
mod config;
mod dsn;
mod error;
mod expiry;
mod find;
#[cfg(any(feature = "sqlite", feature = "postgresql", feature = "mysql"))]
pub mod init;
mod lifetime;
pub mod migrate;
pub mod purge;
pub mod registry;
mod session;
#[cfg(feature = "axum")]
pub mod web;

pub use cgi_session_drivers::{self as drivers, Args, Driver};
pub use cgi_session_idgen::{self as idgen, IdGenerator};
/// The JSON mapping of Perl values (serializer `json`), also used by `cgisess`.
pub use cgi_session_serializers::json;
pub use cgi_session_serializers::{self as serializers, Hash, PerlString, Serializer, Value};

pub use config::{Clock, Config, ConfigBuilder, LoadOptions, DEFAULT_NAME};
pub use dsn::{Dsn, DEFAULT_DRIVER, DEFAULT_ID, DEFAULT_SERIALIZER};
pub use error::{Error, Result};
pub use expiry::str2seconds;
pub use find::{FindError, FindSummary};
pub use lifetime::{Expiry, Lifetime};
pub use migrate::{MigrateEvent, MigrateOptions, MigrateSummary};
pub use purge::{PurgeEvent, PurgeOptions, PurgeSummary};
pub use session::{keys, Session, Status};

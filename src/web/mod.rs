//! Integrations with Rust web frameworks, each behind a cargo feature of its own.
//!
//! * [`axum`] (feature `axum`): a tower layer that loads the request's session,
//!   flushes it after the handler and sets the cookie as CGI.pm would.

pub mod axum;

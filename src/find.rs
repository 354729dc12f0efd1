//! `find()`: visit every stored session, as Perl's housekeeping does (spec §4).
//!
//! Each stored id is loaded **read-only** — no ATIME refresh, no IP check — but the
//! load still applies expiry: an expired session is removed from the store and
//! reaches the callback empty and expired, and expired parameters are cleared.
//! After the callback, the session is flushed, so what the callback changed (or
//! what expiry cleared) is written with the old ATIME, as Perl's `DESTROY` writes it.
//!
//! Unlike Perl, one bad record does not abort the walk: its error is reported in
//! the [`FindSummary`] and the walk goes on.

use std::ops::ControlFlow;

use crate::config::{Config, LoadOptions};
use crate::error::{Error, Result};
use crate::session::Session;

/// A session that could not be loaded or flushed during [`Config::find`].
#[derive(Debug)]
pub struct FindError {
    /// The stored id.
    pub id: String,
    /// What went wrong.
    pub error: Error,
}

/// What a [`Config::find`] walk did.
#[derive(Debug, Default)]
pub struct FindSummary {
    /// Ids the driver listed.
    pub visited: u64,
    /// Sessions removed because they had expired.
    pub expired: u64,
    /// Records that failed to load or flush, in the order met.
    pub errors: Vec<FindError>,
}

impl Config {
    /// Calls `visit` with every stored session, loaded read-only, including the empty
    /// ones that expired during the load (check [`Session::is_empty`] first, as Perl's
    /// documentation advises). Return [`ControlFlow::Break`] to stop.
    pub fn find<F>(&self, mut visit: F) -> Result<FindSummary>
    where
        F: FnMut(&mut Session) -> ControlFlow<()>,
    {
        let mut summary = FindSummary::default();
        self.driver().traverse(&mut |id| {
            summary.visited += 1;
            let loaded = self.load_with(&LoadOptions {
                read_only: true,
                ..LoadOptions::claim(id)
            });
            let mut session = match loaded {
                Ok(s) => s,
                Err(error) => {
                    summary.errors.push(FindError {
                        id: id.to_string(),
                        error,
                    });
                    return ControlFlow::Continue(());
                }
            };
            if session.is_expired() {
                summary.expired += 1;
            }
            let flow = visit(&mut session);
            if let Err(error) = session.flush() {
                summary.errors.push(FindError {
                    id: id.to_string(),
                    error,
                });
            }
            flow
        })?;
        Ok(summary)
    }
}

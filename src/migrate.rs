//! Migrate: copy every session record from one store to another, any driver and
//! serializer to any other, in one streaming pass.
//!
//! [`Config::migrate_to`] copies *records*, not sessions: nothing is loaded the way
//! Perl's `load` would, so no `_SESSION_ATIME` is refreshed and no expiry is applied.
//! Every key comes across as it was, `_SESSION_ATIME`, `_SESSION_CTIME`,
//! `_SESSION_ETIME` and `_SESSION_EXPIRE_LIST` included, and each record keeps the
//! id it was stored under. A record is rewritten with the target's serializer, or
//! copied byte for byte when both stores use the same one.
//!
//! A migration is safe to run again, e.g. from cron while an application moves
//! over: by default a session the target already holds with an `_SESSION_ATIME`
//! at least as recent as the source's is kept ([`MigrateSummary::skipped_newer`]),
//! so a re-run copies only what changed in the source and never clobbers a session
//! users touched in the new store since. [`MigrateOptions::overwrite`] copies anyway.
//! (A session touched in both stores between the check and the write is a race the
//! last writer wins, as with any two writers of one session.)
//!
//! The source must be able to list its ids ([`Driver::traverse`](crate::Driver));
//! the target never needs to, so memcached can receive a migration but not send one.
//! Memory stays flat: ids are visited one at a time as the source lists them. One bad
//! record (unreadable, not a session, refused by the target) is reported through the
//! observer and skipped; the run goes on.

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use cgi_session_serializers::marshal::DIGEST_ID_PREFIX;
use cgi_session_serializers::{Hash, Value};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::session::{
    expires_in, fate, keys, stored_id, stored_seconds, thaw_record, Fate, EXPIRY_KEYS,
};

/// How a migration runs. The default copies every session, expired ones included,
/// and keeps the target's copy of a session when it is at least as recent.
#[derive(Debug, Clone, Copy, Default)]
pub struct MigrateOptions {
    /// Decide and count, but write nothing to the target.
    pub dry_run: bool,
    /// Leave out sessions that are already expired by Perl's rule
    /// (`_SESSION_ATIME + _SESSION_ETIME <= now`); a Perl load would delete them.
    pub skip_expired: bool,
    /// Copy a session even when the target holds it with a newer or equal
    /// `_SESSION_ATIME`, or holds a record of it that cannot be read.
    pub overwrite: bool,
}

/// What a migration did (or, in a dry run, would have done).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MigrateSummary {
    /// Ids the source listed.
    pub scanned: u64,
    /// Sessions written to the target.
    pub copied: u64,
    /// Sessions the target already held with an `_SESSION_ATIME` at least as recent,
    /// kept as they were.
    pub skipped_newer: u64,
    /// Expired sessions left out ([`MigrateOptions::skip_expired`]).
    pub skipped_expired: u64,
    /// Ids that had no record any more when their turn came.
    pub missing: u64,
    /// Records that could not be read, judged or written (each one reported).
    pub errors: u64,
    /// Wall-clock seconds the run took.
    pub seconds: f64,
}

/// What a migration tells its observer as it goes.
#[derive(Debug)]
pub enum MigrateEvent<'a> {
    /// One more id was dealt with (for progress displays).
    Visited,
    /// A record could not be read, judged or written; the migration goes on.
    Failed {
        /// The stored id.
        id: &'a str,
        /// What went wrong.
        error: &'a Error,
    },
}

/// What became of one id.
enum Outcome {
    Copied,
    Newer,
    Expired,
    Missing,
}

/// An id no session has, read once from the target to learn that it answers.
const PROBE_ID: &str = "cgisess-migrate-probe";

impl Config {
    /// Copies every session record of this store into `target` (see the
    /// [module docs](crate::migrate)). `observe` hears of each id dealt with and each
    /// failure.
    ///
    /// `Err` when nothing can be done: source and target are the same store with the
    /// same serializer, the target does not answer, or the source cannot be listed.
    ///
    /// ```
    /// # let tmp = std::env::temp_dir().join(format!("cgi-session-doc-migrate-{}", std::process::id()));
    /// use cgi_session::{Args, Config, MigrateOptions};
    /// let dir = |name: &str| Args::from([("Directory".to_string(), tmp.join(name).display().to_string())]);
    /// let old = Config::new(None, dir("old")).unwrap();
    /// let new = Config::new(Some("driver:file;serializer:json"), dir("new")).unwrap();
    /// let mut session = old.new_session(None).unwrap();
    /// session.set_param("user", "alice").unwrap();
    /// session.flush().unwrap();
    ///
    /// let summary = old.migrate_to(&new, MigrateOptions::default(), &|_| {}).unwrap();
    /// assert_eq!(summary.copied, 1);
    /// let id = session.id().unwrap();
    /// assert_eq!(new.peek(&id).unwrap(), old.peek(&id).unwrap());
    /// // Again: the target's copy is as recent, so it is kept.
    /// let again = old.migrate_to(&new, MigrateOptions::default(), &|_| {}).unwrap();
    /// assert_eq!((again.copied, again.skipped_newer), (0, 1));
    /// # std::fs::remove_dir_all(&tmp).unwrap();
    /// ```
    pub fn migrate_to(
        &self,
        target: &Config,
        options: MigrateOptions,
        observe: &dyn Fn(MigrateEvent<'_>),
    ) -> Result<MigrateSummary> {
        self.migrate(target, None, options, observe)
    }

    /// [`migrate_to`](Config::migrate_to) of the sessions `ids` names instead of every
    /// session the source lists: for a source that cannot list its ids (memcached),
    /// or whose listing cannot tell them (a Ruby FileStore or PStore names each file
    /// by a digest of its id, so a session Ruby alone wrote is known by its id only to
    /// the application, e.g. from its logs). An id the source does not hold counts as
    /// [`missing`](MigrateSummary::missing).
    pub fn migrate_ids_to(
        &self,
        target: &Config,
        ids: &mut dyn Iterator<Item = String>,
        options: MigrateOptions,
        observe: &dyn Fn(MigrateEvent<'_>),
    ) -> Result<MigrateSummary> {
        self.migrate(target, Some(ids), options, observe)
    }

    fn migrate(
        &self,
        target: &Config,
        ids: Option<&mut dyn Iterator<Item = String>>,
        options: MigrateOptions,
        observe: &dyn Fn(MigrateEvent<'_>),
    ) -> Result<MigrateSummary> {
        let same_serializer = self.serializer().name() == target.serializer().name();
        if same_serializer && self.is_same_store(target) {
            return Err(Error::Usage(format!(
                "the target is the source store ({} with the same arguments) and serializer \
                 ({}): nothing to migrate",
                self.dsn().driver_name(),
                self.serializer().name()
            )));
        }
        // A target that does not answer is one error up front, not one per record
        // (the redis and memcached drivers connect only when first used).
        target.driver().retrieve(PROBE_ID)?;
        let started = Instant::now();
        let copier = Copier {
            source: self,
            target,
            options,
            // `auto` reads many formats, so only a fixed serializer's bytes are the target's.
            verbatim: same_serializer && self.serializer().name() != "auto",
        };
        let mut summary = MigrateSummary::default();
        let mut visit = |id: &str| {
            summary.scanned += 1;
            match copier.copy(id) {
                Ok(Outcome::Copied) => summary.copied += 1,
                Ok(Outcome::Newer) => summary.skipped_newer += 1,
                Ok(Outcome::Expired) => summary.skipped_expired += 1,
                Ok(Outcome::Missing) => summary.missing += 1,
                Err(error) => {
                    summary.errors += 1;
                    observe(MigrateEvent::Failed { id, error: &error });
                }
            }
            observe(MigrateEvent::Visited);
            ControlFlow::Continue(())
        };
        match ids {
            None => self.driver().traverse(&mut visit)?,
            Some(ids) => ids.for_each(|id| {
                let _ = visit(&id);
            }),
        }
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Whether `other` names the same store: the same driver with the same arguments.
    fn is_same_store(&self, other: &Config) -> bool {
        self.dsn().driver_name() == other.dsn().driver_name() && self.args() == other.args()
    }
}

/// One migration's fixed parts.
struct Copier<'c> {
    source: &'c Config,
    target: &'c Config,
    options: MigrateOptions,
    /// Whether the source's bytes are already what the target's serializer writes.
    verbatim: bool,
}

impl Copier<'_> {
    fn copy(&self, id: &str) -> Result<Outcome> {
        let Some(bytes) = self.source.driver().retrieve(id)? else {
            return Ok(Outcome::Missing);
        };
        // A verbatim copy decides on the reserved keys alone; a re-serialized one
        // needs everything.
        let fields = self.verbatim.then_some(EXPIRY_KEYS);
        let data = thaw_record(self.source, id, &bytes, fields)?;
        let id = &*self.target_id(id, &data)?;
        let now = self.source.now();
        if self.options.skip_expired && matches!(fate(&data, now), Fate::Expired) {
            return Ok(Outcome::Expired);
        }
        if !self.options.overwrite && self.target_is_as_recent(id, &data)? {
            return Ok(Outcome::Newer);
        }
        if self.options.dry_run {
            return Ok(Outcome::Copied);
        }
        let expires_in = expires_in(&data, now);
        let record = if self.verbatim {
            bytes
        } else {
            self.target
                .serializer()
                .freeze(&Value::Hash(Arc::new(data)))
                .map_err(|source| Error::Freeze {
                    id: id.to_string(),
                    source,
                })?
        };
        self.target
            .driver()
            .store_expiring(id, &record, expires_in)?;
        Ok(Outcome::Copied)
    }

    /// The id a record goes to the target under: the one it is stored under, except in
    /// a Ruby store, whose listing names a file by its digest (`digest:…`): there the
    /// record's own `_SESSION_ID` (written by this library) is its id, and a record
    /// without one cannot be migrated, since no one can tell its id from the store.
    fn target_id<'i>(&self, listed: &'i str, data: &Hash) -> Result<Cow<'i, str>> {
        if !self.source.serializer().id_from_store() {
            return Ok(Cow::Borrowed(listed));
        }
        match stored_id(data) {
            Some(id) if !id.starts_with(DIGEST_ID_PREFIX) => Ok(Cow::Owned(id)),
            _ => Err(Error::InvalidData {
                id: listed.to_string(),
                message: "its session id is unknown: Ruby's stores name a session's file by a \
                          digest of the id and keep no id inside; give the ids with --ids FILE"
                    .into(),
            }),
        }
    }

    /// Whether the target holds `id` with an ATIME at least as recent as `data`'s.
    /// A record there that cannot be read is an error: whether it is newer cannot be
    /// told, and a wrong target serializer must not lead to every session being clobbered.
    fn target_is_as_recent(&self, id: &str, data: &Hash) -> Result<bool> {
        let Some(bytes) = self.target.driver().retrieve(id)? else {
            return Ok(false);
        };
        let fields = [keys::ID, keys::ATIME];
        let held = thaw_record(self.target, id, &bytes, Some(&fields)).map_err(|source| {
            Error::UnreadableTarget {
                id: id.to_string(),
                source: Box::new(source),
            }
        })?;
        Ok(stored_seconds(&held, keys::ATIME) >= stored_seconds(data, keys::ATIME))
    }
}

#[cfg(test)]
mod tests {
    /// The serializers write no `_SESSION_ID` of the form the Ruby drivers list; the
    /// two crates keep the prefix apart, so this is where they must agree.
    #[test]
    fn the_ruby_pseudo_id_prefix_is_one_prefix() {
        assert_eq!(
            super::DIGEST_ID_PREFIX,
            cgi_session_drivers::ruby::DIGEST_ID_PREFIX
        );
    }
}

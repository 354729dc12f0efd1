//! Purge: the housekeeping Perl users run from cron with `find()` (spec §4), as one
//! streaming pass that decodes only what a decision needs.
//!
//! Perl's idiom is `CGI::Session->find($dsn, sub {}, \%args)`: every stored session is
//! loaded read-only, which removes the expired ones and clears expired parameters,
//! and the cleared ones are rewritten with their old ATIME when the object goes away.
//! [`Config::purge`] leaves the store exactly as that would, by the same rules
//! (the ones [`Session`](crate::Session) loads apply), with these differences:
//!
//! * No session object is built, and nothing is written that would not change: a
//!   record whose expired parameters were already cleared by an earlier run is not
//!   rewritten (Perl rewrites it with the same data every time).
//! * One bad record (unreadable, not parseable, not a session) is reported through
//!   the observer and skipped; Perl's `find()` dies on the first malformed record
//!   of some serializers and leaves the rest of the store unvisited.
//! * A driver that can, removes a record only if it is unchanged since it was read
//!   (see [`Driver::sweep_one`](crate::Driver::sweep_one)): a session a concurrent
//!   request refreshed is left for the next run ([`PurgeSummary::changed`]).
//! * With [`PurgeOptions::jobs`] above one, records are judged on that many threads
//!   while one thread lists the store. Memory stays bounded either way: ids are
//!   handed over in fixed-size batches through a bounded queue.

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use cgi_session_drivers::{Swept, Verdict};
use cgi_session_serializers::Value;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::session::{
    clear_params, expires_in, fate, keys, stored_id, stored_seconds, thaw_record, Fate, EXPIRY_KEYS,
};

/// How a purge runs.
#[derive(Debug, Clone, Copy)]
pub struct PurgeOptions {
    /// Decide and count, but change nothing.
    pub dry_run: bool,
    /// Threads judging records (1: the listing thread does it all).
    pub jobs: usize,
    /// Beyond Perl: also remove sessions idle this long, whatever their expiry: by
    /// their `_SESSION_ATIME`, or, for a record that holds none (Ruby's stores, whose
    /// sessions never expire), by when the store last wrote it
    /// ([`Driver::modified`](crate::Driver::modified)). A record with neither is kept.
    pub idle_for: Option<Duration>,
}

impl Default for PurgeOptions {
    fn default() -> Self {
        PurgeOptions {
            dry_run: false,
            jobs: 1,
            idle_for: None,
        }
    }
}

/// What a purge did (or, in a dry run, would have done).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PurgeSummary {
    /// Ids the store listed.
    pub scanned: u64,
    /// Expired sessions removed.
    pub expired: u64,
    /// Expired parameters cleared, over all sessions.
    pub params_cleared: u64,
    /// Sessions rewritten because parameters were cleared.
    pub rewritten: u64,
    /// Records a concurrent writer changed between the read and the removal, left alone.
    pub changed: u64,
    /// Ids that had no record any more when their turn came.
    pub missing: u64,
    /// Records that could not be read, parsed or updated (each one reported).
    pub errors: u64,
    /// Wall-clock seconds the run took.
    pub seconds: f64,
}

impl PurgeSummary {
    fn add(&mut self, other: &PurgeSummary) {
        self.scanned += other.scanned;
        self.expired += other.expired;
        self.params_cleared += other.params_cleared;
        self.rewritten += other.rewritten;
        self.changed += other.changed;
        self.missing += other.missing;
        self.errors += other.errors;
    }
}

/// What a purge tells its observer as it goes, from whichever thread judged the record.
#[derive(Debug)]
pub enum PurgeEvent<'a> {
    /// One more record was judged (for progress displays).
    Judged,
    /// A record could not be read, parsed or updated; the purge goes on.
    Failed {
        /// The stored id.
        id: &'a str,
        /// What went wrong.
        error: &'a Error,
    },
}

/// Ids handed to a worker at once: large enough that the queue costs nothing per
/// record, small enough that memory stays flat.
const BATCH: usize = 256;

impl Config {
    /// Removes expired sessions and clears expired parameters in every stored record,
    /// leaving the store as Perl's `find()`-based purge would (see the
    /// [module docs](crate::purge)). `observe` hears of each record judged and each
    /// failure. `Err` only when the store cannot be listed at all.
    pub fn purge(
        &self,
        options: PurgeOptions,
        observe: &(dyn Fn(PurgeEvent<'_>) + Sync),
    ) -> Result<PurgeSummary> {
        let started = Instant::now();
        let mut summary = if options.jobs <= 1 {
            let mut judge = Judge::new(self, options, observe);
            self.driver().traverse(&mut |id| {
                judge.judge(id);
                ControlFlow::Continue(())
            })?;
            judge.summary
        } else {
            self.purge_in_parallel(options, observe)?
        };
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    fn purge_in_parallel(
        &self,
        options: PurgeOptions,
        observe: &(dyn Fn(PurgeEvent<'_>) + Sync),
    ) -> Result<PurgeSummary> {
        let (send, receive) = mpsc::sync_channel::<Vec<String>>(options.jobs * 2);
        let receive = std::sync::Mutex::new(receive);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..options.jobs)
                .map(|_| {
                    let receive = &receive;
                    scope.spawn(move || {
                        let mut judge = Judge::new(self, options, observe);
                        loop {
                            // The lock is held only while taking the next batch.
                            let batch = receive.lock().map(|r| r.recv());
                            let Ok(Ok(batch)) = batch else { break };
                            for id in &batch {
                                judge.judge(id);
                            }
                        }
                        judge.summary
                    })
                })
                .collect();
            let mut batch = Vec::with_capacity(BATCH);
            let listed = self.driver().traverse(&mut |id| {
                batch.push(id.to_string());
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if send.send(full).is_err() {
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            });
            if !batch.is_empty() {
                // A send fails only if every worker is gone, which the joins report.
                let _ = send.send(batch);
            }
            drop(send);
            let mut total = PurgeSummary::default();
            for worker in workers {
                match worker.join() {
                    Ok(part) => total.add(&part),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            listed?;
            Ok(total)
        })
    }
}

/// One thread's share of a purge: its scratch buffer and its counts.
struct Judge<'c> {
    config: &'c Config,
    dry_run: bool,
    idle_for: Option<Duration>,
    observe: &'c (dyn Fn(PurgeEvent<'_>) + Sync),
    buf: Vec<u8>,
    summary: PurgeSummary,
}

impl<'c> Judge<'c> {
    fn new(
        config: &'c Config,
        options: PurgeOptions,
        observe: &'c (dyn Fn(PurgeEvent<'_>) + Sync),
    ) -> Self {
        Judge {
            config,
            dry_run: options.dry_run,
            idle_for: options.idle_for,
            observe,
            buf: Vec::new(),
            summary: PurgeSummary::default(),
        }
    }

    fn judge(&mut self, id: &str) {
        self.summary.scanned += 1;
        let (config, dry_run, idle_for) = (self.config, self.dry_run, self.idle_for);
        let mut cleared = 0;
        let mut bad = None;
        // A verdict kept from the driver: a dry run's, or one about another record.
        let mut held: Option<(String, Verdict)> = None;
        let swept = config
            .driver()
            .sweep_one(
                id,
                &mut self.buf,
                &mut |bytes| match decide(config, id, bytes, idle_for) {
                    Err(error) => {
                        bad = Some(error);
                        Verdict::Keep
                    }
                    Ok((target, verdict, params)) => {
                        cleared = params;
                        if dry_run || target != id {
                            held = Some((target, verdict));
                            Verdict::Keep
                        } else {
                            verdict
                        }
                    }
                },
            );
        let outcome = match (swept, bad, held) {
            (Err(error), _, _) => Err(Error::from(error)),
            (Ok(_), Some(error), _) => Err(error),
            (Ok(swept), None, None) => Ok(swept),
            (Ok(_), None, Some((_, verdict))) if dry_run => Ok(as_swept(&verdict)),
            (Ok(_), None, Some((target, verdict))) => self.apply_elsewhere(&target, verdict),
        };
        match outcome {
            Ok(swept) => self.count(swept, cleared),
            Err(error) => {
                self.summary.errors += 1;
                (self.observe)(PurgeEvent::Failed { id, error: &error });
            }
        }
        (self.observe)(PurgeEvent::Judged);
    }

    /// Perl acts on the id a record holds, not the one it is stored under (spec §2.3
    /// step 8); a record stored under another id is acted on through the contract.
    fn apply_elsewhere(&self, other: &str, verdict: Verdict) -> Result<Swept> {
        Ok(cgi_session_drivers::sweep::apply(
            self.config.driver(),
            other,
            verdict,
        )?)
    }

    fn count(&mut self, swept: Swept, cleared: usize) {
        let s = &mut self.summary;
        match swept {
            Swept::Missing => s.missing += 1,
            Swept::Kept => {}
            Swept::Removed => s.expired += 1,
            Swept::Replaced => {
                s.rewritten += 1;
                s.params_cleared += cleared as u64;
            }
            Swept::Changed => s.changed += 1,
        }
    }
}

/// When a session was last used, in epoch seconds: its `_SESSION_ATIME`, or when the
/// store last wrote a record that holds none; `None` when neither is known.
fn idle_since(
    config: &Config,
    id: &str,
    reserved: &cgi_session_serializers::Hash,
) -> Result<Option<i64>> {
    let atime = stored_seconds(reserved, keys::ATIME);
    if atime > 0.0 {
        return Ok(Some(atime as i64));
    }
    let written = config.driver().modified(id)?;
    Ok(written
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64))
}

/// What a verdict would have done, for a dry run's counts.
fn as_swept(verdict: &Verdict) -> Swept {
    match verdict {
        Verdict::Keep => Swept::Kept,
        Verdict::Remove => Swept::Removed,
        Verdict::Replace { .. } => Swept::Replaced,
    }
}

/// Judges one record as a read-only load would (spec §4 step 3): the id to act on
/// (the one the record holds), the verdict, and how many parameters it clears. With
/// `idle_for`, a session idle that long goes too ([`PurgeOptions::idle_for`]).
fn decide(
    config: &Config,
    id: &str,
    bytes: &[u8],
    idle_for: Option<Duration>,
) -> Result<(String, Verdict, usize)> {
    // The reserved keys decide; the rest is read only if parameters must be cleared.
    let reserved = thaw_record(config, id, bytes, Some(EXPIRY_KEYS))?;
    let target = stored_id(&reserved).unwrap_or_else(|| id.to_string());
    let now = config.now();
    if let Some(idle_for) = idle_for {
        if idle_since(config, id, &reserved)?.is_some_and(|t| now - t >= idle_for.as_secs() as i64)
        {
            return Ok((target, Verdict::Remove, 0));
        }
    }
    let (verdict, cleared) =
        match fate(&reserved, now) {
            Fate::Live => (Verdict::Keep, 0),
            Fate::Expired => (Verdict::Remove, 0),
            Fate::Clear(names) => {
                let mut data = thaw_record(config, id, bytes, None)?;
                match clear_params(&mut data, &names) {
                    // Already cleared by an earlier run: Perl would write the same data again.
                    0 => (Verdict::Keep, 0),
                    cleared => {
                        let expires_in = expires_in(&data, now);
                        let record = Value::Hash(std::sync::Arc::new(data));
                        let data = config.serializer().freeze(&record).map_err(|source| {
                            Error::Freeze {
                                id: id.to_string(),
                                source,
                            }
                        })?;
                        (Verdict::Replace { data, expires_in }, cleared)
                    }
                }
            }
        };
    Ok((target, verdict, cleared))
}

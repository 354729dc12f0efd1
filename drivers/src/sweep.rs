//! Sweeping: read each record once, decide, act — the housekeeping primitive.
//!
//! A purge (Perl's `find()` cron job) reads every record, decides from its bytes
//! whether the session expired or holds expired parameters, and removes or rewrites
//! it. [`Driver::sweep_one`](crate::Driver::sweep_one) does that for one id: the
//! default reads with `retrieve` and acts with `remove` or `store_expiring`, exactly
//! as Perl's `find()` does; a driver may do better while it still holds the record.
//! The file driver reads into a reused buffer with the fewest system calls, and
//! removes a record only while holding its exclusive lock and only if it still
//! holds the bytes the decision was made on ([`Swept::Changed`] otherwise), so a
//! session that a concurrent writer refreshed between the read and the removal is
//! left alone.

use std::time::Duration;

/// What the caller of [`Driver::sweep_one`](crate::Driver::sweep_one) decided for one
/// record after reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Leave the record as it is.
    Keep,
    /// Remove the record (a driver that can check it does so only if the record still
    /// holds the bytes that were read).
    Remove,
    /// Write this record in its place.
    Replace {
        /// The new record.
        data: Vec<u8>,
        /// The session's remaining life, for stores with a native TTL
        /// (see [`Driver::store_expiring`](crate::Driver::store_expiring)).
        expires_in: Option<Duration>,
    },
}

/// What [`Driver::sweep_one`](crate::Driver::sweep_one) did with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swept {
    /// There was no record (gone since it was listed, or empty, or `"0"`): nothing
    /// was decided.
    Missing,
    /// The verdict was [`Verdict::Keep`].
    Kept,
    /// The record was removed.
    Removed,
    /// The record was rewritten.
    Replaced,
    /// The record changed between the read and the removal (a concurrent writer), so
    /// it was left alone for the next sweep to judge.
    Changed,
}

/// The default [`Driver::sweep_one`](crate::Driver::sweep_one): Perl's `find()` order,
/// through the four contract methods.
pub(crate) fn through_contract(
    driver: &(impl crate::Driver + ?Sized),
    id: &str,
    decide: &mut dyn FnMut(&[u8]) -> Verdict,
) -> Result<Swept, crate::Error> {
    let Some(record) = driver.retrieve(id)? else {
        return Ok(Swept::Missing);
    };
    apply(driver, id, decide(&record))
}

/// Does what `verdict` says to the record of `id` through the contract methods
/// (`remove`, `store_expiring`), with no check that the record is unchanged.
pub fn apply(
    driver: &(impl crate::Driver + ?Sized),
    id: &str,
    verdict: Verdict,
) -> Result<Swept, crate::Error> {
    Ok(match verdict {
        Verdict::Keep => Swept::Kept,
        Verdict::Remove => {
            driver.remove(id)?;
            Swept::Removed
        }
        Verdict::Replace { data, expires_in } => {
            driver.store_expiring(id, &data, expires_in)?;
            Swept::Replaced
        }
    })
}

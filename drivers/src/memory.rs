//! Driver `memory`: an in-process map, and the worked example of the [`Driver`]
//! contract.
//!
//! Nothing here is shared with Perl or survives the process; it exists for tests,
//! for single-process programs, and to show a store author the whole contract on one
//! screen. The code below is the complete implementation; this walk-through explains
//! each decision a new driver has to make.
//!
//! # Writing a driver, step by step
//!
//! **1. Hold the store behind `&self`.** [`Driver`] methods take `&self` and the trait
//! is `Send + Sync`, because one driver serves every session of a program, from any
//! thread. A driver with mutable state guards it itself; here a
//! `Mutex<BTreeMap<String, Vec<u8>>>`.
//!
//! **2. `retrieve`: a miss is `Ok(None)`, never an error.** "No record" is the normal
//! answer for an unknown or deleted id, and the session layer turns it into a fresh
//! session. So is a record Perl reads as false: `""` or `"0"` (spec §2.3 step 7).
//! An id the store could never hold (here: the empty id) is also simply not found.
//! `Err` means only that the store itself failed.
//!
//! **3. `store`: replace the whole record.** A second `store` of the same id (a
//! collision with an earlier write, or with another process) overwrites everything;
//! records are never merged or appended to. Refuse an id the store cannot key with
//! [`Error::InvalidId`] rather than mangling it into some other key.
//!
//! **4. `remove`: idempotent.** Removing an id that is not there succeeds, so two
//! requests deleting one session do not make one of them fail.
//!
//! **5. `traverse`: push every id, and never hold a lock across the callback.** The
//! callback usually loads the session, i.e. calls `retrieve`, `store` or `remove` on
//! this same driver. Holding the mutex while calling `visit` would deadlock on the
//! first such call, so take a snapshot of the ids, release the lock, then visit. Ids
//! removed meanwhile are still visited, and `retrieve` reports them as not found:
//! that is fine, and it is how Perl's file driver behaves too. Stop as soon as `visit`
//! returns [`ControlFlow::Break`].
//!
//! **6. Never panic on bad input.** A poisoned mutex is recovered here (the map is
//! never left half-updated, since each method changes it in one call).
//!
//! # Example
//! ```
//! use std::ops::ControlFlow;
//! use cgi_session_drivers::{Driver, MemoryDriver};
//!
//! let driver = MemoryDriver::new();
//! driver.store("a1", b"record one").unwrap();
//! driver.store("b2", b"record two").unwrap();
//! assert_eq!(driver.retrieve("a1").unwrap().as_deref(), Some(&b"record one"[..]));
//! assert_eq!(driver.retrieve("zz").unwrap(), None);
//!
//! // A callback may use the driver it is called from.
//! driver
//!     .traverse(&mut |id| {
//!         driver.remove(id).unwrap();
//!         ControlFlow::Continue(())
//!     })
//!     .unwrap();
//! assert!(driver.is_empty());
//! ```

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::{Mutex, MutexGuard};

use crate::{found, Driver, Error};

/// An in-process store keyed by session id. See the [module docs](self).
#[derive(Debug, Default)]
pub struct MemoryDriver {
    records: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryDriver {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records are stored (false records such as `""` included).
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.records().is_empty()
    }

    /// The map, recovering from a poisoned lock: every method changes the map in a
    /// single call, so a panic elsewhere cannot have left it half-updated.
    fn records(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The empty id is Perl's "no id" (spec §8.2 item 13): no store may key a record by it.
fn refuse_empty(op: &'static str, id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::InvalidId {
            op,
            id: String::new(),
            reason: "session ids cannot be empty",
        });
    }
    Ok(())
}

impl Driver for MemoryDriver {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(found(self.records().get(id).cloned()))
    }

    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        refuse_empty("store", id)?;
        self.records().insert(id.to_owned(), data.to_vec());
        Ok(())
    }

    fn remove(&self, id: &str) -> Result<(), Error> {
        refuse_empty("remove", id)?;
        self.records().remove(id);
        Ok(())
    }

    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        // The guard is a temporary dropped at the end of this statement, before any
        // callback runs: callbacks call back into this driver.
        let ids: Vec<String> = self.records().keys().cloned().collect();
        for id in &ids {
            if visit(id).is_break() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_retrieve_remove_round_trip() {
        let d = MemoryDriver::new();
        assert_eq!(d.name(), "memory");
        assert_eq!(d.retrieve("x").unwrap(), None);
        d.store("x", b"one").unwrap();
        d.store("x", b"two").unwrap();
        assert_eq!(d.retrieve("x").unwrap().unwrap(), b"two");
        assert_eq!(d.len(), 1);
        d.remove("x").unwrap();
        d.remove("x").unwrap();
        assert_eq!(d.retrieve("x").unwrap(), None);
        assert!(d.is_empty());
    }

    #[test]
    fn false_records_are_not_found() {
        let d = MemoryDriver::new();
        d.store("e", b"").unwrap();
        d.store("z", b"0").unwrap();
        assert_eq!(d.retrieve("e").unwrap(), None);
        assert_eq!(d.retrieve("z").unwrap(), None);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn empty_id_is_refused_for_writes_and_missing_for_reads() {
        let d = MemoryDriver::new();
        assert!(matches!(
            d.store("", b"x"),
            Err(Error::InvalidId { op: "store", .. })
        ));
        assert!(matches!(
            d.remove(""),
            Err(Error::InvalidId { op: "remove", .. })
        ));
        assert_eq!(d.retrieve("").unwrap(), None);
    }

    #[test]
    fn traverse_lets_the_callback_use_the_driver_and_stops_on_break() {
        let d = MemoryDriver::new();
        for id in ["a", "b", "c", "d"] {
            d.store(id, id.as_bytes()).unwrap();
        }
        let mut seen = Vec::new();
        d.traverse(&mut |id| {
            seen.push(id.to_owned());
            let data = d.retrieve(id).unwrap().unwrap();
            d.store(id, &[data, b"!".to_vec()].concat()).unwrap();
            d.remove("d").unwrap();
            if id == "c" {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(d.retrieve("a").unwrap().unwrap(), b"a!");
        assert_eq!(d.retrieve("d").unwrap(), None);
    }

    #[test]
    fn shared_between_threads() {
        let d = std::sync::Arc::new(MemoryDriver::new());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let d = d.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        d.store(&format!("{t}-{i}"), b"x").unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(d.len(), 200);
    }
}

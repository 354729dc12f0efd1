//! A driver's one connection: made on demand, shared behind a mutex, remade once when
//! the server dropped it.

use std::sync::{Mutex, MutexGuard};

use crate::Error;

/// How a driver opens its connection and tells a dropped one from other failures.
pub(super) trait Connector {
    /// The client connection.
    type Conn: Send;
    /// The client library's error.
    type Failure: std::fmt::Display;

    /// Opens a connection; the error names the server and what failed.
    fn connect(&self) -> Result<Self::Conn, Error>;

    /// Whether `failure` means the connection is gone (server restart, idle timeout,
    /// killed backend), so that a fresh connection may succeed.
    fn is_lost(&self, failure: &Self::Failure) -> bool;
}

/// One connection, serialized by a mutex: every operation of a driver runs on it in
/// turn, as Perl's one `$dbh` per driver does.
pub(super) struct Link<C: Connector> {
    connector: C,
    conn: Mutex<Option<C::Conn>>,
}

impl<C: Connector> Link<C> {
    /// Connects now, so that construction reports an unusable server, as Perl's `init`
    /// does (spec §5.4).
    pub(super) fn open(connector: C) -> Result<Self, Error> {
        let conn = connector.connect()?;
        Ok(Link {
            connector,
            conn: Mutex::new(Some(conn)),
        })
    }

    /// The connector, for building error messages.
    pub(super) fn connector(&self) -> &C {
        &self.connector
    }

    /// Runs `op` on the connection. When `op` fails because the connection was lost,
    /// connects again and runs `op` once more (every operation here is idempotent:
    /// a read, a delete, or a whole-record upsert). `fail` turns the client error into
    /// the driver's error.
    pub(super) fn run<T>(
        &self,
        mut op: impl FnMut(&mut C::Conn) -> Result<T, C::Failure>,
        fail: impl Fn(C::Failure) -> Error,
    ) -> Result<T, Error> {
        let mut slot = self.lock();
        let mut retried = false;
        loop {
            let conn = match slot.as_mut() {
                Some(conn) => conn,
                None => slot.insert(self.connector.connect()?),
            };
            match op(conn) {
                Ok(value) => return Ok(value),
                Err(failure) if self.connector.is_lost(&failure) => {
                    *slot = None;
                    if retried {
                        return Err(fail(failure));
                    }
                    retried = true;
                }
                Err(failure) => return Err(fail(failure)),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<C::Conn>> {
        self.conn.lock().unwrap_or_else(|poisoned| {
            // A panic mid-operation may have left a transaction open: start afresh.
            let mut slot = poisoned.into_inner();
            *slot = None;
            self.conn.clear_poison();
            slot
        })
    }
}

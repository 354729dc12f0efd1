//! Where a stored session stands in its life, judged from its record alone: for
//! reports (`cgisess stats`) that look at every record without loading it, so no
//! ATIME changes, nothing expires and nothing is written.
//!
//! The judgement is the one every load makes (spec §2.3 steps 9–10), from the same
//! code: a session whose `ATIME + ETIME <= now` is expired; otherwise parameters
//! whose `ATIME + seconds <= now` are expired.

use cgi_session_serializers::{Hash, PerlString, Value};

use crate::config::Config;
use crate::error::Result;
use crate::session::{expires_in, fate, keys, thaw_record, Fate};

/// When a stored session expires if nobody loads it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// It has no idle timeout (`_SESSION_ETIME` false).
    Never,
    /// The next load, Perl's or Rust's, will find it expired and remove it.
    Expired,
    /// In this many seconds (at least one).
    In(u64),
}

/// A stored session's times and expiry, as [`Config::lifetime`] reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifetime {
    /// `_SESSION_CTIME`, when it holds a number.
    pub ctime: Option<i64>,
    /// `_SESSION_ATIME`, when it holds a number.
    pub atime: Option<i64>,
    /// When the whole session expires.
    pub expiry: Expiry,
    /// Entries in `_SESSION_EXPIRE_LIST`: parameters with their own timeout.
    pub params_with_expiry: usize,
    /// Of those, the ones already expired (the next load clears them); 0 when the whole
    /// session has expired, since then no parameter is judged.
    pub expired_params: usize,
}

impl Lifetime {
    /// Judges a record's data at `now` (epoch seconds).
    pub fn of(data: &Hash, now: i64) -> Lifetime {
        let expired_params = match fate(data, now) {
            Fate::Expired => {
                return Lifetime {
                    expiry: Expiry::Expired,
                    ..Lifetime::times(data, 0)
                }
            }
            Fate::Clear(names) => names.len(),
            Fate::Live => 0,
        };
        let mut lifetime = Lifetime::times(data, expired_params);
        // Live, so what is left is what a flush hands a store with a native TTL.
        if let Some(left) = expires_in(data, now) {
            lifetime.expiry = Expiry::In(left.as_secs());
        }
        lifetime
    }

    /// The times and the expire list's size; no expiry yet.
    fn times(data: &Hash, expired_params: usize) -> Lifetime {
        let time = |name| {
            get(data, name)
                .and_then(Value::to_number)
                .map(|n| n.as_i64())
        };
        Lifetime {
            ctime: time(keys::CTIME),
            atime: time(keys::ATIME),
            expiry: Expiry::Never,
            params_with_expiry: get(data, keys::EXPIRE_LIST)
                .and_then(|list| list.unblessed().as_hash())
                .map_or(0, |list| list.len()),
            expired_params,
        }
    }
}

fn get<'d>(data: &'d Hash, name: &str) -> Option<&'d Value> {
    data.get(&PerlString::from_text(name))
}

impl Config {
    /// Thaws `bytes`, the record stored under `id`, and judges it at [`Config::now`]
    /// (see [`Lifetime`]). Fails as a load would on a record that does not thaw or is
    /// not a session (no hash with a defined `_SESSION_ID`).
    ///
    /// ```
    /// use cgi_session::{Args, Config, Expiry};
    /// # let dir = std::env::temp_dir().join("cgi-session-doc-lifetime");
    /// let config = Config::new(None, Args::from([("Directory".into(), dir.display().to_string())])).unwrap();
    /// let mut session = config.new_session(None).unwrap();
    /// session.expire("+1h").unwrap();
    /// session.flush().unwrap();
    /// let id = session.id().unwrap();
    /// let bytes = config.driver().retrieve(&id).unwrap().unwrap();
    /// let lifetime = config.lifetime(&id, &bytes).unwrap();
    /// assert!(matches!(lifetime.expiry, Expiry::In(s) if s > 3500 && s <= 3600));
    /// ```
    pub fn lifetime(&self, id: &str, bytes: &[u8]) -> Result<Lifetime> {
        // A whole thaw, not just the reserved keys: damage anywhere in the record counts.
        let data = thaw_record(self, id, bytes, None)?;
        Ok(Lifetime::of(&data, self.now()))
    }
}

//! What the network key-value drivers (`redis`,
//! `memcached`) share: the store-TTL policy read from their
//! arguments, and a pool of idle connections.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::args::{self, bad_arg};
use crate::{Args, Error};

/// The default of `ExpireGrace`: how long a record outlives its session's own expiry
/// in the store when `ExpireFromSession` is on (one day).
pub const DEFAULT_EXPIRE_GRACE: u64 = 86_400;

/// How long a store keeps a record, from the driver arguments `Expire`,
/// `ExpireFromSession` and `ExpireGrace`.
///
/// * `Expire => N` (Perl's redis driver): every write gets a TTL of `N` seconds;
///   `0`, `""` or absent means none. Because every load rewrites the record (ATIME),
///   the TTL slides, as in Perl.
/// * `ExpireFromSession => 1` (ours): a session with an expiry gets a TTL of the time
///   it has left (`ATIME + ETIME - now`, from [`Driver::store_expiring`]) plus
///   `ExpireGrace` seconds (default [`DEFAULT_EXPIRE_GRACE`]). The grace keeps an
///   expired record around long enough for the next load to report the session as
///   *expired* (Perl's `is_expired`) instead of unknown; `ExpireGrace => 0` drops it
///   exactly when it expires. A session without an expiry falls back to `Expire`.
///
/// [`Driver::store_expiring`]: crate::Driver::store_expiring
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TtlPolicy {
    expire: Option<u64>,
    from_session: bool,
    grace: u64,
}

impl TtlPolicy {
    /// Reads `Expire`, `ExpireFromSession` and `ExpireGrace`.
    pub(crate) fn from_args(args: &Args) -> Result<Self, Error> {
        Ok(TtlPolicy {
            // Perl's `if ($self->{Expire})`: a false value means no TTL.
            expire: args::true_value(args, "Expire")
                .map(|v| seconds("Expire", v))
                .transpose()?
                .filter(|&s| s > 0),
            from_session: args::flag(args, "ExpireFromSession", false)?,
            grace: args
                .get("ExpireGrace")
                .map_or(Ok(DEFAULT_EXPIRE_GRACE), |v| seconds("ExpireGrace", v))?,
        })
    }

    /// The TTL in whole seconds for a record whose session has `expires_in` left
    /// (`None`: no expiry, or unknown); `None` means the record never expires.
    pub(crate) fn seconds(&self, expires_in: Option<Duration>) -> Option<u64> {
        match expires_in {
            Some(left) if self.from_session => {
                // Round a fraction up: the record must not vanish before the session expires.
                let left = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                Some(left.saturating_add(self.grace).max(1))
            }
            _ => self.expire,
        }
    }
}

/// A count of seconds: decimal digits, surrounding whitespace allowed.
fn seconds(name: &str, value: &str) -> Result<u64, Error> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_arg(
            name,
            format!("{value:?} is not a whole number of seconds"),
        ));
    }
    digits
        .parse()
        .map_err(|_| bad_arg(name, format!("{value:?} is too large")))
}

/// Reads a server address for option `name`: `host`, `host:port`, `[v6addr]` or
/// `[v6addr]:port`; the port is `None` when not written.
pub(crate) fn host_port<'a>(name: &str, address: &'a str) -> Result<(&'a str, Option<u16>), Error> {
    let bad = |why: &str| bad_arg(name, format!("{address:?}: {why}"));
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
        match after {
            "" => (v6, None),
            _ => (
                v6,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("expected ':PORT' after ']'"))?,
                ),
            ),
        }
    } else if address.matches(':').count() > 1 {
        return Err(bad("write an IPv6 address in brackets, e.g. [::1]:6379"));
    } else {
        match address.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("no host name"));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| bad(&format!("{p:?} is not a port number")))
        })
        .transpose()?;
    Ok((host, port))
}

/// Idle connections to one server, reused across operations so that each session
/// load is not a new TCP handshake, and so that threads do not queue behind one
/// shared connection.
#[derive(Debug)]
pub(crate) struct IdlePool<C> {
    idle: Mutex<Vec<C>>,
}

/// How many idle connections one pool keeps; more are closed when returned.
const MAX_IDLE: usize = 16;

impl<C> Default for IdlePool<C> {
    fn default() -> Self {
        IdlePool {
            idle: Mutex::new(Vec::new()),
        }
    }
}

impl<C> IdlePool<C> {
    /// Runs `work` on an idle connection, or on a new one from `connect`.
    ///
    /// A reused connection may have been closed by the server while idle; when
    /// `work` fails on one with an error `broken` recognises, it runs once more on a
    /// new connection. The connection goes back to the pool after success, or after
    /// an error that left it usable (`broken` false, e.g. an error reply); otherwise
    /// it is closed. No lock is held while `work` or `connect` runs.
    pub(crate) fn run<T, E>(
        &self,
        connect: impl Fn() -> Result<C, E>,
        mut work: impl FnMut(&mut C) -> Result<T, E>,
        broken: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let pooled = self.lock().pop();
        let reused = pooled.is_some();
        let mut connection = match pooled {
            Some(c) => c,
            None => connect()?,
        };
        let mut result = work(&mut connection);
        if reused && result.as_ref().is_err_and(&broken) {
            connection = connect()?;
            result = work(&mut connection);
        }
        if !result.as_ref().is_err_and(&broken) {
            let mut idle = self.lock();
            if idle.len() < MAX_IDLE {
                idle.push(connection);
            }
        }
        result
    }

    /// The idle list; a panic elsewhere cannot leave a `Vec` push or pop half done.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<C>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Args {
        cgi_session_test_support::pairs(pairs)
    }

    fn policy(pairs: &[(&str, &str)]) -> TtlPolicy {
        TtlPolicy::from_args(&args(pairs)).unwrap()
    }

    const HOUR: Option<Duration> = Some(Duration::from_secs(3600));

    #[test]
    fn expire_is_a_fixed_ttl_and_false_values_mean_none() {
        assert_eq!(policy(&[]).seconds(HOUR), None);
        assert_eq!(policy(&[("Expire", "0")]).seconds(HOUR), None);
        assert_eq!(policy(&[("Expire", "")]).seconds(None), None);
        assert_eq!(policy(&[("Expire", " 600 ")]).seconds(HOUR), Some(600));
        assert_eq!(policy(&[("Expire", "600")]).seconds(None), Some(600));
    }

    #[test]
    fn expire_from_session_adds_the_grace_and_falls_back_to_expire() {
        let p = policy(&[("ExpireFromSession", "1"), ("Expire", "600")]);
        assert_eq!(p.seconds(HOUR), Some(3600 + DEFAULT_EXPIRE_GRACE));
        assert_eq!(p.seconds(None), Some(600));
        let exact = policy(&[("ExpireFromSession", "1"), ("ExpireGrace", "0")]);
        assert_eq!(exact.seconds(HOUR), Some(3600));
        assert_eq!(exact.seconds(Some(Duration::from_millis(1500))), Some(2));
        assert_eq!(exact.seconds(Some(Duration::ZERO)), Some(1));
        assert_eq!(exact.seconds(None), None);
    }

    #[test]
    fn bad_seconds_name_the_argument() {
        for (name, value) in [
            ("Expire", "1h"),
            ("Expire", "-5"),
            ("Expire", "+5"),
            ("ExpireGrace", ""),
            ("ExpireGrace", "99999999999999999999999"),
        ] {
            let err = TtlPolicy::from_args(&args(&[(name, value)])).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("driver argument {name}: ")),
                "{err}"
            );
        }
        assert!(TtlPolicy::from_args(&args(&[("ExpireFromSession", "no")])).is_err());
    }

    #[test]
    fn addresses_split_into_host_and_port() {
        for (text, host, port) in [
            ("h", "h", None),
            ("h:7", "h", Some(7)),
            ("10.0.0.1:65535", "10.0.0.1", Some(65535)),
            ("[::1]", "::1", None),
            ("[::1]:7", "::1", Some(7)),
        ] {
            assert_eq!(host_port("Server", text).unwrap(), (host, port), "{text}");
        }
        for text in [
            "", ":7", "h:", "h:x", "h:0", "h:70000", "::1", "[::1", "[::1]7", "a b:1",
        ] {
            let err = host_port("Server", text).unwrap_err().to_string();
            assert!(err.starts_with("driver argument Server: "), "{text}: {err}");
        }
    }

    #[test]
    fn the_pool_reuses_and_replaces_broken_connections() {
        let pool = IdlePool::<u32>::default();
        let made = std::cell::Cell::new(0);
        let connect = || -> Result<u32, &'static str> {
            made.set(made.get() + 1);
            Ok(made.get())
        };
        let broken = |e: &&str| *e == "broken";
        assert_eq!(pool.run(connect, |c| Ok(*c), broken), Ok(1));
        assert_eq!(pool.run(connect, |c| Ok(*c), broken), Ok(1), "reused");
        // A reused connection that turns out broken is replaced once, transparently.
        let result = pool.run(
            connect,
            |c| if *c == 1 { Err("broken") } else { Ok(*c) },
            broken,
        );
        assert_eq!(result, Ok(2));
        // An error reply keeps the connection; a broken one on a new connection is final.
        assert_eq!(
            pool.run(connect, |_| Err::<u32, _>("reply"), broken),
            Err("reply")
        );
        assert_eq!(pool.run(connect, |c| Ok(*c), broken), Ok(2));
        assert_eq!(
            pool.run(connect, |_| Err::<u32, _>("broken"), broken),
            Err("broken")
        );
        assert_eq!(
            made.get(),
            3,
            "the broken connection was replaced once and then dropped"
        );
        assert_eq!(pool.run(connect, |c| Ok(*c), broken), Ok(4));
    }
}

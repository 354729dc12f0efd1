//! Driver `redis`: the key layout of CPAN's `CGI::Session::Driver::redis` (0.7), so a
//! Perl application using that driver and a Rust one share sessions on one server.
//!
//! # Layout (identical to Perl's)
//! * Session `ID` lives at the key `Prefix:ID` (default `session:ID`), holding the
//!   serializer's bytes exactly, written with `SET`. Perl removes all whitespace from
//!   that key (`s/\s//g`); here only the prefix can contain any (see below).
//! * Every write also does `SADD Prefix:members Prefix:ID`: the set holds **full
//!   keys**, not ids, and its name is built from the prefix as given.
//! * `Expire => N` gives every write a TTL of `N` seconds, which slides because every
//!   load rewrites the record. Perl sends `EXPIRE` after `SET`; here `SET ... EX N`,
//!   the `SADD` and the removal `DEL` + `SREM` each run in one `MULTI` transaction,
//!   which Perl readers cannot tell apart.
//!
//! # Options
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `Server` | `127.0.0.1:6379` | `host:port`, `host`, `[ipv6]:port`, a Unix socket path (`/run/redis.sock`) or a URL (`redis://[user:password@]host:port/db`, `redis+unix:///path`). Perl's driver takes a connected `Redis` object instead (`Redis->new(server => ...)`). |
//! | `Database` | `0` (or the URL's) | The database number (`SELECT`). |
//! | `Password` | none (or the URL's) | `AUTH` password. Never shown in errors. |
//! | `Prefix` | `session` | Used when the value is true in Perl (`""` and `"0"` mean the default). |
//! | `Expire` | none | A fixed TTL in seconds, as Perl's; `0` means none. |
//! | `ExpireFromSession` | off | Ours: derive the TTL from the session's own expiry, plus `ExpireGrace` (default one day). |
//! | `ExpireGrace` | `86400` | Seconds a record outlives its session's expiry under `ExpireFromSession`. |
//!
//! With `ExpireFromSession => 1`, a session with `expire(T)` is stored with a TTL of
//! the time it has left plus the grace, so sessions nobody loads again disappear on
//! their own; sessions without an expiry use `Expire` (or none). The grace is there so
//! a visitor who returns shortly after expiry is still told the session *expired*
//! (`is_expired`) rather than never existed; `ExpireGrace => 0` removes records the
//! moment they expire. Perl readers see no difference.
//!
//! # Behaviour that deliberately differs from Perl
//! * **`traverse` works.** Perl's hands each member (`session:ID`) to the callback as
//!   if it were an id, so `find()` loads `session:session:ID`, finds nothing, and
//!   housekeeping does nothing. Here the prefix is stripped, and members whose key no
//!   longer exists (expired by TTL, or removed by a crashed writer) are removed from
//!   the set, so it no longer grows without bound. The set is walked with `SSCAN`, in
//!   constant memory; as `SSCAN` promises, an id the set holds throughout is visited,
//!   rarely twice. Members without this driver's prefix are left alone.
//! * **Ids with whitespace are refused** ([`Error::InvalidId`] on write, "not found"
//!   on read). Perl would strip it, so `"a b"` and `"ab"` would be one session.
//! * A prefix with whitespace is stripped in data keys, as in Perl, while the members
//!   set keeps the name Perl's `store` gives it. Perl's `traverse` reads a set with
//!   the stripped name, i.e. an empty one; ours reads the set Perl's `store` fills.
//! * Failures are errors naming the server; Perl's `Redis` client dies instead.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use redis::{ConnectionAddr, IntoConnectionInfo, RedisError};

use crate::args::{self, bad_arg};
use crate::kv::{host_port, IdlePool, TtlPolicy};
use crate::lint::{Finding, Sample, Severity};
use crate::{found, Args, Driver, Error};

/// Where the driver connects when `Server` is not given.
pub const DEFAULT_SERVER: &str = "127.0.0.1:6379";

/// The port of a `Server` written without one.
pub const DEFAULT_PORT: u16 = 6379;

/// Perl's default `Prefix`.
pub const DEFAULT_PREFIX: &str = "session";

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one reply may take before the server counts as unresponsive.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Members asked for per `SSCAN` call: bounds the memory of a walk.
const SCAN_BATCH: usize = 500;

/// The Redis store. See the [module docs](self) for options and deviations from Perl.
pub struct RedisDriver {
    client: redis::Client,
    /// The server as errors name it: address and database, never the password.
    server: String,
    /// `Prefix:` with whitespace removed: what every data key starts with.
    key_prefix: String,
    /// `Prefix:members`, with the prefix as given (Perl's store and remove).
    members_key: String,
    ttl: TtlPolicy,
    pool: IdlePool<redis::Connection>,
}

impl std::fmt::Debug for RedisDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDriver")
            .field("server", &self.server)
            .field("key_prefix", &self.key_prefix)
            .field("members_key", &self.members_key)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A failure and whether it happened while connecting; only command failures on a
/// pooled connection are retried.
enum Failure {
    Connect(RedisError),
    Command(RedisError),
}

impl RedisDriver {
    /// Builds the driver from its arguments (see the [module docs](self)). Nothing is
    /// sent to the server until the first operation, which reports an unreachable one.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        let mut info = parse_server(args::true_value(args, "Server").unwrap_or(DEFAULT_SERVER))?;
        let mut settings = info.redis_settings().clone();
        if let Some(db) = args.get("Database") {
            let number = db
                .trim()
                .parse::<u32>()
                .map_err(|_| bad_arg("Database", format!("{db:?} is not a database number")))?;
            settings = settings.set_db(i64::from(number));
        }
        if let Some(password) = args::true_value(args, "Password") {
            settings = settings.set_password(password);
        }
        info = info.set_redis_settings(settings);
        let server = match info.redis_settings().db() {
            0 => describe(info.addr()),
            db => format!("{} (database {db})", describe(info.addr())),
        };
        let client =
            redis::Client::open(info).map_err(|e| bad_arg("Server", format!("{server}: {e}")))?;

        // spec (c): `Prefix` defaults to "session"; the data key loses all whitespace
        // (`s/\s//g`, ASCII under Perl's byte semantics), the members set's name does not.
        let prefix = args::true_value(args, "Prefix").unwrap_or(DEFAULT_PREFIX);
        let stripped: String = prefix.chars().filter(|c| !is_perl_space(*c)).collect();
        Ok(RedisDriver {
            client,
            server,
            key_prefix: format!("{stripped}:"),
            members_key: format!("{prefix}:members"),
            ttl: TtlPolicy::from_args(args)?,
            pool: IdlePool::default(),
        })
    }

    /// The server, as errors name it (`host:port`, socket path, database number).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The key that holds session `id`, as Perl's driver names it (`session:ID`), or
    /// [`Error::InvalidId`] for an id this store refuses (empty, or with whitespace).
    pub fn key_for(&self, id: &str) -> Result<String, Error> {
        self.checked_key("key_for", id)
    }

    /// The set that lists every stored key (`session:members`).
    pub fn members_key(&self) -> &str {
        &self.members_key
    }

    fn checked_key(&self, op: &'static str, id: &str) -> Result<String, Error> {
        let refuse = |reason| {
            Err(Error::InvalidId {
                op,
                id: id.to_owned(),
                reason,
            })
        };
        if id.is_empty() {
            return refuse("session ids cannot be empty");
        }
        // Perl would strip the whitespace and so share one key between two ids.
        if id.chars().any(char::is_whitespace) {
            return refuse("session ids cannot contain whitespace (Perl's redis driver strips it)");
        }
        Ok(format!("{}{id}", self.key_prefix))
    }

    /// The id a member of the set names, if it is one of this driver's keys.
    fn id_of<'m>(&self, member: &'m [u8]) -> Option<&'m str> {
        let id = member.strip_prefix(self.key_prefix.as_bytes())?;
        std::str::from_utf8(id).ok().filter(|id| !id.is_empty())
    }

    /// Runs `work` on a pooled connection; errors name the operation and the server.
    fn run<T>(
        &self,
        op: &'static str,
        work: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, Error> {
        let connect = || {
            let connection = self
                .client
                .get_connection_with_timeout(CONNECT_TIMEOUT)
                .map_err(Failure::Connect)?;
            connection
                .set_read_timeout(Some(IO_TIMEOUT))
                .and_then(|()| connection.set_write_timeout(Some(IO_TIMEOUT)))
                .map_err(Failure::Connect)?;
            Ok(connection)
        };
        let broken = |failure: &Failure| match failure {
            Failure::Connect(_) => true,
            Failure::Command(e) => {
                e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error()
            }
        };
        self.pool
            .run(connect, |c| work(c).map_err(Failure::Command), broken)
            .map_err(|failure| {
                let message = match failure {
                    Failure::Connect(e) => {
                        format!("{op}(): couldn't connect to {}: {e}", self.server)
                    }
                    Failure::Command(e) => format!("{op}(): {}: {e}", self.server),
                };
                Error::Backend {
                    driver: "redis",
                    message,
                }
            })
    }

    /// Writes `data` under `id` with the TTL the policy gives for `expires_in`.
    fn write(&self, id: &str, data: &[u8], expires_in: Option<Duration>) -> Result<(), Error> {
        let key = self.checked_key("store", id)?;
        let ttl = self.ttl.seconds(expires_in);
        self.run("store", |c| {
            let mut pipe = redis::pipe();
            pipe.atomic();
            // SET without EX clears an earlier TTL, exactly as Perl's plain SET does.
            match ttl {
                Some(seconds) => pipe.cmd("SET").arg(&key).arg(data).arg("EX").arg(seconds),
                None => pipe.cmd("SET").arg(&key).arg(data),
            };
            pipe.ignore()
                .cmd("SADD")
                .arg(&self.members_key)
                .arg(&key)
                .ignore()
                .query::<()>(c)
        })
    }

    /// The members of one `SSCAN` batch whose keys still exist; the others are removed
    /// from the set. A member removed while a concurrent `store` re-created its key is
    /// put back, so healing never loses a live session: `store` writes the key before
    /// (or atomically with) its `SADD`, and the key is checked again after the `SREM`.
    fn live_members(&self, members: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, Error> {
        if members.is_empty() {
            return Ok(members);
        }
        let exists = self.each_exists("traverse", "EXISTS", None, &members)?;
        let (live, dead): (Vec<_>, Vec<_>) = members
            .into_iter()
            .zip(exists)
            .partition(|(_, exists)| *exists);
        let mut live: Vec<Vec<u8>> = live.into_iter().map(|(m, _)| m).collect();
        let dead: Vec<Vec<u8>> = dead.into_iter().map(|(m, _)| m).collect();
        if dead.is_empty() {
            return Ok(live);
        }
        let revived: Vec<Vec<u8>> = self.run("traverse", |c| {
            let mut pipe = redis::pipe();
            pipe.cmd("SREM").arg(&self.members_key).arg(&dead).ignore();
            for member in &dead {
                pipe.cmd("EXISTS").arg(member);
            }
            let now: Vec<bool> = pipe.query(c)?;
            Ok(dead
                .iter()
                .zip(now)
                .filter(|(_, exists)| *exists)
                .map(|(m, _)| m.clone())
                .collect())
        })?;
        if !revived.is_empty() {
            self.run("traverse", |c| {
                redis::cmd("SADD")
                    .arg(&self.members_key)
                    .arg(&revived)
                    .query::<()>(c)
            })?;
            live.extend(revived);
        }
        Ok(live)
    }
}

impl RedisDriver {
    /// Walks `Prefix:members` with `SSCAN`, handing `each` every batch of this driver's
    /// members; foreign members are left out, not ours to judge.
    fn scan_members(
        &self,
        op: &'static str,
        each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<ControlFlow<()>, Error>,
    ) -> Result<(), Error> {
        let sscan = |cursor| {
            let mut sscan = redis::cmd("SSCAN");
            sscan
                .arg(&self.members_key)
                .arg(cursor)
                .arg("COUNT")
                .arg(SCAN_BATCH);
            sscan
        };
        self.scan(op, sscan, &mut |batch| {
            each(
                batch
                    .into_iter()
                    .filter(|m| self.id_of(m).is_some())
                    .collect(),
            )
        })
    }

    /// Runs a `SCAN`-family command from cursor 0 until the server says done, handing
    /// `each` every batch; constant memory, however large the store.
    fn scan(
        &self,
        op: &'static str,
        command: impl Fn(u64) -> redis::Cmd,
        each: &mut dyn FnMut(Vec<Vec<u8>>) -> Result<ControlFlow<()>, Error>,
    ) -> Result<(), Error> {
        let mut cursor = 0_u64;
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) = self.run(op, |c| command(cursor).query(c))?;
            if each(batch)?.is_break() || next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// `COMMAND [key] item` for every item, pipelined: `EXISTS member`, `SISMEMBER set key`.
    fn each_exists(
        &self,
        op: &'static str,
        command: &str,
        key: Option<&str>,
        items: &[Vec<u8>],
    ) -> Result<Vec<bool>, Error> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        self.run(op, |c| {
            let mut pipe = redis::pipe();
            for item in items {
                let cmd = pipe.cmd(command);
                if let Some(key) = key {
                    cmd.arg(key);
                }
                cmd.arg(item);
            }
            pipe.query(c)
        })
    }
}

impl Driver for RedisDriver {
    fn name(&self) -> &'static str {
        "redis"
    }

    /// `GET Prefix:ID`. A missing key, `""` or `"0"` is "not found" (spec §2.3 step 7),
    /// and so is an id this store refuses.
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Ok(key) = self.checked_key("retrieve", id) else {
            return Ok(None);
        };
        let data: Option<Vec<u8>> =
            self.run("retrieve", |c| redis::cmd("GET").arg(&key).query(c))?;
        Ok(found(data))
    }

    /// `SET` (with `EX` when `Expire` is set) and `SADD`, in one transaction.
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        self.write(id, data, None)
    }

    /// As [`store`](Driver::store), with the TTL `ExpireFromSession` derives.
    fn store_expiring(
        &self,
        id: &str,
        data: &[u8],
        expires_in: Option<Duration>,
    ) -> Result<(), Error> {
        self.write(id, data, expires_in)
    }

    /// `DEL Prefix:ID` and `SREM Prefix:members Prefix:ID`, in one transaction.
    fn remove(&self, id: &str) -> Result<(), Error> {
        let key = self.checked_key("remove", id)?;
        self.run("remove", |c| {
            redis::pipe()
                .atomic()
                .cmd("DEL")
                .arg(&key)
                .ignore()
                .cmd("SREM")
                .arg(&self.members_key)
                .arg(&key)
                .ignore()
                .query::<()>(c)
        })
    }

    /// Walks `Prefix:members` with `SSCAN`, drops members whose key is gone, and visits
    /// the id of every other member that carries this driver's prefix.
    fn traverse(&self, visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        self.scan_members("traverse", &mut |ours| {
            // No connection is held while `visit` runs: it loads sessions through `self`.
            for member in self.live_members(ours)? {
                if let Some(id) = self.id_of(&member) {
                    if visit(id).is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                }
            }
            Ok(ControlFlow::Continue(()))
        })
    }

    /// The drift between `Prefix:members` and the session keys, counted read-only
    /// (nothing is healed here): members whose key is gone, which Perl never removes
    /// and this driver's traverse does; and session keys the set lacks, which no
    /// `find()` or purge ever visits.
    fn lint(&self) -> Result<Vec<Finding>, Error> {
        let mut orphans = Sample::default();
        self.scan_members("lint", &mut |ours| {
            let exists = self.each_exists("lint", "EXISTS", None, &ours)?;
            for (member, exists) in ours.iter().zip(exists) {
                if !exists {
                    orphans.note(self.id_of(member).unwrap_or_default());
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        let mut unlisted = Sample::default();
        let pattern = format!("{}*", glob_escape(&self.key_prefix));
        self.scan(
            "lint",
            |cursor| {
                let mut scan = redis::cmd("SCAN");
                // Sessions are strings: the members set and foreign hashes or lists are not.
                scan.arg(cursor).arg("MATCH").arg(&pattern);
                scan.arg("COUNT").arg(SCAN_BATCH).arg("TYPE").arg("string");
                scan
            },
            &mut |keys| {
                let ours: Vec<Vec<u8>> = keys
                    .into_iter()
                    .filter(|k| self.id_of(k).is_some())
                    .collect();
                let listed =
                    self.each_exists("lint", "SISMEMBER", Some(&self.members_key), &ours)?;
                for (key, listed) in ours.iter().zip(listed) {
                    if !listed {
                        unlisted.note(self.id_of(key).unwrap_or_default());
                    }
                }
                Ok(ControlFlow::Continue(()))
            },
        )?;
        let mut findings = Vec::new();
        if !orphans.is_empty() {
            findings.push(Finding::new(
                Severity::Warning,
                "redis-member-without-key",
                format!(
                    "{} members of '{}' on {} name session keys that are gone ({}), expired by \
                     TTL or removed by a writer that died: Perl's driver never drops them, so \
                     the set only grows; any traverse here (cgisess list, purge) removes them",
                    orphans.count,
                    self.members_key,
                    self.server,
                    orphans.names()
                ),
            ));
        }
        if !unlisted.is_empty() {
            findings.push(Finding::new(
                Severity::Warning,
                "redis-key-not-in-members",
                format!(
                    "{} session keys under '{}' on {} are missing from '{}' ({}): find() and \
                     purge never visit them, so they stay until their TTL, if any; re-add them \
                     with SADD",
                    unlisted.count,
                    self.key_prefix,
                    self.server,
                    self.members_key,
                    unlisted.names()
                ),
            ));
        }
        Ok(findings)
    }
}

/// `text` with Redis glob characters escaped, for `SCAN MATCH`.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Perl's `\s` on a byte string: the ASCII whitespace, vertical tab included.
fn is_perl_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// Reads `Server`: a URL, a Unix socket path, or `host[:port]` (`[v6]:port`).
fn parse_server(server: &str) -> Result<redis::ConnectionInfo, Error> {
    let bad = |message: String| bad_arg("Server", message);
    if server.contains("://") {
        return server.into_connection_info().map_err(|e| {
            bad(format!(
                "{:?} is not a usable Redis URL: {e}",
                redact(server)
            ))
        });
    }
    if server.starts_with('/') {
        return ConnectionAddr::Unix(PathBuf::from(server))
            .into_connection_info()
            .map_err(|e| bad(e.to_string()));
    }
    let (host, port) = host_port("Server", server)?;
    ConnectionAddr::Tcp(host.to_owned(), port.unwrap_or(DEFAULT_PORT))
        .into_connection_info()
        .map_err(|e| bad(e.to_string()))
}

/// An address as errors show it: `host:port`, `[v6]:port` or the socket path.
fn describe(addr: &ConnectionAddr) -> String {
    match addr {
        ConnectionAddr::Tcp(host, port) if host.contains(':') => format!("[{host}]:{port}"),
        other => other.to_string(),
    }
}

/// `url` with any password replaced by `***`, for error messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(pairs: &[(&str, &str)]) -> Result<RedisDriver, Error> {
        RedisDriver::from_args(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn keys_follow_perls_layout() {
        let d = driver(&[]).unwrap();
        assert_eq!(d.key_for("abc").unwrap(), "session:abc");
        assert_eq!(d.members_key(), "session:members");
        assert_eq!(d.server(), "127.0.0.1:6379");
        // `Prefix || "session"`; whitespace leaves the data key but not the set name.
        let d = driver(&[("Prefix", "0")]).unwrap();
        assert_eq!(d.key_for("abc").unwrap(), "session:abc");
        let d = driver(&[("Prefix", " my app\t")]).unwrap();
        assert_eq!(d.key_for("abc").unwrap(), "myapp:abc");
        assert_eq!(d.members_key(), " my app\t:members");
        assert_eq!(d.id_of(b"myapp:abc"), Some("abc"));
        assert_eq!(d.id_of(b"myapp:"), None);
        assert_eq!(d.id_of(b"other:abc"), None);
    }

    #[test]
    fn ids_perl_would_mangle_are_refused() {
        let d = driver(&[]).unwrap();
        for id in ["", "a b", "a\tb", "a\x0Bb", "a\u{a0}b"] {
            assert!(
                matches!(d.key_for(id), Err(Error::InvalidId { .. })),
                "{id:?}"
            );
            assert_eq!(
                d.retrieve(id).unwrap(),
                None,
                "no server is asked for {id:?}"
            );
        }
    }

    #[test]
    fn servers_are_read_in_every_form() {
        for (text, shown) in [
            ("10.1.2.3", "10.1.2.3:6379"),
            ("example.org:7000", "example.org:7000"),
            ("[::1]:7001", "[::1]:7001"),
            ("[::1]", "[::1]:6379"),
            ("/run/redis.sock", "/run/redis.sock"),
            ("redis://127.0.0.1:7002/3", "127.0.0.1:7002 (database 3)"),
            ("redis://:secret@127.0.0.1:7003", "127.0.0.1:7003"),
        ] {
            let d = driver(&[("Server", text)]).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(d.server(), shown, "{text}");
        }
        let d = driver(&[("Server", "redis://127.0.0.1/3"), ("Database", "0")]).unwrap();
        assert_eq!(d.server(), "127.0.0.1:6379", "Database overrides the URL's");
        let d = driver(&[("Database", "2"), ("Password", "pw")]).unwrap();
        assert_eq!(d.server(), "127.0.0.1:6379 (database 2)");
        assert!(!format!("{d:?}").contains("pw"));
    }

    #[test]
    fn bad_arguments_are_named_and_passwords_hidden() {
        for (name, value) in [
            ("Server", "::1"),
            ("Server", "host:port"),
            ("Server", ":6379"),
            ("Server", "[::1"),
            ("Server", "[::1]6379"),
            ("Server", "ftp://user:hunter2@host/"),
            ("Database", "-1"),
            ("Database", "one"),
            ("Expire", "1h"),
            ("ExpireFromSession", "off"),
        ] {
            let err = driver(&[(name, value)]).unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("driver argument {name}: ")),
                "{text}"
            );
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn scan_patterns_match_the_prefix_literally() {
        assert_eq!(glob_escape("session:"), "session:");
        assert_eq!(glob_escape(r"a*b?[c]\:"), r"a\*b\?\[c\]\\:");
    }

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(redact("redis://u:p@h:1/2"), "redis://u:***@h:1/2");
        assert_eq!(redact("redis://h:1/a@b"), "redis://h:1/a@b");
        assert_eq!(redact("h:1"), "h:1");
    }
}

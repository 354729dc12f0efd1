//! Driver `memcached`: the layout of `CGI::Session::Driver::memcached` (CPAN, over
//! `Cache::Memcached`), so a Perl application using that driver and a Rust one
//! share sessions on the same memcached servers.
//!
//! # Layout (identical to Perl's)
//! * Session `ID` is the key `NamespaceID` (the namespace, if any, glued on as
//!   Cache::Memcached does; the driver itself adds no prefix).
//! * The value is the serializer's bytes with flags `0`; Perl's client gzips values
//!   of at least `compress_threshold` bytes when that saves 20 % and sets flag `2`
//!   (F_COMPRESS). Such values are gunzipped here. Flag `1` (F_STORABLE) marks a
//!   Perl reference stored by some other program, never a session; it is an error.
//! * Perl stores with exptime 0: records stay until memcached evicts them.
//! * With several servers, each key goes to the server Cache::Memcached picks
//!   (see [`servers`]), so both sides find it.
//!
//! # Options
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `Servers` | `127.0.0.1:11211` | Comma-separated `host:port` list, in the order of Perl's `servers`. A server Perl weights `N` (`["host:port", N]`) is listed `N` times in its place. |
//! | `Namespace` | none | Cache::Memcached's `namespace`. Used when true in Perl. |
//! | `CompressThreshold` | none | As Perl's `compress_threshold`: gzip values of at least this many bytes when that saves 20 %. Off by default; reading gzipped values needs no option. |
//! | `NoRehash` | off | As Perl's `no_rehash`: a dead server is an error instead of moving its keys to another server. |
//! | `Expire` | none | Ours: an exptime in seconds for every write. Perl's driver sets none. |
//! | `ExpireFromSession`, `ExpireGrace` | off, `86400` | Ours: exptime from the session's own expiry, as for the `redis` driver. |
//!
//! Perl's driver takes a `Cache::Memcached` object (`Memcached`) instead; give the
//! Rust side the same `servers`, `namespace` and `no_rehash` as that object.
//!
//! # It cannot traverse
//! memcached has no command that lists keys, so [`Driver::traverse`] fails with
//! [`Error::Unsupported`], and `find()` and `purge` refuse this store with that
//! explanation. Perl's driver returns success without visiting anything, so Perl's
//! `find()` silently does nothing. Old sessions go when memcached evicts them, or
//! with an exptime (`Expire`, `ExpireFromSession`).
//!
//! # Behaviour that deliberately differs from Perl
//! * A failed write or delete is an error naming the server. Perl's driver ignores
//!   what Cache::Memcached returns, so a session written while the server is down is
//!   silently lost.
//! * A value flagged as gzip that does not gunzip is an error; Cache::Memcached
//!   returns undef, i.e. the session silently restarts empty.
//! * Ids memcached cannot key (empty, whitespace or control characters, or with the
//!   namespace longer than 250 bytes) are refused ([`Error::InvalidId`] on write,
//!   "not found" on read); Perl sends them and gets a protocol error.

use std::io::Read;
use std::ops::ControlFlow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::{self, bad_arg};
use crate::kv::{host_port, TtlPolicy};
use crate::{found, Args, Driver, Error};

mod protocol;
pub mod servers;

use protocol::{Item, MAX_VALUE_BYTES};
use servers::{Failed, Servers};

/// The server used when `Servers` is not given.
pub const DEFAULT_SERVERS: &str = "127.0.0.1:11211";

/// The port of a `Servers` entry written without one.
pub const DEFAULT_PORT: u16 = 11211;

/// Cache::Memcached's `F_STORABLE`: the value is a `Storable::nfreeze`d reference.
pub const F_STORABLE: u32 = 1;

/// Cache::Memcached's `F_COMPRESS`: the value is gzipped (`Compress::Zlib::memGzip`).
pub const F_COMPRESS: u32 = 2;

/// The longest key memcached accepts.
const MAX_KEY_BYTES: usize = 250;

/// Cache::Memcached's `COMPRESS_SAVINGS`: gzip must save at least this fraction.
const COMPRESS_SAVINGS: f64 = 0.20;

/// memcached reads an exptime above 30 days as a Unix time, not a number of seconds.
const MAX_RELATIVE_EXPTIME: u64 = 30 * 24 * 3600;

/// Why [`Driver::traverse`] fails; `find()` and `purge` show it.
pub const CANNOT_TRAVERSE: &str = "cannot traverse: memcached has no command that lists \
    its keys, so find(), purge and list cannot visit the sessions stored there (Perl's \
    memcached driver silently visits none); old sessions leave memcached by eviction, or \
    by an exptime set with the Expire or ExpireFromSession driver arguments";

/// The memcached store. See the [module docs](self) for options and deviations from Perl.
#[derive(Debug)]
pub struct MemcachedDriver {
    servers: Servers,
    namespace: String,
    compress_threshold: Option<usize>,
    ttl: TtlPolicy,
}

impl MemcachedDriver {
    /// Builds the driver from its arguments (see the [module docs](self)). No server
    /// is contacted until the first operation, which reports an unreachable one.
    pub fn from_args(args: &Args) -> Result<Self, Error> {
        let list = args::true_value(args, "Servers").unwrap_or(DEFAULT_SERVERS);
        let addresses = list
            .split(',')
            .map(|entry| check_address(entry.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        // Cache::Memcached: `namespace || ''`.
        let namespace = args::true_value(args, "Namespace").unwrap_or_default();
        if namespace.len() >= MAX_KEY_BYTES || !namespace.chars().all(is_key_char) {
            return Err(bad_arg(
                "Namespace",
                format!("{namespace:?}: memcached keys allow no whitespace or control characters and at most {MAX_KEY_BYTES} bytes"),
            ));
        }
        let compress_threshold = args::true_value(args, "CompressThreshold")
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| {
                    bad_arg(
                        "CompressThreshold",
                        format!("{v:?} is not a number of bytes"),
                    )
                })
            })
            .transpose()?;
        Ok(MemcachedDriver {
            servers: Servers::new(addresses, args::flag(args, "NoRehash", false)?),
            namespace: namespace.to_owned(),
            compress_threshold,
            ttl: TtlPolicy::from_args(args)?,
        })
    }

    /// The key session `id` has on the wire (`NamespaceID`), or [`Error::InvalidId`].
    pub fn key_for(&self, id: &str) -> Result<String, Error> {
        self.checked_key("key_for", id)
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
        if !id.chars().all(is_key_char) {
            return refuse("memcached keys cannot contain whitespace or control characters");
        }
        if self.namespace.len() + id.len() > MAX_KEY_BYTES {
            return refuse("memcached keys (namespace included) are at most 250 bytes");
        }
        Ok(format!("{}{id}", self.namespace))
    }

    /// Runs one command for `id` on the server that holds it; errors name the
    /// operation, the key and the server(s).
    fn run<T>(
        &self,
        op: &'static str,
        id: &str,
        work: impl Fn(&mut protocol::Connection) -> Result<T, protocol::McError>,
    ) -> Result<T, Error> {
        self.servers.run(id, work).map_err(|failed| {
            let message = match failed {
                Failed::On(server, e) => format!("{op}(): {server}: {e}"),
                Failed::Unreachable(tries) if tries.len() == 1 => {
                    let (server, e) = &tries[0];
                    format!("{op}(): {server}: {e}")
                }
                Failed::Unreachable(tries) => {
                    let each: Vec<String> =
                        tries.iter().map(|(s, e)| format!("{s}: {e}")).collect();
                    format!(
                        "{op}(): no server could be reached for session {id:?} ({})",
                        each.join("; ")
                    )
                }
            };
            Error::Backend {
                driver: "memcached",
                message,
            }
        })
    }

    /// The record an item holds: gunzipped when flagged so.
    fn decode(&self, key: &str, item: Item) -> Result<Vec<u8>, Error> {
        let fail = |message: String| Error::Backend {
            driver: "memcached",
            message: format!("retrieve(): the value of key {key:?} {message}"),
        };
        if item.flags & F_STORABLE != 0 {
            return Err(fail(format!(
                "has flags {} (F_STORABLE): it is a Perl reference stored by Cache::Memcached, not a session record",
                item.flags
            )));
        }
        if item.flags & F_COMPRESS == 0 {
            return Ok(item.data);
        }
        let mut data = Vec::new();
        flate2::read::GzDecoder::new(item.data.as_slice())
            .take(MAX_VALUE_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| {
                fail(format!(
                    "is flagged gzip-compressed (F_COMPRESS) but does not gunzip: {e}"
                ))
            })?;
        if data.len() as u64 > MAX_VALUE_BYTES {
            return Err(fail(format!(
                "gunzips to more than {MAX_VALUE_BYTES} bytes"
            )));
        }
        Ok(data)
    }

    /// What to send for `data`: Cache::Memcached's `_set` rule when a threshold is set.
    fn encode<'d>(&self, data: &'d [u8]) -> (u32, std::borrow::Cow<'d, [u8]>) {
        if self
            .compress_threshold
            .is_some_and(|t| t > 0 && data.len() >= t)
        {
            let mut gzip =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            if std::io::Write::write_all(&mut gzip, data).is_ok() {
                if let Ok(compressed) = gzip.finish() {
                    // The same floating-point test as Perl's `$c_len < $len*(1 - COMPRESS_SAVINGS)`.
                    if (compressed.len() as f64) < data.len() as f64 * (1.0 - COMPRESS_SAVINGS) {
                        return (F_COMPRESS, compressed.into());
                    }
                }
            }
        }
        (0, data.into())
    }

    fn write(&self, id: &str, data: &[u8], expires_in: Option<Duration>) -> Result<(), Error> {
        let key = self.checked_key("store", id)?;
        let exptime = self.ttl.seconds(expires_in).map_or(0, exptime);
        let (flags, bytes) = self.encode(data);
        self.run("store", id, |c| c.set(&key, flags, exptime, &bytes))
    }
}

impl Driver for MemcachedDriver {
    fn name(&self) -> &'static str {
        "memcached"
    }

    /// `get NamespaceID`; a miss, `""` or `"0"` is "not found" (spec §2.3 step 7), and
    /// so is an id memcached cannot key.
    fn retrieve(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        let Ok(key) = self.checked_key("retrieve", id) else {
            return Ok(None);
        };
        let Some(item) = self.run("retrieve", id, |c| c.get(&key))? else {
            return Ok(None);
        };
        let data = self.decode(&key, item)?;
        Ok(found(Some(data)))
    }

    /// `set NamespaceID FLAGS EXPTIME`, exptime 0 unless `Expire` is set.
    fn store(&self, id: &str, data: &[u8]) -> Result<(), Error> {
        self.write(id, data, None)
    }

    /// As [`store`](Driver::store), with the exptime `ExpireFromSession` derives.
    fn store_expiring(
        &self,
        id: &str,
        data: &[u8],
        expires_in: Option<Duration>,
    ) -> Result<(), Error> {
        self.write(id, data, expires_in)
    }

    /// `delete NamespaceID`; a key already gone counts as removed.
    fn remove(&self, id: &str) -> Result<(), Error> {
        let key = self.checked_key("remove", id)?;
        self.run("remove", id, |c| c.delete(&key))
    }

    /// Always [`Error::Unsupported`]: see [`CANNOT_TRAVERSE`].
    fn traverse(&self, _visit: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Result<(), Error> {
        Err(Error::Unsupported {
            driver: "memcached",
            message: CANNOT_TRAVERSE.to_owned(),
        })
    }
}

/// A character memcached's text protocol allows in a key.
fn is_key_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control()
}

/// A `Servers` entry as a `host:port` address; a missing port means 11211.
fn check_address(entry: &str) -> Result<String, Error> {
    if entry.starts_with('/') {
        return Err(bad_arg(
            "Servers",
            format!("{entry:?}: Unix sockets are not supported; use host:port"),
        ));
    }
    let (host, port) = host_port("Servers", entry)?;
    let port = port.unwrap_or(DEFAULT_PORT);
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// A TTL as memcached's exptime: seconds up to 30 days, a Unix time beyond.
fn exptime(seconds: u64) -> u64 {
    if seconds <= MAX_RELATIVE_EXPTIME {
        return seconds;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    now.saturating_add(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(pairs: &[(&str, &str)]) -> Result<MemcachedDriver, Error> {
        MemcachedDriver::from_args(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn keys_are_the_namespace_and_the_bare_id() {
        assert_eq!(driver(&[]).unwrap().key_for("abc").unwrap(), "abc");
        let d = driver(&[("Namespace", "app1:")]).unwrap();
        assert_eq!(d.key_for("abc").unwrap(), "app1:abc");
        // `namespace || ''`
        assert_eq!(
            driver(&[("Namespace", "0")])
                .unwrap()
                .key_for("abc")
                .unwrap(),
            "abc"
        );
        let long = "x".repeat(245);
        assert!(d.key_for(&long).is_ok());
        assert!(d.key_for(&format!("{long}y")).is_err());
        for id in ["", "a b", "a\nb", "a\u{7f}", "a\u{85}b"] {
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
    fn server_lists_are_checked() {
        for good in [
            "h:1",
            "h",
            " a:1 , b:2",
            "[::1]:11211",
            "[::1]",
            "10.0.0.1:65535",
        ] {
            driver(&[("Servers", good)]).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in ["a:1,", "a:x", "a:0", ":1", "/tmp/mc.sock", "::1", "a b:1"] {
            let err = driver(&[("Servers", bad)]).unwrap_err();
            assert!(
                err.to_string().starts_with("driver argument Servers: "),
                "{bad}: {err}"
            );
        }
        for (name, value) in [
            ("Namespace", "a b"),
            ("CompressThreshold", "-1"),
            ("NoRehash", "no"),
            ("Expire", "soon"),
        ] {
            let err = driver(&[(name, value)]).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("driver argument {name}: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn compression_follows_cache_memcached() {
        let record =
            b"$D = {'a' => 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'};;$D"
                .repeat(4);
        let plain = driver(&[]).unwrap();
        assert_eq!(plain.encode(&record).0, 0, "off without a threshold");
        let d = driver(&[("CompressThreshold", "100")]).unwrap();
        let (flags, bytes) = d.encode(&record);
        assert_eq!(flags, F_COMPRESS);
        assert!(bytes.len() < record.len());
        let back = d
            .decode(
                "k",
                Item {
                    flags,
                    data: bytes.into_owned(),
                },
            )
            .unwrap();
        assert_eq!(back, record);
        // Below the threshold, or when gzip saves under 20 %, the value goes as is.
        assert_eq!(d.encode(&record[..99]).0, 0);
        let noise: Vec<u8> = (0..200_u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(d.encode(&noise).0, 0);
    }

    #[test]
    fn bad_values_are_named_errors() {
        let d = driver(&[]).unwrap();
        let err = d
            .decode(
                "ns:k",
                Item {
                    flags: F_COMPRESS,
                    data: b"not gzip".to_vec(),
                },
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("\"ns:k\"") && err.to_string().contains("gunzip"),
            "{err}"
        );
        let err = d
            .decode(
                "k",
                Item {
                    flags: F_STORABLE,
                    data: b"x".to_vec(),
                },
            )
            .unwrap_err();
        assert!(err.to_string().contains("F_STORABLE"), "{err}");
        // Other flag bits are someone else's business, as in Perl.
        assert_eq!(
            d.decode(
                "k",
                Item {
                    flags: 4,
                    data: b"x".to_vec()
                }
            )
            .unwrap(),
            b"x"
        );
    }

    #[test]
    fn long_ttls_become_unix_times() {
        assert_eq!(exptime(60), 60);
        assert_eq!(exptime(MAX_RELATIVE_EXPTIME), MAX_RELATIVE_EXPTIME);
        assert!(exptime(MAX_RELATIVE_EXPTIME + 1) > 1_700_000_000);
    }

    #[test]
    fn traverse_explains_why_not() {
        let err = driver(&[])
            .unwrap()
            .traverse(&mut |_| ControlFlow::Continue(()))
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Unsupported {
                driver: "memcached",
                ..
            }
        ));
        assert!(
            err.to_string().starts_with(
                "memcached driver: cannot traverse: memcached has no command that lists its keys"
            ),
            "{err}"
        );
    }
}

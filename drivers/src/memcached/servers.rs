//! Which server holds a key: `Cache::Memcached`'s rule (1.30, `get_sock`), so a
//! Rust process and a Perl process given the same server list agree on every key.
//!
//! * One server in the list: every key goes there; a dead server is an error.
//! * Otherwise the list is the bucket list (a server Perl weights `N` is listed `N`
//!   times, in its place), and the key — without the namespace — picks bucket
//!   `hash(key) % buckets`, where `hash` is `(crc32(key) >> 16) & 0x7fff`.
//! * When that server cannot be connected to, the key moves on: `hv += hash(T . key)`
//!   for `T` = 1, 2, ... (the try count, as decimal text), at most 20 tries; with
//!   `NoRehash` (Perl's `no_rehash`) it fails instead. Only a failed *connection*
//!   moves a key; an error in the middle of a command does not, as in Perl.
//!
//! Perl also remembers a dead server for 20-30 seconds; here each operation tries
//! the server again, so a server that comes back is used again at once (Perl keeps
//! sending its keys elsewhere until its own timer runs out).

use crate::kv::IdlePool;

use super::protocol::{Connection, McError};

/// Cache::Memcached's limit on tries for one key.
const MAX_TRIES: u32 = 20;

/// `Cache::Memcached::_hashfunc`: the top 15 bits of the low 31 of the key's CRC-32
/// (String::CRC32, i.e. zlib's CRC-32).
pub fn bucket_hash(key: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(key);
    (crc.sum() >> 16) & 0x7fff
}

/// One server and its idle connections.
#[derive(Debug)]
struct Server {
    address: String,
    idle: IdlePool<Connection>,
}

/// The server list, in Perl's bucket order.
#[derive(Debug)]
pub(super) struct Servers {
    buckets: Vec<Server>,
    no_rehash: bool,
}

/// Why an operation could not run anywhere: each server tried and its failure, or
/// the one failure of the server that answered.
#[derive(Debug)]
pub(super) enum Failed {
    /// No server could be connected to: `(address, error)` for each try.
    Unreachable(Vec<(String, McError)>),
    /// The server holding the key failed the command.
    On(String, McError),
}

impl Servers {
    /// The bucket list from `host:port` entries (already checked).
    pub(super) fn new(addresses: Vec<String>, no_rehash: bool) -> Self {
        Servers {
            buckets: addresses
                .into_iter()
                .map(|address| Server {
                    address,
                    idle: IdlePool::default(),
                })
                .collect(),
            no_rehash,
        }
    }

    /// The bucket indexes Cache::Memcached tries for `key`, in order.
    pub(super) fn candidates(&self, key: &str) -> Vec<usize> {
        let count = self.buckets.len();
        if count == 1 {
            return vec![0];
        }
        let tries = if self.no_rehash { 1 } else { MAX_TRIES };
        let mut hv = u64::from(bucket_hash(key.as_bytes()));
        let mut order = Vec::with_capacity(tries as usize);
        for try_number in 1..=tries {
            order.push((hv % count as u64) as usize);
            hv += u64::from(bucket_hash(format!("{try_number}{key}").as_bytes()));
        }
        order
    }

    /// Runs `work` on a connection to the server that holds `key` (the key without
    /// the namespace, as Perl hashes it).
    pub(super) fn run<T>(
        &self,
        key: &str,
        work: impl Fn(&mut Connection) -> Result<T, McError>,
    ) -> Result<T, Failed> {
        let mut unreachable: Vec<(String, McError)> = Vec::new();
        for index in self.candidates(key) {
            let server = &self.buckets[index];
            // A server already found dead for this key is not dialled again.
            if unreachable.iter().any(|(a, _)| *a == server.address) {
                continue;
            }
            let connect = || Connection::open(&server.address);
            match server.idle.run(connect, &work, McError::is_broken) {
                Err(e @ McError::Connect(_)) => unreachable.push((server.address.clone(), e)),
                Err(e) => return Err(Failed::On(server.address.clone(), e)),
                Ok(value) => return Ok(value),
            }
        }
        Err(Failed::Unreachable(unreachable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_cache_memcacheds() {
        // perl -MString::CRC32 -e 'print +(crc32("abc") >> 16) & 0x7fff'
        assert_eq!(bucket_hash(b"abc"), 13604);
        assert_eq!(bucket_hash(b""), 0);
    }

    #[test]
    fn one_server_takes_every_key_and_is_never_rehashed() {
        let one = Servers::new(vec!["a:1".into()], false);
        assert_eq!(one.candidates("abc"), vec![0]);
    }

    #[test]
    fn keys_pick_buckets_and_rehash_as_perl_does() {
        let pool = Servers::new(vec!["a:1".into(), "b:1".into(), "c:1".into()], false);
        let order = pool.candidates("abc");
        assert_eq!(order.len(), 20);
        assert_eq!(order[0], 13604 % 3);
        let second = (13604 + u64::from(bucket_hash(b"1abc"))) % 3;
        assert_eq!(order[1] as u64, second);
        let no_rehash = Servers::new(vec!["a:1".into(), "b:1".into()], true);
        assert_eq!(no_rehash.candidates("abc"), vec![13604 % 2]);
    }
}

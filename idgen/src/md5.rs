//! Generator `md5`: 32 lowercase hex digits, Perl's shape, unguessable (spec §6.1).
//!
//! Perl hashes its PID, the time and `rand(time)`, a drand48 value seeded once per
//! process, so its ids are predictable by anyone who can guess those (spec §8.1
//! item 2). Here the hash input is the PID, the time and 32 bytes from the operating
//! system's CSPRNG: the id has the same form (`md5_hex`), so Perl code and stores that
//! check the shape accept it, but the 128 bits of output are as unpredictable as MD5
//! of a 256-bit secret.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Args, Error, IdGenerator};

/// Generator `md5`. See the [module docs](self).
///
/// ```
/// use cgi_session_idgen::{Args, IdGenerator, Md5};
///
/// let id = Md5.generate(&Args::new(), None).unwrap();
/// assert_eq!(id.len(), 32);
/// assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Md5;

impl IdGenerator for Md5 {
    fn name(&self) -> &'static str {
        "md5"
    }

    /// A fresh id. Arguments and the claimed id are ignored, as in Perl: `md5` never
    /// adopts an id the client asked for (spec §8.1 item 1).
    fn generate(&self, _args: &Args, _claimed_id: Option<&str>) -> Result<String, Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| Error::Random {
            generator: "md5",
            message: e.to_string(),
        })?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Perl: `$md5->add($$, time(), rand(time))`; the secret replaces rand.
        let mut context = md5::Context::new();
        context.consume(std::process::id().to_string());
        context.consume(now.to_string());
        context.consume(secret);
        Ok(format!("{:x}", context.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_perls_shape_and_differ() {
        assert_eq!(Md5.name(), "md5");
        assert!(!Md5.numeric_ids());
        let ids: std::collections::BTreeSet<String> = (0..1000)
            .map(|_| Md5.generate(&Args::new(), Some("ignored")).unwrap())
            .collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
        }
    }

    #[test]
    fn hex_digest_is_perls_md5_hex() {
        // spec §6.1's example input; the digest is what Perl's
        // `Digest::MD5::md5_hex("2297717952934921336640887.24082")` prints.
        let digest = md5::compute(b"2297717952934921336640887.24082");
        assert_eq!(format!("{digest:x}"), "6a4e2d45fa5effa2ba2c41e95902e2c6");
    }
}

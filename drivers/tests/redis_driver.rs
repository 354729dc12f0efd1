//! The `redis` driver against a real Redis server: Perl's key layout byte for byte,
//! TTLs (`Expire`, `ExpireFromSession`), the self-healing traverse, failures, and the
//! same store shared with the Perl driver (the test stand-in written from the
//! documented behaviour of CPAN's `CGI::Session::Driver::redis`).
//!
//! Skips without Redis unless `CGISESS_REQUIRE_SERVICES=1`, and the Perl part without
//! Perl unless `CGISESS_REQUIRE_ORACLE=1`.
#![cfg(feature = "redis")]

mod common;
mod kv;

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::time::Duration;

use cgi_session_drivers::{Driver, Error, RedisDriver};
use common::listed_ids;
use kv::{args, closed_port, oracle_has, perl, redis_url, service_up, unique};
use redis::Commands;

/// A raw connection for looking behind the driver, or `None` (skip) without Redis.
fn raw() -> Option<redis::Connection> {
    let mut connection = None;
    let up = service_up("redis", || {
        let client = redis::Client::open(redis_url()).map_err(|e| e.to_string())?;
        connection = Some(
            client
                .get_connection_with_timeout(Duration::from_secs(2))
                .map_err(|e| format!("{}: {e}", redis_url()))?,
        );
        Ok(())
    });
    connection.filter(|_| up)
}

/// A driver on its own prefix, with a raw connection; removes its keys when dropped.
struct Store {
    driver: RedisDriver,
    prefix: String,
    raw: redis::Connection,
}

impl Store {
    fn new(tag: &str, extra: &[(&str, &str)]) -> Option<Store> {
        let raw = raw()?;
        let prefix = unique(tag);
        Some(Store {
            driver: driver(&prefix, extra),
            prefix,
            raw,
        })
    }

    fn key(&self, id: &str) -> String {
        format!("{}:{id}", self.prefix)
    }

    fn members(&mut self) -> BTreeSet<String> {
        self.raw
            .smembers(format!("{}:members", self.prefix))
            .unwrap()
    }

    fn ttl(&mut self, id: &str) -> i64 {
        self.raw.ttl(self.key(id)).unwrap()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let keys: Vec<String> = self
            .raw
            .keys(format!("{}:*", self.prefix))
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = self.raw.del(keys);
        }
    }
}

fn driver(prefix: &str, extra: &[(&str, &str)]) -> RedisDriver {
    let mut a = args(extra);
    a.insert("Server".into(), redis_url());
    a.insert("Prefix".into(), prefix.into());
    RedisDriver::from_args(&a).expect("driver")
}

#[test]
fn store_writes_perls_layout_and_remove_undoes_it() {
    let Some(mut s) = Store::new("layout", &[]) else {
        return;
    };
    let record = b"$D = {'_SESSION_ID' => 'abc'};;$D";
    s.driver.store("abc", record).unwrap();

    let stored: Vec<u8> = s.raw.get(s.key("abc")).unwrap();
    assert_eq!(stored, record, "the serializer's bytes, unframed");
    assert_eq!(
        s.members(),
        BTreeSet::from([s.key("abc")]),
        "the full key is the member"
    );
    assert_eq!(s.ttl("abc"), -1, "no Expire, no TTL");
    assert_eq!(
        s.driver.retrieve("abc").unwrap().as_deref(),
        Some(&record[..])
    );

    s.driver.remove("abc").unwrap();
    assert!(!s.raw.exists::<_, bool>(s.key("abc")).unwrap());
    assert!(s.members().is_empty());
    s.driver.remove("abc").expect("removing twice succeeds");
    assert_eq!(s.driver.retrieve("abc").unwrap(), None);
}

#[test]
fn records_are_bytes_and_false_records_are_not_found() {
    let Some(s) = Store::new("bytes", &[]) else {
        return;
    };
    let all: Vec<u8> = (0..=255).collect();
    s.driver.store("bin", &all).unwrap();
    assert_eq!(s.driver.retrieve("bin").unwrap(), Some(all));
    for (id, data) in [("zero", &b"0"[..]), ("empty", b"")] {
        s.driver.store(id, data).unwrap();
        assert_eq!(
            s.driver.retrieve(id).unwrap(),
            None,
            "{data:?} is false to Perl"
        );
    }
    assert!(matches!(
        s.driver.store("a b", b"x"),
        Err(Error::InvalidId { op: "store", .. })
    ));
}

#[test]
fn expire_sets_a_ttl_that_a_plain_store_clears() {
    let Some(mut s) = Store::new("expire", &[]) else {
        return;
    };
    let expiring = driver(&s.prefix, &[("Expire", "100")]);
    expiring.store("abc", b"x").unwrap();
    let ttl = s.ttl("abc");
    assert!((95..=100).contains(&ttl), "TTL {ttl}");
    // Perl's plain SET (no Expire) drops the TTL again; so does ours.
    s.driver.store("abc", b"x").unwrap();
    assert_eq!(s.ttl("abc"), -1);
}

#[test]
fn expire_from_session_gives_the_time_left_plus_the_grace() {
    let Some(mut s) = Store::new("fromsession", &[]) else {
        return;
    };
    let exact = driver(
        &s.prefix,
        &[
            ("ExpireFromSession", "1"),
            ("ExpireGrace", "0"),
            ("Expire", "70"),
        ],
    );
    exact
        .store_expiring("a", b"x", Some(Duration::from_secs(50)))
        .unwrap();
    let ttl = s.ttl("a");
    assert!((45..=50).contains(&ttl), "TTL {ttl}");
    // Without a session expiry, Expire applies.
    exact.store_expiring("b", b"x", None).unwrap();
    let ttl = s.ttl("b");
    assert!((65..=70).contains(&ttl), "TTL {ttl}");

    let graced = driver(&s.prefix, &[("ExpireFromSession", "1")]);
    graced
        .store_expiring("c", b"x", Some(Duration::from_secs(50)))
        .unwrap();
    let ttl = s.ttl("c");
    assert!((86_445..=86_450).contains(&ttl), "TTL {ttl}");
    graced.store_expiring("d", b"x", None).unwrap();
    assert_eq!(s.ttl("d"), -1, "no session expiry and no Expire: no TTL");

    // Without the option the session's expiry is ignored, as in Perl.
    s.driver
        .store_expiring("e", b"x", Some(Duration::from_secs(50)))
        .unwrap();
    assert_eq!(s.ttl("e"), -1);
}

#[test]
fn traverse_strips_the_prefix_and_heals_the_members_set() {
    let Some(mut s) = Store::new("heal", &[]) else {
        return;
    };
    s.driver.store("a", b"x").unwrap();
    s.driver.store("b", b"x").unwrap();
    // A record that expires by TTL, as Perl's Expire leaves them: key gone, member not.
    driver(&s.prefix, &[("Expire", "1")])
        .store("c", b"x")
        .unwrap();
    // A member whose key was deleted behind the driver's back, and one that is not ours.
    let members = format!("{}:members", s.prefix);
    let _: () = s.raw.sadd(&members, s.key("ghost")).unwrap();
    let _: () = s.raw.sadd(&members, "elsewhere:x").unwrap();
    std::thread::sleep(Duration::from_millis(2100));

    assert_eq!(listed_ids(&s.driver), ["a", "b"]);
    assert_eq!(
        s.members(),
        BTreeSet::from([s.key("a"), s.key("b"), "elsewhere:x".to_string()]),
        "dead members removed, foreign ones left alone"
    );
}

#[test]
fn traverse_walks_big_sets_and_its_callback_may_use_the_driver() {
    let Some(mut s) = Store::new("big", &[]) else {
        return;
    };
    let ids: BTreeSet<String> = (0..1200).map(|i| format!("id{i:04}")).collect();
    for id in &ids {
        s.driver.store(id, b"x").unwrap();
    }
    let mut seen = BTreeSet::new();
    s.driver
        .traverse(&mut |id| {
            // What find() does: load (and here remove) through the same driver.
            assert!(s.driver.retrieve(id).unwrap().is_some() || seen.contains(id));
            s.driver.remove(id).unwrap();
            seen.insert(id.to_owned());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(seen, ids);
    assert!(s.members().is_empty());

    s.driver.store("one", b"x").unwrap();
    s.driver.store("two", b"x").unwrap();
    let mut visits = 0;
    s.driver
        .traverse(&mut |_| {
            visits += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(visits, 1, "Break stops the walk");
}

#[test]
fn an_unreachable_server_is_one_clear_error() {
    let port = closed_port();
    let server = format!("127.0.0.1:{port}");
    for given in [server.clone(), format!("redis://:hunter2@{server}/")] {
        let d = RedisDriver::from_args(&args(&[("Server", &given)])).expect("no connection yet");
        let errors = [
            d.retrieve("abc").unwrap_err(),
            d.store("abc", b"x").unwrap_err(),
            d.remove("abc").unwrap_err(),
            d.traverse(&mut |_| ControlFlow::Continue(())).unwrap_err(),
        ];
        for (op, err) in ["retrieve", "store", "remove", "traverse"]
            .iter()
            .zip(errors)
        {
            let text = err.to_string();
            assert!(
                text.starts_with(&format!(
                    "redis driver: {op}(): couldn't connect to {server}: "
                )),
                "{text}"
            );
            assert!(!text.contains("hunter2"), "{text}");
        }
    }
}

/// Loaded before each Perl snippet: the stand-in driver on `$ENV{PREFIX}`.
const PERL_PRELUDE: &str = r#"
use strict; use warnings; use Redis; use CGI::Session::Driver::redis;
binmode STDOUT;
my ($server) = $ENV{REDIS_URL} =~ m{^redis://([^/]+)};
sub driver {
    CGI::Session::Driver::redis->new({ Redis => Redis->new(server => $server), Prefix => $ENV{PREFIX}, @_ })
        or die CGI::Session::Driver::redis->errstr;
}
"#;

fn perl_lib() -> String {
    format!("{}/../tests/oracle/perl-lib", env!("CARGO_MANIFEST_DIR"))
}

fn run_perl(s: &Store, code: &str) -> String {
    let lib = perl_lib();
    let url = redis_url();
    perl(
        &format!("use lib '{lib}';{PERL_PRELUDE}{code}"),
        &[("PREFIX", &s.prefix), ("REDIS_URL", &url)],
    )
}

#[test]
fn rust_and_perls_driver_share_one_store() {
    let Some(mut s) = Store::new("perl", &[]) else {
        return;
    };
    if !oracle_has(&["Redis", "CGI::Session"]) {
        return;
    }
    let record = "$D = {'x' => \"caf\\x{e9}\"};;$D";
    // Perl writes with Expire: same key, same bytes, full-key member, a TTL.
    run_perl(
        &s,
        &format!("driver(Expire => 100)->store('fromperl', q{{{record}}}) or die;"),
    );
    assert_eq!(
        s.driver.retrieve("fromperl").unwrap().as_deref(),
        Some(record.as_bytes())
    );
    assert!((95..=100).contains(&s.ttl("fromperl")));

    s.driver.store("fromrust", b"rust \xff bytes").unwrap();
    let seen = run_perl(&s, "print unpack 'H*', driver()->retrieve('fromrust');");
    assert_eq!(seen, "7275737420ff206279746573");

    // Perl's traverse hands over the member itself; ours strips the prefix.
    let perl_listed = run_perl(
        &s,
        "my @ids; driver()->traverse(sub { push @ids, $_[0] }); print join ',', sort @ids;",
    );
    assert_eq!(perl_listed, format!("{0}:fromperl,{0}:fromrust", s.prefix));
    assert_eq!(listed_ids(&s.driver), ["fromperl", "fromrust"]);

    // Removal by either side clears the key and the member for both.
    run_perl(&s, "driver()->remove('fromrust') or die;");
    s.driver.remove("fromperl").unwrap();
    assert!(s.members().is_empty());
    assert_eq!(run_perl(&s, "print driver()->retrieve('fromperl');"), "0");
}

//! The `redis` and `memcached` stores through whole sessions: Perl's Test::Default
//! battery on each × serializer, Perl 4.48 and Rust sharing one server both ways
//! (Perl through its own drivers: Debian's `CGI::Session::Driver::memcached`, and the
//! redis stand-in in `tests/oracle/perl-lib`), `find()`, the store TTL derived from
//! the session's expiry, and failures.
//!
//! Skips without the servers unless `CGISESS_REQUIRE_SERVICES=1`, and the Perl tests
//! without Perl unless `CGISESS_REQUIRE_ORACLE=1`. Each test uses its own redis
//! prefix or memcached namespace, so tests run in parallel without meeting.

mod common;

use std::ops::ControlFlow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cgi_session::{Args, Config, Value};
use common::typed::first_difference;
use common::{to_typed, Oracle};
use serde_json::{json, Value as Json};

/// A name no other test (or earlier run) uses.
fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("kvtest-{tag}-{}-{nanos}", std::process::id())
}

fn to_args(json: &Json) -> Args {
    json.as_object()
        .expect("args object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("text arg").to_string()))
        .collect()
}

/// Whether the store `driver_args` name answers (a `retrieve` through the registry).
fn store_up(driver: &str, args: &Json) -> bool {
    common::services::store_available(driver, &to_args(args))
}

fn assert_same(got: &Json, want: &Json) {
    if let Some(diff) = first_difference(got, want) {
        panic!("Perl and Rust disagree at {diff}\n got: {got}\nwant: {want}");
    }
}

/// Session data of every common kind `serializer` carries. Perl's freezethaw corrupts
/// wide characters (spec §7.6), and with redis Perl's client refuses to send them, so
/// that one gets none.
fn params(serializer: &str) -> Vec<(&'static str, Value)> {
    let mut params = vec![
        ("user", Value::from("alice")),
        ("bytes", Value::bytes(b"caf\xe9 \x00\n".to_vec())),
        ("int", Value::Int(-42)),
        ("float", Value::Float(3.25)),
        (
            "nested",
            Value::hash([("list", Value::array([Value::Int(1), Value::from("two")]))]),
        ),
        (
            "object",
            Value::blessed("My::Cart", Value::hash([("items", Value::Int(3))])),
        ),
    ];
    if serializer != "freezethaw" {
        params.push(("wide", Value::from("smile \u{263a}")));
    }
    params
}

/// Perl writes a session and Rust loads it; Rust writes one and Perl loads it. For
/// each, the stored record thaws to the same data in Perl and in Rust. (Comparing
/// the two *loads* would not do: Perl's `load` numifies ATIME and ETIME in place.)
/// Returns both ids.
fn share_both_ways(serializer: &str, dsn: &str, args: &Json) -> Option<[String; 2]> {
    let perl = Oracle::get()?;
    let config = Config::new(Some(dsn), to_args(args)).unwrap();
    let same_record = |id: &str| {
        let bytes = config.driver().retrieve(id).unwrap().expect("stored");
        let perl_data = perl.thaw_bytes(serializer, &bytes).unwrap();
        assert_same(&to_typed(&config.peek(id).unwrap().unwrap()), &perl_data);
    };

    let typed_params: serde_json::Map<String, Json> = params(serializer)
        .into_iter()
        .map(|(k, v)| (k.to_string(), to_typed(&v)))
        .collect();
    let created = perl
        .new_session(
            dsn,
            args,
            None,
            &json!({ "params": typed_params, "expire": 3600 }),
        )
        .unwrap_or_else(|e| panic!("Perl new_session on {dsn}: {e}"));
    same_record(&created.id);
    let session = config.load(Some(&created.id)).unwrap();
    assert_eq!(session.id().as_deref(), Some(created.id.as_str()), "{dsn}");
    assert_eq!(session.param("user"), Some(&Value::from("alice")), "{dsn}");
    drop(session); // stores the new ATIME, as a Rust page would; Perl reads that too
    let reloaded = perl.load(dsn, args, &created.id, true).unwrap();
    assert_eq!(
        reloaded.data["hash"]["user"],
        json!({ "str": "alice" }),
        "{dsn}"
    );

    let mut session = config.new_session(None).unwrap();
    for (name, value) in params(serializer) {
        session.set_param(name, value).unwrap();
    }
    session.expire(3600).unwrap();
    session.flush().unwrap();
    let id = session.id().unwrap();
    let loaded = perl.load(dsn, args, &id, true).unwrap();
    assert!(!loaded.is_empty && !loaded.is_expired, "{dsn}: {loaded:?}");
    assert_eq!(loaded.id, json!({ "str": id }), "{dsn}");
    assert_eq!(
        loaded.data["hash"]["user"],
        json!({ "str": "alice" }),
        "{dsn}"
    );
    same_record(&id);
    Some([created.id, id])
}

/// An id that no store holds.
fn assert_gone(config: &Config, id: &str) {
    assert_eq!(
        config.driver().retrieve(id).unwrap(),
        None,
        "{id} is still stored"
    );
}

/// With `ExpireFromSession` and no grace a session's record leaves the store when
/// the session expires; with the default grace it stays, and loads as expired.
fn store_ttl_follows_the_session(dsn: &str, args: &Json) {
    let mut exact = to_args(args);
    exact.insert("ExpireFromSession".into(), "1".into());
    let graced = exact.clone();
    exact.insert("ExpireGrace".into(), "0".into());
    let (exact, graced) = (
        Config::new(Some(dsn), exact).unwrap(),
        Config::new(Some(dsn), graced).unwrap(),
    );
    let ids: Vec<String> = [&exact, &graced]
        .iter()
        .map(|config| {
            let mut session = config.new_session(None).unwrap();
            session.set_param("a", 1).unwrap();
            session.expire("1s").unwrap();
            session.flush().unwrap();
            session.id().unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    assert_gone(&exact, &ids[0]);
    let session = graced.load(Some(&ids[1])).unwrap();
    assert!(session.is_expired(), "the grace keeps the expired record");
    assert_gone(&graced, &ids[1]);
}

/// An unreachable server fails the load, and the flush, with one error naming it.
fn unreachable_is_one_clear_error(dsn: &str, args: Args, server: &str) {
    let config = Config::new(Some(dsn), args).expect("no connection at construction");
    let err = config.load(Some("abc")).unwrap_err().to_string();
    eprintln!("load error: {err}");
    assert!(
        err.contains("retrieve(): ") && err.contains(server),
        "{err}"
    );
    let mut session = config.new_session(None).unwrap();
    let err = session.flush().unwrap_err().to_string();
    assert!(err.contains("store(): ") && err.contains(server), "{err}");
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

macro_rules! battery_tests {
    ($driver:ident, $args:path, [$($name:ident => $serializer:literal),*]) => {
        $(
            #[test]
            fn $name() {
                let args = $args(stringify!($name));
                if !store_up(stringify!($driver), &args) {
                    return;
                }
                let dsn = format!("driver:{};serializer:{}", stringify!($driver), $serializer);
                common::battery::run_default_battery(&dsn, to_args(&args));
            }
        )*
    };
}

#[cfg(feature = "redis")]
mod redis_store {
    use super::*;

    pub(super) fn args(tag: &str) -> Json {
        json!({ "Server": common::services::redis_url(), "Prefix": unique(tag) })
    }

    /// Every id the store lists.
    fn listed(config: &Config) -> Vec<String> {
        common::listed_ids(config.driver())
    }

    battery_tests!(redis, args, [
        battery_redis_default => "default",
        battery_redis_storable => "storable",
        battery_redis_freezethaw => "freezethaw",
        battery_redis_yaml => "yaml"
    ]);

    #[test]
    fn the_battery_leaves_the_members_set_empty() {
        let args = args("battery-left");
        if !store_up("redis", &args) {
            return;
        }
        common::battery::run_default_battery("driver:redis", to_args(&args));
        let config = Config::new(Some("driver:redis"), to_args(&args)).unwrap();
        assert_eq!(listed(&config), Vec::<String>::new());
    }

    #[test]
    fn perl_and_rust_share_sessions_both_ways() {
        for serializer in common::PERL_SERIALIZERS {
            let args = args(&format!("share-{serializer}"));
            if !store_up("redis", &args) {
                return;
            }
            let dsn = format!("driver:redis;serializer:{serializer}");
            let Some(ids) = share_both_ways(serializer, &dsn, &args) else {
                return;
            };
            let config = Config::new(Some(&dsn), to_args(&args)).unwrap();
            let mut want = ids.to_vec();
            want.sort();
            assert_eq!(listed(&config), want, "traverse lists ids, not keys");
            for id in &ids {
                config.driver().remove(id).unwrap();
            }
        }
    }

    #[test]
    fn find_visits_perl_and_rust_sessions_and_purges_the_expired() {
        let args = args("find");
        if !store_up("redis", &args) {
            return;
        }
        let Some(perl) = Oracle::get() else { return };
        let dsn = "driver:redis";
        let config = Config::new(Some(dsn), to_args(&args)).unwrap();
        let expiring = perl
            .new_session(
                dsn,
                &args,
                None,
                &json!({ "params": { "who": { "str": "perl" } }, "expire": 1 }),
            )
            .unwrap();
        let mut session = config.new_session(None).unwrap();
        session.set_param("who", "rust").unwrap();
        session.flush().unwrap();
        let kept = session.id().unwrap();
        std::thread::sleep(Duration::from_millis(2100));

        let mut seen = Vec::new();
        let summary = config
            .find(|s| {
                if !s.is_empty() {
                    seen.push(s.param("who").cloned());
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(summary.visited, 2);
        assert_eq!(summary.expired, 1, "{summary:?}");
        assert!(summary.errors.is_empty(), "{summary:?}");
        assert_eq!(seen, [Some(Value::from("rust"))]);
        assert_gone(&config, &expiring.id);
        assert_eq!(listed(&config), [kept.as_str()]);
        config.driver().remove(&kept).unwrap();
    }

    #[test]
    fn expire_from_session_lets_redis_drop_expired_sessions() {
        let args = args("ttl");
        if !store_up("redis", &args) {
            return;
        }
        store_ttl_follows_the_session("driver:redis", &args);
        // The records expired by TTL left their members behind; the walk drops them.
        let config = Config::new(Some("driver:redis"), to_args(&args)).unwrap();
        assert_eq!(listed(&config), Vec::<String>::new());
    }

    #[test]
    fn an_unreachable_redis_is_one_clear_error() {
        let server = format!("127.0.0.1:{}", closed_port());
        let args = Args::from([("Server".into(), server.clone())]);
        unreachable_is_one_clear_error("driver:redis", args, &server);
    }
}

#[cfg(feature = "memcached")]
mod memcached_store {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;

    use super::*;

    pub(super) fn args(tag: &str) -> Json {
        json!({
            "Servers": common::services::memcached_addr(),
            "Namespace": format!("{}:", unique(tag)),
        })
    }

    /// The flags memcached holds for `key`, read over the text protocol.
    fn flags_of(key: &str) -> Option<u32> {
        let mut stream = TcpStream::connect(common::services::memcached_addr()).unwrap();
        stream
            .write_all(format!("get {key}\r\n").as_bytes())
            .unwrap();
        let mut header = String::new();
        BufReader::new(stream).read_line(&mut header).unwrap();
        header
            .strip_prefix("VALUE ")?
            .split(' ')
            .nth(1)?
            .parse()
            .ok()
    }

    battery_tests!(memcached, args, [
        battery_memcached_default => "default",
        battery_memcached_storable => "storable",
        battery_memcached_freezethaw => "freezethaw",
        battery_memcached_yaml => "yaml"
    ]);

    #[test]
    fn perl_and_rust_share_sessions_both_ways() {
        for serializer in common::PERL_SERIALIZERS {
            let args = args(&format!("share-{serializer}"));
            if !store_up("memcached", &args) {
                return;
            }
            let dsn = format!("driver:memcached;serializer:{serializer}");
            let Some(ids) = share_both_ways(serializer, &dsn, &args) else {
                return;
            };
            let config = Config::new(Some(&dsn), to_args(&args)).unwrap();
            let ns = args["Namespace"].as_str().unwrap();
            for id in &ids {
                assert_eq!(flags_of(&format!("{ns}{id}")), Some(0), "stored plain");
                config.driver().remove(id).unwrap();
            }
        }
    }

    #[test]
    fn values_perl_gzipped_are_read_and_perl_reads_ours() {
        // Perl's client compresses values of at least compress_threshold bytes.
        let mut args = args("gzip");
        args["CompressThreshold"] = json!("200");
        if !store_up("memcached", &args) {
            return;
        }
        let Some(perl) = Oracle::get() else { return };
        let dsn = "driver:memcached";
        let ns = args["Namespace"].as_str().unwrap().to_string();
        let long = "all work and no play ".repeat(40);
        let created = perl
            .new_session(
                dsn,
                &args,
                None,
                &json!({ "params": { "text": { "str": long } } }),
            )
            .unwrap();
        assert_eq!(
            flags_of(&format!("{ns}{}", created.id)),
            Some(2),
            "Perl gzipped it"
        );

        let config = Config::new(Some(dsn), to_args(&args)).unwrap();
        let session = config.load(Some(&created.id)).unwrap();
        assert_eq!(session.id().as_deref(), Some(created.id.as_str()));
        assert_eq!(session.param("text"), Some(&Value::from(long.as_str())));
        drop(session); // flushes the new ATIME, gzipped by Rust this time
        let loaded = perl.load(dsn, &args, &created.id, true).unwrap();
        assert_eq!(loaded.data["hash"]["text"], json!({ "str": long }));
        assert_eq!(
            flags_of(&format!("{ns}{}", created.id)),
            Some(2),
            "Rust gzipped it"
        );
        config.driver().remove(&created.id).unwrap();
    }

    #[test]
    fn find_refuses_memcached_with_the_reason() {
        let args = args("find");
        let config = Config::new(Some("driver:memcached"), to_args(&args)).unwrap();
        let err = config
            .find(|_| ControlFlow::Continue(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("memcached driver: cannot traverse: memcached has no command that lists its keys, so find(), purge and list cannot visit"),
            "{err}"
        );
    }

    #[test]
    fn expire_from_session_lets_memcached_drop_expired_sessions() {
        let args = args("ttl");
        if store_up("memcached", &args) {
            store_ttl_follows_the_session("driver:memcached", &args);
        }
    }

    #[test]
    fn an_unreachable_memcached_is_one_clear_error() {
        let server = format!("127.0.0.1:{}", closed_port());
        let args = Args::from([("Servers".into(), server.clone())]);
        unreachable_is_one_clear_error("driver:memcached", args, &server);
    }
}

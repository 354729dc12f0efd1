//! The `memcached` driver against real memcached servers: Perl's keys and flags,
//! gzip-compressed values, exptimes, failures, and multi-server pools that pick the
//! same server for every key as Perl's `Cache::Memcached` does.
//!
//! Skips without memcached unless `CGISESS_REQUIRE_SERVICES=1`, and the Perl part
//! without Perl unless `CGISESS_REQUIRE_ORACLE=1`. The pool tests start private
//! memcached servers on free loopback ports.
#![cfg(feature = "memcached")]

mod kv;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cgi_session_drivers::memcached::{F_COMPRESS, F_STORABLE};
use cgi_session_drivers::{Driver, Error, MemcachedDriver};
use kv::{
    args, closed_port, memcached_addr, memcached_up, oracle_has, perl, unique, PrivateMemcached,
};

/// A raw text-protocol command on `server`: the reply up to and including the line
/// `last` (or the first line, when `last` is empty).
fn raw(server: &str, command: &[u8], last: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(server).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(command).unwrap();
    let mut reader = BufReader::new(stream);
    let mut reply = Vec::new();
    loop {
        let mut line = Vec::new();
        reader.read_until(b'\n', &mut line).unwrap();
        assert!(!line.is_empty(), "memcached closed the connection");
        reply.extend_from_slice(&line);
        if last.is_empty() || line == format!("{last}\r\n").as_bytes() {
            return reply;
        }
        // A VALUE header: read its data block whole, whatever bytes it holds.
        if let Some(len) = std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.strip_prefix("VALUE "))
            .and_then(|l| l.split_whitespace().nth(2)?.parse::<usize>().ok())
        {
            let mut data = vec![0; len + 2];
            reader.read_exact(&mut data).unwrap();
            reply.extend_from_slice(&data);
        }
    }
}

/// `(flags, data)` of `key` on `server`.
fn raw_get(server: &str, key: &str) -> Option<(u32, Vec<u8>)> {
    let reply = raw(server, format!("get {key}\r\n").as_bytes(), "END");
    let header_end = reply.windows(2).position(|w| w == b"\r\n")?;
    let header = std::str::from_utf8(&reply[..header_end]).unwrap();
    let fields: Vec<&str> = header.split(' ').collect();
    if fields[0] != "VALUE" {
        return None;
    }
    let len: usize = fields[3].parse().unwrap();
    let data = reply[header_end + 2..header_end + 2 + len].to_vec();
    Some((fields[2].parse().unwrap(), data))
}

fn raw_set(server: &str, key: &str, flags: u32, data: &[u8]) {
    let mut command = format!("set {key} {flags} 0 {}\r\n", data.len()).into_bytes();
    command.extend_from_slice(data);
    command.extend_from_slice(b"\r\n");
    assert_eq!(raw(server, &command, ""), b"STORED\r\n");
}

/// The remaining TTL memcached reports for `key` (`-1`: none), via the meta command `mg`.
fn raw_ttl(server: &str, key: &str) -> i64 {
    let reply = String::from_utf8(raw(server, format!("mg {key} t\r\n").as_bytes(), "")).unwrap();
    reply
        .trim_end()
        .split(' ')
        .find_map(|f| f.strip_prefix('t'))
        .unwrap_or_else(|| panic!("mg reply {reply:?}"))
        .parse()
        .unwrap()
}

/// A driver on the shared server with its own namespace.
fn driver(namespace: &str, extra: &[(&str, &str)]) -> MemcachedDriver {
    let mut a = args(extra);
    a.insert("Servers".into(), memcached_addr());
    a.insert("Namespace".into(), namespace.into());
    MemcachedDriver::from_args(&a).expect("driver")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn store_writes_the_namespaced_bare_id_with_flags_0_and_no_exptime() {
    if !memcached_up() {
        return;
    }
    let ns = format!("{}:", unique("layout"));
    let d = driver(&ns, &[]);
    let record = b"$D = {'_SESSION_ID' => 'abc'};;$D";
    d.store("abc", record).unwrap();
    let key = format!("{ns}abc");
    assert_eq!(raw_get(&memcached_addr(), &key), Some((0, record.to_vec())));
    assert_eq!(raw_ttl(&memcached_addr(), &key), -1);
    assert_eq!(d.retrieve("abc").unwrap().as_deref(), Some(&record[..]));

    let all: Vec<u8> = (0..=255).collect();
    d.store("bin", &all).unwrap();
    assert_eq!(d.retrieve("bin").unwrap(), Some(all));
    d.store("zero", b"0").unwrap();
    assert_eq!(d.retrieve("zero").unwrap(), None, "\"0\" is false to Perl");

    for id in ["abc", "bin", "zero"] {
        d.remove(id).unwrap();
        assert_eq!(d.retrieve(id).unwrap(), None);
    }
    d.remove("abc").expect("removing twice succeeds");
    assert!(matches!(d.store("a b", b"x"), Err(Error::InvalidId { .. })));
}

#[test]
fn gzipped_values_are_read_and_written_as_cache_memcached_does() {
    if !memcached_up() {
        return;
    }
    let ns = format!("{}:", unique("gzip"));
    let record =
        b"$D = {'big' => 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'};;$D".repeat(20);
    raw_set(
        &memcached_addr(),
        &format!("{ns}z"),
        F_COMPRESS,
        &gzip(&record),
    );
    let d = driver(&ns, &[("CompressThreshold", "100")]);
    assert_eq!(d.retrieve("z").unwrap(), Some(record.clone()));

    d.store("w", &record).unwrap();
    let (flags, stored) = raw_get(&memcached_addr(), &format!("{ns}w")).unwrap();
    assert_eq!(flags, F_COMPRESS);
    assert!(stored.len() < record.len() * 4 / 5);
    assert_eq!(d.retrieve("w").unwrap(), Some(record.clone()));
    // Below the threshold the value goes as is.
    d.store("small", &record[..99]).unwrap();
    assert_eq!(
        raw_get(&memcached_addr(), &format!("{ns}small")).unwrap().0,
        0
    );
    for id in ["z", "w", "small"] {
        d.remove(id).unwrap();
    }
}

#[test]
fn values_that_are_not_records_are_clear_errors() {
    if !memcached_up() {
        return;
    }
    let ns = format!("{}:", unique("corrupt"));
    let d = driver(&ns, &[]);
    let mut truncated = gzip(b"$D = {};;$D");
    truncated.truncate(truncated.len() - 6);
    for (id, flags, data) in [
        ("notgzip", F_COMPRESS, b"not gzip at all".to_vec()),
        ("truncated", F_COMPRESS, truncated),
        ("storable", F_STORABLE, b"\x05\x0b\x03".to_vec()),
    ] {
        let key = format!("{ns}{id}");
        raw_set(&memcached_addr(), &key, flags, &data);
        let err = d.retrieve(id).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "memcached driver: retrieve(): the value of key {key:?} "
            )),
            "{err}"
        );
        let why = if flags == F_STORABLE {
            "F_STORABLE"
        } else {
            "does not gunzip"
        };
        assert!(err.contains(why), "{err}");
        d.remove(id).unwrap();
    }
}

#[test]
fn expire_and_expire_from_session_set_exptimes() {
    if !memcached_up() {
        return;
    }
    let ns = format!("{}:", unique("exptime"));
    let server = memcached_addr();
    driver(&ns, &[("Expire", "100")])
        .store("fixed", b"x")
        .unwrap();
    let ttl = raw_ttl(&server, &format!("{ns}fixed"));
    assert!((95..=100).contains(&ttl), "{ttl}");

    let from_session = driver(&ns, &[("ExpireFromSession", "1"), ("ExpireGrace", "10")]);
    from_session
        .store_expiring("session", b"x", Some(Duration::from_secs(50)))
        .unwrap();
    let ttl = raw_ttl(&server, &format!("{ns}session"));
    assert!((55..=60).contains(&ttl), "{ttl}");
    // Beyond 30 days memcached needs a Unix time; the TTL still comes out right.
    from_session
        .store_expiring("long", b"x", Some(Duration::from_secs(40 * 86_400)))
        .unwrap();
    let ttl = raw_ttl(&server, &format!("{ns}long"));
    // memcached's own clock ticks once a second and may lag the wall clock by one,
    // so an absolute expiry time can read back one second longer.
    assert!((40 * 86_400..=40 * 86_400 + 11).contains(&ttl), "{ttl}");

    let d = driver(&ns, &[("Expire", "1")]);
    d.store("short", b"x").unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(d.retrieve("short").unwrap(), None, "gone after its exptime");
    for id in ["fixed", "session", "long"] {
        d.remove(id).unwrap();
    }
}

#[test]
fn unreachable_servers_are_named_in_one_error() {
    let one = format!("127.0.0.1:{}", closed_port());
    let d = MemcachedDriver::from_args(&args(&[("Servers", &one)])).unwrap();
    for err in [
        d.retrieve("abc").unwrap_err(),
        d.store("abc", b"x").unwrap_err(),
        d.remove("abc").unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(
            text.contains(&format!("(): {one}: couldn't connect: ")),
            "{text}"
        );
        assert!(text.starts_with("memcached driver: "), "{text}");
    }
    let two = format!("127.0.0.1:{}", closed_port());
    let pool = MemcachedDriver::from_args(&args(&[("Servers", &format!("{one},{two}"))])).unwrap();
    let text = pool.retrieve("abc").unwrap_err().to_string();
    assert!(
        text.starts_with(
            "memcached driver: retrieve(): no server could be reached for session \"abc\" ("
        ) && text.contains(&one)
            && text.contains(&two),
        "{text}"
    );
}

/// Perl's Cache::Memcached on `$ENV{SERVERS}` (Perl's list syntax) with `$ENV{NS}`.
const PERL_CLIENT: &str = r#"
use strict; use warnings; use Cache::Memcached;
my $servers = eval $ENV{SERVERS} or die $@;
my $m = Cache::Memcached->new({ servers => $servers, namespace => $ENV{NS} });
"#;

/// Perl writes `perl0..perlN` through its client on `perl_servers`; Rust, given
/// `rust_servers`, reads every one; then the reverse with `rust0..rustN`; and every
/// key is on exactly the server both sides chose.
fn pools_agree(perl_servers: &str, rust_servers: &str, live: &[&str]) {
    const N: usize = 40;
    let ns = format!("{}:", unique("pool"));
    let env = [("SERVERS", perl_servers), ("NS", ns.as_str())];
    perl(
        &format!("{PERL_CLIENT} for my $i (0..{}) {{ $m->set(\"perl$i\", \"value $i\") or die \"set $i\" }}", N - 1),
        &env,
    );
    let d = MemcachedDriver::from_args(&args(&[("Servers", rust_servers), ("Namespace", &ns)]))
        .unwrap();
    for i in 0..N {
        assert_eq!(
            d.retrieve(&format!("perl{i}")).unwrap(),
            Some(format!("value {i}").into_bytes()),
            "perl{i} with servers {rust_servers}"
        );
        d.store(&format!("rust{i}"), format!("value {i}").as_bytes())
            .unwrap();
    }
    let found = perl(
        &format!("{PERL_CLIENT} print scalar grep {{ ($m->get(\"rust$_\") // '') eq \"value $_\" }} 0..{};", N - 1),
        &env,
    );
    assert_eq!(found, N.to_string(), "Perl finds every key Rust wrote");
    // Each key is on one server only: both sides really chose the same one.
    for i in 0..N {
        for key in [format!("{ns}perl{i}"), format!("{ns}rust{i}")] {
            let holders = live.iter().filter(|s| raw_get(s, &key).is_some()).count();
            assert_eq!(holders, 1, "{key}");
        }
    }
    let buckets: std::collections::BTreeSet<_> = (0..N)
        .map(|i| {
            live.iter()
                .position(|s| raw_get(s, &format!("{ns}perl{i}")).is_some())
        })
        .collect();
    assert!(buckets.len() > 1, "the keys spread over several servers");
}

#[test]
fn multi_server_pools_pick_the_servers_cache_memcached_picks() {
    if !oracle_has(&["Cache::Memcached"]) {
        return;
    }
    let (Some(a), Some(b), Some(c)) = (
        PrivateMemcached::start(),
        PrivateMemcached::start(),
        PrivateMemcached::start(),
    ) else {
        return;
    };
    let (a, b, c) = (a.address.as_str(), b.address.as_str(), c.address.as_str());
    // A plain list of three.
    pools_agree(
        &format!("['{a}','{b}','{c}']"),
        &format!("{a},{b},{c}"),
        &[a, b, c],
    );
    // Perl's weight N is the server listed N times.
    pools_agree(
        &format!("[['{a}',2],'{b}']"),
        &format!("{a}, {a}, {b}"),
        &[a, b],
    );
    // A dead server: both sides rehash its keys to the same live ones.
    let dead = format!("127.0.0.1:{}", closed_port());
    pools_agree(
        &format!("['{dead}','{b}','{c}']"),
        &format!("{dead},{b},{c}"),
        &[b, c],
    );
}

//! What the redis and memcached driver tests share: where the servers are, the
//! skip-or-fail gates (`CGISESS_REQUIRE_SERVICES`, `CGISESS_REQUIRE_ORACLE`), unique
//! names so parallel tests never meet, Perl snippets, and private memcached servers
//! for the multi-server tests.
// Each test binary compiles its own copy and uses only some of these.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cgi_session_drivers::Args;

/// Driver arguments from pairs.
pub fn args(pairs: &[(&str, &str)]) -> Args {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Redis as a URL (`CGISESS_REDIS`, as the facade tests read it).
pub fn redis_url() -> String {
    std::env::var("CGISESS_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// memcached as `host:port` (`CGISESS_MEMCACHED`).
pub fn memcached_addr() -> String {
    std::env::var("CGISESS_MEMCACHED").unwrap_or_else(|_| "127.0.0.1:11211".into())
}

/// `true` when `probe` succeeds; otherwise prints why and returns `false`, or panics
/// when `env` (`CGISESS_REQUIRE_SERVICES` / `CGISESS_REQUIRE_ORACLE`) is `1`.
pub fn gate(env: &str, what: &str, probe: impl FnOnce() -> Result<(), String>) -> bool {
    match probe() {
        Ok(()) => true,
        Err(why) if std::env::var(env).as_deref() == Ok("1") => {
            panic!("{env}=1 but {what} is unusable: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: {what} is unusable ({why}); set {env}=1 to fail instead");
            false
        }
    }
}

/// Whether memcached answers at `memcached_addr()`.
pub fn memcached_up() -> bool {
    gate("CGISESS_REQUIRE_SERVICES", "memcached", || {
        TcpStream::connect(memcached_addr())
            .map(drop)
            .map_err(|e| format!("{}: {e}", memcached_addr()))
    })
}

/// Whether Perl with the given modules loads.
pub fn perl_has(modules: &[&str]) -> bool {
    gate("CGISESS_REQUIRE_ORACLE", "the Perl oracle", || {
        let out = Command::new("perl")
            .args(modules.iter().map(|m| format!("-M{m}")))
            .args(["-e", "1"])
            .output()
            .map_err(|e| format!("cannot run perl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    })
}

/// Runs a Perl snippet with `env`; panics unless it succeeds. Its stdout.
pub fn perl(code: &str, env: &[(&str, &str)]) -> String {
    let out: Output = Command::new("perl")
        .args(["-e", code])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run perl");
    assert!(
        out.status.success(),
        "perl failed: {}\n{code}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("perl printed UTF-8")
}

/// A name no other test (or earlier run) uses: `tag-PID-NANOS-N`.
pub fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "kvtest-{tag}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A local port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A private memcached server on a free loopback port, stopped when dropped.
pub struct PrivateMemcached {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

impl PrivateMemcached {
    /// Starts `memcached` (from `PATH`); `None`, after the gate's message, without it.
    pub fn start() -> Option<Self> {
        let port = closed_port();
        let mut command = Command::new("memcached");
        command.args([
            "-l",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "0",
            "-m",
            "8",
        ]);
        // memcached refuses to run as root unless told which user to become.
        if rustix::process::geteuid().is_root() {
            command.args(["-u", "nobody"]);
        }
        let mut child = None;
        let started = gate("CGISESS_REQUIRE_SERVICES", "a private memcached", || {
            child = Some(
                command
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|e| format!("cannot run memcached: {e}"))?,
            );
            Ok(())
        });
        let server = PrivateMemcached {
            child: child.filter(|_| started)?,
            address: format!("127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(&server.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "memcached on {} did not start",
                server.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for PrivateMemcached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

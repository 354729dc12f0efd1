//! What the redis and memcached driver tests share: where the servers are, the
//! skip-or-fail gates (`CGISESS_REQUIRE_SERVICES`, `CGISESS_REQUIRE_ORACLE`), unique
//! names so parallel tests never meet, Perl snippets, and private memcached servers
//! for the multi-server tests.
// Each test binary compiles its own copy and uses only some of these.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cgi_session_drivers::Args;
use cgi_session_test_support::run;
pub use cgi_session_test_support::{oracle_has, service_up};

/// Driver arguments from pairs.
pub fn args(pairs: &[(&str, &str)]) -> Args {
    cgi_session_test_support::pairs(pairs)
}

/// Redis as a URL (`CGISESS_REDIS`, as the facade tests read it).
pub fn redis_url() -> String {
    std::env::var("CGISESS_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// memcached as `host:port` (`CGISESS_MEMCACHED`).
pub fn memcached_addr() -> String {
    std::env::var("CGISESS_MEMCACHED").unwrap_or_else(|_| "127.0.0.1:11211".into())
}

/// Whether memcached answers at `memcached_addr()`.
pub fn memcached_up() -> bool {
    service_up("memcached", || {
        TcpStream::connect(memcached_addr())
            .map(drop)
            .map_err(|e| format!("{}: {e}", memcached_addr()))
    })
}

/// Runs a Perl snippet with `env`; panics unless it succeeds. Its stdout.
pub fn perl(code: &str, env: &[(&str, &str)]) -> String {
    let out = run(
        cgi_session_test_support::perl(code).envs(env.iter().copied()),
        b"",
    );
    String::from_utf8(out).expect("perl printed UTF-8")
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
        let started = service_up("a private memcached", || {
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

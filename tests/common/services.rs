//! The real servers the driver tests talk to (DESIGN.md, "Services and test
//! switches"): where they are, and whether a test may skip when one is missing.
//!
//! Each address comes from an environment variable with this machine's default.
//! Without the server a test prints why it skips; with `CGISESS_REQUIRE_SERVICES=1`
//! (set by `.ci/run`) it fails instead.

/// The switch that turns a missing server into a failure.
pub const REQUIRE_ENV: &str = "CGISESS_REQUIRE_SERVICES";

/// PostgreSQL as a libpq conninfo string (`CGISESS_PG`).
pub fn pg_conninfo() -> String {
    std::env::var("CGISESS_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".into())
}

/// MariaDB/MySQL as a URL (`CGISESS_MYSQL`).
pub fn mysql_url() -> String {
    std::env::var("CGISESS_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// Redis as a URL (`CGISESS_REDIS`).
pub fn redis_url() -> String {
    std::env::var("CGISESS_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// memcached as `host:port` (`CGISESS_MEMCACHED`).
pub fn memcached_addr() -> String {
    std::env::var("CGISESS_MEMCACHED").unwrap_or_else(|_| "127.0.0.1:11211".into())
}

/// Whether the store the DSN `driver:DRIVER` with `args` names answers a `retrieve`
/// through the registry (see [`available`]).
pub fn store_available(driver: &str, args: &cgi_session::Args) -> bool {
    available(driver, || {
        let config = cgi_session::Config::new(Some(&format!("driver:{driver}")), args.clone())
            .map_err(|e| e.to_string())?;
        config
            .driver()
            .retrieve("probe")
            .map(drop)
            .map_err(|e| e.to_string())
    })
}

/// Runs `probe` (a cheap connect) for the server `what`: `true` when it answered.
/// Otherwise prints why and returns `false`, or panics under `CGISESS_REQUIRE_SERVICES=1`.
pub fn available(what: &str, probe: impl FnOnce() -> Result<(), String>) -> bool {
    match probe() {
        Ok(()) => true,
        Err(why) if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") => {
            panic!("{REQUIRE_ENV}=1 but {what} is unusable: {why}")
        }
        Err(why) => {
            eprintln!("skipping: {what} is unusable: {why}");
            false
        }
    }
}

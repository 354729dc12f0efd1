//! The SQL stores `sqlite`, `postgresql` and `mysql` through whole sessions, sharing
//! real tables with Perl 4.48 (DBD::SQLite, DBD::Pg, DBD::mysql): Test::Default on each
//! driver × serializer, Perl and Rust reading each other's rows, Perl and Rust writers
//! hammering the same ids, the failures a user meets, and `init`.
//!
//! The servers come from `CGISESS_PG` and `CGISESS_MYSQL` (tests/common/services.rs);
//! without them these tests skip, or fail under `CGISESS_REQUIRE_SERVICES=1`, and the
//! Perl ones likewise with `CGISESS_REQUIRE_ORACLE=1`. Every test uses a table of its
//! own and drops it afterwards.
#![cfg(all(feature = "sqlite", feature = "postgresql", feature = "mysql"))]

#[path = "../common/mod.rs"]
mod common;

mod battery;
mod concurrency;
mod errors;
mod fixtures;
mod init;
mod live;
mod store;

#[test]
#[ignore = "a child process of the concurrency tests, run by them"]
fn hammer_child() {
    common::hammer::child_main();
}

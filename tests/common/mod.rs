//! Helpers shared by the integration tests: typed JSON (Perl data without loss),
//! the Perl oracle, the Perl-written fixtures, Perl's Test::Default battery, and the
//! real servers the driver tests use.
//!
//! A test binary includes this with `mod common;` and uses what it needs, hence the
//! `allow`: each binary leaves the rest unused.
#![allow(dead_code, unused_imports)]

pub mod battery;
pub mod browser;
pub mod cli;
pub mod fixtures;
pub mod hammer;
pub mod oracle;
pub mod ruby;
pub mod services;
pub mod typed;

pub use oracle::{LockMode, Oracle};

/// The serializers Perl runs Test::Default with on its stores (the g4_* matrix of
/// Perl's suite), and yaml's own distribution.
pub const PERL_SERIALIZERS: [&str; 4] = ["default", "storable", "freezethaw", "yaml"];
pub use typed::{from_typed, to_typed};

use std::ops::ControlFlow;

use cgi_session_drivers::Driver;

/// Every id `driver`'s traverse reports, sorted.
pub fn listed_ids(driver: &dyn Driver) -> Vec<String> {
    let mut ids = Vec::new();
    driver
        .traverse(&mut |id| {
            ids.push(id.to_string());
            ControlFlow::Continue(())
        })
        .expect("traverse");
    ids.sort();
    ids
}

/// Driver arguments from the JSON object the Perl oracle takes (`{"Directory": ".."}`).
pub fn json_args(args: &serde_json::Value) -> cgi_session::Args {
    args.as_object()
        .expect("args object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("text arg").to_string()))
        .collect()
}

/// Every file directly in `dir` and its bytes: a snapshot to prove a command changed
/// nothing.
pub fn dir_contents(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|entry| {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().into_string().expect("UTF-8 file name");
            (name, std::fs::read(entry.path()).expect("readable file"))
        })
        .collect()
}

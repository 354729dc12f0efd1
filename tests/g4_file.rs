//! Perl's `t/g4.t` and `t/g4_file_*.t`: CGI::Session::Test::Default on
//! `driver:file` with every serializer (and on the in-process `driver:memory`).

mod common;

use cgi_session::{Args, Config};

fn directory_args(dir: &std::path::Path) -> Args {
    Args::from([("Directory".to_string(), dir.display().to_string())])
}

#[test]
fn g4_default_battery_on_the_file_driver() {
    // t/g4.t: Directory => t/sessiondata, which the driver creates.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessiondata");
    common::battery::run_default_battery("driver:file", directory_args(&dir));
    // Every session the battery made is gone again: expired at load (block 3),
    // removed by the driver (block 4) or deleted (blocks 5 and 7).
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "the battery left {left:?}");
}

#[test]
fn g4_default_battery_on_file_with_the_default_serializer_named() {
    let tmp = tempfile::tempdir().unwrap();
    common::battery::run_default_battery(
        "driver:file;serializer:default",
        directory_args(tmp.path()),
    );
}

/// Perl's `t/g4_file_storable.t`, `t/g4_file_freezethaw.t`, the yaml distribution's
/// battery, and ours for `json`.
fn battery_on_file_with(serializer: &str) {
    let tmp = tempfile::tempdir().unwrap();
    common::battery::run_default_battery(
        &format!("driver:file;serializer:{serializer}"),
        directory_args(tmp.path()),
    );
}

#[test]
fn g4_default_battery_on_file_with_storable() {
    battery_on_file_with("storable");
}

#[test]
fn g4_default_battery_on_file_with_freezethaw() {
    battery_on_file_with("freezethaw");
}

#[test]
fn g4_default_battery_on_file_with_yaml() {
    battery_on_file_with("yaml");
}

#[test]
fn g4_default_battery_on_file_with_json() {
    battery_on_file_with("json");
}

#[test]
fn g4_default_battery_on_the_memory_driver() {
    // The memory store lives inside one Config, so every constructor shares it.
    let config = Config::new(Some("driver:memory"), Args::new()).unwrap();
    common::battery::run_default_battery_with(&config);
    let mut left = Vec::new();
    config
        .driver()
        .traverse(&mut |id| {
            left.push(id.to_string());
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    assert!(left.is_empty(), "the battery left {left:?}");
}

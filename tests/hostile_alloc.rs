//! No thaw of a hostile record allocates out of proportion to it: the whole hostile
//! catalogue (`tests/hostile/catalogue.rs`), every truncation of Perl's fixtures
//! included, read by its serializer and by `auto` under a counting allocator.
//!
//! A record of a few bytes that claims 2^32 elements, a 4 GiB string or a 2^63-byte
//! object must be refused before anything is reserved for it: each thaw may allocate
//! at most [`BOUND`] bytes in total (plus [`PER_BYTE`] per byte of a large record,
//! for the deep-nesting ones). The allocator's limit stops a runaway at
//! [`LIMIT`] before the machine feels it.
//!
//! One test in its own binary, so that no other test allocates while it counts.

#[path = "common/mod.rs"]
mod common;

#[path = "hostile/catalogue.rs"]
#[allow(dead_code)]
mod catalogue;

use std::alloc::System;

use cap::Cap;
use cgi_session::{registry, Serializer};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// What any one thaw may allocate in total, whatever the record.
const BOUND: usize = 1 << 20;
/// And per byte of the record: a value costs a small multiple of its text.
const PER_BYTE: usize = 64;
/// The allocator refuses (and the test aborts) past this much live memory.
const LIMIT: usize = 256 << 20;

/// Bytes allocated (counting every allocation and growth) while `f` runs.
fn allocated_by(f: impl FnOnce()) -> usize {
    let before = ALLOCATOR.total_allocated();
    f();
    ALLOCATOR.total_allocated() - before
}

#[test]
fn no_hostile_thaw_allocates_out_of_proportion() {
    ALLOCATOR
        .set_limit(ALLOCATOR.allocated() + LIMIT)
        .expect("a limit above what is allocated");
    let names = [
        "default",
        "storable",
        "freezethaw",
        "yaml",
        "json",
        "ruby_filestore",
        "ruby_pstore",
        "auto",
    ];
    let serializers: Vec<(&str, std::sync::Arc<dyn Serializer>)> = names
        .iter()
        .map(|&n| (n, registry::serializer(n, n).unwrap()))
        .collect();
    let reader = |name: &str| &serializers.iter().find(|(n, _)| *n == name).unwrap().1;
    let auto = reader("auto");

    let mut records: Vec<(&str, String, Vec<u8>)> = catalogue::catalogue()
        .into_iter()
        .map(|case| (case.serializer, case.kind.to_string(), case.bytes))
        .collect();
    for (name, label, whole) in catalogue::truncation_seeds() {
        for cut in 0..whole.len() {
            records.push((name, format!("{label} cut {cut}"), whole[..cut].to_vec()));
        }
    }
    records.push(("yaml", "alias bomb".into(), catalogue::yaml_bomb()));

    let (mut tried, mut worst, mut worst_small) = (0, (0, String::new()), (0, String::new()));
    for (name, label, bytes) in &records {
        let bound = BOUND + PER_BYTE * bytes.len();
        for serializer in [reader(name), auto] {
            let used = allocated_by(|| drop(serializer.thaw(bytes)));
            tried += 1;
            assert!(
                used <= bound,
                "{} thaw of {name} {label} ({} bytes) allocated {used} bytes",
                serializer.name(),
                bytes.len()
            );
            if used > worst.0 {
                worst = (used, format!("{name} {label}, {} bytes", bytes.len()));
            }
            if bytes.len() <= 64 && used > worst_small.0 {
                worst_small = (used, format!("{name} {label}, {} bytes", bytes.len()));
            }
        }
    }
    assert!(!catalogue::canary().exists(), "a payload ran");
    eprintln!(
        "hostile allocations: {tried} thaws; most allocated: {} bytes ({})",
        worst.0, worst.1
    );
    eprintln!(
        "  most by a record of at most 64 bytes: {} bytes ({})",
        worst_small.0, worst_small.1
    );
}

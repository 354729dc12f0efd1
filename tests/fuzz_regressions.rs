//! Every input the fuzzers found a bug with stays fixed (issue 7): each file under
//! `fuzz/regressions/<target>/` goes through the very checks its fuzz target runs
//! (`fuzz/src/lib.rs`, included here), on stable and without cargo-fuzz. The
//! seeds the fuzzers start from (`fuzz/seeds/`) are replayed too.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

/// Runs every file in `fuzz/<dir>/<target>/` through its target's checks; returns
/// how many it ran. A directory named after no target is an error.
fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let Ok(entries) = std::fs::read_dir(&root) else {
        return 0;
    };
    let mut ran = 0;
    for entry in entries {
        let target_dir = entry.unwrap().path();
        let name = target_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (_, check) = checks::TARGETS
            .iter()
            .find(|(target, _)| *target == name)
            .unwrap_or_else(|| panic!("{}: no fuzz target {name:?}", root.display()));
        for input in std::fs::read_dir(&target_dir).unwrap() {
            let path = input.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            eprintln!("{}", path.display());
            check(&data);
            ran += 1;
        }
    }
    ran
}

#[test]
fn crash_inputs_found_by_the_fuzzers_stay_fixed() {
    assert!(replay("regressions") > 0, "fuzz/regressions/ is missing");
}

#[test]
fn hand_written_seeds_pass_their_checks() {
    assert!(replay("seeds") > 0, "fuzz/seeds/ is missing");
}

/// The records Perl 4.48 wrote (the fuzzers' seeds) meet every serializer
/// property: the cyclic ones are refused cleanly, the others round-trip.
#[test]
fn perl_written_fixtures_meet_the_serializer_properties() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat-fixtures");
    let mut ran = 0;
    for (set, target) in [
        ("file-default", "thaw_default"),
        ("file-default-cyclic", "thaw_default"),
        ("file-storable", "thaw_storable"),
        ("file-freezethaw", "thaw_freezethaw"),
        ("file-yaml", "thaw_yaml"),
        ("file-json", "thaw_json"),
    ] {
        let (_, check) = checks::TARGETS.iter().find(|(t, _)| *t == target).unwrap();
        for entry in std::fs::read_dir(fixtures.join(set)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let data = std::fs::read(&path).unwrap();
                eprintln!("{}", path.display());
                check(&data);
                checks::auto(&data);
                ran += 1;
            }
        }
    }
    assert!(ran > 50, "only {ran} fixtures");
}

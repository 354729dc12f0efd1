//! Perl and Rust processes updating, creating, deleting and purging the same
//! file-driver sessions at once: the per-operation flock (spec §9 item 2) must keep
//! every record whole, and no purge may remove a live session. Rust-only stores in
//! `AtomicWrite` mode get the same hammer. See tests/common/hammer.rs.

mod common;

use common::hammer::{run, scaled, Failure, Lang, Plan, Role};
use common::Oracle;
use serde_json::{json, Value as Json};

#[test]
#[ignore = "a child process of the concurrency tests, run by them"]
fn hammer_child() {
    common::hammer::child_main();
}

fn plan(serializer: &str, args: Json) -> Plan {
    Plan {
        dsn: format!("driver:file;serializer:{serializer};id:static"),
        args,
        ids: (1..=4).map(|n| format!("shared{n}")).collect(),
        doomed: (1..=2).map(|n| format!("doomed{n}")).collect(),
        count: scaled(15),
        churn: true,
    }
}

/// What Perl 4.48 itself does wrong under these races, and only that (spec §5.2):
/// on the ids deleters delete, the loser of two creations of one file fails its flush
/// (EEXIST of `O_EXCL`) and the loser of two deletes fails its flush (ENOENT of
/// `unlink`, spec §2.6 step 5); a load fails when the file is deleted between
/// `retrieve`'s `-e` and its open (ENOENT of "couldn't open", spec §5.2 retrieve); and
/// `find()` aborts its walk on the first file it cannot `stat`, which a concurrent
/// delete or purge causes (spec §4.1).
fn perl_known_race(failure: &Failure) -> bool {
    let doomed = failure.id.starts_with("doomed");
    let error = &failure.error;
    let vanished_at_open =
        error.contains("retrieve(): couldn't open") && error.contains("No such file");
    match failure.op.as_str() {
        "update" => doomed && (error.contains("File exists") || vanished_at_open),
        "delete" => doomed && (error.contains("File exists") || error.contains("No such file")),
        "purge" => error.contains("stat failed"),
        _ => false,
    }
}

#[test]
fn perl_and_rust_writers_deleters_and_purgers_share_file_sessions() {
    let Some(oracle) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    for serializer in ["default", "storable"] {
        let plan = plan(
            serializer,
            json!({ "Directory": dir.path().join(serializer) }),
        );
        let writers = [
            (Lang::Perl, Role::Deleter),
            (Lang::Perl, Role::Purger),
            (Lang::Rust, Role::Deleter),
            (Lang::Rust, Role::Purger),
        ];
        run(
            Some(&oracle),
            &plan,
            "hammer_child",
            &writers,
            &perl_known_race,
        )
        .unwrap_or_else(|e| panic!("{serializer}:\n{e}"));
    }
}

#[test]
fn atomic_writers_deleters_and_purgers_share_rust_only_file_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let args = json!({ "Directory": dir.path(), "AtomicWrite": "1" });
    let plan = plan("default", args);
    let writers = [
        (Lang::Rust, Role::Writer),
        (Lang::Rust, Role::Deleter),
        (Lang::Rust, Role::Purger),
    ];
    run(None, &plan, "hammer_child", &writers, &|_| false).unwrap_or_else(|e| panic!("{e}"));
}

//! Perl and Rust processes writing the same file-driver sessions at once: the
//! per-operation flock (spec §9 item 2) must keep every record whole.

mod common;

use common::hammer::{run_mixed, Plan};
use common::Oracle;
use serde_json::json;

#[test]
#[ignore = "a child process of the concurrency tests, run by them"]
fn hammer_child() {
    common::hammer::child_main();
}

#[test]
fn perl_and_rust_writers_share_file_sessions_without_tearing() {
    let Some(oracle) = Oracle::get() else { return };
    let dir = tempfile::tempdir().unwrap();
    for serializer in ["default", "storable"] {
        let plan = Plan {
            dsn: format!("driver:file;serializer:{serializer};id:static"),
            args: json!({ "Directory": dir.path().join(serializer) }),
            ids: (1..=4).map(|n| format!("shared{n}")).collect(),
            count: 15,
        };
        run_mixed(&oracle, &plan, "hammer_child", 2, 2)
            .unwrap_or_else(|e| panic!("{serializer}:\n{e}"));
    }
}

//! `cgisess stats` and `cgisess lint` on real stores: the counts of a store whose
//! ages, expiries, sizes and formats are known; each lint finding from the setup that
//! causes it (file modes, symlinks, weak ids, corrupt records, a drifting Redis members
//! set, a driver that cannot list); and one-line errors.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

use cgi_session::{Args, Config, Session, Value};
use common::cli::{cgisess, failure, ok};
use common::dir_contents;
use serde_json::Value as Json;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// `-a Directory=DIR`, then `args`.
fn in_dir(dir: &Path, args: &[&str]) -> Output {
    let directory = format!("Directory={}", dir.display());
    cgisess([&["-a", directory.as_str()], args].concat())
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A file-store config whose clock says `at`.
fn config_at(dir: &Path, serializer: &str, at: i64) -> Config {
    Config::builder(Some(&format!("driver:file;serializer:{serializer}")))
        .args(Args::from([(
            "Directory".into(),
            dir.display().to_string(),
        )]))
        .clock(move || at)
        .build()
        .unwrap()
}

/// A session created at `ctime`, then loaded at `atime` (its last access), where
/// `change` sets its parameters and expiry. Returns its id.
fn session(
    dir: &Path,
    serializer: &str,
    ctime: i64,
    atime: i64,
    change: impl FnOnce(&mut Session),
) -> String {
    let mut created = config_at(dir, serializer, ctime).new_session(None).unwrap();
    created.flush().unwrap();
    let id = created.id().unwrap();
    let mut loaded = config_at(dir, serializer, atime).load(Some(&id)).unwrap();
    change(&mut loaded);
    loaded.flush().unwrap();
    id
}

/// Five sessions of known ages, expiries, sizes and formats, and one corrupt record.
fn known_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let now = now();
    // Fresh, no expiry.
    session(d, "default", now, now, |s| s.set_param("n", 1).unwrap());
    // Idle two hours with a one-hour expiry: expired by Perl's rule.
    session(d, "default", now - 3 * DAY, now - 2 * HOUR, |s| {
        s.expire(HOUR).unwrap()
    });
    // Idle ten days of a thirty-day expiry, created 40 days ago; one parameter expired.
    session(d, "default", now - 40 * DAY, now - 10 * DAY, |s| {
        s.expire(30 * DAY).unwrap();
        s.set_param("tmp", "x").unwrap();
        s.expire_param("tmp", HOUR).unwrap();
    });
    // Big (5 KB), expiring in two days, with a live per-parameter expiry.
    session(d, "default", now, now, |s| {
        s.set_param("blob", Value::bytes(vec![b'x'; 5000])).unwrap();
        s.expire(2 * DAY).unwrap();
        s.set_param("a", 1).unwrap();
        s.expire_param("a", DAY).unwrap();
    });
    // Storable, fresh, no expiry.
    session(d, "storable", now, now, |s| s.set_param("n", 2).unwrap());
    fs::write(d.join("cgisess_corrupt"), b"this is no session record").unwrap();
    dir
}

#[test]
fn stats_counts_a_known_store_without_touching_it() {
    let dir = known_store();
    let before = dir_contents(dir.path());
    let stats = json(&ok(in_dir(
        dir.path(),
        &["--serializer", "auto", "stats", "--json"],
    )));

    assert_eq!(stats["sessions"], 6, "{stats:#}");
    assert_eq!(stats["read"], 6);
    assert_eq!(stats["vanished"], 0);
    assert_eq!(stats["unreadable"]["count"], 0);
    assert_eq!(stats["unparsable"]["count"], 1);
    assert_eq!(stats["unparsable"]["first"], serde_json::json!(["corrupt"]));

    let sizes: Vec<u64> = before.values().map(|b| b.len() as u64).collect();
    assert_eq!(stats["size"]["total"], sizes.iter().sum::<u64>());
    assert_eq!(stats["size"]["min"], *sizes.iter().min().unwrap());
    assert_eq!(stats["size"]["max"], *sizes.iter().max().unwrap());
    let histogram = &stats["size"]["histogram"];
    assert_eq!(histogram["<16K"], 1, "the 5 KB session: {histogram}");
    assert_eq!(histogram[">=64K"], 0);
    let all: u64 = histogram
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(all, 6);

    let buckets = |name: &str| -> Vec<u64> {
        let labels: &[&str] = if name == "expiry" {
            &["none", "expired", "<=1h", "<=1d", "<=7d", "later"]
        } else {
            &["<1h", "<1d", "<7d", "<30d", "older", "unknown"]
        };
        labels
            .iter()
            .map(|l| {
                stats[name][l]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{name} {l}"))
            })
            .collect()
    };
    assert_eq!(buckets("idle"), [3, 1, 0, 1, 0, 0]);
    assert_eq!(buckets("age"), [3, 0, 1, 0, 1, 0]);
    assert_eq!(buckets("expiry"), [2, 1, 0, 0, 1, 1]);
    assert_eq!(stats["param_expiry"]["sessions"], 2);
    assert_eq!(stats["param_expiry"]["with_expired"], 1);

    let formats = &stats["formats"];
    assert_eq!(formats["default"], 4, "{formats}");
    assert_eq!(formats["storable"], 1);
    assert_eq!(formats["unknown"], 1);
    assert_eq!(formats["yaml"], 0);

    // Without `auto`, the storable record is not a session the DSN's serializer reads.
    let stats = json(&ok(in_dir(dir.path(), &["stats", "--json"])));
    assert_eq!(stats["unparsable"]["count"], 2);
    assert_eq!(stats["expiry"]["expired"], 1);

    let text = in_dir(dir.path(), &["stats"]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    for label in [
        "6 listed",
        "idle (ATIME)",
        "age (CTIME)",
        "expired",
        "storable",
    ] {
        assert!(text.contains(label), "{label} in:\n{text}");
    }
    assert!(text.contains("not parsed: 2 ("), "{text}");
    assert_eq!(dir_contents(dir.path()), before, "stats changed the store");
}

#[test]
fn stats_of_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let stats = json(&ok(in_dir(dir.path(), &["stats", "--json"])));
    assert_eq!(stats["sessions"], 0);
    assert_eq!(stats["size"]["mean"], Json::Null);
    assert!(in_dir(dir.path(), &["stats"]).status.success());
}

/// `lint --json`: the exit status and the codes found, by severity.
fn lint(args: &[&str]) -> (bool, Vec<(String, String)>) {
    let out = cgisess([args, &["lint", "--json"]].concat());
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(!f["message"].as_str().unwrap().is_empty());
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let problems = report["errors"].as_u64().unwrap() + report["warnings"].as_u64().unwrap();
    // The findings on standard output, then the one-line error.
    let status = if problems > 0 { 1 } else { 0 };
    assert_eq!(out.status.code(), Some(status), "{report:#}");
    let err = String::from_utf8_lossy(&out.stderr);
    if problems > 0 {
        assert_eq!(
            err,
            format!("cgisess: error: lint found {problems} problems\n")
        );
    } else {
        assert_eq!(err, "");
    }
    (out.status.success(), findings)
}

fn has(findings: &[(String, String)], code: &str, severity: &str) -> bool {
    findings.iter().any(|(c, s)| c == code && s == severity)
}

fn dir_args(dir: &Path) -> String {
    format!("Directory={}", dir.display())
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn lint_passes_a_private_directory() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o700);
    let now = now();
    session(dir.path(), "default", now, now, |s| {
        s.set_param("n", 1).unwrap()
    });
    let (ok, findings) = lint(&["-a", &dir_args(dir.path())]);
    assert!(ok, "{findings:?}");
    assert!(
        findings.iter().all(|(_, severity)| severity == "info"),
        "{findings:?}"
    );
    assert!(has(&findings, "id-md5-perl", "info"));

    let text = in_dir(dir.path(), &["lint"]);
    assert!(text.status.success());
    assert!(String::from_utf8(text.stdout)
        .unwrap()
        .contains("errors: 0, warnings: 0"));
}

#[test]
fn lint_finds_unsafe_directories_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let now = now();
    let id = session(d, "default", now, now, |s| s.set_param("n", 1).unwrap());
    let args = dir_args(d);

    chmod(d, 0o777);
    let (ok, findings) = lint(&["-a", &args]);
    assert!(!ok);
    assert!(
        has(&findings, "dir-world-writable", "error"),
        "{findings:?}"
    );
    assert_eq!(findings[0].1, "error", "most severe first: {findings:?}");

    chmod(d, 0o1777);
    let (_, findings) = lint(&["-a", &args]);
    assert!(has(&findings, "dir-shared", "warning"), "{findings:?}");
    assert!(!has(&findings, "dir-world-writable", "error"));

    chmod(d, 0o755);
    let (_, findings) = lint(&["-a", &args]);
    assert!(has(&findings, "dir-readable", "warning"), "{findings:?}");

    chmod(d, 0o700);
    chmod(&d.join(format!("cgisess_{id}")), 0o644);
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("cgisess_dangling")).unwrap();
    let (ok, findings) = lint(&["-a", &args, "-a", "NoFlock=1", "-a", "UMask=0666"]);
    assert!(!ok);
    for code in ["session-mode", "symlink-dangling", "no-flock", "umask"] {
        assert!(has(&findings, code, "warning"), "{code}: {findings:?}");
    }

    // Only root can hand the directory to another user.
    if std::os::unix::fs::chown(d, Some(65534), None).is_ok() {
        let (_, findings) = lint(&["-a", &args]);
        assert!(has(&findings, "dir-owner", "warning"), "{findings:?}");
    }
}

#[test]
fn lint_finds_weak_ids_ignored_dsn_keys_and_corrupt_records() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o700);
    let args = dir_args(dir.path());
    let (ok, findings) = lint(&["-a", &args, "--dsn", "driver:file;id:incr"]);
    assert!(!ok);
    assert!(has(&findings, "id-weak", "warning"), "{findings:?}");
    let (_, findings) = lint(&["-a", &args, "--dsn", "id:static"]);
    assert!(has(&findings, "id-weak", "warning"), "{findings:?}");
    let (_, findings) = lint(&["-a", &args, "--dsn", "driver:file;colour:blue"]);
    assert!(has(&findings, "dsn-ignored-key", "warning"), "{findings:?}");

    fs::write(dir.path().join("cgisess_corrupt"), b"$D = {;;$D").unwrap();
    chmod(&dir.path().join("cgisess_corrupt"), 0o600);
    let (ok, findings) = lint(&["-a", &args]);
    assert!(!ok);
    assert_eq!(findings[0], ("record-unparsable".into(), "error".into()));
}

#[cfg(feature = "sqlite")]
#[test]
fn lint_checks_a_database_files_mode() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o700);
    let db = dir.path().join("sessions.db");
    let source = format!("DataSource={}", db.display());
    let init = cgisess(["--dsn", "driver:sqlite", "-a", &source, "init"]);
    assert!(init.status.success(), "{init:?}");
    chmod(&db, 0o600);
    let (ok, findings) = lint(&["--dsn", "driver:sqlite", "-a", &source]);
    assert!(ok, "{findings:?}");
    chmod(&db, 0o644);
    let (ok, findings) = lint(&["--dsn", "driver:sqlite", "-a", &source]);
    assert!(!ok);
    assert!(has(&findings, "db-mode", "warning"), "{findings:?}");
}

#[cfg(feature = "memcached")]
#[test]
fn memcached_cannot_be_listed() {
    // No server is needed: the driver knows it cannot list before asking one.
    let (ok, findings) = lint(&["--dsn", "driver:memcached"]);
    assert!(!ok);
    assert!(has(&findings, "cannot-traverse", "warning"), "{findings:?}");
    let err = failure(cgisess(["--dsn", "driver:memcached", "stats"]));
    assert!(err.contains("cannot traverse"), "{err}");
}

#[cfg(feature = "redis")]
#[test]
fn lint_finds_a_redis_members_set_drifting_from_the_keys() {
    let url = common::services::redis_url();
    let prefix = format!("lint-{}-{}", std::process::id(), now());
    let args = Args::from([
        ("Server".to_string(), url.clone()),
        ("Prefix".to_string(), prefix.clone()),
    ]);
    if !common::services::store_available("redis", &args) {
        return;
    }
    let config = Config::new(Some("driver:redis"), args).unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut s = config.new_session(None).unwrap();
        s.flush().unwrap();
        ids.push(s.id().unwrap());
    }
    let server = format!("Server={url}");
    let prefix_arg = format!("Prefix={prefix}");
    let cli = ["--dsn", "driver:redis", "-a", &server, "-a", &prefix_arg];
    let (ok, findings) = lint(&cli);
    assert!(ok, "in step: {findings:?}");

    // Behind the driver's back: one key deleted, one session key never added to the set.
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut run = |args: &[&str]| {
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query::<()>(&mut redis).unwrap();
    };
    run(&["DEL", &format!("{prefix}:{}", ids[0])]);
    run(&["SET", &format!("{prefix}:stray"), "$D = {};;$D"]);
    let (ok, findings) = lint(&cli);
    assert!(!ok);
    assert!(
        has(&findings, "redis-member-without-key", "warning"),
        "{findings:?}"
    );
    assert!(
        has(&findings, "redis-key-not-in-members", "warning"),
        "{findings:?}"
    );
    // The walk over the records (a traverse) dropped the member without a key; the
    // stray key stays unlisted (and is a record that is no session).
    let (_, findings) = lint(&cli);
    assert!(!has(&findings, "redis-member-without-key", "warning"));
    assert!(has(&findings, "redis-key-not-in-members", "warning"));

    run(&[
        "DEL",
        &format!("{prefix}:stray"),
        &format!("{prefix}:{}", ids[1]),
    ]);
    run(&["DEL", &format!("{prefix}:members")]);
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    fs::write(&file, b"").unwrap();
    for command in ["stats", "lint"] {
        let err = failure(in_dir(dir.path(), &["--dsn", "driver: file", command]));
        assert!(err.contains("not a word"), "{err}");
        let err = failure(in_dir(&file, &[command]));
        assert!(err.contains("couldn't create directory"), "{err}");
    }
}

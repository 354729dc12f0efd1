//! The `cgisess` tool: each command's success path, its output formats and its errors.

use std::path::Path;
use std::process::{Command, Output};

use cgi_session::{Args, Config, Value};

fn cgisess(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cgisess"))
        .arg("-a")
        .arg(format!("Directory={}", dir.display()))
        .args(args)
        .env_remove("CGISESS_DSN")
        .env_remove("CGISESS_SERIALIZER")
        .output()
        .expect("cgisess runs")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "cgisess failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn failure(out: Output) -> String {
    assert!(!out.status.success(), "cgisess should have failed");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no output on failure");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("cgisess: error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

fn config(dir: &Path) -> Config {
    Config::new(
        None,
        Args::from([("Directory".into(), dir.display().to_string())]),
    )
    .unwrap()
}

#[test]
fn new_stores_params_and_expiry_that_the_library_reads() {
    let dir = tempfile::tempdir().unwrap();
    let id = ok(cgisess(
        dir.path(),
        &[
            "new",
            "--set",
            "user=alice",
            "--set-json",
            r#"cart=[1,{"sku":"x"}]"#,
            "--expire",
            "+1h",
            "--expire-param",
            "cart=30m",
        ],
    ));
    let id = id.trim();
    assert_eq!(id.len(), 32, "an md5-shaped id: {id}");
    assert!(dir.path().join(format!("cgisess_{id}")).is_file());

    let data = config(dir.path()).peek(id).unwrap().expect("stored");
    assert_eq!(data["user"], Value::bytes("alice"));
    assert_eq!(data["cart"][1]["sku"], Value::from("x"));
    assert_eq!(data["_SESSION_ETIME"], Value::Int(3600));
    assert_eq!(data["_SESSION_EXPIRE_LIST"]["cart"], Value::Int(1800));
    assert_eq!(data["_SESSION_ID"], Value::from(id));
}

#[test]
fn show_prints_json_and_dumper_without_touching_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let id = ok(cgisess(dir.path(), &["new", "--set", "n=1"]));
    let id = id.trim();
    let path = dir.path().join(format!("cgisess_{id}"));
    let before = std::fs::read(&path).unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&ok(cgisess(dir.path(), &["show", id]))).unwrap();
    assert_eq!(json["n"], "1");
    assert_eq!(json["_SESSION_ID"], id);
    assert!(json["_SESSION_ATIME"].is_i64());

    let dumper = ok(cgisess(dir.path(), &["show", id, "--format", "dumper"]));
    assert_eq!(
        dumper.trim_end().as_bytes(),
        before.as_slice(),
        "dumper shows the stored record"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "show changed nothing"
    );
}

#[test]
fn show_prints_every_serializers_format_and_the_raw_record() {
    let dir = tempfile::tempdir().unwrap();
    let id = ok(cgisess(
        dir.path(),
        &["new", "--set", "user=alice", "--set-json", "cart=[1,2]"],
    ));
    let id = id.trim();
    let stored = config(dir.path()).peek(id).unwrap().unwrap();
    let raw = cgisess(dir.path(), &["show", id, "--format", "raw"]).stdout;
    let path = dir.path().join(format!("cgisess_{id}"));
    assert_eq!(
        raw,
        std::fs::read(&path).unwrap(),
        "raw is the stored bytes"
    );
    for format in ["default", "storable", "freezethaw", "yaml", "json"] {
        let out = cgisess(dir.path(), &["show", id, "--format", format]);
        assert!(out.status.success(), "{format}");
        let mut bytes = out.stdout;
        // Text formats get a final newline for the terminal; Storable stays exact.
        if format != "storable" && format != "yaml" {
            assert_eq!(bytes.pop(), Some(b'\n'), "{format}");
        }
        let serializer = cgi_session::registry::serializer(format, format).unwrap();
        let back = serializer.thaw(&bytes).unwrap();
        assert_eq!(back["user"], stored["user"], "{format} reads back");
        assert_eq!(back["_SESSION_ID"], stored["_SESSION_ID"], "{format}");
    }
    let err = failure(cgisess(dir.path(), &["show", id, "--format", "xml"]));
    assert!(err.contains("\"xml\""), "{err}");
}

#[test]
fn set_changes_params_and_keeps_the_access_time() {
    let dir = tempfile::tempdir().unwrap();
    let id = ok(cgisess(dir.path(), &["new"]));
    let id = id.trim();
    let atime_before = config(dir.path()).peek(id).unwrap().unwrap()["_SESSION_ATIME"].clone();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(cgisess(
        dir.path(),
        &["set", id, "theme=dark", "--set-json", "n=5"],
    ));
    let data = config(dir.path()).peek(id).unwrap().unwrap();
    assert_eq!(data["theme"], Value::bytes("dark"));
    assert_eq!(data["n"], Value::Int(5));
    assert_eq!(data["_SESSION_ATIME"], atime_before);
}

#[test]
fn delete_removes_and_list_shows_what_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let a = ok(cgisess(dir.path(), &["new"])).trim().to_string();
    let b = ok(cgisess(dir.path(), &["new", "--set", "x=1"]))
        .trim()
        .to_string();
    let mut listed: Vec<String> = ok(cgisess(dir.path(), &["list"]))
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(listed, want);

    ok(cgisess(dir.path(), &["delete", &a]));
    assert!(!dir.path().join(format!("cgisess_{a}")).exists());

    let json: serde_json::Value =
        serde_json::from_str(&ok(cgisess(dir.path(), &["list", "--json"]))).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["id"], b.as_str());
    assert_eq!(entries[0]["params"], 1);
    assert!(entries[0]["ctime"].is_i64());
}

#[test]
fn list_json_reports_an_unreadable_record_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = ok(cgisess(dir.path(), &["new"])).trim().to_string();
    std::fs::write(
        dir.path().join("cgisess_broken"),
        b"$D = {system('id')};;$D",
    )
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&ok(cgisess(dir.path(), &["list", "--json"]))).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let broken = entries.iter().find(|e| e["id"] == "broken").unwrap();
    assert!(
        broken["error"].as_str().unwrap().contains("byte"),
        "{broken}"
    );
    assert!(entries
        .iter()
        .any(|e| e["id"] == good.as_str() && e.get("error").is_none()));
}

#[test]
fn errors_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(failure(cgisess(dir.path(), &["show", "nope"])).contains("no session \"nope\""));
    assert!(failure(cgisess(dir.path(), &["delete", "nope"])).contains("no session"));
    assert!(failure(cgisess(dir.path(), &["set", "nope", "a=1"])).contains("no session"));
    assert!(
        failure(cgisess(dir.path(), &["--dsn", "driver: file", "list"])).contains("not a word")
    );
    assert!(
        failure(cgisess(dir.path(), &["--dsn", "driver:nosuch", "list"]))
            .contains("no driver named")
    );
    assert!(failure(cgisess(dir.path(), &["new", "--expire", "1H"])).contains("couldn't parse"));
    assert!(
        failure(cgisess(dir.path(), &["new", "--set", "_SESSION_ID=x"]))
            .contains("private parameter")
    );
    assert!(failure(cgisess(dir.path(), &["new", "--set-json", "a={"])).contains("not JSON"));
    assert!(failure(cgisess(dir.path(), &["show", "../etc/passwd"])).contains("no session"));
}

#[test]
fn an_empty_list_is_valid_json() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(ok(cgisess(dir.path(), &["list"])), "");
    let json: serde_json::Value =
        serde_json::from_str(&ok(cgisess(dir.path(), &["list", "--json"]))).unwrap();
    assert_eq!(json, serde_json::json!([]));
}

#[test]
fn a_dsn_key_perl_would_ignore_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let out = cgisess(
        dir.path(),
        &["--dsn", "driver:file; serializer:storable", "list"],
    );
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("warning: DSN key \" serializer\""), "{err}");
}

/// One record Perl wrote with each serializer (`compat-fixtures/`): format and id.
const MIXED: [(&str, &str); 5] = [
    ("default", "fx_basic"),
    ("storable", "fx_nested"),
    ("freezethaw", "fx_strings"),
    ("yaml", "fx_refs"),
    ("json", "fx_objects"),
];

/// A store holding the [`MIXED`] records.
fn mixed_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("compat-fixtures");
    for (format, id) in MIXED {
        let name = format!("cgisess_{id}");
        std::fs::copy(
            fixtures.join(format!("file-{format}")).join(&name),
            dir.path().join(&name),
        )
        .unwrap();
    }
    dir
}

fn list_json(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let args = [args, &["list", "--json"]].concat();
    let json: serde_json::Value = serde_json::from_str(&ok(cgisess(dir, &args))).unwrap();
    json.as_array().unwrap().clone()
}

#[test]
fn serializer_auto_lists_and_shows_records_of_every_format() {
    let dir = mixed_store();
    let entries = list_json(dir.path(), &["--serializer", "auto"]);
    assert_eq!(entries.len(), MIXED.len());
    for (format, id) in MIXED {
        let entry = entries.iter().find(|e| e["id"] == id).unwrap();
        assert_eq!(entry["format"], format, "{entry}");
        assert!(entry.get("error").is_none(), "{entry}");
        assert!(entry["params"].as_u64().unwrap() > 0, "{entry}");

        let shown: serde_json::Value = serde_json::from_str(&ok(cgisess(
            dir.path(),
            &["--serializer", "auto", "show", id],
        )))
        .unwrap();
        assert_eq!(shown["_SESSION_ID"], id, "{format}: {shown}");
    }

    // Without it, the DSN's serializer (default) reads only its own records; list
    // still names each record's format.
    let entries = list_json(dir.path(), &[]);
    let mut unreadable: Vec<_> = entries
        .iter()
        .filter(|e| e.get("error").is_some())
        .map(|e| e["format"].as_str().unwrap())
        .collect();
    unreadable.sort_unstable();
    assert_eq!(unreadable, ["freezethaw", "json", "storable", "yaml"]);
}

#[test]
fn serializer_auto_writes_with_the_dsns_serializer() {
    let dir = mixed_store();
    ok(cgisess(
        dir.path(),
        &["--serializer", "auto", "set", "fx_nested", "theme=dark"],
    ));
    let record = std::fs::read(dir.path().join("cgisess_fx_nested")).unwrap();
    assert!(record.starts_with(b"$D = {"), "rewritten as default");
    let data = config(dir.path()).peek("fx_nested").unwrap().unwrap();
    assert_eq!(data["theme"], Value::bytes("dark"));
    assert_eq!(data["matrix"][1][0], Value::Int(3));

    // With a json DSN, auto writes json; CGISESS_SERIALIZER works as the option does.
    let out = Command::new(env!("CARGO_BIN_EXE_cgisess"))
        .args(["-a", &format!("Directory={}", dir.path().display())])
        .args([
            "--dsn",
            "driver:file;serializer:json",
            "set",
            "fx_refs",
            "n=1",
        ])
        .env("CGISESS_SERIALIZER", "auto")
        .env_remove("CGISESS_DSN")
        .output()
        .unwrap();
    ok(out);
    let record = std::fs::read(dir.path().join("cgisess_fx_refs")).unwrap();
    assert!(
        record.starts_with(b"{\"_SESSION_ATIME\":"),
        "rewritten as json"
    );
}

#[test]
fn serializer_names_one_serializer_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let id = ok(cgisess(
        dir.path(),
        &["--serializer", "json", "new", "--set", "n=1"],
    ));
    let record = std::fs::read(dir.path().join(format!("cgisess_{}", id.trim()))).unwrap();
    assert!(
        record.starts_with(b"{"),
        "{}",
        String::from_utf8_lossy(&record)
    );
    let err = failure(cgisess(dir.path(), &["show", id.trim()]));
    assert!(err.contains("couldn't thaw"), "{err}");
    let err = failure(cgisess(dir.path(), &["--serializer", "xml", "list"]));
    assert!(err.contains("no serializer named \"xml\""), "{err}");
}

#[test]
fn help_is_enough_to_use_the_tool() {
    let out = Command::new(env!("CARGO_BIN_EXE_cgisess"))
        .arg("--help")
        .output()
        .unwrap();
    let help = ok(out);
    for needle in [
        "new",
        "show",
        "set",
        "delete",
        "list",
        "purge",
        "migrate",
        "stats",
        "lint",
        "CGISESS_DSN",
        "CGISESS_ARG_<Name>",
        "CGISESS_TO_DSN",
        "Cron",
        "Exit status",
    ] {
        assert!(help.contains(needle), "--help mentions {needle}");
    }
    // Each command's own help names its flags.
    let out = Command::new(env!("CARGO_BIN_EXE_cgisess"))
        .args(["purge", "--help"])
        .output()
        .unwrap();
    let help = ok(out);
    for flag in ["--dry-run", "--json", "--progress", "--jobs"] {
        assert!(help.contains(flag), "purge --help names {flag}");
    }
}

#[test]
fn driver_args_and_dsn_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let id = ok(cgisess(dir.path(), &["new", "--set", "n=1"]));
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cgisess"))
            .args(extra)
            .arg("list")
            .env("CGISESS_ARG_Directory", dir.path())
            .env("CGISESS_DSN", "driver:file;serializer:default")
            .env_remove("CGISESS_SERIALIZER")
            .output()
            .unwrap()
    };
    assert_eq!(ok(run(&[])), id, "the store named by the environment");
    // -a overrides the environment.
    let other = format!("Directory={}", elsewhere.path().display());
    assert_eq!(ok(run(&["-a", &other])), "");
}

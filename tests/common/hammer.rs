//! Concurrency: several processes, Perl and Rust mixed, writing the same sessions
//! at the same time (issue 4's "lose no session, never read a torn record").
//!
//! A *writer* does `count` rounds of `new(id)` + `param(tag, round)` + `flush` for
//! every id of a [`Plan`], as concurrent requests for the same users do. A Perl writer
//! is `oracle.pl hammer`; a Rust writer is this test binary run again as a child, the
//! test named by `child_test` doing the work when [`CHILD_ENV`] is set:
//!
//! ```ignore
//! #[test]
//! #[ignore = "a child process of the concurrency tests, run by them"]
//! fn hammer_child() {
//!     common::hammer::child_main();
//! }
//! ```
//!
//! Each writer fails on the first record it cannot read or write. Updates of one id
//! by two writers may overwrite each other (the last writer wins, as in Perl), so
//! [`run_mixed`] checks only what must hold: every writer finished every round, and
//! afterwards every id exists and reads back with the data of some writer.

use std::process::{Child, Command, Stdio};

use cgi_session::Config;
use serde_json::{json, Value as Json};

use super::Oracle;

/// Set in a Rust writer child: the [`Plan`] and tag as JSON.
pub const CHILD_ENV: &str = "CGISESS_HAMMER_CHILD";

/// What the writers do: a DSN with `id:static` (so `new(id)` creates that id), its
/// driver args as a JSON object of strings, the ids, and the rounds per writer.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The DSN; must use `id:static`.
    pub dsn: String,
    /// Driver args, a JSON object of strings (Perl's option names).
    pub args: Json,
    /// The ids every writer writes, each round.
    pub ids: Vec<String>,
    /// Rounds per writer.
    pub count: usize,
}

impl Plan {
    fn driver_args(&self) -> cgi_session_drivers::Args {
        self.args
            .as_object()
            .expect("args must be a JSON object")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("string arg").to_string()))
            .collect()
    }
}

/// Starts one Perl writer.
pub fn spawn_perl(oracle: &Oracle, plan: &Plan, tag: &str) -> Child {
    let args = plan.args.to_string();
    let ids = plan.ids.join(",");
    let count = plan.count.to_string();
    oracle
        .command(&[
            "hammer", "--dsn", &plan.dsn, "--args", &args, "--ids", &ids, "--count", &count,
            "--tag", tag,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a Perl writer")
}

/// Starts one Rust writer: this test binary, running only `child_test`.
pub fn spawn_rust(child_test: &str, plan: &Plan, tag: &str) -> Child {
    let spec = json!({
        "dsn": plan.dsn, "args": plan.args, "ids": plan.ids, "count": plan.count, "tag": tag,
    });
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            child_test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, spec.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a Rust writer")
}

/// The body of a Rust writer child; does nothing when [`CHILD_ENV`] is unset (the
/// child test then passes trivially in an ordinary `--ignored` run).
pub fn child_main() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let spec: Json = serde_json::from_str(&spec).expect("child spec");
    let plan = Plan {
        dsn: spec["dsn"].as_str().unwrap().to_string(),
        args: spec["args"].clone(),
        ids: serde_json::from_value(spec["ids"].clone()).unwrap(),
        count: spec["count"].as_u64().unwrap() as usize,
    };
    let tag = spec["tag"].as_str().unwrap();
    let report = match write_rounds(&plan, tag) {
        Ok(done) => json!({ "done": done }),
        Err(error) => json!({ "error": error }),
    };
    println!("HAMMER {report}");
}

fn write_rounds(plan: &Plan, tag: &str) -> Result<usize, String> {
    let config = Config::new(Some(&plan.dsn), plan.driver_args()).map_err(|e| e.to_string())?;
    let mut done = 0;
    for round in 1..=plan.count {
        for id in &plan.ids {
            let mut session = config
                .new_session(Some(id))
                .map_err(|e| format!("round {round}, {id}: {e}"))?;
            if session.id().as_deref() != Some(id.as_str()) {
                return Err(format!("round {round}, {id}: got id {:?}", session.id()));
            }
            session
                .set_param(tag, round as i64)
                .and_then(|()| session.flush())
                .map_err(|e| format!("round {round}, {id}: flush: {e}"))?;
            done += 1;
        }
    }
    Ok(done)
}

/// Waits for a writer and returns how many writes it did, or its error.
fn outcome(child: Child, who: &str) -> Result<usize, String> {
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{who}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| {
            // libtest prints the child's line after `test NAME ... `.
            l.split_once("HAMMER ")
                .map(|(_, report)| report)
                .or(l.starts_with('{').then_some(l))
        })
        .ok_or_else(|| format!("{who}: no report ({}): {text}", out.status))?;
    let report: Json = serde_json::from_str(line).map_err(|e| format!("{who}: {e}: {line}"))?;
    match report.get("error") {
        Some(error) => Err(format!("{who}: {error}")),
        None => Ok(report["done"].as_u64().unwrap_or(0) as usize),
    }
}

/// Runs `perl` Perl writers and `rust` Rust writers at once, then checks that each
/// finished every round and that every id reads back (in Rust) holding the last
/// round of at least one writer's tag.
pub fn run_mixed(
    oracle: &Oracle,
    plan: &Plan,
    child_test: &str,
    perl: usize,
    rust: usize,
) -> Result<(), String> {
    let mut writers = Vec::new();
    for n in 0..perl {
        let tag = format!("perl{n}");
        writers.push((tag.clone(), spawn_perl(oracle, plan, &tag)));
    }
    for n in 0..rust {
        let tag = format!("rust{n}");
        writers.push((tag.clone(), spawn_rust(child_test, plan, &tag)));
    }
    let tags: Vec<String> = writers.iter().map(|(tag, _)| tag.clone()).collect();
    let mut errors = Vec::new();
    for (tag, child) in writers {
        match outcome(child, &tag) {
            Ok(done) if done == plan.count * plan.ids.len() => {}
            Ok(done) => errors.push(format!("{tag}: only {done} writes")),
            Err(e) => errors.push(e),
        }
    }
    let config = Config::new(Some(&plan.dsn), plan.driver_args()).map_err(|e| e.to_string())?;
    for id in &plan.ids {
        match config.peek(id) {
            Ok(Some(data)) => {
                let last = plan.count as i64;
                let held = tags.iter().any(|tag| {
                    data.get(tag)
                        .and_then(|v| v.to_number())
                        .is_some_and(|n| n.as_i64() == last)
                });
                if !held {
                    errors.push(format!("{id}: no writer's last round survived: {data:?}"));
                }
            }
            Ok(None) => errors.push(format!("{id}: the session was lost")),
            Err(e) => errors.push(format!("{id}: unreadable afterwards: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

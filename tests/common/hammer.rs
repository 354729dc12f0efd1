//! Concurrency: several processes, Perl and Rust mixed, updating, creating, deleting
//! and purging the same sessions at the same time (issues 4 and 7: "lose no session,
//! never read a torn record").
//!
//! A *writer* does `count` rounds. Each round it updates every id of a [`Plan`]
//! (`new(id)` + `param(tag, round)` + `flush`, as concurrent requests for the same
//! users do), `ids` and `doomed` alike; a [`Role::Deleter`] then deletes the doomed
//! ids; with `churn` it creates `keep.TAG.ROUND` (expiring in an hour) and
//! `eph.TAG.ROUND` (expiring in a second); a [`Role::Purger`] then purges (Perl:
//! `find()` with the purge callback of spec §4; Rust: [`Config::purge`]), and purges
//! once more 1.2 s after its last round. A Perl writer is `oracle.pl hammer`; a Rust
//! writer is this test binary run again as a child, the test named by `child_test`
//! doing the work when [`CHILD_ENV`] is set:
//!
//! ```ignore
//! #[test]
//! #[ignore = "a child process of the concurrency tests, run by them"]
//! fn hammer_child() {
//!     common::hammer::child_main();
//! }
//! ```
//!
//! A writer records each failed operation and goes on. Updates of one id by two
//! writers may overwrite each other (the last writer wins, as in Perl), so [`run`]
//! checks only what must hold afterwards: every record in the store parses (no torn
//! record); every id of `ids` exists, holds the last round of some writer and (with
//! `churn`, where the test creates them first) was never re-created; every `keep.*`
//! session exists (no purger removed a live session); and, with a purger, expired
//! sessions were removed. Doomed and `eph.*` sessions may be gone.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::process::{Child, Command, Stdio};

use cgi_session::purge::{PurgeEvent, PurgeOptions};
use cgi_session::Config;
use serde_json::{json, Value as Json};

use super::Oracle;

/// Set in a Rust writer child: the [`Plan`], role and tag as JSON.
pub const CHILD_ENV: &str = "CGISESS_HAMMER_CHILD";

/// Multiplies the rounds of the tests that honour it, for long runs by script.
pub const SCALE_ENV: &str = "CGISESS_HAMMER_SCALE";

/// `default` times [`SCALE_ENV`] (1 when unset or not a positive number).
pub fn scaled(default: usize) -> usize {
    let scale = std::env::var(SCALE_ENV)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1);
    default * scale
}

/// What the writers do: a DSN with `id:static` (so `new(id)` creates that id), its
/// driver args as a JSON object of strings, the ids, and the rounds per writer.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The DSN; must use `id:static`.
    pub dsn: String,
    /// Driver args, a JSON object of strings (Perl's option names).
    pub args: Json,
    /// Ids every writer updates each round, never deleted: all must survive.
    pub ids: Vec<String>,
    /// Ids every writer updates each round and deleters delete: may be gone.
    pub doomed: Vec<String>,
    /// Rounds per writer.
    pub count: usize,
    /// Create the `ids` first and a `keep.*` and an `eph.*` session per writer and round.
    pub churn: bool,
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

    fn config(&self) -> Result<Config, String> {
        Config::new(Some(&self.dsn), self.driver_args()).map_err(|e| e.to_string())
    }

    fn to_json(&self, role: Role) -> Json {
        json!({
            "ids": self.ids, "doomed": self.doomed, "count": self.count,
            "churn": self.churn, "role": role.as_str(),
        })
    }
}

/// What a writer does besides updating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Updates (and with `churn`, creates) only.
    Writer,
    /// Also deletes the doomed ids every round.
    Deleter,
    /// Also purges every round.
    Purger,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Deleter => "deleter",
            Role::Purger => "purger",
        }
    }

    fn parse(name: &str) -> Role {
        match name {
            "deleter" => Role::Deleter,
            "purger" => Role::Purger,
            _ => Role::Writer,
        }
    }
}

/// Which implementation runs a writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// `oracle.pl hammer`: CGI::Session 4.48.
    Perl,
    /// This test binary as a child.
    Rust,
}

/// One failed operation of a writer.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The writer's tag (`perl0`, `rust1`, ...).
    pub who: String,
    /// `update`, `delete`, `create` or `purge`.
    pub op: String,
    /// The session id (empty for a purge as a whole).
    pub id: String,
    /// The error.
    pub error: String,
}

/// A writer's report: operations done by kind, expired sessions its purges removed,
/// and its failures.
#[derive(Debug, Default)]
struct Report {
    ops: BTreeMap<String, u64>,
    expired: u64,
    failures: Vec<Failure>,
}

impl Report {
    fn to_json(&self) -> Json {
        let failures: Vec<Json> = self
            .failures
            .iter()
            .map(|f| json!({ "op": f.op, "id": f.id, "error": f.error }))
            .collect();
        json!({ "ops": self.ops, "expired": self.expired, "failures": failures })
    }

    fn from_json(who: &str, report: &Json) -> Report {
        let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
        Report {
            ops: serde_json::from_value(report["ops"].clone()).unwrap_or_default(),
            expired: report["expired"].as_u64().unwrap_or(0),
            failures: report["failures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| Failure {
                    who: who.to_string(),
                    op: text(&f["op"]),
                    id: text(&f["id"]),
                    error: text(&f["error"]),
                })
                .collect(),
        }
    }

    fn done(&mut self, op: &str) {
        *self.ops.entry(op.to_string()).or_default() += 1;
    }

    /// Counts `op` on `id` as done, or records why it failed.
    fn attempt(&mut self, op: &str, id: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.done(op),
            Err(error) => self.failures.push(Failure {
                who: String::new(),
                op: op.to_string(),
                id: id.to_string(),
                error,
            }),
        }
    }
}

fn spawn_perl(oracle: &Oracle, plan: &Plan, role: Role, tag: &str) -> Child {
    let args = plan.args.to_string();
    let spec = plan.to_json(role).to_string();
    oracle
        .command(&[
            "hammer", "--dsn", &plan.dsn, "--args", &args, "--plan", &spec, "--tag", tag,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a Perl writer")
}

fn spawn_rust(child_test: &str, plan: &Plan, role: Role, tag: &str) -> Child {
    let spec = json!({
        "dsn": plan.dsn, "args": plan.args, "plan": plan.to_json(role), "tag": tag,
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
    let p = &spec["plan"];
    let strings = |v: &Json| serde_json::from_value::<Vec<String>>(v.clone()).unwrap();
    let plan = Plan {
        dsn: spec["dsn"].as_str().unwrap().to_string(),
        args: spec["args"].clone(),
        ids: strings(&p["ids"]),
        doomed: strings(&p["doomed"]),
        count: p["count"].as_u64().unwrap() as usize,
        churn: p["churn"].as_bool().unwrap_or(false),
    };
    let role = Role::parse(p["role"].as_str().unwrap_or_default());
    let tag = spec["tag"].as_str().unwrap();
    let report = match plan.config() {
        Ok(config) => rust_writer(&config, &plan, role, tag),
        Err(error) => {
            let mut report = Report::default();
            report.attempt("config", "", Err(error));
            report
        }
    };
    println!("HAMMER {}", report.to_json());
}

/// `new(id)`, then `expire` (if any), `param(tag, round)`, `flush`.
fn write(config: &Config, id: &str, tag: &str, round: usize, expire: i64) -> Result<(), String> {
    let mut session = config.new_session(Some(id)).map_err(|e| e.to_string())?;
    if session.id().as_deref() != Some(id) {
        return Err(format!("got id {:?}", session.id()));
    }
    if expire > 0 {
        session.expire(expire).map_err(|e| e.to_string())?;
    }
    session
        .set_param(tag, round as i64)
        .and_then(|()| session.flush())
        .map_err(|e| format!("flush: {e}"))
}

fn rust_writer(config: &Config, plan: &Plan, role: Role, tag: &str) -> Report {
    let mut report = Report::default();
    let purge = |report: &mut Report| {
        let failed = std::sync::Mutex::new(Vec::new());
        let observe = |event: PurgeEvent<'_>| {
            if let PurgeEvent::Failed { id, error } = event {
                failed
                    .lock()
                    .unwrap()
                    .push((id.to_string(), error.to_string()));
            }
        };
        let result = config.purge(PurgeOptions::default(), &observe);
        for (id, error) in failed.into_inner().unwrap() {
            report.attempt("purge", &id, Err(error));
        }
        match result {
            Ok(summary) => {
                report.expired += summary.expired;
                report.done("purge");
            }
            Err(e) => report.attempt("purge", "", Err(e.to_string())),
        }
    };
    for round in 1..=plan.count {
        for id in plan.ids.iter().chain(&plan.doomed) {
            report.attempt("update", id, write(config, id, tag, round, 0));
        }
        if role == Role::Deleter {
            for id in &plan.doomed {
                let deleted = config.new_session(Some(id)).and_then(|mut session| {
                    session.delete();
                    session.flush()
                });
                report.attempt("delete", id, deleted.map_err(|e| e.to_string()));
            }
        }
        if plan.churn {
            let keep = format!("keep.{tag}.{round}");
            report.attempt("create", &keep, write(config, &keep, tag, round, 3600));
            let eph = format!("eph.{tag}.{round}");
            report.attempt("create", &eph, write(config, &eph, tag, round, 1));
        }
        if role == Role::Purger {
            purge(&mut report);
        }
    }
    if role == Role::Purger {
        std::thread::sleep(std::time::Duration::from_millis(1200));
        purge(&mut report);
    }
    report
}

/// Waits for a writer and returns its report, or why it gave none.
fn outcome(child: Child, who: &str) -> Result<Report, String> {
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
    Ok(Report::from_json(who, &report))
}

/// Runs `perl` Perl writers and `rust` Rust writers, all [`Role::Writer`], and
/// requires every operation of every writer to succeed (see [`run`]).
pub fn run_mixed(
    oracle: &Oracle,
    plan: &Plan,
    child_test: &str,
    perl: usize,
    rust: usize,
) -> Result<(), String> {
    let writers: Vec<(Lang, Role)> = std::iter::repeat_n((Lang::Perl, Role::Writer), perl)
        .chain(std::iter::repeat_n((Lang::Rust, Role::Writer), rust))
        .collect();
    run(Some(oracle), plan, child_test, &writers, &|_| false).map(drop)
}

/// What a [`run`] counted, for RELIABILITY.md.
#[derive(Debug, Default)]
pub struct Tally {
    /// Writer processes.
    pub processes: usize,
    /// Operations done, by kind, over all writers.
    pub ops: BTreeMap<String, u64>,
    /// Perl failures the caller tolerated, by operation.
    pub tolerated: BTreeMap<String, u64>,
    /// Expired sessions the purgers removed.
    pub expired: u64,
    /// Records in the store afterwards, every one parsed.
    pub records: usize,
}

/// Runs the `writers` at once (Perl ones need `oracle`), then checks the store (see
/// the module docs). Every Rust failure is an error; a Perl failure is one unless
/// `tolerated` says it is Perl 4.48's own documented behaviour. Prints the tally.
pub fn run(
    oracle: Option<&Oracle>,
    plan: &Plan,
    child_test: &str,
    writers: &[(Lang, Role)],
    tolerated: &dyn Fn(&Failure) -> bool,
) -> Result<Tally, String> {
    let config = plan.config()?;
    if plan.churn {
        for id in &plan.ids {
            let mut session = config.new_session(Some(id)).map_err(|e| e.to_string())?;
            session
                .set_param("origin", "parent")
                .and_then(|()| session.expire(3600))
                .and_then(|()| session.flush())
                .map_err(|e| format!("creating {id}: {e}"))?;
        }
    }
    let mut children = Vec::new();
    for (n, &(lang, role)) in writers.iter().enumerate() {
        let tag = match lang {
            Lang::Perl => format!("perl{n}"),
            Lang::Rust => format!("rust{n}"),
        };
        let child = match lang {
            Lang::Perl => spawn_perl(
                oracle.expect("Perl writers need the oracle"),
                plan,
                role,
                &tag,
            ),
            Lang::Rust => spawn_rust(child_test, plan, role, &tag),
        };
        children.push((tag, lang, child));
    }
    let tags: Vec<String> = children.iter().map(|(tag, ..)| tag.clone()).collect();
    let mut tally = Tally {
        processes: children.len(),
        ..Tally::default()
    };
    let mut errors = Vec::new();
    for (tag, lang, child) in children {
        let report = match outcome(child, &tag) {
            Ok(report) => report,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for (op, n) in &report.ops {
            *tally.ops.entry(op.clone()).or_default() += n;
        }
        tally.expired += report.expired;
        for failure in report.failures {
            if lang == Lang::Perl && tolerated(&failure) {
                *tally.tolerated.entry(failure.op).or_default() += 1;
            } else {
                let Failure { op, id, error, .. } = failure;
                errors.push(format!("{tag}: {op} {id}: {error}"));
            }
        }
    }
    tally.records = check_store(&config, plan, &tags, &mut errors)?;
    let purgers = writers.iter().any(|&(_, role)| role == Role::Purger);
    if plan.churn && purgers && tally.expired == 0 {
        errors.push("the purgers removed no expired session".into());
    }
    eprintln!("hammer {}: {tally:?}", plan.dsn);
    if errors.is_empty() {
        Ok(tally)
    } else {
        Err(errors.join("\n"))
    }
}

/// Parses every record in the store and checks the ids that must have survived;
/// returns how many records there are.
fn check_store(
    config: &Config,
    plan: &Plan,
    tags: &[String],
    errors: &mut Vec<String>,
) -> Result<usize, String> {
    let mut listed = Vec::new();
    config
        .driver()
        .traverse(&mut |id| {
            listed.push(id.trim_end().to_string());
            ControlFlow::Continue(())
        })
        .map_err(|e| format!("listing the store: {e}"))?;
    for id in &listed {
        match config.peek(id) {
            Ok(Some(_)) => {}
            Ok(None) => errors.push(format!("{id}: listed, but the record is empty")),
            Err(e) => errors.push(format!("{id}: torn record: {e}")),
        }
    }
    let last = plan.count as i64;
    for id in &plan.ids {
        match config.peek(id) {
            Ok(Some(data)) => {
                let held = tags.iter().any(|tag| {
                    data.get(tag)
                        .and_then(|v| v.to_number())
                        .is_some_and(|n| n.as_i64() == last)
                });
                if !held {
                    errors.push(format!("{id}: no writer's last round survived: {data:?}"));
                }
                if plan.churn && data.get("origin").and_then(|v| v.as_str()) != Some("parent") {
                    errors.push(format!("{id}: was lost and created again: {data:?}"));
                }
            }
            Ok(None) => errors.push(format!("{id}: the session was lost")),
            Err(e) => errors.push(format!("{id}: unreadable afterwards: {e}")),
        }
    }
    if plan.churn {
        for tag in tags {
            for round in 1..=plan.count {
                let keep = format!("keep.{tag}.{round}");
                if !listed.contains(&keep) {
                    errors.push(format!("{keep}: a live session vanished"));
                }
            }
        }
    }
    Ok(listed.len())
}

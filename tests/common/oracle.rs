//! The Perl oracle: a handle on `tests/oracle/oracle.pl`, which runs the real
//! CGI::Session 4.48 so that tests can check Rust against Perl, both ways.
//!
//! Every call is one `perl` process; data crosses as typed JSON (see [`super::typed`]).
//! Two kinds of failure are kept apart: an error that *CGI::Session* reports (a
//! thaw that fails, a load that returns undef) is an `Err(String)` for the test to
//! examine; a failure of the oracle itself (bad arguments, Perl missing a module)
//! panics, because the test cannot mean anything after it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use cgi_session_serializers::Value;
use serde_json::Value as Json;

use super::typed;

/// Set to `1` to make a missing oracle fail the test instead of skipping it.
pub const REQUIRE_ENV: &str = "CGISESS_REQUIRE_ORACLE";

/// A usable Perl with CGI::Session 4.48. Cheap to clone; each call runs `perl`.
#[derive(Debug, Clone)]
pub struct Oracle {
    perl: PathBuf,
    script: PathBuf,
    env: Vec<(String, String)>,
}

/// What `CGI::Session->load` gave, captured before the oracle's flush.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The whole data hash (`$s->dataref`, `_SESSION_*` keys included), typed.
    pub data: Json,
    /// `$s->id`, typed: `{"str":..}`, `{"int":..}` for `id:incr`, or null when empty.
    pub id: Json,
    /// `$s->is_empty`.
    pub is_empty: bool,
    /// `$s->is_expired`.
    pub is_expired: bool,
    /// `$s->is_new`.
    pub is_new: bool,
    /// The error of the flush that followed the load (what `DESTROY` would have hidden).
    pub flush_error: Option<String>,
}

/// A session Perl created with `CGI::Session->new` and flushed.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// Its id, as text.
    pub id: String,
    /// The data hash as stored, typed.
    pub data: Json,
}

/// Which `flock(2)` lock Perl takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// `LOCK_SH`, as Perl's file driver takes for reading.
    Shared,
    /// `LOCK_EX`, as Perl's file driver takes for writing.
    Exclusive,
}

impl Oracle {
    /// The oracle, if `perl` (or `$CGISESS_PERL`) runs CGI::Session 4.48 here.
    /// Otherwise prints why and returns `None`, or panics when `CGISESS_REQUIRE_ORACLE=1`.
    pub fn get() -> Option<Oracle> {
        static PROBE: OnceLock<Result<Oracle, String>> = OnceLock::new();
        match PROBE.get_or_init(probe) {
            Ok(oracle) => Some(oracle.clone()),
            Err(why) if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") => {
                panic!("{REQUIRE_ENV}=1 but the Perl oracle is unusable: {why}")
            }
            Err(why) => {
                eprintln!("skipping: the Perl oracle is unusable: {why}");
                None
            }
        }
    }

    /// The same oracle with an environment variable set for Perl, e.g. `REMOTE_ADDR`
    /// (which is otherwise unset, so that Perl records `''`).
    pub fn with_env(&self, key: &str, value: &str) -> Oracle {
        let mut oracle = self.clone();
        oracle.env.push((key.into(), value.into()));
        oracle
    }

    /// `CGI::Session::Serialize::<serializer>->thaw(bytes)`, typed; `Err` is Perl's error.
    pub fn thaw_bytes(&self, serializer: &str, bytes: &[u8]) -> Result<Json, String> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(bytes).expect("write temp file");
        let path = file.path().to_str().expect("temp path is UTF-8");
        into_result(self.run_json(&["thaw", "--serializer", serializer, path], b""))
            .map(|mut out| out["data"].take())
    }

    /// [`thaw_bytes`](Self::thaw_bytes), as a [`Value`]; panics on data a `Value`
    /// cannot hold (a cycle).
    pub fn thaw_value(&self, serializer: &str, bytes: &[u8]) -> Result<Value, String> {
        self.thaw_bytes(serializer, bytes)
            .map(|t| typed::from_typed(&t))
    }

    /// The bytes `CGI::Session::Serialize::<serializer>->freeze` writes for the data
    /// typed JSON describes.
    pub fn freeze_typed(&self, serializer: &str, data: &Json) -> Vec<u8> {
        let input = serde_json::to_vec(data).expect("JSON");
        self.run(&["freeze", "--serializer", serializer], &input)
    }

    /// [`freeze_typed`](Self::freeze_typed) of a [`Value`].
    pub fn freeze_value(&self, serializer: &str, data: &Value) -> Vec<u8> {
        self.freeze_typed(serializer, &typed::to_typed(data))
    }

    /// `CGI::Session->load(dsn, id, args[, 1])`, then a flush (as `DESTROY` would).
    /// `args` is the driver-args hash, e.g. `json!({"Directory": dir})`.
    pub fn load(
        &self,
        dsn: &str,
        args: &Json,
        id: &str,
        read_only: bool,
    ) -> Result<Loaded, String> {
        let args = args.to_string();
        let mut argv = vec!["load", "--dsn", dsn, "--args", &args, "--id", id];
        if read_only {
            argv.push("--read-only");
        }
        let out = into_result(self.run_json(&argv, b""))?;
        let flag = |key: &str| {
            out[key]
                .as_bool()
                .unwrap_or_else(|| panic!("no {key} in {out}"))
        };
        Ok(Loaded {
            data: out["data"].clone(),
            id: out["id"].clone(),
            is_empty: flag("is_empty"),
            is_expired: flag("is_expired"),
            is_new: flag("is_new"),
            flush_error: out
                .get("flush_error")
                .and_then(Json::as_str)
                .map(String::from),
        })
    }

    /// `CGI::Session->find(dsn, sub {}, args)`: the purge cron job of Perl's
    /// documentation. `Err` is Perl's errstr, or what `find` died of.
    pub fn purge(&self, dsn: &str, args: &Json) -> Result<(), String> {
        let args = args.to_string();
        into_result(self.run_json(&["purge", "--dsn", dsn, "--args", &args], b"")).map(drop)
    }

    /// Every record of the store as Perl's driver lists it and its serializer reads
    /// it, untouched: `{id: typed data}`.
    pub fn dump(&self, dsn: &str, args: &Json) -> Json {
        let args = args.to_string();
        self.run_json(&["dump", "--dsn", dsn, "--args", &args], b"")
    }

    /// `CGI::Session->new(dsn, id, args)`, then the `spec`, then flush.
    /// `spec` is `{"params": {name: typed}, "expire": T, "expire_params": {name: T}}`,
    /// every part optional; a JSON number `T` reaches `expire` as a Perl number and a
    /// string as a string (Perl stores `expire('3600')` and `expire(3600)` differently).
    pub fn new_session(
        &self,
        dsn: &str,
        args: &Json,
        id: Option<&str>,
        spec: &Json,
    ) -> Result<Created, String> {
        let args = args.to_string();
        let mut argv = vec!["new", "--dsn", dsn, "--args", &args];
        if let Some(id) = id {
            argv.extend(["--id", id]);
        }
        let input = serde_json::to_vec(spec).expect("JSON");
        let out = into_result(self.run_json(&argv, &input))?;
        let id = out["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {out}"))
            .to_string();
        Ok(Created {
            id,
            data: out["data"].clone(),
        })
    }

    /// `CGI::Session->new(dsn, id, args)` with a CGI.pm query object, then
    /// `$s->cookie(@cookie)` and `$s->header(@header)` (with cookie attributes, CGI.pm's
    /// `header(-cookie => that cookie, -type => 'text/html', @header)`), then a flush.
    /// `cookie` and `header` are JSON arrays of CGI.pm's named arguments
    /// (`["-secure", 1]`). Prints `{"id", "is_new", "is_expired", "cookie", "header"}`.
    /// Set `CGISESS_ORACLE_TIME` with [`with_env`](Self::with_env) to freeze Perl's clock.
    pub fn cookie(
        &self,
        dsn: &str,
        args: &Json,
        id: &str,
        cookie: &Json,
        header: &Json,
    ) -> Result<Json, String> {
        let (args, cookie, header) = (args.to_string(), cookie.to_string(), header.to_string());
        let argv = [
            "cookie", "--dsn", dsn, "--args", &args, "--id", id, "--cookie", &cookie, "--header",
            &header,
        ];
        into_result(self.run_json(&argv, b""))
    }

    /// What CGI.pm's `CGI->new` makes of the CGI environment (set it with
    /// [`with_env`](Self::with_env)) and `body` on stdin: `{"claimed": typed, "params":
    /// [[typed name, [typed value, ...]], ...], "rest": typed bytes left unread}`.
    pub fn request(&self, name: &str, body: &[u8]) -> Json {
        self.run_json(&["request", "--name", name], body)
    }

    /// Has Perl take an `flock(2)` lock on `path` (which must exist) and returns once
    /// it holds it. Perl lets go when the holder is released or dropped, or after `hold`.
    pub fn lock(&self, path: &Path, mode: LockMode, hold: Duration) -> LockHolder {
        let mode = match mode {
            LockMode::Shared => "sh",
            LockMode::Exclusive => "ex",
        };
        let hold_ms = hold.as_millis().to_string();
        let path = path.to_str().expect("path is UTF-8");
        let mut child = self
            .command(&[
                "lock",
                "--file",
                path,
                "--mode",
                mode,
                "--hold-ms",
                &hold_ms,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn perl");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read from perl");
        if line != "locked\n" {
            let mut err = String::new();
            child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            let _ = child.wait();
            panic!("oracle lock {path} ({mode}) failed: {line:?} {err}");
        }
        LockHolder {
            child,
            stdin,
            stdout,
        }
    }

    /// The `perl oracle.pl ARGS` command, for callers that run it themselves (e.g. in the background).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.perl);
        cmd.arg(&self.script).args(args);
        // Defaults that could change what Perl reads or writes are cleared.
        cmd.env_remove("REMOTE_ADDR")
            .env_remove("PERL_UNICODE")
            .env_remove("PERL5OPT");
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs a subcommand to completion: its stdout; panics if the oracle itself failed.
    fn run(&self, args: &[&str], input: &[u8]) -> Vec<u8> {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn perl");
        let mut stdin = child.stdin.take().expect("stdin");
        let input = input.to_vec();
        // A writer thread, so a large input cannot deadlock against a full stdout pipe.
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().expect("wait for perl");
        writer
            .join()
            .expect("writer thread")
            .expect("write to perl");
        if !out.status.success() {
            panic!(
                "oracle {args:?} failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.stdout
    }

    fn run_json(&self, args: &[&str], input: &[u8]) -> Json {
        let out = self.run(args, input);
        serde_json::from_slice(&out).unwrap_or_else(|e| {
            panic!(
                "oracle {args:?} printed bad JSON ({e}): {}",
                String::from_utf8_lossy(&out)
            )
        })
    }
}

/// Perl holding a lock (see [`Oracle::lock`]).
pub struct LockHolder {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
}

impl LockHolder {
    /// Releases the lock now and waits until Perl has let go.
    pub fn release(mut self) {
        self.finish();
    }

    /// Waits until Perl lets go on its own (after its `hold` time).
    pub fn wait_released(mut self) {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from perl");
        assert_eq!(line, "released\n", "oracle lock holder");
        self.finish();
    }

    fn finish(&mut self) {
        drop(self.stdin.take()); // EOF on Perl's stdin ends the hold
        let status = self.child.wait().expect("wait for perl");
        assert!(
            status.success() || std::thread::panicking(),
            "oracle lock holder: {status}"
        );
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.finish();
        }
    }
}

/// `{"error": ...}` from the oracle is Perl's own error; anything else is success.
fn into_result(out: Json) -> Result<Json, String> {
    match out.get("error") {
        Some(error) => Err(error.as_str().unwrap_or_default().to_string()),
        None => Ok(out),
    }
}

fn probe() -> Result<Oracle, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/oracle.pl");
    let perl =
        std::env::var_os("CGISESS_PERL").map_or_else(|| PathBuf::from("perl"), PathBuf::from);
    let oracle = Oracle {
        perl,
        script,
        env: Vec::new(),
    };
    let out = oracle
        .command(&["ping"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", oracle.perl.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`oracle.pl ping` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let ping: Json =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("`oracle.pl ping`: {e}"))?;
    match ping["cgi_session"].as_str() {
        Some("4.48") => Ok(oracle),
        other => Err(format!("CGI::Session 4.48 is needed, found {other:?}")),
    }
}

//! What each `cgisess` command does, in terms of the library.

use std::io::Write;
use std::ops::ControlFlow;

use anyhow::{bail, Context, Result};
use cgi_session::{json, keys, Args, Config, LoadOptions, Serializer, Session, Value};

use crate::{Cli, Command, Format};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let args: Args = cli.args.into_iter().collect();
    let config = Config::new(cli.dsn.as_deref(), args).context("opening the store")?;
    for (key, value) in &config.dsn().ignored {
        eprintln!(
            "cgisess: warning: DSN key {key:?} (value {value:?}) is not driver, serializer or id; \
             ignored, as Perl ignores it"
        );
    }
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::New {
            set,
            set_json,
            expire,
            expire_param,
        } => {
            let mut session = config.new_session(None)?;
            apply(&mut session, &set, &set_json)?;
            if let Some(t) = expire {
                session.expire(t.as_str())?;
            }
            for (name, t) in &expire_param {
                session.expire_param(name.as_str(), t.as_str())?;
            }
            session.flush()?;
            writeln!(out, "{}", session.id().unwrap_or_default())?;
        }
        Command::Show { id, format } => {
            let data = config
                .peek(&id)?
                .with_context(|| format!("no session {id:?} in the store"))?;
            match format {
                Format::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&json::to_json(&data))?
                )?,
                Format::Dumper => {
                    let text = cgi_session::serializers::Dumper.freeze(&data)?;
                    out.write_all(&text)?;
                    writeln!(out)?;
                }
            }
        }
        Command::Set {
            id,
            pairs,
            set_json,
        } => {
            let mut session = existing(&config, &id)?;
            apply(&mut session, &pairs, &set_json)?;
            session.flush()?;
        }
        Command::Delete { id } => {
            let mut session = existing(&config, &id)?;
            session.delete();
            session.flush()?;
        }
        Command::List { json } => list(&config, json, &mut out)?,
    }
    Ok(())
}

/// Loads a stored session read-only (operator edits keep the user's access time).
fn existing(config: &Config, id: &str) -> Result<Session> {
    let session = config.load_with(&LoadOptions {
        read_only: true,
        ..LoadOptions::claim(id)
    })?;
    if session.is_expired() {
        bail!("session {id:?} had expired and has been removed");
    }
    if session.is_empty() {
        bail!("no session {id:?} in the store");
    }
    Ok(session)
}

fn apply(
    session: &mut Session,
    set: &[(String, String)],
    set_json: &[(String, String)],
) -> Result<()> {
    for (name, value) in set {
        session.set_param(name.as_str(), Value::bytes(value.as_bytes()))?;
    }
    for (name, text) in set_json {
        let parsed: serde_json::Value =
            serde_json::from_str(text).with_context(|| format!("--set-json {name}: not JSON"))?;
        session.set_param(name.as_str(), json::from_json(&parsed)?)?;
    }
    Ok(())
}

fn list(config: &Config, as_json: bool, out: &mut impl Write) -> Result<()> {
    let mut failure = None;
    if as_json {
        out.write_all(b"[")?;
    }
    let mut first = true;
    config.driver().traverse(&mut |id| {
        let line = if as_json {
            let entry = summary(config, id);
            let sep = if first { "\n  " } else { ",\n  " };
            format!("{sep}{entry}")
        } else {
            format!("{id}\n")
        };
        first = false;
        match out.write_all(line.as_bytes()) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    if as_json {
        out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
    }
    Ok(())
}

/// One `list --json` entry: the reserved keys of a record, or the error reading it.
fn summary(config: &Config, id: &str) -> serde_json::Value {
    let mut entry = serde_json::json!({ "id": id });
    match config.peek(id) {
        Ok(Some(data)) => {
            for (field, k) in [
                ("ctime", keys::CTIME),
                ("atime", keys::ATIME),
                ("etime", keys::ETIME),
                ("remote_addr", keys::REMOTE_ADDR),
            ] {
                entry[field] = json::to_json(&data[k]);
            }
            let params = data
                .as_hash()
                .map(|h| h.keys().filter(|k| !keys::is_private(k)).count());
            entry["params"] = params.into();
        }
        Ok(None) => entry["error"] = "record vanished or is empty".into(),
        Err(e) => entry["error"] = e.to_string().into(),
    }
    entry
}

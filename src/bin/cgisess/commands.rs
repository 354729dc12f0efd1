//! What each `cgisess` command does, in terms of the library.

use std::io::Write;
use std::ops::ControlFlow;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use cgi_session::serializers::sniff;
use cgi_session::{
    json, keys, registry, Args, Config, Dsn, LoadOptions, Serializer, Session, Value,
};

use crate::{Cli, Command};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let args: Args = cli.args.into_iter().collect();
    #[cfg(any(feature = "sqlite", feature = "postgresql", feature = "mysql"))]
    if let Command::Init {
        if_not_exists,
        dry_run,
    } = cli.command
    {
        // Before opening the store: the driver checks that its table exists.
        return init(
            cli.dsn.as_deref(),
            cli.serializer.as_deref(),
            &args,
            if_not_exists,
            dry_run,
        );
    }
    let config =
        open(cli.dsn.as_deref(), args, cli.serializer.as_deref()).context("opening the store")?;
    // lint reports them as findings of its own.
    if !matches!(cli.command, Command::Lint { .. }) {
        warn_ignored_keys(&config);
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
        Command::Show { id, format } => show(&config, &id, &format, &mut out)?,
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
        Command::Purge {
            dry_run,
            json,
            progress,
            jobs,
            idle_for,
        } => {
            let options = crate::purge::Options {
                dry_run,
                json,
                progress: progress.into(),
                jobs,
                idle_for: idle_for.as_deref().map(idle_time).transpose()?,
            };
            crate::purge::run(&config, options, &mut out)?
        }
        Command::Migrate {
            to,
            to_arg,
            to_serializer,
            dry_run,
            json,
            progress,
            skip_expired,
            overwrite,
            ids,
        } => {
            let options = crate::migrate::Options {
                to,
                to_args: to_arg,
                to_serializer,
                dry_run,
                json,
                progress: progress.into(),
                skip_expired,
                overwrite,
                ids,
            };
            crate::migrate::run(&config, options, &mut out)?
        }
        Command::Stats { json } => crate::stats::run(&config, json, &mut out)?,
        Command::Lint { json } => crate::lint::run(&config, json, &mut out)?,
        #[cfg(any(feature = "sqlite", feature = "postgresql", feature = "mysql"))]
        Command::Init { .. } => bail!("init runs before the store is opened"),
    }
    Ok(())
}

/// Warns of the DSN keys Perl ignores, which are likely typos.
pub fn warn_ignored_keys(config: &Config) {
    for (key, value) in &config.dsn().ignored {
        eprintln!(
            "cgisess: warning: DSN key {key:?} (value {value:?}) is not driver, serializer or id; \
             ignored, as Perl ignores it"
        );
    }
}

/// `--idle-for T` in Perl's time notation (`expire()`'s: `3600`, `+1h`, `30m`, `2d`).
fn idle_time(text: &str) -> Result<std::time::Duration> {
    let seconds = cgi_session::str2seconds(&Value::from(text))
        .with_context(|| format!("--idle-for {text:?}"))?
        .and_then(|v| v.to_number())
        .map(|n| n.as_i64())
        .filter(|&s| s > 0)
        .with_context(|| {
            format!("--idle-for {text:?}: expected a positive time such as 30d, 12h or 3600")
        })?;
    Ok(std::time::Duration::from_secs(seconds as u64))
}

/// The store, with `--serializer` in place of the DSN's serializer when given.
pub fn open(
    dsn: Option<&str>,
    mut args: Args,
    serializer: Option<&str>,
) -> cgi_session::Result<Config> {
    // A Ruby store lists each session by its file's digest (`digest:…`), which only an
    // operator's tool may use as an id (never a web app: see the README's Ruby stores).
    let driver = dsn.map(Dsn::parse).transpose()?.unwrap_or_default();
    if driver.driver_name().starts_with("ruby_") {
        args.entry("DigestIds".into()).or_insert_with(|| "1".into());
    }
    let mut builder = Config::builder(dsn).args(args);
    if let Some(name) = serializer {
        let shown = format!("serializer:{name}");
        let chosen: Arc<dyn Serializer> = if name == "auto" {
            let dsn = dsn.map(Dsn::parse).transpose()?.unwrap_or_default();
            let writer = registry::serializer(dsn.serializer_name(), &shown)?;
            Arc::new(registry::auto(writer))
        } else {
            registry::serializer(name, &shown)?
        };
        builder = builder.serializer(chosen);
    }
    builder.build()
}

/// `init`: the session table for the DSN, with `--serializer` (other than `auto`) in
/// place of the DSN's serializer.
#[cfg(any(feature = "sqlite", feature = "postgresql", feature = "mysql"))]
fn init(
    dsn: Option<&str>,
    serializer: Option<&str>,
    args: &Args,
    if_not_exists: bool,
    dry_run: bool,
) -> Result<()> {
    let mut dsn = dsn.map(Dsn::parse).transpose()?.unwrap_or_default();
    if let Some(name) = serializer.filter(|name| *name != "auto") {
        dsn.serializer = Some(name.to_ascii_lowercase());
    }
    let table = if dry_run {
        cgi_session::init::session_table_sql(&dsn, args, if_not_exists)?
    } else {
        cgi_session::init::create_session_table(&dsn, args, if_not_exists)
            .context("creating the session table")?
    };
    println!("{};", table.sql);
    if table.driver == "postgresql" && table.content == cgi_session::drivers::dbi::Content::Binary {
        eprintln!("cgisess: note: Perl must be given ColumnType => 'binary' for this BYTEA column");
    }
    Ok(())
}

/// `show`: the stored data of `id`, untouched, in the chosen format.
fn show(config: &Config, id: &str, format: &str, out: &mut impl Write) -> Result<()> {
    if format == "raw" {
        let bytes = config
            .driver()
            .retrieve(id)?
            .with_context(|| format!("no session {id:?} in the store"))?;
        return Ok(out.write_all(&bytes)?);
    }
    // Checked before reading, so a typo is named as such even for a missing session.
    let serializer = match format {
        "json" => None,
        "dumper" => Some(registry::serializer("default", "--format dumper")?),
        name => Some(
            registry::serializer(name, &format!("--format {name}")).with_context(|| {
                format!("--format {name:?}: expected json, raw, dumper or a serializer name")
            })?,
        ),
    };
    let data = config
        .peek(id)?
        .with_context(|| format!("no session {id:?} in the store"))?;
    match serializer {
        None => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json::to_json(&data)?)?
        )?,
        Some(serializer) => {
            let bytes = serializer.freeze(&data)?;
            out.write_all(&bytes)?;
            // Text formats end with a newline on a terminal; Storable's binary stays exact.
            if format != "storable" && !bytes.ends_with(b"\n") {
                writeln!(out)?;
            }
        }
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
        let value = json::from_json(&parsed).with_context(|| format!("--set-json {name}"))?;
        session.set_param(name.as_str(), value)?;
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

/// One `list --json` entry: the reserved keys of a record and its format, or the error
/// reading it.
fn summary(config: &Config, id: &str) -> serde_json::Value {
    let mut entry = serde_json::json!({ "id": id });
    let bytes = match config.driver().retrieve(id) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            entry["error"] = "record vanished or is empty".into();
            return entry;
        }
        Err(e) => {
            entry["error"] = e.to_string().into();
            return entry;
        }
    };
    let serializer = config.serializer();
    // A Ruby store's format has no first bytes of its own to sniff.
    let format = sniff(&bytes).map(|f| f.serializer_name());
    entry["format"] = format
        .or(serializer.id_from_store().then(|| serializer.name()))
        .into();
    let data = match serializer.thaw(&bytes) {
        Ok(data) => data,
        Err(source) => {
            let id = id.to_string();
            entry["error"] = cgi_session::Error::Thaw { id, source }.to_string().into();
            return entry;
        }
    };
    if serializer.id_from_store() {
        // The id a Ruby store's listing cannot tell, when the record holds it.
        entry["session_id"] =
            json::to_json(&data[keys::ID]).unwrap_or_else(|e| e.to_string().into());
    }
    for (field, k) in [
        ("ctime", keys::CTIME),
        ("atime", keys::ATIME),
        ("etime", keys::ETIME),
        ("remote_addr", keys::REMOTE_ADDR),
    ] {
        entry[field] = json::to_json(&data[k]).unwrap_or_else(|e| e.to_string().into());
    }
    let params = data
        .as_hash()
        .map(|h| h.keys().filter(|k| !keys::is_private(k)).count());
    entry["params"] = params.into();
    entry
}

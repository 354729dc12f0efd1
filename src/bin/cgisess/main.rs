//! `cgisess`: inspect and manage CGI::Session stores without Perl.
//!
//! Every command takes the store as Perl names it: `--dsn` (default: Perl's
//! default, `driver:file;serializer:default;id:md5`) and `-a KEY=VALUE` driver
//! arguments with Perl's names (`-a Directory=/var/sessions`). Exit status is 0 on
//! success; otherwise a one-line error on standard error and status 1.

mod commands;
mod purge;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Inspect and manage CGI::Session stores shared with Perl's CGI::Session 4.48.
#[derive(Parser, Debug)]
#[command(name = "cgisess", version, about, long_about = None)]
pub struct Cli {
    /// The store, as a CGI::Session DSN (e.g. `driver:file;serializer:default`).
    #[arg(long, global = true, env = "CGISESS_DSN")]
    pub dsn: Option<String>,

    /// A driver argument by Perl's name, e.g. `-a Directory=/var/sessions` (repeatable;
    /// also read from environment variables `CGISESS_ARG_<Name>`, which `-a` overrides).
    #[arg(short = 'a', long = "arg", value_name = "KEY=VALUE", global = true, value_parser = parse_pair)]
    pub args: Vec<(String, String)>,

    /// Read and write with this serializer instead of the DSN's. `auto` reads every
    /// format this build knows, telling them apart by each record's first bytes, and
    /// writes with the DSN's serializer.
    #[arg(long, global = true, env = "CGISESS_SERIALIZER", value_name = "NAME")]
    pub serializer: Option<String>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a session and print its id.
    New {
        /// Set a parameter to a string (stored as the bytes given, as a Perl form value is).
        #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_pair)]
        set: Vec<(String, String)>,
        /// Set a parameter from JSON (see the JSON mapping in the README).
        #[arg(long = "set-json", value_name = "NAME=JSON", value_parser = parse_pair)]
        set_json: Vec<(String, String)>,
        /// Session idle timeout, as Perl's expire(): `3600`, `+1h`, `30m`, `2d`.
        #[arg(long, value_name = "T")]
        expire: Option<String>,
        /// A parameter's idle timeout, as Perl's expire(NAME, T) (repeatable).
        #[arg(long = "expire-param", value_name = "NAME=T", value_parser = parse_pair)]
        expire_param: Vec<(String, String)>,
    },
    /// Print a session, `_SESSION_*` keys included, without touching it (no ATIME change,
    /// no expiry applied).
    Show {
        /// The session id.
        id: String,
        /// Output format: `json` (the JSON mapping of Perl values), `raw` (the stored
        /// bytes as they are), or a serializer's format (`default` or its alias
        /// `dumper`, `storable`, `freezethaw`, `yaml`), written as that serializer would
        /// store the session.
        #[arg(long, default_value = "json", value_name = "FORMAT")]
        format: String,
    },
    /// Set parameters of an existing session (its access time is kept).
    Set {
        /// The session id.
        id: String,
        /// Parameters to set, as strings.
        #[arg(value_name = "NAME=VALUE", value_parser = parse_pair)]
        pairs: Vec<(String, String)>,
        /// Parameters to set from JSON.
        #[arg(long = "set-json", value_name = "NAME=JSON", value_parser = parse_pair)]
        set_json: Vec<(String, String)>,
    },
    /// Delete a session.
    Delete {
        /// The session id.
        id: String,
    },
    /// List stored session ids.
    List {
        /// Print a JSON array of {id, ctime, atime, etime, remote_addr, error} instead.
        #[arg(long)]
        json: bool,
    },
    /// Remove expired sessions and clear expired parameters, as a cron job with Perl's
    /// find() does, in one streaming pass. Access times are kept. A record that cannot
    /// be read or parsed is reported on standard error and skipped; the exit status is
    /// then 1, after the summary.
    Purge {
        /// Count what would be removed and cleared, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as one JSON object: scanned, expired, params_cleared,
        /// rewritten, changed, missing, errors, seconds, dry_run.
        #[arg(long)]
        json: bool,
        /// Show progress on standard error even when it is not a terminal (one line
        /// every few seconds); on a terminal, progress shows unless --no-progress.
        #[arg(long, conflicts_with = "no_progress")]
        progress: bool,
        /// Never show progress.
        #[arg(long)]
        no_progress: bool,
        /// Threads judging records while one lists the store (0: one per CPU).
        #[arg(long, short = 'j', default_value_t = 1, value_name = "N")]
        jobs: usize,
    },
    /// Create the table a SQL store (sqlite, postgresql, mysql) keeps its sessions in,
    /// with the column types the serializer needs, and print the statement.
    #[cfg(any(feature = "sqlite", feature = "postgresql", feature = "mysql"))]
    Init {
        /// Leave an existing table as it is instead of failing.
        #[arg(long)]
        if_not_exists: bool,
        /// Print the statement without connecting to the database.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

/// Driver arguments from the environment: each `<PREFIX>Name=value` variable is the
/// driver argument `Name` (`CGISESS_ARG_Directory=/var/sessions`), so cron lines stay
/// short. Arguments given with `-a` override them.
pub fn env_args(prefix: &str) -> Vec<(String, String)> {
    let mut args: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let name = k.to_str()?.strip_prefix(prefix)?;
            (!name.is_empty()).then(|| Some((name.to_string(), v.into_string().ok()?)))?
        })
        .collect();
    args.sort();
    args
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let mut args = env_args("CGISESS_ARG_");
    args.append(&mut cli.args);
    cli.args = args;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cgisess: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

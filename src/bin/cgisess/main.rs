//! `cgisess`: inspect and manage CGI::Session stores without Perl.
//!
//! Every command takes the store as Perl names it: `--dsn` (default: Perl's
//! default, `driver:file;serializer:default;id:md5`) and `-a KEY=VALUE` driver
//! arguments with Perl's names (`-a Directory=/var/sessions`). Exit status is 0 on
//! success; otherwise a one-line error on standard error and status 1.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Inspect and manage CGI::Session stores shared with Perl's CGI::Session 4.48.
#[derive(Parser, Debug)]
#[command(name = "cgisess", version, about, long_about = None)]
pub struct Cli {
    /// The store, as a CGI::Session DSN (e.g. `driver:file;serializer:default`).
    #[arg(long, global = true, env = "CGISESS_DSN")]
    pub dsn: Option<String>,

    /// A driver argument by Perl's name, e.g. `-a Directory=/var/sessions` (repeatable).
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
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

/// How `show` prints a session.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The JSON mapping of Perl values (pretty-printed).
    Json,
    /// Data::Dumper text, as the default serializer stores it.
    Dumper,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cgisess: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `cgisess`: inspect and manage CGI::Session stores without Perl.
//!
//! Every command takes the store as Perl names it: `--dsn` (default: Perl's
//! default, `driver:file;serializer:default;id:md5`) and `-a KEY=VALUE` driver
//! arguments with Perl's names (`-a Directory=/var/sessions`). Exit status is 0 on
//! success; otherwise a one-line error on standard error and status 1 (2 for a usage
//! error).

mod commands;
mod lint;
mod migrate;
mod purge;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Inspect and manage CGI::Session stores shared with Perl's CGI::Session 4.48.
#[derive(Parser, Debug)]
#[command(
    name = "cgisess",
    version,
    about,
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP
)]
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
        /// `--progress` / `--no-progress`.
        #[command(flatten)]
        progress: purge::ProgressFlags,
        /// Threads judging records while one lists the store (0: two per CPU, since
        /// removals wait on the disk).
        #[arg(long, short = 'j', default_value_t = 1, value_name = "N")]
        jobs: usize,
        /// Beyond Perl: also remove sessions idle this long (`30d`, `+12h`, `3600`), by
        /// their access time, or for records that hold none (Ruby's stores, whose
        /// sessions never expire) by when the store last wrote them.
        #[arg(long, value_name = "T")]
        idle_for: Option<String>,
    },
    /// Copy every session to another store (any driver and serializer), keeping every
    /// key, the access and creation times and per-parameter expiry as they are. Safe to
    /// re-run: a session the target holds with an access time as recent or newer is kept.
    /// A record that cannot be copied is reported on standard error and skipped; the
    /// exit status is then 1, after the summary.
    Migrate {
        /// The target store's DSN.
        #[arg(long, env = "CGISESS_TO_DSN", value_name = "DSN")]
        to: String,
        /// A driver argument of the target store, e.g. `--to-arg DataSource=dbi:SQLite:dbname=/var/s.db`
        /// (repeatable; also read from environment variables `CGISESS_TO_ARG_<Name>`).
        #[arg(long = "to-arg", value_name = "KEY=VALUE", value_parser = parse_pair)]
        to_arg: Vec<(String, String)>,
        /// Write with this serializer instead of the target DSN's.
        #[arg(long, env = "CGISESS_TO_SERIALIZER", value_name = "NAME")]
        to_serializer: Option<String>,
        /// Count what would be copied, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as one JSON object: scanned, copied, skipped_newer,
        /// skipped_expired, missing, errors, seconds, dry_run.
        #[arg(long)]
        json: bool,
        /// `--progress` / `--no-progress`.
        #[command(flatten)]
        progress: purge::ProgressFlags,
        /// Leave out sessions already expired by Perl's rule (a Perl load would delete them).
        #[arg(long)]
        skip_expired: bool,
        /// Copy every session, even over a target copy with a newer access time.
        #[arg(long)]
        overwrite: bool,
        /// Copy the sessions whose ids this file lists, one per line (`-`: standard
        /// input), instead of every session the source lists: for a source that cannot
        /// list (memcached) or cannot tell its ids (Ruby's stores name files by a digest).
        #[arg(long, value_name = "FILE")]
        ids: Option<std::path::PathBuf>,
    },
    /// Summarize the store: session count, record sizes, idle time and age, expiry,
    /// serializer formats, records that do not parse. Reads each record once without
    /// touching it, in constant memory.
    Stats {
        /// Print one JSON object (fields documented in the README).
        #[arg(long)]
        json: bool,
    },
    /// Check the store for weak settings and damage: weak id generators, unsafe
    /// directory and file modes, symlinks, drivers that cannot list their sessions,
    /// records that do not parse. Exit status 1 when there is a warning or an error.
    Lint {
        /// Print {findings: [{severity, code, message}], errors, warnings, infos}.
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

/// `cgisess --help`: enough to use the tool without the README.
const LONG_ABOUT: &str = "\
Inspect and manage CGI::Session stores shared with Perl's CGI::Session 4.48.

A store is named as Perl names it: a DSN (--dsn, default
\"driver:file;serializer:default;id:md5\") and driver arguments by Perl's names
(-a Directory=/var/sessions). Drivers: file, db_file, sqlite, postgresql, mysql,
redis, memcached. Serializers: default (Data::Dumper), storable, freezethaw, yaml,
json, or auto (read any, tell each record's format by its first bytes).

Nothing here runs stored data: records are parsed, never evaluated. show, list,
stats and lint only read; purge, migrate, set and delete keep every session's access
time, as Perl's find() does.";

/// Examples, environment and exit status, after the options in `--help`.
const AFTER_LONG_HELP: &str = "\
Examples:
  cgisess -a Directory=/var/lib/app/sessions list --json
  cgisess -a Directory=/var/lib/app/sessions show 0123456789abcdef0123456789abcdef
  cgisess -a Directory=/var/lib/app/sessions purge --dry-run
  cgisess --dsn 'driver:sqlite' -a DataSource=dbi:SQLite:dbname=/var/lib/app/s.db init
  cgisess -a Directory=/tmp migrate --to 'driver:postgresql;serializer:storable' \\
          --to-arg DataSource='dbi:Pg:dbname=app;host=db' --to-arg ColumnType=binary

Cron (what Perl users do with CGI::Session->find):
  CGISESS_ARG_Directory=/var/lib/app/sessions
  17 * * * *  cgisess purge --json >> /var/log/app/purge.log

Environment:
  CGISESS_DSN          the DSN, as --dsn
  CGISESS_ARG_<Name>   a driver argument, as -a <Name>=VALUE (-a wins)
  CGISESS_SERIALIZER   as --serializer
  CGISESS_TO_DSN, CGISESS_TO_ARG_<Name>   the target of migrate, as --to / --to-arg

Exit status: 0 on success; 1 with a one-line error on standard error (purge and
migrate print their summary first when single records failed; lint when it found
problems); 2 for a usage error.";

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
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // A usage error: one line, like every other error, and status 2.
        Err(e) => {
            // clap's first paragraph, which may list the missing arguments on
            // lines of their own, joined into one line.
            let text = e.render().to_string();
            let paragraph: Vec<&str> = text
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let message = paragraph.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            eprintln!("cgisess: error: {message} (see cgisess --help)");
            return ExitCode::from(2);
        }
    };
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

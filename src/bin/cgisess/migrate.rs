//! `cgisess migrate`: [`Config::migrate_to`] from the global store to the one `--to`
//! names, with a progress display and a summary.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use cgi_session::{Args, Config, MigrateEvent, MigrateOptions, MigrateSummary};

use crate::purge::{conclude, summary_tail, Progress, Reporter};

/// The command line of `migrate`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target's DSN.
    pub to: String,
    /// The target's driver arguments from `--to-arg` (the environment's are added here).
    pub to_args: Vec<(String, String)>,
    /// The target's serializer instead of its DSN's.
    pub to_serializer: Option<String>,
    pub dry_run: bool,
    pub json: bool,
    pub progress: Progress,
    pub skip_expired: bool,
    pub overwrite: bool,
    /// A file of ids to copy (`-`: standard input) instead of the source's listing.
    pub ids: Option<PathBuf>,
}

pub fn run(source: &Config, options: Options, out: &mut impl Write) -> Result<()> {
    // `--to-arg` overrides `CGISESS_TO_ARG_<Name>`, as `-a` does `CGISESS_ARG_<Name>`.
    let to_args: Args = crate::env_args("CGISESS_TO_ARG_")
        .into_iter()
        .chain(options.to_args)
        .collect();
    let target =
        crate::commands::open(Some(&options.to), to_args, options.to_serializer.as_deref())
            .context("opening the target store")?;
    crate::commands::warn_ignored_keys(&target);
    let verb = if options.dry_run { "checked" } else { "copied" };
    let reporter = Reporter::new(options.progress, "migrate", verb);
    let observe = |event: MigrateEvent<'_>| match event {
        MigrateEvent::Visited => reporter.tick(),
        MigrateEvent::Failed { id, error } => reporter.skipped(id, error),
    };
    let how = MigrateOptions {
        dry_run: options.dry_run,
        skip_expired: options.skip_expired,
        overwrite: options.overwrite,
    };
    let summary = match &options.ids {
        None => source.migrate_to(&target, how, &observe)?,
        Some(path) => {
            let lines = id_lines(path)?;
            // A line that cannot be read ends the list; the error is kept for after.
            let mut failure = None;
            let mut ids = lines.map_while(|line| line.map_err(|e| failure = Some(e)).ok());
            let mut ids = ids
                .by_ref()
                .map(|line| line.trim().to_string())
                .filter(|id| !id.is_empty());
            let summary = source.migrate_ids_to(&target, &mut ids, how, &observe)?;
            if let Some(e) = failure {
                return Err(e).with_context(|| format!("reading ids from {}", path.display()));
            }
            summary
        }
    };
    reporter.finish();
    let text = if options.json {
        as_json(&summary, options.dry_run).to_string()
    } else {
        as_text(&summary, options.dry_run)
    };
    conclude(out, &text, summary.errors, summary.scanned, "migrated")
}

/// The lines of `--ids FILE`, or of standard input for `-`.
fn id_lines(path: &PathBuf) -> Result<std::io::Lines<Box<dyn BufRead>>> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = std::fs::File::open(path)
            .with_context(|| format!("opening the ids file {}", path.display()))?;
        Box::new(BufReader::new(file))
    };
    Ok(reader.lines())
}

/// The `--json` summary (stable field names, documented in the README).
fn as_json(s: &MigrateSummary, dry_run: bool) -> serde_json::Value {
    serde_json::json!({
        "scanned": s.scanned,
        "copied": s.copied,
        "skipped_newer": s.skipped_newer,
        "skipped_expired": s.skipped_expired,
        "missing": s.missing,
        "errors": s.errors,
        "seconds": (s.seconds * 1000.0).round() / 1000.0,
        "dry_run": dry_run,
    })
}

fn as_text(s: &MigrateSummary, dry_run: bool) -> String {
    let copied = if dry_run { "would be copied" } else { "copied" };
    let mut text = format!("{} sessions scanned: {} {copied}", s.scanned, s.copied);
    if s.skipped_newer > 0 {
        text += &format!(
            ", {} kept as the target holds them as recent or newer",
            s.skipped_newer
        );
    }
    if s.skipped_expired > 0 {
        text += &format!(", {} expired left out", s.skipped_expired);
    }
    text + &summary_tail(s.missing, s.errors, s.seconds)
}

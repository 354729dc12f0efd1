//! `cgisess purge`: [`Config::purge`] with a progress display and a summary.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use cgi_session::{Config, PurgeEvent, PurgeOptions, PurgeSummary};
use indicatif::{ProgressBar, ProgressStyle};

/// When to show progress on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// On a terminal only.
    Auto,
    /// Always: a redrawn line on a terminal, a line every few seconds otherwise.
    Always,
    /// Never.
    Never,
}

/// `--progress` / `--no-progress`, for every command that walks a store.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ProgressFlags {
    /// Show progress on standard error even when it is not a terminal (one line
    /// every few seconds); on a terminal, progress shows unless --no-progress.
    #[arg(long, conflicts_with = "no_progress")]
    pub progress: bool,
    /// Never show progress.
    #[arg(long)]
    pub no_progress: bool,
}

impl From<ProgressFlags> for Progress {
    fn from(flags: ProgressFlags) -> Progress {
        match (flags.progress, flags.no_progress) {
            (true, _) => Progress::Always,
            (_, true) => Progress::Never,
            _ => Progress::Auto,
        }
    }
}

/// The command line of `purge`.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub dry_run: bool,
    pub json: bool,
    pub progress: Progress,
    pub jobs: usize,
    pub idle_for: Option<std::time::Duration>,
}

/// How often a log-style progress line is written when standard error is no terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

pub fn run(config: &Config, options: Options, out: &mut impl Write) -> Result<()> {
    let jobs = match options.jobs {
        // A purge waits on the disk (removals) as much as it computes.
        0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let verb = if options.dry_run { "checked" } else { "purged" };
    let reporter = Reporter::new(options.progress, "purge", verb);
    let observe = |event: PurgeEvent<'_>| match event {
        PurgeEvent::Judged => reporter.tick(),
        PurgeEvent::Failed { id, error } => reporter.skipped(id, error),
    };
    let summary = config.purge(
        PurgeOptions {
            dry_run: options.dry_run,
            jobs,
            idle_for: options.idle_for,
        },
        &observe,
    )?;
    reporter.finish();
    let text = if options.json {
        as_json(&summary, options.dry_run).to_string()
    } else {
        as_text(&summary, options.dry_run)
    };
    conclude(out, &text, summary.errors, summary.scanned, "purged")
}

/// Prints a walk's summary, then fails when `errors` of the `scanned` sessions could
/// not be `verb` (each was reported as it happened): the summary comes first either way.
pub fn conclude(
    out: &mut impl Write,
    summary: &str,
    errors: u64,
    scanned: u64,
    verb: &str,
) -> Result<()> {
    writeln!(out, "{summary}")?;
    out.flush()?;
    if errors > 0 {
        bail!("{errors} of {scanned} sessions could not be {verb} (reported above)");
    }
    Ok(())
}

/// Progress and per-session warnings on standard error while a command walks a store:
/// a spinner on a terminal, a line every [`LOG_EVERY`] otherwise (with `--progress`).
pub struct Reporter {
    bar: Option<ProgressBar>,
    log: Option<Mutex<(Instant, u64)>>,
    command: &'static str,
    verb: &'static str,
}

impl Reporter {
    /// For `command` (`purge`), saying what was done to each session with `verb` (`purged`).
    pub fn new(progress: Progress, command: &'static str, verb: &'static str) -> Reporter {
        let terminal = std::io::stderr().is_terminal();
        let bar = match progress {
            Progress::Always | Progress::Auto if terminal => Some(spinner(verb)),
            _ => None,
        };
        let log = (progress == Progress::Always && !terminal)
            .then(|| Mutex::new((Instant::now(), 0_u64)));
        Reporter {
            bar,
            log,
            command,
            verb,
        }
    }

    /// One more session dealt with.
    pub fn tick(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        let Some(Ok(mut state)) = self.log.as_ref().map(Mutex::lock) else {
            return;
        };
        state.1 += 1;
        if state.0.elapsed() >= LOG_EVERY {
            state.0 = Instant::now();
            eprintln!(
                "cgisess: {}: {} sessions {} so far",
                self.command, state.1, self.verb
            );
        }
    }

    /// The warning for a session skipped because of `error`, above the spinner.
    pub fn skipped(&self, id: &str, error: &dyn std::fmt::Display) {
        let line = format!("cgisess: warning: session {id:?} skipped: {error}");
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Clears the spinner.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

fn spinner(verb: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {{human_pos}} sessions {verb} ({{per_sec}}, {{elapsed}})"
    )) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The `--json` summary (stable field names, documented in the README).
fn as_json(s: &PurgeSummary, dry_run: bool) -> serde_json::Value {
    serde_json::json!({
        "scanned": s.scanned,
        "expired": s.expired,
        "params_cleared": s.params_cleared,
        "rewritten": s.rewritten,
        "changed": s.changed,
        "missing": s.missing,
        "errors": s.errors,
        "seconds": (s.seconds * 1000.0).round() / 1000.0,
        "dry_run": dry_run,
    })
}

fn as_text(s: &PurgeSummary, dry_run: bool) -> String {
    let (removed, cleared) = if dry_run {
        ("would be removed", "would be cleared")
    } else {
        ("removed", "cleared")
    };
    let mut text = format!(
        "{} sessions scanned: {} expired {removed}, {} expired parameters {cleared} in {} sessions",
        s.scanned, s.expired, s.params_cleared, s.rewritten
    );
    if s.changed > 0 {
        text += &format!(
            ", {} changed by another writer meanwhile and kept",
            s.changed
        );
    }
    text + &summary_tail(s.missing, s.errors, s.seconds)
}

/// How every walk's text summary ends: ids gone before their turn, errors, the time.
pub fn summary_tail(missing: u64, errors: u64, seconds: f64) -> String {
    let mut text = String::new();
    if missing > 0 {
        text += &format!(", {missing} gone before their turn");
    }
    if errors > 0 {
        text += &format!(", {errors} errors");
    }
    text + &format!(" ({seconds:.2} s)")
}

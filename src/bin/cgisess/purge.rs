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

impl Progress {
    /// `--progress` / `--no-progress` (clap makes them exclusive).
    pub fn from_flags(progress: bool, no_progress: bool) -> Progress {
        match (progress, no_progress) {
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
}

/// How often a log-style progress line is written when standard error is no terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

pub fn run(config: &Config, options: Options, out: &mut impl Write) -> Result<()> {
    let jobs = match options.jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let terminal = std::io::stderr().is_terminal();
    let bar = match options.progress {
        Progress::Always | Progress::Auto if terminal => Some(spinner(options.dry_run)),
        _ => None,
    };
    let log = (options.progress == Progress::Always && !terminal)
        .then(|| Mutex::new((Instant::now(), 0_u64)));
    let observe = |event: PurgeEvent<'_>| match event {
        PurgeEvent::Judged => {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            if let Some(log) = &log {
                log_progress(log);
            }
        }
        PurgeEvent::Failed { id, error } => {
            let line = format!("cgisess: warning: session {id:?} skipped: {error}");
            match &bar {
                Some(bar) => bar.suspend(|| eprintln!("{line}")),
                None => eprintln!("{line}"),
            }
        }
    };
    let summary = config.purge(
        PurgeOptions {
            dry_run: options.dry_run,
            jobs,
        },
        &observe,
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if options.json {
        writeln!(out, "{}", as_json(&summary, options.dry_run))?;
    } else {
        writeln!(out, "{}", as_text(&summary, options.dry_run))?;
    }
    out.flush()?;
    if summary.errors > 0 {
        bail!(
            "{} of {} sessions could not be purged (reported above)",
            summary.errors,
            summary.scanned
        );
    }
    Ok(())
}

fn spinner(dry_run: bool) -> ProgressBar {
    let verb = if dry_run { "checked" } else { "purged" };
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {{human_pos}} sessions {verb} ({{per_sec}}, {{elapsed}})"
    )) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// One line per [`LOG_EVERY`], for logs.
fn log_progress(log: &Mutex<(Instant, u64)>) {
    let Ok(mut state) = log.lock() else { return };
    state.1 += 1;
    if state.0.elapsed() >= LOG_EVERY {
        state.0 = Instant::now();
        eprintln!("cgisess: purge: {} sessions judged so far", state.1);
    }
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
    if s.missing > 0 {
        text += &format!(", {} gone before their turn", s.missing);
    }
    if s.errors > 0 {
        text += &format!(", {} errors", s.errors);
    }
    text + &format!(" ({:.2} s)", s.seconds)
}

//! `cgisess stats`: one pass over the store that reads every record once, as stored
//! (the driver's `retrieve`, no session semantics: no ATIME change, nothing expired or
//! written), and counts it into fixed histograms, so memory stays flat however many
//! sessions there are. `lint` reuses the same pass for its store-wide findings.

use std::io::Write;
use std::ops::ControlFlow;

use anyhow::{Context, Result};
use cgi_session::drivers::lint::Sample;
use cgi_session::serializers::{sniff, Format};
use cgi_session::{Config, Expiry, Lifetime};
use serde_json::{json, Map, Value as Json};

/// Record sizes: below each bound, then at or above the last.
const SIZE_BOUNDS: [u64; 5] = [256, 1024, 4096, 16 * 1024, 64 * 1024];
const SIZE_LABELS: [&str; 6] = ["<256", "<1K", "<4K", "<16K", "<64K", ">=64K"];

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// Idle time (since ATIME) and age (since CTIME): below each bound, older, or no time.
const TIME_BOUNDS: [u64; 4] = [HOUR, DAY, 7 * DAY, 30 * DAY];
const TIME_LABELS: [&str; 6] = ["<1h", "<1d", "<7d", "<30d", "older", "unknown"];
const UNKNOWN_TIME: usize = 5;

/// Time left before the session expires: within each bound (inclusive, so `expire 1h`
/// counts as within the hour), or later.
const EXPIRY_BOUNDS: [u64; 3] = [HOUR + 1, DAY + 1, 7 * DAY + 1];
const EXPIRY_LABELS: [&str; 6] = ["none", "expired", "<=1h", "<=1d", "<=7d", "later"];

/// Format counts: [`Format::ALL`] in order, then records no serializer starts like.
const FORMATS: usize = Format::ALL.len() + 1;

/// What one pass over the store counted.
#[derive(Debug, Default)]
pub struct Stats {
    /// The time the records were judged at, epoch seconds.
    now: i64,
    /// Ids the store listed.
    pub sessions: u64,
    /// Ids whose record was gone (or empty) by the time it was read.
    vanished: u64,
    /// Records read.
    read: u64,
    /// Their total size in bytes.
    bytes: u64,
    /// The smallest record, in bytes.
    min: Option<u64>,
    /// The largest record, in bytes.
    max: u64,
    /// Records per [`SIZE_LABELS`] bucket.
    sizes: [u64; 6],
    /// Sessions per [`TIME_LABELS`] bucket, by idle time.
    idle: [u64; 6],
    /// Sessions per [`TIME_LABELS`] bucket, by age.
    age: [u64; 6],
    /// Sessions per [`EXPIRY_LABELS`] bucket.
    expiry: [u64; 6],
    /// Sessions with a per-parameter expiry.
    with_param_expiry: u64,
    /// Sessions with expired parameters (the next load clears them).
    with_expired_params: u64,
    /// Records per format (see [`FORMATS`]).
    formats: [u64; FORMATS],
    /// Records the driver failed to read.
    pub unreadable: Sample,
    /// Records that are no session: they do not thaw, or are not a hash with a
    /// defined `_SESSION_ID`.
    pub unparsable: Sample,
    /// The first read or parse error, for reports to quote.
    pub first_error: Option<String>,
}

impl Stats {
    /// Walks the store once. `Err` only when the store cannot be listed (the driver's
    /// error, so callers can tell a driver that cannot traverse at all).
    pub fn collect(config: &Config) -> Result<Stats, cgi_session::drivers::Error> {
        let mut stats = Stats {
            now: config.now(),
            ..Stats::default()
        };
        config.driver().traverse(&mut |id| {
            stats.count(config, id);
            ControlFlow::Continue(())
        })?;
        Ok(stats)
    }

    fn count(&mut self, config: &Config, id: &str) {
        self.sessions += 1;
        let bytes = match config.driver().retrieve(id) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.vanished += 1;
                return;
            }
            Err(e) => return self.failed(Failure::Unreadable, id, &e),
        };
        self.read += 1;
        let size = bytes.len() as u64;
        self.bytes += size;
        self.min = Some(self.min.map_or(size, |min| min.min(size)));
        self.max = self.max.max(size);
        self.sizes[bucket(size, &SIZE_BOUNDS)] += 1;
        let format = sniff(&bytes).and_then(|f| Format::ALL.iter().position(|&g| g == f));
        self.formats[format.unwrap_or(FORMATS - 1)] += 1;
        match config.lifetime(id, &bytes) {
            Ok(lifetime) => self.judge(&lifetime),
            Err(e) => self.failed(Failure::Unparsable, id, &e),
        }
    }

    fn judge(&mut self, lifetime: &Lifetime) {
        let since = |time: Option<i64>| match time {
            // A time in the future (clock skew) counts as just now.
            Some(t) => bucket(self.now.saturating_sub(t).max(0) as u64, &TIME_BOUNDS),
            None => UNKNOWN_TIME,
        };
        self.idle[since(lifetime.atime)] += 1;
        self.age[since(lifetime.ctime)] += 1;
        self.expiry[match lifetime.expiry {
            Expiry::Never => 0,
            Expiry::Expired => 1,
            Expiry::In(seconds) => 2 + bucket(seconds, &EXPIRY_BOUNDS),
        }] += 1;
        self.with_param_expiry += u64::from(lifetime.params_with_expiry > 0);
        self.with_expired_params += u64::from(lifetime.expired_params > 0);
    }

    fn failed(&mut self, kind: Failure, id: &str, error: &dyn std::fmt::Display) {
        match kind {
            Failure::Unreadable => self.unreadable.note(id),
            Failure::Unparsable => self.unparsable.note(id),
        }
        self.first_error.get_or_insert_with(|| error.to_string());
    }

    /// Sessions already expired by Perl's rule (the next load removes them).
    pub fn expired(&self) -> u64 {
        self.expiry[1]
    }

    /// The stable `--json` object (documented in the README).
    fn to_json(&self) -> Json {
        let sample = |s: &Sample| json!({ "count": s.count, "first": s.first });
        let mean =
            (self.read > 0).then(|| (self.bytes as f64 / self.read as f64 * 10.0).round() / 10.0);
        let format_names = Format::ALL.map(Format::serializer_name);
        json!({
            "now": self.now,
            "sessions": self.sessions,
            "read": self.read,
            "vanished": self.vanished,
            "unreadable": sample(&self.unreadable),
            "unparsable": sample(&self.unparsable),
            "size": {
                "total": self.bytes,
                "min": self.min,
                "max": (self.read > 0).then_some(self.max),
                "mean": mean,
                "histogram": labelled(&SIZE_LABELS, &self.sizes),
            },
            "idle": labelled(&TIME_LABELS, &self.idle),
            "age": labelled(&TIME_LABELS, &self.age),
            "expiry": labelled(&EXPIRY_LABELS, &self.expiry),
            "param_expiry": {
                "sessions": self.with_param_expiry,
                "with_expired": self.with_expired_params,
            },
            "formats": labelled(&[&format_names[..], &["unknown"]].concat(), &self.formats),
        })
    }

    fn write_text(&self, out: &mut impl Write) -> Result<()> {
        writeln!(
            out,
            "sessions   {} listed, {} read, {} not parsed, {} unreadable, {} vanished meanwhile",
            self.sessions, self.read, self.unparsable.count, self.unreadable.count, self.vanished
        )?;
        if let Some(min) = self.min {
            writeln!(
                out,
                "bytes      total {}, min {min}, max {}, mean {:.0}",
                self.bytes,
                self.max,
                self.bytes as f64 / self.read as f64
            )?;
        }
        writeln!(out)?;
        table(out, &SIZE_LABELS, &[("size", &self.sizes)])?;
        table(
            out,
            &TIME_LABELS,
            &[("idle (ATIME)", &self.idle), ("age (CTIME)", &self.age)],
        )?;
        table(out, &EXPIRY_LABELS, &[("expiry", &self.expiry)])?;
        let names = Format::ALL.map(Format::serializer_name);
        table(
            out,
            &[&names[..], &["unknown"]].concat(),
            &[("format", &self.formats)],
        )?;
        writeln!(
            out,
            "per-parameter expiry in {} sessions, {} of them with expired parameters",
            self.with_param_expiry, self.with_expired_params
        )?;
        for (what, sample) in [
            ("not parsed", &self.unparsable),
            ("unreadable", &self.unreadable),
        ] {
            if !sample.is_empty() {
                writeln!(out, "{what}: {} ({})", sample.count, sample.names())?;
            }
        }
        if let Some(error) = &self.first_error {
            writeln!(out, "first error: {error}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Failure {
    Unreadable,
    Unparsable,
}

/// The index of the first bound above `value`, or one past the last.
fn bucket(value: u64, bounds: &[u64]) -> usize {
    bounds
        .iter()
        .position(|&bound| value < bound)
        .unwrap_or(bounds.len())
}

fn labelled(labels: &[&str], counts: &[u64]) -> Json {
    let map: Map<String, Json> = labels
        .iter()
        .zip(counts)
        .map(|(label, count)| (label.to_string(), (*count).into()))
        .collect();
    Json::Object(map)
}

/// A small table: a header of `labels`, then one row of counts per `rows` entry.
fn table(out: &mut impl Write, labels: &[&str], rows: &[(&str, &[u64])]) -> Result<()> {
    let first = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let widths: Vec<usize> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let widest = rows.iter().map(|(_, c)| c[i].to_string().len()).max();
            label.len().max(widest.unwrap_or(0))
        })
        .collect();
    let mut line = format!("{:first$}", "");
    for (label, width) in labels.iter().zip(&widths) {
        line += &format!("  {label:>width$}");
    }
    writeln!(out, "{line}")?;
    for (name, counts) in rows {
        let mut line = format!("{name:first$}");
        for (count, width) in counts.iter().zip(&widths) {
            line += &format!("  {count:>width$}");
        }
        writeln!(out, "{line}")?;
    }
    Ok(writeln!(out)?)
}

/// Runs `stats`.
pub fn run(config: &Config, as_json: bool, out: &mut impl Write) -> Result<()> {
    let stats = Stats::collect(config).context("listing the store")?;
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&stats.to_json())?)?;
    } else {
        stats.write_text(out)?;
    }
    Ok(out.flush()?)
}

//! `cgisess lint`: findings about the store, each with a severity, a stable code and a
//! message. Three sources, in this order:
//!
//! 1. the DSN: weak id generators, keys Perl ignores;
//! 2. the driver's own [`Driver::lint`](cgi_session::Driver::lint): modes, owners,
//!    symlinks, index drift (before the walk below, which on redis heals the drift);
//! 3. one walk over the records ([`Stats::collect`]): records that cannot be read or
//!    parsed, expired sessions still stored, or a driver that cannot list at all.
//!
//! Nothing is written, except what a traverse does by itself (redis drops members
//! whose key is gone, as it does for `list` and `purge`).

use std::cmp::Reverse;
use std::io::Write;

use anyhow::{bail, Context, Result};
use cgi_session::drivers::lint::{Finding, Severity};
use cgi_session::drivers::Error as DriverError;
use cgi_session::Config;

use crate::stats::Stats;

/// Runs `lint`: prints every finding, then fails when any is a warning or an error.
pub fn run(config: &Config, as_json: bool, out: &mut impl Write) -> Result<()> {
    let mut findings = dsn_findings(config);
    findings.extend(config.driver().lint().context("inspecting the store")?);
    match Stats::collect(config) {
        Ok(stats) => findings.extend(record_findings(config, &stats)),
        Err(DriverError::Unsupported { driver, message }) => findings.push(Finding::new(
            Severity::Warning,
            "cannot-traverse",
            format!(
                "driver {driver} cannot list its sessions, so Perl's find(), cgisess purge, \
                 stats and migrate cannot visit them: rely on the store's own expiry ({message})"
            ),
        )),
        Err(e) => return Err(e).context("listing the store"),
    }
    // Most severe first; within a severity, the order the checks ran in.
    findings.sort_by_key(|f| Reverse(f.severity));
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    if as_json {
        let listed: Vec<_> = findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "severity": f.severity.as_str(),
                    "code": f.code,
                    "message": f.message,
                })
            })
            .collect();
        let report = serde_json::json!({
            "findings": listed,
            "errors": errors,
            "warnings": warnings,
            "infos": infos,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        for f in &findings {
            writeln!(out, "{}[{}]: {}", f.severity, f.code, f.message)?;
        }
        writeln!(
            out,
            "errors: {errors}, warnings: {warnings}, notes: {infos}"
        )?;
    }
    out.flush()?;
    let problems = errors + warnings;
    if problems > 0 {
        bail!("lint found {problems} problems");
    }
    Ok(())
}

/// What the DSN alone says: the id generator, and keys Perl ignores.
fn dsn_findings(config: &Config) -> Vec<Finding> {
    let dsn = config.dsn();
    let mut findings = Vec::new();
    let weak = match dsn.id_name() {
        "incr" => Some(
            "id:incr numbers sessions 1, 2, 3, ...: anyone can guess the ids of other \
             users' sessions and take them over; use id:md5",
        ),
        "static" => Some(
            "id:static makes the id the client sends the session id, so an attacker can \
             fix a victim's session id in advance (session fixation); use id:md5",
        ),
        _ => None,
    };
    if let Some(message) = weak {
        findings.push(Finding::new(Severity::Warning, "id-weak", message));
    } else if dsn.id_name() == "md5" && !config.serializer().id_from_store() {
        // (Perl makes no ids for a Ruby store: Ruby's own are SecureRandom.hex(16).)
        findings.push(Finding::new(
            Severity::Info,
            "id-md5-perl",
            "id:md5: Rust draws each id from the OS random number generator, but Perl's md5 \
             generator hashes the time, the process id and rand(), which an attacker can \
             narrow down: ids Perl creates in this store are the weaker ones",
        ));
    }
    for (key, value) in &dsn.ignored {
        findings.push(Finding::new(
            Severity::Warning,
            "dsn-ignored-key",
            format!(
                "DSN key {key:?} (value {value:?}) is not driver, serializer or id; Perl \
                 ignores it, so it is probably a typo"
            ),
        ));
    }
    findings
}

/// What the walk over the records found.
fn record_findings(config: &Config, stats: &Stats) -> Vec<Finding> {
    let mut findings = Vec::new();
    let first_error = stats.first_error.as_deref().unwrap_or_default();
    if !stats.unparsable.is_empty() {
        findings.push(Finding::new(
            Severity::Error,
            "record-unparsable",
            format!(
                "{} of {} records are not sessions serializer {} can read ({}): loading them \
                 fails (Perl's find() dies at some), and purge skips them; a store holding \
                 several formats reads with --serializer auto. First error: {first_error}",
                stats.unparsable.count,
                stats.sessions,
                config.serializer().name(),
                stats.unparsable.names(),
            ),
        ));
    }
    if !stats.unreadable.is_empty() {
        findings.push(Finding::new(
            Severity::Error,
            "record-unreadable",
            format!(
                "{} of {} records cannot be read from the store ({}). First error: \
                 {first_error}",
                stats.unreadable.count,
                stats.sessions,
                stats.unreadable.names()
            ),
        ));
    }
    if stats.expired() > 0 {
        findings.push(Finding::new(
            Severity::Info,
            "expired-sessions",
            format!(
                "{} sessions have expired and are still stored: `cgisess purge` (or Perl's \
                 find()) removes them",
                stats.expired()
            ),
        ));
    }
    findings
}

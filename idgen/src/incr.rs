//! Generator `incr`: a counter in a file, shared with Perl's `CGI::Session::ID::incr`
//! (spec §6.2).
//!
//! Each call, under `flock(2)` `LOCK_EX` on the counter file itself, reads the last id
//! from the file, adds `IDIncr`, writes the new id back in place and returns it. Perl
//! does exactly the same with the same lock, so Perl and Rust processes can draw ids
//! from one file at the same time without repeating or skipping one.
//!
//! # Options
//! | Option | Default | Meaning |
//! |---|---|---|
//! | `IDFile` | none: required | The counter file. Created with mode `0666 & !umask` if missing. |
//! | `IDInit` | `0` | The value before the first id: the first id is `IDInit + IDIncr`. Perl's `IDInit \|\| 0`, so `""` and `"0"` mean 0. |
//! | `IDIncr` | `1` | The step. Perl's `IDIncr \|\| 1`, so `"0"` means 1. |
//!
//! With `IDInit => 1000, IDIncr => 2` the ids are `1002`, `1004`, `1006`, and the
//! file then holds the four bytes `1006` (no newline).
//!
//! # The file format
//! Perl reads the file's first line and uses Perl's numification on it: leading
//! whitespace, sign, digits, fraction and exponent are read and anything after is
//! ignored; an empty file, or one holding exactly `0`, starts from `IDInit`. The new
//! id is written the way Perl prints a number: integers in decimal, other values
//! with `%.15g`. All of this is reproduced, so a file written by either side reads
//! the same on the other.
//!
//! # Deviations from Perl
//! `IDInit` and `IDIncr` must be numbers (Perl's `looks_like_number`); Perl would
//! silently read `"abc"` as 0. A step that is a true string but numerically zero
//! (`"0.0"`, `"00"`) is refused: Perl would hand out the same id forever.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::perl_num::PerlNum;
use crate::{Args, Error, IdGenerator};

const NAME: &str = "incr";

/// Generator `incr`. See the [module docs](self).
///
/// ```
/// use cgi_session_idgen::{Args, IdGenerator, Incr};
///
/// let dir = tempfile::tempdir().unwrap();
/// let id_file = dir.path().join("cgisession.id");
/// let mut args = Args::new();
/// args.insert("IDFile".into(), id_file.to_str().unwrap().into());
/// args.insert("IDInit".into(), "1000".into());
/// args.insert("IDIncr".into(), "2".into());
///
/// assert_eq!(Incr.generate(&args, None).unwrap(), "1002");
/// assert_eq!(Incr.generate(&args, None).unwrap(), "1004");
/// assert_eq!(std::fs::read(&id_file).unwrap(), b"1004");
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Incr;

impl IdGenerator for Incr {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The next id from `IDFile`. The claimed id is ignored: like Perl, `incr` never
    /// adopts an id the client asked for (spec §8.1 item 1).
    fn generate(&self, args: &Args, _claimed_id: Option<&str>) -> Result<String, Error> {
        // spec §6.2: `$args->{IDFile} or croak "Don't know where to store the id"`.
        let id_file = perl_true_value(args, "IDFile").ok_or_else(|| {
            bad_arg("Don't know where to store the id: the IDFile argument is required".into())
        })?;
        let step = number_arg(args, "IDIncr", "1")?;
        if step.is_zero() {
            return Err(bad_arg(format!(
                "IDIncr {:?} is zero, so every id would be the same",
                args.get("IDIncr").map_or("", String::as_str)
            )));
        }
        let init = number_arg(args, "IDInit", "0")?;
        next_id(Path::new(id_file), init, step)
    }

    fn numeric_ids(&self) -> bool {
        true
    }
}

/// The locked read-increment-write cycle, in Perl's order (spec §6.2 steps 1-6).
fn next_id(path: &Path, init: PerlNum, step: PerlNum) -> Result<String, Error> {
    let io_error = |what: &'static str| {
        move |source: io::Error| Error::Io {
            generator: NAME,
            what,
            path: path.display().to_string(),
            source,
        }
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        // The old id must be read first; the truncate comes after, under the lock.
        .truncate(false)
        .mode(0o666)
        .open(path)
        .map_err(io_error("couldn't open IDFile"))?;
    lock_exclusive(&file).map_err(io_error("couldn't lock IDFile"))?;
    // `my $ID = <FH> || $IDInit;`: the first line, newline included, Perl-true or not.
    let mut first_line = Vec::new();
    BufReader::new(&file)
        .read_until(b'\n', &mut first_line)
        .map_err(io_error("couldn't read IDFile"))?;
    let last = if first_line.is_empty() || first_line == b"0" {
        init
    } else {
        PerlNum::parse(&first_line).0
    };
    let id = last.add(step).to_string();
    file.seek(SeekFrom::Start(0))
        .map_err(io_error("couldn't seek IDFile"))?;
    file.set_len(0)
        .map_err(io_error("couldn't truncate IDFile"))?;
    // `print FH $ID`: no newline. Closing the file (drop) releases the lock.
    file.write_all(id.as_bytes())
        .map_err(io_error("couldn't write IDFile"))?;
    Ok(id)
}

/// `flock(LOCK_EX)` (std calls flock(2), as Perl does), retried after a signal.
fn lock_exclusive(file: &File) -> io::Result<()> {
    loop {
        match file.lock() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Perl's `$args->{name} || default` keeps only true values (`""` and `"0"` are false).
fn perl_true_value<'a>(args: &'a Args, name: &str) -> Option<&'a str> {
    args.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty() && *v != "0")
}

/// A numeric option with Perl's `||` default, refusing text that is not a number.
fn number_arg(args: &Args, name: &str, default: &str) -> Result<PerlNum, Error> {
    let text = perl_true_value(args, name).unwrap_or(default);
    match PerlNum::parse(text.as_bytes()) {
        (num, true) => Ok(num),
        _ => Err(bad_arg(format!("{name} {text:?} is not a number"))),
    }
}

fn bad_arg(message: String) -> Error {
    Error::BadArg {
        generator: NAME,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(id_file: &Path, pairs: &[(&str, &str)]) -> Args {
        let mut a: Args = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        a.insert("IDFile".into(), id_file.to_str().unwrap().into());
        a
    }

    #[test]
    fn counts_from_init_by_step_and_writes_no_newline() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("id");
        let a = args(&f, &[("IDInit", "1000"), ("IDIncr", "2")]);
        let ids: Vec<_> = (0..3).map(|_| Incr.generate(&a, None).unwrap()).collect();
        assert_eq!(ids, ["1002", "1004", "1006"]);
        assert_eq!(std::fs::read(&f).unwrap(), b"1006");
        assert!(Incr.numeric_ids());
        assert_eq!(Incr.name(), "incr");
    }

    #[test]
    fn defaults_follow_perl_or() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("id");
        let a = args(&f, &[("IDInit", ""), ("IDIncr", "0")]);
        assert_eq!(Incr.generate(&a, None).unwrap(), "1");
        assert_eq!(Incr.generate(&a, Some("claimed")).unwrap(), "2");
    }

    #[test]
    fn file_content_is_read_like_perl() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("id");
        let a = args(&f, &[("IDInit", "500")]);
        for (content, want) in [
            (&b""[..], "501"),
            (b"0", "501"),       // exactly "0" is false: IDInit
            (b"0\n", "1"),       // "0\n" is true, and numifies to 0
            (b"41\n99\n", "42"), // first line only
            (b"  7 junk", "8"),
            (b"junk", "1"),
            (b"2.5", "3.5"),
            (b"18446744073709551615", "1.84467440737096e+19"),
        ] {
            std::fs::write(&f, content).unwrap();
            assert_eq!(Incr.generate(&a, None).unwrap(), want, "{content:?}");
            assert_eq!(std::fs::read(&f).unwrap(), want.as_bytes());
        }
    }

    #[test]
    fn bad_arguments_are_refused() {
        let err = Incr.generate(&Args::new(), None).unwrap_err().to_string();
        assert!(err.contains("Don't know where to store the id"), "{err}");
        let mut a = Args::new();
        a.insert("IDFile".into(), "0".into());
        assert!(Incr.generate(&a, None).is_err());

        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("id");
        for (name, value) in [("IDIncr", "abc"), ("IDIncr", "0.0"), ("IDInit", "12x")] {
            let err = Incr
                .generate(&args(&f, &[(name, value)]), None)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("id:incr: ") && err.contains(name), "{err}");
        }
        assert!(!f.exists(), "a refused call must not touch the file");
    }

    #[test]
    fn unopenable_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("missing-dir/id");
        let err = Incr.generate(&args(&f, &[]), None).unwrap_err().to_string();
        assert!(err.starts_with("id:incr: couldn't open IDFile '"), "{err}");
        assert!(err.contains("missing-dir/id"), "{err}");
    }

    #[test]
    fn concurrent_callers_never_repeat_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let a = args(&dir.path().join("id"), &[]);
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let a = a.clone();
                std::thread::spawn(move || {
                    (0..25)
                        .map(|_| Incr.generate(&a, None).unwrap().parse::<u32>().unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u32> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (1..=200).collect::<Vec<_>>());
    }
}

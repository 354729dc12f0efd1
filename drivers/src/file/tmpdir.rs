//! The default `Directory`: Perl's `File::Spec->tmpdir()` on Unix (spec §5.2).
//!
//! Rust and Perl must pick the same directory when neither is told one, or they would
//! not share sessions; hence the care over Perl's exact `-w` test.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Perl's `File::Spec->tmpdir()` on Unix, the default `Directory` (spec §5.2): the
/// first of `$TMPDIR` and `/tmp` that is a directory writable by this process (Perl's
/// `-d && -w`, which judges by mode bits, effective ids and groups), else the current
/// directory; always absolute.
///
/// Unlike Perl, which computes this once per process, it is recomputed each time.
pub fn default_directory() -> PathBuf {
    let candidates = [
        std::env::var_os("TMPDIR").map(PathBuf::from),
        Some("/tmp".into()),
    ];
    let chosen = candidates
        .into_iter()
        .flatten()
        .find(|dir| is_writable_dir(dir))
        .unwrap_or_else(|| PathBuf::from("."));
    let chosen = canonical_spelling(&chosen);
    if chosen.is_absolute() {
        return chosen;
    }
    // [perl #120593]: tmpdir returns an absolute path when it can.
    std::env::current_dir().map_or(chosen.clone(), |cwd| canonical_spelling(&cwd.join(&chosen)))
}

/// Perl's `-d $dir && -w _`: `pp_ftrwrite` → `cando(S_IWUSR, effective)`.
pub(crate) fn is_writable_dir(dir: &Path) -> bool {
    let Ok(meta) = fs::metadata(dir) else {
        return false;
    };
    if !meta.is_dir() || dir.as_os_str().is_empty() {
        return false;
    }
    let mode = meta.mode();
    let euid = rustix::process::geteuid();
    if euid.is_root() {
        return true; // "root reads and writes anything"
    }
    if meta.uid() == euid.as_raw() {
        return mode & 0o200 != 0;
    }
    let gid = meta.gid();
    let in_group = rustix::process::getegid().as_raw() == gid
        || rustix::process::getgroups()
            .is_ok_and(|groups| groups.iter().any(|g| g.as_raw() == gid));
    if in_group {
        mode & 0o020 != 0
    } else {
        mode & 0o002 != 0
    }
}

/// `File::Spec->canonpath` as far as it matters here: no `.` components, no doubled
/// or trailing slashes. Like Perl, `..` is left alone.
fn canonical_spelling(path: &Path) -> PathBuf {
    let kept: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if kept.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_directory_is_absolute_and_canonical() {
        let d = default_directory();
        assert!(d.is_absolute(), "{}", d.display());
        assert_eq!(
            canonical_spelling(Path::new("/tmp//x/./y/")),
            Path::new("/tmp/x/y")
        );
        assert_eq!(canonical_spelling(Path::new("./")), Path::new("."));
        assert_eq!(canonical_spelling(Path::new("a/../b")), Path::new("a/../b"));
    }

    #[test]
    fn writable_dir_check_matches_perl() {
        let dir = tempfile::tempdir().unwrap();
        assert!(is_writable_dir(dir.path()));
        assert!(!is_writable_dir(&dir.path().join("missing")));
        assert!(!is_writable_dir(Path::new("")));
        let file = dir.path().join("f");
        fs::write(&file, b"").unwrap();
        assert!(!is_writable_dir(&file));
        let out = std::process::Command::new("perl")
            .args(["-e", "print((-d $ARGV[0] && -w _) ? 1 : 0)"])
            .arg("/")
            .output();
        if let Ok(out) = out {
            let perl_says = out.stdout == b"1";
            assert_eq!(is_writable_dir(Path::new("/")), perl_says);
        }
    }
}

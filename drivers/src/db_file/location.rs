//! Where the database lives: Perl's `FileName`/`Directory` resolution (spec §5.3),
//! with `File::Basename`'s `dirname`/`basename` and `File::Spec->catfile` on Unix.

use std::path::{Component, Path, PathBuf};

use crate::args;
use crate::file::default_directory;
use crate::Args;

/// Perl's `$CGI::Session::Driver::db_file::FILE_NAME` (spec §5.3).
pub const DEFAULT_FILE_NAME: &str = "cgisess.db";

/// The database path Perl's `init()` and `_db_file()` compute from the driver args:
/// * `FileName` defaults to `cgisess.db` when false;
/// * with a true `Directory`, the path is `catfile(Directory, FileName)`, so FileName
///   may name subdirectories (or be absolute: it is still put under Directory);
/// * otherwise Directory is `dirname(FileName)`, replaced by tmpdir when that is `.`
///   and FileName does not start with `.` (`rel.db` is `/tmp/rel.db`, `./rel.db`
///   stays relative), and FileName becomes `basename(FileName)`.
pub(super) fn database_path(args: &Args) -> PathBuf {
    let file_name = args::true_value(args, "FileName").unwrap_or(DEFAULT_FILE_NAME);
    match args::true_value(args, "Directory") {
        Some(directory) => catfile(Path::new(directory), file_name),
        None => {
            let directory = dirname(file_name);
            let directory = if directory == "." && !file_name.starts_with('.') {
                default_directory()
            } else {
                PathBuf::from(directory)
            };
            catfile(&directory, basename(file_name))
        }
    }
}

/// `File::Spec->catfile(dir, file)`: `file` goes under `dir` even when absolute; `.`
/// components and doubled slashes are dropped, except a leading `./`, which Perl
/// keeps too.
fn catfile(directory: &Path, file: &str) -> PathBuf {
    let mut path: PathBuf = directory.components().collect();
    path.extend(
        Path::new(file)
            .components()
            .filter(|c| !matches!(c, Component::RootDir | Component::CurDir)),
    );
    path
}

/// File::Basename's `_strip_trailing_sep`: `s{(.)/*\z}{$1}s`, trailing slashes go
/// but the first character stays (`/` and `//` are `/`).
fn strip_trailing_slashes(path: &str) -> &str {
    let stripped = path.trim_end_matches('/');
    if stripped.is_empty() {
        &path[..path.len().min(1)]
    } else {
        stripped
    }
}

/// File::Basename's `fileparse` without suffixes: `m{^(.*/)?(.*)}s`, the directory
/// part defaulting to `./`.
fn fileparse(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(slash) => (&path[..=slash], &path[slash + 1..]),
        None => ("./", path),
    }
}

/// File::Basename's `dirname` on Unix.
fn dirname(path: &str) -> &str {
    let (mut directory, base) = fileparse(path);
    directory = strip_trailing_slashes(directory);
    if base.is_empty() {
        directory = strip_trailing_slashes(fileparse(directory).0);
    }
    directory
}

/// File::Basename's `basename` on Unix.
fn basename(path: &str) -> &str {
    let (directory, base) = fileparse(strip_trailing_slashes(path));
    if base.is_empty() {
        directory
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Perl 5.36's File::Basename and File::Spec print for each input.
    #[test]
    fn basename_dirname_and_catfile_match_perl() {
        for (path, want_dir, want_base) in [
            ("rel.db", ".", "rel.db"),
            ("./rel.db", ".", "rel.db"),
            (".hidden.db", ".", ".hidden.db"),
            ("t/sessiondata/cgisess.db", "t/sessiondata", "cgisess.db"),
            ("/abs/x.db", "/abs", "x.db"),
            ("/x.db", "/", "x.db"),
            ("a/b/", "a", "b"),
            ("a//b", "a", "b"),
            ("//x", "/", "x"),
            ("/", "/", "/"),
            ("a/", ".", "a"),
            ("../up.db", "..", "up.db"),
            ("..", ".", ".."),
            ("dir/./x.db", "dir/.", "x.db"),
            ("a/b//", "a", "b"),
        ] {
            assert_eq!(dirname(path), want_dir, "dirname {path:?}");
            assert_eq!(basename(path), want_base, "basename {path:?}");
        }
        for (dir, file, want) in [
            (".", "rel.db", "./rel.db"),
            ("/d", "sub/x.db", "/d/sub/x.db"),
            ("/d/", "/abs.db", "/d/abs.db"),
            ("d", "./x.db", "d/x.db"),
            ("/d", "../x.db", "/d/../x.db"),
            ("/d/./e", "x", "/d/e/x"),
        ] {
            assert_eq!(
                catfile(Path::new(dir), file),
                Path::new(want),
                "{dir} {file}"
            );
        }
    }

    fn resolve(pairs: &[(&str, &str)]) -> PathBuf {
        let args = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        database_path(&args)
    }

    #[test]
    fn database_path_follows_perl_init() {
        let tmp = default_directory();
        assert_eq!(resolve(&[]), tmp.join("cgisess.db"));
        assert_eq!(resolve(&[("FileName", "0")]), tmp.join("cgisess.db"));
        assert_eq!(resolve(&[("FileName", "rel.db")]), tmp.join("rel.db"));
        assert_eq!(resolve(&[("FileName", "./rel.db")]), Path::new("./rel.db"));
        assert_eq!(resolve(&[("FileName", ".rel.db")]), Path::new("./.rel.db"));
        assert_eq!(
            resolve(&[("FileName", "t/sessiondata/cgisess.db")]),
            Path::new("t/sessiondata/cgisess.db")
        );
        assert_eq!(
            resolve(&[("Directory", "/srv/s"), ("FileName", "sub/x.db")]),
            Path::new("/srv/s/sub/x.db")
        );
        assert_eq!(
            resolve(&[("Directory", "/srv/s")]),
            Path::new("/srv/s/cgisess.db")
        );
        // A false Directory is "not given".
        assert_eq!(
            resolve(&[("Directory", ""), ("FileName", "/abs/x.db")]),
            Path::new("/abs/x.db")
        );
    }
}

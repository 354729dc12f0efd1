//! The `FileName` template: how a session id becomes a file name and back (spec §5.2).

use crate::args::bad_arg;
use crate::Error;

/// What separates the id from the nonce in a temporary file's name.
const TEMP_MARK: &str = "\n.tmp.";

/// Perl's `FileName` template split around its one `%s`.
///
/// spec §5.2 traverse: Perl matches names with the template turned into a regexp,
/// `.` escaped and `%s` as `(.+)`, anchored. Here the literals are compared as they
/// are, which matches the same names for any template this driver accepts whose only
/// metacharacter is `.`; like Perl's `.`, the id may not contain a newline.
#[derive(Debug, Clone)]
pub(super) struct FileNameTemplate {
    prefix: String,
    suffix: String,
}

impl FileNameTemplate {
    pub(super) fn parse(template: &str) -> Result<Self, Error> {
        let refuse = |why: &str| Err(bad_arg("FileName", format!("{template:?} {why}")));
        let Some((prefix, suffix)) = template.split_once("%s") else {
            return refuse("must contain %s, where the session id goes");
        };
        if prefix.contains('%') || suffix.contains('%') {
            return refuse("may contain only one %s and no other % directive");
        }
        if template.contains(['/', '\0']) {
            return refuse("must be a plain file name (no / or NUL)");
        }
        Ok(FileNameTemplate {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        })
    }

    /// `sprintf($FileName, $id)`.
    pub(super) fn file_name(&self, id: &str) -> String {
        // Every load and flush names a file: one allocation, no formatting machinery.
        let mut name = String::with_capacity(self.prefix.len() + id.len() + self.suffix.len());
        name.push_str(&self.prefix);
        name.push_str(id);
        name.push_str(&self.suffix);
        name
    }

    /// The name of a temporary file of an atomic write of `id` (see the `atomic`
    /// module): the session file's name with `\n.tmp.NONCE` after the id. No
    /// session's name has a newline in its id part ([`id_in`](Self::id_in) refuses
    /// it, as Perl's `(.+)` does), so no listing ever takes a temporary file for a
    /// session, whatever the template.
    pub(super) fn temp_name(&self, id: &str, nonce: &str) -> String {
        self.file_name(&format!("{id}{TEMP_MARK}{nonce}"))
    }

    /// The session id whose write a directory entry is a leftover temporary file of.
    pub(super) fn temp_of<'n>(&self, name: &'n str) -> Option<&'n str> {
        let (id, _) = self.id_part(name)?.rsplit_once(TEMP_MARK)?;
        (!id.is_empty()).then_some(id)
    }

    /// The id in a directory entry's name, if the name is a session file's.
    pub(super) fn id_in<'n>(&self, name: &'n str) -> Option<&'n str> {
        let id = self.id_part(name)?;
        (!id.is_empty() && !id.contains('\n')).then_some(id)
    }

    /// What stands for `%s` in `name`, if `name` has the template's prefix and suffix.
    fn id_part<'n>(&self, name: &'n str) -> Option<&'n str> {
        name.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_builds_names_and_matches_them_back() {
        let t = FileNameTemplate::parse("cgisess_%s").unwrap();
        assert_eq!(t.file_name("abc"), "cgisess_abc");
        assert_eq!(t.id_in("cgisess_abc"), Some("abc"));
        assert_eq!(t.id_in("cgisess_"), None);
        assert_eq!(t.id_in("xcgisess_abc"), None);
        assert_eq!(t.id_in("cgisess_a\nb"), None);
        assert_eq!(t.id_in("cgisess_abc\n"), None);

        let t = FileNameTemplate::parse("sess.%s.dat").unwrap();
        assert_eq!(t.id_in("sess.a.b.dat"), Some("a.b"));
        // Perl escapes `.`: these do not match.
        assert_eq!(t.id_in("sessXabcXdat"), None);
        // Other metacharacters are literal here (Perl would treat `+` as a regex).
        let t = FileNameTemplate::parse("s+%s").unwrap();
        assert_eq!(t.id_in("s+x"), Some("x"));
        assert_eq!(t.id_in("ssx"), None);
    }

    #[test]
    fn temporary_names_are_never_session_names() {
        for template in ["cgisess_%s", "%s", "%s.dat", "s.%s.tmp"] {
            let t = FileNameTemplate::parse(template).unwrap();
            let name = t.temp_name("abc", "1f");
            assert_eq!(t.id_in(&name), None, "{template}");
            assert_eq!(t.temp_of(&name), Some("abc"), "{template}");
            assert_eq!(t.temp_of(&t.file_name("abc")), None, "{template}");
        }
    }

    #[test]
    fn template_refuses_what_perl_would_mangle() {
        for bad in ["cgisess", "%s_%s", "%d_%s", "100%%_%s", "sub/%s", "a\0%s"] {
            let err = FileNameTemplate::parse(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("driver argument FileName: "),
                "{err}"
            );
        }
    }
}

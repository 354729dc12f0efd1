//! Generator `static`: the claimed id itself (spec §6.3).
//!
//! With `id:static`, whatever id the client presents becomes the session's id, so an
//! unknown or expired id is *created* under that exact name. That is the point of
//! the generator (ids chosen by the application, e.g. one session per user), and its
//! danger: never use it with ids taken unchecked from a request (spec §8.1 item 1).
//!
//! The module is `fixed` because `static` is a Rust keyword.

use crate::{Args, Error, IdGenerator};

/// Generator `static`. See the [module docs](self).
///
/// ```
/// use cgi_session_idgen::{Args, IdGenerator, Static};
///
/// assert_eq!(Static.generate(&Args::new(), Some("user-42")).unwrap(), "user-42");
/// assert!(Static.generate(&Args::new(), None).is_err());
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct Static;

impl IdGenerator for Static {
    fn name(&self) -> &'static str {
        "static"
    }

    /// Returns `claimed_id`. Without one, fails as Perl croaks (`t/name.t` relies on
    /// that). An empty claimed id is refused too, where Perl would return `""`: an
    /// empty id is Perl's "no id" (spec §8.2 item 13), and no generator returns one.
    fn generate(&self, _args: &Args, claimed_id: Option<&str>) -> Result<String, Error> {
        match claimed_id {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            Some(_) => Err(requires_static_id("the claimed id is empty")),
            None => Err(requires_static_id("no id was claimed")),
        }
    }
}

/// Perl's croak text, `'CGI::Session::ID::Static::generate_id()' requires static id`,
/// with the reason.
fn requires_static_id(why: &str) -> Error {
    Error::BadArg {
        generator: "static",
        message: format!("'CGI::Session::ID::Static::generate_id()' requires static id ({why})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_claimed_id_unchanged() {
        assert_eq!(Static.name(), "static");
        for id in ["abc", "0", "a/b", " spaced "] {
            assert_eq!(Static.generate(&Args::new(), Some(id)).unwrap(), id);
        }
        assert!(!Static.numeric_ids());
    }

    #[test]
    fn refuses_a_missing_or_empty_claim() {
        for claim in [None, Some("")] {
            let err = Static
                .generate(&Args::new(), claim)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(
                    "id:static: 'CGI::Session::ID::Static::generate_id()' requires static id"
                ),
                "{err}"
            );
        }
    }
}

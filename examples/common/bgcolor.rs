//! What the Rust bgcolor pages share (`examples/bgcolor.rs` as CGI,
//! `examples/axum_bgcolor.rs` on axum) with `examples/perl/bgcolor.cgi`: the store
//! from the environment, the colours accepted, and the page itself.

use cgi_session::cgi::{format_date, DateFormat};
use cgi_session::{Args, Config, Result, Session, Value};

/// The store from the environment, as for `cgisess`: `CGISESS_DSN` (default: Perl's
/// `driver:file;serializer:default;id:md5`) and one `CGISESS_ARG_<Name>` per driver
/// argument, e.g. `CGISESS_ARG_Directory=/var/lib/app/sessions`.
pub fn config_from_env() -> Result<Config> {
    let args: Args = std::env::vars()
        .filter_map(|(key, value)| Some((key.strip_prefix("CGISESS_ARG_")?.to_string(), value)))
        .filter(|(name, _)| !name.is_empty())
        .collect();
    Config::new(std::env::var("CGISESS_DSN").ok().as_deref(), args)
}

/// One hit on the page, as the Perl script does it: the requested colour (if it is
/// one) is stored, the previous visit's time is shown and replaced by now; the page
/// served by `engine`, with `notice` unless the colour is refused.
pub fn visit(
    session: &mut Session,
    requested: Option<&str>,
    engine: &str,
    notice: &str,
) -> Result<String> {
    let mut notice = notice.to_string();
    if let Some(colour) = requested {
        if is_colour(colour) {
            session.set_param("bgcolor", colour)?;
        } else {
            notice = NOT_A_COLOUR.to_string();
        }
    }
    let colour = session
        .param("bgcolor")
        .filter(|c| c.is_true())
        .and_then(Value::to_perl_string)
        .map_or_else(|| "white".to_string(), |c| c.to_text().into_owned());
    let last_visit = match session.param("last_visit").and_then(Value::to_number) {
        Some(epoch) if epoch.as_i64() != 0 => format_date(epoch.as_i64(), DateFormat::Http),
        _ => "never: this is your first visit".to_string(),
    };
    let now = session.config().now();
    session.set_param("last_visit", now)?;
    Ok(page(engine, &colour, &last_visit, &notice))
}

/// The colours the pages accept: a name or `#rrggbb`, so nothing reaches the
/// HTML that needs escaping.
pub fn is_colour(text: &str) -> bool {
    let name = text.strip_prefix('#').unwrap_or(text);
    (1..=20).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The notice for a colour the pages refuse.
pub const NOT_A_COLOUR: &str = "That is not a colour name or #rrggbb; the colour is unchanged.";

/// The page, byte for byte the Perl script's but for `engine`.
pub fn page(engine: &str, colour: &str, last_visit: &str, notice: &str) -> String {
    format!(
        "<!DOCTYPE html>\n\
         <html><head><title>bgcolor</title></head>\n\
         <body style=\"background-color: {colour}\">\n\
         <p>Your colour is <b id=\"colour\">{colour}</b>.</p>\n\
         <p>Last visit: <span id=\"last-visit\">{last_visit}</span></p>\n\
         <p id=\"notice\">{notice}</p>\n\
         <form method=\"post\"><input name=\"bgcolor\" value=\"{colour}\"> <button>Change</button></form>\n\
         <p>Served by <span id=\"engine\">{engine}</span>.</p>\n\
         </body></html>\n"
    )
}

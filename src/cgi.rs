//! The web side: the claimed id from a request, and `cookie()`/`header()` as CGI.pm
//! prints them (spec §2.3 step 5, §3.3).
//!
//! Perl's CGI::Session asks a query object (CGI.pm) for the id — cookie first, then
//! the query or form parameter — and lets CGI.pm format the `Set-Cookie` and the
//! header. A browser, and a Perl page of the same site, must see no difference,
//! so the strings here are CGI.pm's byte for byte: attribute order, `%XX`
//! escaping, both date formats, and even CGI.pm's pass-through of a signed ETIME
//! (`expires=++3600s`), which a browser ignores the same way for both.
//!
//! One Perl quirk is fixed: on an empty session CGI.pm's `cookie()` turns into a
//! *read* of the request cookie and `header()` prints `Set-Cookie: <raw value>`.
//! Here an empty session has no cookie and its header has no `Set-Cookie`.

use std::io::{self, Read};

use cgi_session_serializers::{number, PerlString, Value};
use chrono::{DateTime, Utc};

use crate::config::{Config, LoadOptions};
use crate::error::{Error, Result};
use crate::session::Session;

/// What a session needs from a request object, in the shape of CGI.pm's `cookie()`
/// and `param()`.
pub trait Query {
    /// The first value of the request cookie `name`.
    fn cookie(&self, name: &str) -> Option<PerlString>;
    /// The names of the request parameters, in request order.
    fn param_names(&self) -> Vec<PerlString>;
    /// Every value of parameter `name` (an empty string is one value).
    fn param_values(&self, name: &str) -> Vec<PerlString>;
    /// Replaces the values of parameter `name` (for [`Session::load_param`]).
    fn set_param(&mut self, name: &str, values: Vec<PerlString>);
}

/// Perl's claimed-id rule (spec §2.3 step 5): the cookie wins; the parameter of the
/// same name is used only when the cookie is missing or false (`""`, `"0"`).
pub fn claimed_id(query: &impl Query, name: &str) -> Option<String> {
    let truthy = |s: &PerlString| !(s.is_empty() || s.as_bytes() == b"0");
    query
        .cookie(name)
        .filter(truthy)
        .or_else(|| query.param_values(name).into_iter().next())
        .map(|s| s.to_text().into_owned())
}

impl Config {
    /// Perl's `load($dsn, $query)`: the claimed id is read from the request.
    pub fn load_request(&self, query: &impl Query) -> Result<Session> {
        self.load_with(&self.request_options(query, None))
    }

    /// Perl's `new($dsn, $query)`: load the request's session, or create one.
    pub fn new_request(&self, query: &impl Query) -> Result<Session> {
        self.new_with(&self.request_options(query, None))
    }

    /// The load options for a request: the claimed id read under `name` (Perl's 4th
    /// argument `{name => ...}`) or the config's name. Set more fields (`remote_addr`,
    /// `read_only`) before passing them to [`Config::load_with`] or [`Config::new_with`].
    pub fn request_options(&self, query: &impl Query, name: Option<&str>) -> LoadOptions {
        LoadOptions {
            claimed_id: claimed_id(query, name.unwrap_or(self.name())),
            name: name.map(str::to_string),
            ..LoadOptions::default()
        }
    }
}

/// A request as a CGI program sees it in its environment: `HTTP_COOKIE`, and the
/// parameters of `QUERY_STRING` or of a url-encoded POST body.
///
/// [`from_env`](Self::from_env) never reads the body; [`from_env_with_body`](Self::from_env_with_body)
/// reads a url-encoded one and hands its bytes back, so the program still has them.
///
/// Parameters are CGI.pm's (4.x, default settings):
/// * GET, HEAD and DELETE: the query string.
/// * POST, PUT and PATCH with `Content-Type: application/x-www-form-urlencoded`, or
///   none: the body, and **not** the query string (CGI.pm appends it only when
///   `$CGI::APPEND_QUERY_STRING` is set; its `url_param()` reads it apart).
/// * Any other body gives no parameters. CGI.pm parses `multipart/form-data` and
///   keeps other bodies as a `POSTDATA` parameter; here those bodies are left unread
///   for the program, so an id sent only as a multipart form field is not seen.
/// * Text without `&`, `=` or `;` is a keyword list: parameter `keywords`.
///
/// `%uXXXX` escapes (a Netscape/IE extension CGI::Util also decodes) are kept as
/// they are.
#[derive(Debug, Clone, Default)]
pub struct CgiQuery {
    cookies: Vec<(PerlString, PerlString)>,
    params: Vec<(PerlString, Vec<PerlString>)>,
}

impl CgiQuery {
    /// Reads `HTTP_COOKIE` and `QUERY_STRING` of this process, whatever the request
    /// method; standard input is not touched, so a POST body is neither read nor
    /// seen (use [`from_env_with_body`](Self::from_env_with_body) for forms that post
    /// the id).
    pub fn from_env() -> CgiQuery {
        let var = |name| {
            std::env::var_os(name)
                .map(|v| v.into_encoded_bytes())
                .unwrap_or_default()
        };
        CgiQuery::from_parts(&var("HTTP_COOKIE"), &var("QUERY_STRING"))
    }

    /// Reads the request as CGI.pm's `CGI->new` does, body included: for a
    /// url-encoded POST, PUT or PATCH (see [`CgiQuery`]) exactly `CONTENT_LENGTH`
    /// bytes are read from `input` (a CGI program's standard input) and returned
    /// as `Some(body)` for the program to use; for any other request nothing is
    /// read and the result is `None`, the body still waiting in `input` (and a
    /// POST, PUT or PATCH of another type has no parameters, as CGI.pm ignores the
    /// query string then too).
    ///
    /// The body is held in memory whole, as CGI.pm holds it (its `$POST_MAX` is off by
    /// default); the web server's request-size limit bounds it. A `CONTENT_LENGTH`
    /// that is not a byte count, or a body shorter than it, is an
    /// [`InvalidData`](std::io::ErrorKind::InvalidData) error.
    pub fn from_env_with_body(input: &mut impl Read) -> io::Result<(CgiQuery, Option<Vec<u8>>)> {
        CgiQuery::from_vars_with_body(
            |name| std::env::var_os(name).map(|v| v.into_encoded_bytes()),
            input,
        )
    }

    /// [`from_env_with_body`](Self::from_env_with_body) with the CGI variables
    /// (`HTTP_COOKIE`, `QUERY_STRING`, `REQUEST_METHOD`, `CONTENT_TYPE`,
    /// `CONTENT_LENGTH`) looked up by `var` instead of in this process's
    /// environment: a FastCGI or SCGI request's variables, or a test's.
    pub fn from_vars_with_body(
        var: impl Fn(&str) -> Option<Vec<u8>>,
        input: &mut impl Read,
    ) -> io::Result<(CgiQuery, Option<Vec<u8>>)> {
        let text = |name: &str| var(name).unwrap_or_default();
        let query = CgiQuery::from_parts(&text("HTTP_COOKIE"), &text("QUERY_STRING"));
        if !matches!(&text("REQUEST_METHOD")[..], b"POST" | b"PUT" | b"PATCH") {
            return Ok((query, None));
        }
        // CGI.pm reads a body as form parameters when its type is url-encoded or
        // missing; any other body is left for the program, with no parameters.
        let form =
            var("CONTENT_TYPE").is_none_or(|t| t.starts_with(b"application/x-www-form-urlencoded"));
        if !form {
            return Ok((query.with_params(Vec::new()), None));
        }
        let length = text("CONTENT_LENGTH");
        let length: u64 = match std::str::from_utf8(&length).map(str::trim) {
            Ok("") => 0,
            Ok(text) => text
                .parse()
                .map_err(|_| invalid(format!("CONTENT_LENGTH {text:?} is not a byte count")))?,
            Err(_) => return Err(invalid("CONTENT_LENGTH is not a byte count".into())),
        };
        let mut body = Vec::new();
        input.take(length).read_to_end(&mut body)?;
        if (body.len() as u64) < length {
            return Err(invalid(format!(
                "the request body ended after {} of its {length} bytes (CONTENT_LENGTH)",
                body.len()
            )));
        }
        Ok((query.with_form_body(&body), Some(body)))
    }

    /// This request with the parameters of a url-encoded body that the program has
    /// already read, in place of the query string's (CGI.pm's rule for a POST; see
    /// [`CgiQuery`]). The cookies are kept.
    pub fn with_form_body(self, body: &[u8]) -> CgiQuery {
        self.with_params(CgiQuery::from_parts(b"", body).params)
    }

    fn with_params(mut self, params: Vec<(PerlString, Vec<PerlString>)>) -> CgiQuery {
        self.params = params;
        self
    }

    /// Builds a request from a raw `Cookie:` header value and a raw query string.
    pub fn from_parts(cookie_header: &[u8], query_string: &[u8]) -> CgiQuery {
        let mut q = CgiQuery::default();
        // CGI::Cookie->parse: pairs split on "; " or ", "; the first cookie of a name wins.
        for pair in split_any(cookie_header, b";,") {
            let pair = pair.trim_ascii();
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let name = PerlString::from_bytes(unescape(&pair[..eq]));
            // Its values split on `&` (an empty first value stays empty, as in Perl).
            let first = pair[eq + 1..]
                .split(|b| b"&;".contains(b))
                .next()
                .unwrap_or_default();
            if !q.cookies.iter().any(|(n, _)| *n == name) {
                q.cookies
                    .push((name, PerlString::from_bytes(unescape(first))));
            }
        }
        if !query_string.is_empty() && !query_string.iter().any(|b| b"&=;".contains(b)) {
            // CGI::parse_keywordlist: unescape, then split on whitespace (a leading
            // run gives a leading empty keyword, as Perl's split does).
            let text = unescape(query_string);
            let mut fields = text.split(|b| b" \t\n\r\x0b\x0c".contains(b));
            let first = fields.next().into_iter();
            let mut words: Vec<PerlString> = first
                .chain(fields.filter(|f| !f.is_empty()))
                .map(|f| PerlString::from_bytes(f.to_vec()))
                .collect();
            while words.last().is_some_and(|w| w.is_empty()) {
                words.pop();
            }
            q.params.push((PerlString::from_text("keywords"), words));
            return q;
        }
        for pair in split_any(query_string, b"&;").filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &b""[..]),
            };
            q.push_param(
                PerlString::from_bytes(unescape(name)),
                PerlString::from_bytes(unescape(value)),
            );
        }
        q
    }

    fn push_param(&mut self, name: PerlString, value: PerlString) {
        match self.params.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => self.params.push((name, vec![value])),
        }
    }
}

impl Query for CgiQuery {
    fn cookie(&self, name: &str) -> Option<PerlString> {
        let name = PerlString::from_text(name);
        self.cookies
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    fn param_names(&self) -> Vec<PerlString> {
        self.params.iter().map(|(n, _)| n.clone()).collect()
    }

    fn param_values(&self, name: &str) -> Vec<PerlString> {
        let name = PerlString::from_text(name);
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn set_param(&mut self, name: &str, values: Vec<PerlString>) {
        let name = PerlString::from_text(name);
        match self.params.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => *slot = values,
            None => self.params.push((name, values)),
        }
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn split_any<'a>(bytes: &'a [u8], separators: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    bytes
        .split(move |b| separators.contains(b))
        .filter(|part| !part.is_empty())
}

/// CGI::Util::unescape: `+` is a space, `%XX` a byte.
pub fn unescape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(|h| hex_pair(h[0], h[1])) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

/// CGI::Util::escape: UTF-8-encode a character string, then `%XX` (upper case) every
/// byte outside `[A-Za-z0-9_.~-]`.
pub fn escape(s: &PerlString) -> String {
    let mut out = String::new();
    for b in s.utf8_encoded() {
        if b.is_ascii_alphanumeric() || b"_.~-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The two date formats of CGI::Util::expires.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DateFormat {
    /// `Sat, 21-Nov-2026 20:46:08 GMT`, for cookies.
    Cookie,
    /// `Sat, 21 Nov 2026 20:46:08 GMT`, for HTTP headers.
    Http,
}

/// Formats epoch seconds as CGI::Util::expires does.
pub fn format_date(epoch: i64, format: DateFormat) -> String {
    let when = DateTime::<Utc>::from_timestamp(epoch, 0).unwrap_or_default();
    let pattern = match format {
        DateFormat::Cookie => "%a, %d-%b-%Y %H:%M:%S GMT",
        DateFormat::Http => "%a, %d %b %Y %H:%M:%S GMT",
    };
    when.format(pattern).to_string()
}

/// CGI::Util::expires(expire_calc(spec)): `+3600s`, `-1d`, `now`, an epoch, or any
/// other text, which CGI.pm passes through unchanged (so does this).
pub fn cookie_expires(spec: &str, now: i64, format: DateFormat) -> String {
    let when: f64 = if spec.is_empty() || spec == "0" || spec.eq_ignore_ascii_case("now") {
        now as f64
    } else if spec.starts_with(|c: char| c.is_ascii_digit()) {
        // expire_calc returns it as is; expires formats it only if it is all digits.
        return match spec.parse::<i64>() {
            Ok(epoch) if spec.bytes().all(|b| b.is_ascii_digit()) => format_date(epoch, format),
            _ => spec.to_string(),
        };
    } else if let Some(offset) = relative_offset(spec) {
        now as f64 + offset
    } else {
        return spec.to_string();
    };
    if when.fract() == 0.0 && (0.0..1e15).contains(&when) {
        format_date(when as i64, format)
    } else {
        number::format_float(when)
    }
}

/// expire_calc's `/^([+-]?(?:\d+|\d*\.\d*))([smhdMy])/` (not anchored at the end).
fn relative_offset(spec: &str) -> Option<f64> {
    let b = spec.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits_start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    let number = &spec[digits_start..i];
    let dots = number.matches('.').count();
    if dots > 1 || (dots == 0 && number.is_empty()) {
        return None;
    }
    let mult = match b.get(i)? {
        b's' => 1.0,
        b'm' => 60.0,
        b'h' => 3600.0,
        b'd' => 86400.0,
        b'M' => 2_592_000.0,
        b'y' => 31_536_000.0,
        _ => return None,
    };
    let magnitude: f64 = if number == "." {
        0.0
    } else {
        number.parse().unwrap_or(0.0)
    };
    let sign = if b[0] == b'-' { -1.0 } else { 1.0 };
    Some(sign * magnitude * mult)
}

/// Cookie attributes beyond name and value, as CGI::Cookie takes them.
///
/// `domain` and `path` go into the `Set-Cookie` header as they are, so
/// [`Session::cookie_with`] and [`Session::header_with`] refuse ([`validate`](Self::validate))
/// a value with a control character (CR and LF would split the header; CGI.pm dies
/// on them) or a `;` (it would add attributes of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `domain=`; omitted when `None` or false to Perl (`""`, `"0"`).
    pub domain: Option<String>,
    /// `path=`; `None` or false to Perl (`""`, `"0"`) is CGI.pm's default `/`: a
    /// session cookie always has a path.
    pub path: Option<String>,
    /// `secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite=` (`Strict`, `Lax` or `None`).
    pub same_site: Option<String>,
}

impl CookieOptions {
    /// Checks that `domain` and `path` can go into a `Set-Cookie` header as they are:
    /// no control characters (CR, LF, NUL, ...) and no `;` (RFC 6265's
    /// `domain-value` and `path-value`). The error names the attribute.
    pub fn validate(&self) -> Result<()> {
        for (attribute, value) in [("domain", &self.domain), ("path", &self.path)] {
            if let Some(value) = value {
                header_safe(&format!("cookie {attribute}"), value, ";")?;
            }
        }
        Ok(())
    }
}

/// Refuses `value` (the `what` of a header) if it holds a control character or one
/// of `also`: written into a header, it would end the line or add to it.
fn header_safe(what: &str, value: &str, also: &str) -> Result<()> {
    match value.chars().find(|&c| c.is_control() || also.contains(c)) {
        Some(c) => Err(Error::Usage(format!(
            "{what} {value:?} holds {c:?}, which a header value cannot (it would split or \
             extend the header)"
        ))),
        None => Ok(()),
    }
}

impl Default for CookieOptions {
    fn default() -> Self {
        CookieOptions {
            domain: None,
            path: Some("/".to_string()),
            secure: false,
            http_only: false,
            same_site: None,
        }
    }
}

impl Session {
    /// The `Set-Cookie` value CGI.pm makes for this session (Perl's `$s->cookie`), with
    /// CGI.pm's defaults; `None` for an empty session.
    ///
    /// `expires` follows Perl: an expired session gets `-1d`, a session with a timeout
    /// `+ETIMEs` from now, otherwise none (a browser-session cookie).
    ///
    /// The name and the id are `%XX`-escaped, as CGI.pm escapes them. An `ETIME` that
    /// holds a control character (only a tampered store can hold one) gives no
    /// `expires`, where CGI.pm would die on the header.
    pub fn cookie(&self) -> Option<String> {
        self.unchecked_cookie(&CookieOptions::default())
    }

    /// [`cookie`](Self::cookie) with attributes (`secure`, `HttpOnly`, `SameSite`, ...);
    /// an error when `options` cannot go into a header ([`CookieOptions::validate`]).
    pub fn cookie_with(&self, options: &CookieOptions) -> Result<Option<String>> {
        options.validate()?;
        Ok(self.unchecked_cookie(options))
    }

    /// The cookie with `options` as they are (checked by the callers, once: the axum
    /// layer checks its options when it is built, not on every request).
    pub(crate) fn unchecked_cookie(&self, options: &CookieOptions) -> Option<String> {
        let id = self.id()?;
        let now = self.config().now();
        let expires = if self.is_expired() {
            Some("-1d".to_string())
        } else {
            self.etime()
                .filter(|t| t.is_true())
                .and_then(Value::to_perl_string)
                .map(|t| format!("+{}s", t.to_text()))
                .filter(|spec| !spec.contains(char::is_control))
        };
        let mut cookie = format!(
            "{}={}",
            escape(&PerlString::from_text(self.name())),
            escape(&PerlString::from_text(&id))
        );
        // CGI::Cookie->as_string: domain, path, expires, max-age, secure, HttpOnly, SameSite.
        if let Some(domain) = options.domain.as_deref().filter(|d| perl_true(d)) {
            cookie.push_str(&format!("; domain={domain}"));
        }
        // CGI::Cookie->new: `$path ||= "/"`.
        let path = options.path.as_deref().filter(|p| perl_true(p));
        cookie.push_str(&format!("; path={}", path.unwrap_or("/")));
        if let Some(spec) = expires {
            cookie.push_str(&format!(
                "; expires={}",
                cookie_expires(&spec, now, DateFormat::Cookie)
            ));
        }
        if options.secure {
            cookie.push_str("; secure");
        }
        if options.http_only {
            cookie.push_str("; HttpOnly");
        }
        if let Some(same_site) = options.same_site.as_deref().and_then(normalize_same_site) {
            cookie.push_str(&format!("; SameSite={same_site}"));
        }
        Some(cookie)
    }

    /// The CGI header CGI.pm prints for this session (Perl's `$s->header`):
    /// `Set-Cookie`, `Date` (CGI.pm adds it whenever a cookie is sent) and
    /// `Content-Type: text/html; charset=ISO-8859-1`, each line ending in CRLF, then a blank line.
    pub fn header(&self) -> String {
        self.unchecked_header("text/html", "ISO-8859-1", &CookieOptions::default())
    }

    /// [`header`](Self::header) with a content type, charset and cookie attributes.
    ///
    /// As CGI.pm's `header(-type => ..., -charset => ...)`: the charset is appended to
    /// any type that does not name one already (`application/json; charset=UTF-8`
    /// too), an empty charset appends none, and an empty type prints no
    /// `Content-Type` line.
    ///
    /// An error when the type or charset holds a control character, or `options`
    /// cannot go into a header ([`CookieOptions::validate`]): CR and LF would split
    /// the header, and CGI.pm dies on them.
    pub fn header_with(
        &self,
        content_type: &str,
        charset: &str,
        options: &CookieOptions,
    ) -> Result<String> {
        header_safe("content type", content_type, "")?;
        header_safe("charset", charset, "")?;
        options.validate()?;
        Ok(self.unchecked_header(content_type, charset, options))
    }

    /// The header with its arguments as they are (checked by the callers).
    fn unchecked_header(
        &self,
        content_type: &str,
        charset: &str,
        options: &CookieOptions,
    ) -> String {
        let mut header = String::new();
        if let Some(cookie) = self.unchecked_cookie(options) {
            header.push_str(&format!("Set-Cookie: {cookie}\r\n"));
            let date = format_date(self.config().now(), DateFormat::Http);
            header.push_str(&format!("Date: {date}\r\n"));
        }
        if !content_type.is_empty() {
            header.push_str("Content-Type: ");
            header.push_str(content_type);
            if !charset.is_empty() && !names_charset(content_type) {
                header.push_str("; charset=");
                header.push_str(charset);
            }
            header.push_str("\r\n");
        }
        header.push_str("\r\n");
        header
    }

    /// Perl's `save_param($query, \@names)`: copies request parameters into the session.
    /// One value is stored as a string, several as an array; names with no value are
    /// skipped. `None` copies every parameter. Reserved names are refused.
    pub fn save_param(&mut self, query: &impl Query, names: Option<&[&str]>) -> Result<()> {
        let names: Vec<PerlString> = match names {
            Some(list) => list.iter().map(|n| PerlString::from_text(n)).collect(),
            None => query.param_names(),
        };
        for name in names {
            let mut values = query.param_values(&name.to_text());
            let value = match values.len() {
                0 => continue,
                1 => Value::Str(values.remove(0)),
                _ => Value::array(values),
            };
            self.set_param(name, value)?;
        }
        Ok(())
    }

    /// Perl's `load_param($query, \@names)`: copies session parameters into the request.
    /// An array becomes several values; undef and other references are skipped (Perl
    /// would stringify a hash as `HASH(0x...)`). `None` copies every user parameter.
    pub fn load_param(&self, query: &mut impl Query, names: Option<&[&str]>) {
        let names: Vec<String> = match names {
            Some(list) => list.iter().map(|n| n.to_string()).collect(),
            None => self
                .param_names()
                .map(|n| n.to_text().into_owned())
                .collect(),
        };
        for name in names {
            let values = match self.param(&name) {
                Some(Value::Array(items)) => {
                    items.iter().filter_map(Value::to_perl_string).collect()
                }
                Some(v) if !v.is_undef() => v.to_perl_string().into_iter().collect(),
                _ => continue,
            };
            query.set_param(&name, values);
        }
    }
}

/// Perl's truth for a string: anything but `""` and `"0"`.
fn perl_true(s: &str) -> bool {
    !(s.is_empty() || s == "0")
}

/// CGI.pm's `$type !~ /\bcharset\b/`.
fn names_charset(content_type: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    content_type.match_indices("charset").any(|(at, m)| {
        let before = content_type[..at].chars().next_back();
        let after = content_type[at + m.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// CGI::Cookie keeps SameSite only as `Strict`, `Lax` or `None` (case-insensitive input).
fn normalize_same_site(value: &str) -> Option<&'static str> {
    ["Strict", "Lax", "None"]
        .into_iter()
        .find(|v| v.eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_matches_cgi_util() {
        assert_eq!(
            escape(&PerlString::from_text("my sess/é")),
            "my%20sess%2F%C3%A9"
        );
        assert_eq!(
            escape(&PerlString::from_bytes(b"a~b.c_d-e".to_vec())),
            "a~b.c_d-e"
        );
    }

    #[test]
    fn expires_follows_expire_calc() {
        let now = 1_795_293_613; // Sat, 21 Nov 2026 ...
        assert_eq!(
            cookie_expires("+3600s", now, DateFormat::Cookie),
            format_date(now + 3600, DateFormat::Cookie)
        );
        assert_eq!(
            cookie_expires("-1d", now, DateFormat::Cookie),
            format_date(now - 86400, DateFormat::Cookie)
        );
        assert_eq!(
            cookie_expires("++3600s", now, DateFormat::Cookie),
            "++3600s"
        );
        assert_eq!(cookie_expires("+-60s", now, DateFormat::Cookie), "+-60s");
        assert_eq!(
            format_date(0, DateFormat::Cookie),
            "Thu, 01-Jan-1970 00:00:00 GMT"
        );
        assert_eq!(
            format_date(0, DateFormat::Http),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn cookie_wins_over_parameter_unless_false() {
        let q = CgiQuery::from_parts(b"CGISESSID=abc; other=1", b"CGISESSID=def");
        assert_eq!(claimed_id(&q, "CGISESSID").as_deref(), Some("abc"));
        let q = CgiQuery::from_parts(b"CGISESSID=0", b"CGISESSID=def&x=1&x=2");
        assert_eq!(claimed_id(&q, "CGISESSID").as_deref(), Some("def"));
        assert_eq!(q.param_values("x").len(), 2);
        let q = CgiQuery::from_parts(b"", b"a%20b=c+d");
        assert_eq!(q.param_values("a b"), vec![PerlString::from_text("c d")]);
    }
}

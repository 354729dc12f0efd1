//! `CGI.escape` and `CGI.unescape` of Ruby 3.1 (cgi 0.3.5), which FileStore applies to
//! every key and every Marshal dump it writes.

/// `CGI.escape`: every byte outside `a-zA-Z0-9_.-~` and space becomes `%XX` (upper-case
/// hex), and space becomes `+`.
///
/// ```
/// use cgi_session_serializers::marshal::cgi_escape;
///
/// assert_eq!(cgi_escape("a b~*é".as_bytes()), b"a+b~%2A%C3%A9");
/// ```
pub fn cgi_escape(bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b' ' => out.push(b'+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => out.push(b),
            _ => out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]),
        }
    }
    out
}

/// `CGI.unescape`: `+` is a space and `%XX` (either case) a byte; a `%` not followed by
/// two hex digits stays as it is.
///
/// ```
/// use cgi_session_serializers::marshal::cgi_unescape;
///
/// assert_eq!(cgi_unescape(b"%27Stop%21%27+said+Fred%zz%4"), b"'Stop!' said Fred%zz%4");
/// ```
pub fn cgi_unescape(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i..] {
            [b'%', hi, lo, ..] => hex(hi).zip(hex(lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match (decoded, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

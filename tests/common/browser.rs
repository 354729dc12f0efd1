//! A browser for the web tests: HTTP/1.0 over a `TcpStream` (one request per
//! connection, read to the end), with a cookie jar kept across requests.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One visitor: the cookies the servers set, sent back on every request.
#[derive(Default)]
pub struct Browser {
    /// Cookie name → value, as the last `Set-Cookie` of each name left it.
    pub jar: BTreeMap<String, String>,
}

/// What came back.
pub struct Page {
    /// The status line, e.g. `HTTP/1.1 200 OK`.
    pub status: String,
    /// Every `Set-Cookie` value, in order.
    pub set_cookies: Vec<String>,
    /// The body, as text.
    pub body: String,
}

impl Page {
    /// The text of the element with `id="<id>"` in the page.
    pub fn field(&self, id: &str) -> &str {
        let open = format!("id=\"{id}\">");
        let start = self
            .body
            .find(&open)
            .unwrap_or_else(|| panic!("no #{id} in {}", self.body))
            + open.len();
        let len = self.body[start..].find('<').expect("closing tag");
        &self.body[start..start + len]
    }

    /// Whether the status is 200.
    pub fn is_ok(&self) -> bool {
        self.status.ends_with(" 200 OK")
    }
}

impl Browser {
    /// `GET target` from the server on 127.0.0.1:`port`.
    pub fn get(&mut self, port: u16, target: &str) -> Page {
        self.send(port, "GET", target, None)
    }

    /// `POST target` with a url-encoded `form`.
    pub fn post(&mut self, port: u16, target: &str, form: &str) -> Page {
        self.send(port, "POST", target, Some(form))
    }

    /// Sends one request with the jar's cookies, and keeps the cookies set.
    pub fn send(&mut self, port: u16, method: &str, target: &str, form: Option<&str>) -> Page {
        let mut request = format!("{method} {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
            request.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        if let Some(form) = form {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                form.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(form.unwrap_or_default());
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        stream.write_all(request.as_bytes()).expect("send request");
        let mut raw = String::new();
        stream.read_to_string(&mut raw).expect("read response");
        let (head, body) = raw.split_once("\r\n\r\n").expect("a header and a body");
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap_or_default().to_string();
        let set_cookies: Vec<String> = lines
            .filter_map(|line| {
                let (name, value) = line.split_once(": ")?;
                name.eq_ignore_ascii_case("set-cookie")
                    .then(|| value.to_string())
            })
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            self.jar.insert(name.to_string(), value.to_string());
        }
        Page {
            status,
            set_cookies,
            body: body.to_string(),
        }
    }
}

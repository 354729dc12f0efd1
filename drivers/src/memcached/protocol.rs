//! The three commands of memcached's text protocol the driver needs (`get`, `set`,
//! `delete`), on one TCP connection, as `Cache::Memcached` speaks them.
//!
//! A reply that does not parse leaves the connection out of step with the server, so
//! such failures are [`McError::Protocol`] and the connection is closed; an error
//! *reply* (`SERVER_ERROR ...`) is [`McError::Server`] and the connection stays usable.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a connection attempt may take (Cache::Memcached: 0.25 s; a little more
/// here, since a refused connection fails at once anyway and a slow one is not dead).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one reply may take before the server counts as unresponsive.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest reply line read (a `VALUE` header with a 250-byte key is far shorter).
const MAX_LINE: u64 = 1024;

/// The largest value accepted from a server, or after gunzip: memcached's own ceiling
/// for an item is 1 GiB, and no session record comes near this.
pub(super) const MAX_VALUE_BYTES: u64 = 256 << 20;

/// What went wrong talking to one server.
#[derive(Debug)]
pub(super) enum McError {
    /// The server could not be reached: the only failure after which
    /// Cache::Memcached moves the key to another server.
    Connect(io::Error),
    /// The connection broke mid-command.
    Io(io::Error),
    /// The reply made no sense; the connection is out of step and is closed.
    Protocol(String),
    /// The server answered with an error (`SERVER_ERROR`, `CLIENT_ERROR`, `ERROR`,
    /// `NOT_STORED`); the connection is still in step.
    Server(String),
}

impl McError {
    /// Whether the connection must be replaced (see [`crate::kv::IdlePool::run`]).
    pub(super) fn is_broken(&self) -> bool {
        !matches!(self, McError::Server(_))
    }
}

impl std::fmt::Display for McError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            McError::Connect(e) => write!(f, "couldn't connect: {e}"),
            McError::Io(e) => write!(f, "connection failed: {e}"),
            McError::Protocol(m) => write!(f, "unexpected reply: {m}"),
            McError::Server(m) => write!(f, "server replied {m:?}"),
        }
    }
}

/// A value as stored: Cache::Memcached's flags and the bytes.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Item {
    pub(super) flags: u32,
    pub(super) data: Vec<u8>,
}

/// One open connection to one server.
#[derive(Debug)]
pub(super) struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    /// Connects to `address` (`host:port`), trying each address it resolves to.
    pub(super) fn open(address: &str) -> Result<Self, McError> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name resolves to no address");
        for socket in address.to_socket_addrs().map_err(McError::Connect)? {
            match TcpStream::connect_timeout(&socket, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(IO_TIMEOUT))
                        .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
                        .and_then(|()| stream.set_nodelay(true))
                        .map_err(McError::Connect)?;
                    return Ok(Connection {
                        stream: BufReader::new(stream),
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(McError::Connect(last))
    }

    /// `get KEY`: the item, or `None` on a miss.
    pub(super) fn get(&mut self, key: &str) -> Result<Option<Item>, McError> {
        self.send(&[b"get ", key.as_bytes(), b"\r\n"])?;
        let line = self.read_line()?;
        if line == "END" {
            return Ok(None);
        }
        let item = self.read_value(&line, key)?;
        match self.read_line()?.as_str() {
            "END" => Ok(Some(item)),
            other => Err(McError::Protocol(format!(
                "{other:?} where END was expected"
            ))),
        }
    }

    /// `set KEY FLAGS EXPTIME LEN`, then the data.
    pub(super) fn set(
        &mut self,
        key: &str,
        flags: u32,
        exptime: u64,
        data: &[u8],
    ) -> Result<(), McError> {
        let header = format!("set {key} {flags} {exptime} {}\r\n", data.len());
        self.send(&[header.as_bytes(), data, b"\r\n"])?;
        self.expect_reply(&["STORED"])
    }

    /// `delete KEY`; a key that is not there counts as deleted.
    pub(super) fn delete(&mut self, key: &str) -> Result<(), McError> {
        self.send(&[b"delete ", key.as_bytes(), b"\r\n"])?;
        self.expect_reply(&["DELETED", "NOT_FOUND"])
    }

    fn send(&mut self, parts: &[&[u8]]) -> Result<(), McError> {
        self.stream
            .get_mut()
            .write_all(&parts.concat())
            .map_err(McError::Io)
    }

    fn expect_reply(&mut self, success: &[&str]) -> Result<(), McError> {
        let line = self.read_line()?;
        if success.contains(&line.as_str()) {
            Ok(())
        } else if is_error_reply(&line) {
            Err(McError::Server(line))
        } else {
            Err(McError::Protocol(format!("{line:?}")))
        }
    }

    /// One reply line, without its `\r\n`.
    fn read_line(&mut self) -> Result<String, McError> {
        let mut line = Vec::new();
        (&mut self.stream)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .map_err(McError::Io)?;
        if line.is_empty() {
            return Err(McError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        let Some(text) = line.strip_suffix(b"\r\n") else {
            return Err(McError::Protocol(format!(
                "a reply line longer than {MAX_LINE} bytes or cut short: {:?}",
                String::from_utf8_lossy(&line)
            )));
        };
        String::from_utf8(text.to_vec()).map_err(|_| {
            McError::Protocol(format!(
                "a reply line that is not text: {:?}",
                String::from_utf8_lossy(text)
            ))
        })
    }

    /// `VALUE KEY FLAGS BYTES [CAS]`, then the data block and its `\r\n`.
    fn read_value(&mut self, line: &str, key: &str) -> Result<Item, McError> {
        let fields: Vec<&str> = line.split(' ').collect();
        let (flags, len) = match fields.as_slice() {
            ["VALUE", got, flags, len] | ["VALUE", got, flags, len, _] if *got == key => {
                (flags.parse::<u32>().ok(), len.parse::<u64>().ok())
            }
            _ if is_error_reply(line) => return Err(McError::Server(line.to_owned())),
            _ => return Err(McError::Protocol(format!("{line:?} in reply to get {key}"))),
        };
        let (Some(flags), Some(len)) = (flags, len) else {
            return Err(McError::Protocol(format!("{line:?}: bad flags or length")));
        };
        if len > MAX_VALUE_BYTES {
            return Err(McError::Protocol(format!(
                "a value of {len} bytes, above the {MAX_VALUE_BYTES}-byte limit"
            )));
        }
        // `take` + `read_to_end` grows the buffer as bytes arrive, so a length the
        // server merely claims allocates nothing.
        let mut data = Vec::new();
        (&mut self.stream)
            .take(len + 2)
            .read_to_end(&mut data)
            .map_err(McError::Io)?;
        match data.strip_suffix(b"\r\n") {
            Some(_) if data.len() as u64 == len + 2 => {
                data.truncate(data.len() - 2);
                Ok(Item { flags, data })
            }
            _ => Err(McError::Protocol(format!(
                "a value cut short or unterminated ({} of {len} bytes)",
                data.len()
            ))),
        }
    }
}

fn is_error_reply(line: &str) -> bool {
    line == "ERROR"
        || line == "NOT_STORED"
        || line.starts_with("SERVER_ERROR")
        || line.starts_with("CLIENT_ERROR")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A one-connection fake server that reads one request and answers `reply`.
    fn fake(reply: &'static [u8]) -> Connection {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0_u8; 512];
            let _ = socket.read(&mut request);
            let _ = socket.write_all(reply);
        });
        Connection::open(&address).unwrap()
    }

    #[test]
    fn get_reads_a_value_with_flags_and_cas() {
        let mut c = fake(b"VALUE k 2 3 99\r\na\r\n\r\nEND\r\n");
        assert_eq!(
            c.get("k").unwrap(),
            Some(Item {
                flags: 2,
                data: b"a\r\n".to_vec()
            })
        );
        assert_eq!(fake(b"END\r\n").get("k").unwrap(), None);
    }

    #[test]
    fn malformed_replies_are_protocol_errors() {
        for reply in [
            &b"VALUE other 0 1\r\nx\r\nEND\r\n"[..],
            b"VALUE k x 1\r\nx\r\nEND\r\n",
            b"VALUE k 0 5\r\nab",
            b"VALUE k 0 1\r\nxy\r\nEND\r\n",
            b"VALUE k 0 999999999999\r\n",
            b"VALUE k 0 1\r\nx\r\nVALUE",
            b"HELLO\r\n",
            b"END",
        ] {
            let err = fake(reply).get("k").unwrap_err();
            assert!(
                matches!(err, McError::Protocol(_) | McError::Io(_)),
                "{:?}: {err}",
                String::from_utf8_lossy(reply)
            );
            assert!(err.is_broken());
        }
    }

    #[test]
    fn error_replies_keep_the_connection() {
        let err = fake(b"SERVER_ERROR object too large for cache\r\n")
            .set("k", 0, 0, b"x")
            .unwrap_err();
        assert!(
            matches!(&err, McError::Server(m) if m.contains("too large")),
            "{err}"
        );
        assert!(!err.is_broken());
        assert!(fake(b"NOT_FOUND\r\n").delete("k").is_ok());
    }

    #[test]
    fn a_closed_port_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        assert!(matches!(
            Connection::open(&address),
            Err(McError::Connect(_))
        ));
    }
}

//! The image header and a cursor that reads numbers as the header says they are stored.
//!
//! `magic_check` in Storable.xs: one byte `(major << 1) | netorder`, the minor version,
//! then for a native image the byte-order string (`"12345678"` on x86_64) and the sizes
//! of `int`, `long`, `char *` and (from format 2.2) `NV`. Perl refuses a native image
//! whose byte order or sizes differ from its own; we read any byte order and either
//! integer size, and refuse only what we cannot decode.

use super::syntax;
use crate::Error;

/// The newest format whose item types this reader knows (Storable 3.32 knows 2.12).
const NEWEST_MINOR: u8 = 12;

/// How the image stores multi-byte numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    Little,
    Big,
}

/// A cursor over an image whose header has been read.
#[derive(Clone)]
pub(super) struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Lengths and integers are big-endian (`nfreeze`).
    netorder: bool,
    /// The byte order of native numbers.
    order: Order,
    /// `sizeof(IV)` of the writer: 4 or 8.
    iv_size: usize,
}

impl<'a> Input<'a> {
    /// Reads the header of an in-memory image (`freeze`/`nfreeze`, no file magic).
    pub(super) fn new(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.starts_with(b"pst0") {
            return Err(syntax(
                0,
                "a Storable file (`pst0` magic, written by store()), not a freeze() image",
            ));
        }
        let mut input = Input {
            bytes,
            pos: 0,
            netorder: false,
            // What a network-order image means by "native" on x86_64 (see `iv`).
            order: Order::Little,
            iv_size: 8,
        };
        let flags = input.byte("the format version")?;
        let (major, minor) = (flags >> 1, input.byte("the minor version")?);
        if major != 2 || minor > NEWEST_MINOR {
            return Err(syntax(
                0,
                format!(
                    "Storable binary image v{major}.{minor}: only v2.0 to v2.{NEWEST_MINOR} are read"
                ),
            ));
        }
        input.netorder = flags & 1 == 1;
        if !input.netorder {
            input.native_header(minor)?;
        }
        Ok(input)
    }

    /// The byte-order string and the type sizes of a native image.
    fn native_header(&mut self, minor: u8) -> Result<(), Error> {
        let at = self.pos;
        let len = self.byte("the length of the byte-order string")?;
        let order_string = self.take(usize::from(len), "the byte-order string")?;
        (self.order, self.iv_size) = match order_string {
            b"12345678" => (Order::Little, 8),
            b"87654321" => (Order::Big, 8),
            b"1234" => (Order::Little, 4),
            b"4321" => (Order::Big, 4),
            other => {
                let other = other.escape_ascii();
                return Err(syntax(
                    at,
                    format!(
                        "byte order \"{other}\" is not supported \
                         (only 32- and 64-bit, little- or big-endian)"
                    ),
                ));
            }
        };
        let at = self.pos;
        let int_size = self.byte("sizeof(int)")?;
        if int_size != 4 {
            return Err(syntax(
                at,
                format!("sizeof(int) {int_size} is not supported: lengths must be 4 bytes"),
            ));
        }
        self.byte("sizeof(long)")?;
        self.byte("sizeof(char *)")?;
        // Format 2.2 added the NV size; older images always used doubles.
        if minor >= 2 {
            let at = self.pos;
            let nv_size = self.byte("sizeof(NV)")?;
            if nv_size != 8 {
                return Err(syntax(
                    at,
                    format!(
                        "an NV of {nv_size} bytes (a long-double Perl) is not supported: only 8-byte doubles"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The offset of the next byte.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// A cursor at `pos` of the same image, to read an item there again.
    pub(super) fn at(&self, pos: usize) -> Self {
        Input {
            pos: pos.min(self.bytes.len()),
            ..self.clone()
        }
    }

    /// How many bytes are left.
    pub(super) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `len` bytes, or an error naming `what` if the image is shorter.
    #[inline]
    pub(super) fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], Error> {
        match self.bytes.get(self.pos..).and_then(|rest| rest.get(..len)) {
            Some(bytes) => {
                self.pos += len;
                Ok(bytes)
            }
            None => Err(self.short(len, what)),
        }
    }

    /// The error for `len` bytes named `what` that the image does not have.
    #[cold]
    fn short(&self, len: usize, what: &str) -> Error {
        syntax(
            self.pos,
            format!(
                "{what}: needs {len} bytes, but the image ends after {}",
                self.remaining()
            ),
        )
    }

    #[inline]
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Error> {
        match self
            .bytes
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
        {
            Some(&out) => {
                self.pos += N;
                Ok(out)
            }
            None => Err(self.short(N, what)),
        }
    }

    /// One byte.
    #[inline]
    pub(super) fn byte(&mut self, what: &str) -> Result<u8, Error> {
        match self.bytes.get(self.pos) {
            Some(&byte) => {
                self.pos += 1;
                Ok(byte)
            }
            None => Err(self.short(1, what)),
        }
    }

    /// A 4-byte length (`RLEN`): big-endian in network order, else native.
    #[inline]
    pub(super) fn len32(&mut self, what: &str) -> Result<usize, Error> {
        let b = self.array::<4>(what)?;
        let n = if self.netorder || self.order == Order::Big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        Ok(n as usize)
    }

    /// An 8-byte length of `SX_LOBJECT`: two big-endian halves in network order, else native.
    pub(super) fn len64(&mut self, what: &str) -> Result<u64, Error> {
        let b = self.array::<8>(what)?;
        Ok(if self.netorder || self.order == Order::Big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// A length stored in one byte, or, when that byte has bit 7 set, in the 4 bytes
    /// after it (class names and class indexes).
    pub(super) fn short_or_len32(&mut self, what: &str) -> Result<usize, Error> {
        let first = self.byte(what)?;
        if first & 0x80 == 0 {
            return Ok(usize::from(first));
        }
        self.len32(what)
    }

    /// A back-reference tag: always big-endian (`SX_OBJECT`).
    pub(super) fn tag(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array::<4>("a back-reference tag")?))
    }

    /// A big-endian 32-bit integer (`SX_NETINT`).
    pub(super) fn netint(&mut self) -> Result<i64, Error> {
        Ok(i64::from(i32::from_be_bytes(
            self.array::<4>("a network-order integer")?,
        )))
    }

    /// A native IV (`SX_INTEGER`). Perl never writes one in network order; if one is
    /// there, Perl reads its own native bytes, so we read what x86_64 Perl reads.
    pub(super) fn iv(&mut self) -> Result<i64, Error> {
        let what = "an integer";
        Ok(match (self.iv_size, self.order) {
            (4, Order::Little) => i64::from(i32::from_le_bytes(self.array::<4>(what)?)),
            (4, Order::Big) => i64::from(i32::from_be_bytes(self.array::<4>(what)?)),
            (_, Order::Little) => i64::from_le_bytes(self.array::<8>(what)?),
            (_, Order::Big) => i64::from_be_bytes(self.array::<8>(what)?),
        })
    }

    /// A native double (`SX_DOUBLE`); in network order, as x86_64 Perl reads it (see `iv`).
    pub(super) fn nv(&mut self) -> Result<f64, Error> {
        let b = self.array::<8>("a double")?;
        Ok(match self.order {
            Order::Little => f64::from_le_bytes(b),
            Order::Big => f64::from_be_bytes(b),
        })
    }
}

//! Items that hold no other items, read after their type byte, and the errors for
//! item types the reader refuses.

use super::input::Input;
use super::{key_flag, sx, syntax, unsupported};
use crate::string::{encode_lax, PerlString};
use crate::{Error, Value};

/// The contents of a scalar of type `op` that holds no other item, read after its
/// type byte; `None` if `op` is another type.
pub(super) fn plain_scalar(input: &mut Input, op: u8) -> Result<Option<Value>, Error> {
    Ok(Some(match op {
        sx::UNDEF | sx::SV_UNDEF | sx::SVUNDEF_ELEM => Value::Undef,
        // PL_sv_yes and PL_sv_no, and Perl 5.36 booleans: Storable writes a
        // copy of either as the string "1" or "".
        sx::SV_YES | sx::BOOLEAN_TRUE => Value::bytes("1"),
        sx::SV_NO | sx::BOOLEAN_FALSE => Value::bytes(""),
        sx::BYTE => Value::Int(i64::from(input.byte("a byte")?) - 128),
        sx::INTEGER => Value::Int(input.iv()?),
        sx::NETINT => Value::Int(input.netint()?),
        sx::DOUBLE => Value::Float(input.nv()?),
        sx::SCALAR | sx::UTF8STR => {
            let len = usize::from(input.byte("a string length")?);
            string(input, len, op == sx::UTF8STR)?
        }
        sx::LSCALAR | sx::LUTF8STR => {
            let len = input.len32("a string length")?;
            string(input, len, op == sx::LUTF8STR)?
        }
        _ => return Ok(None),
    }))
}

/// A string of `len` bytes, checked as UTF-8 when it has the flag.
pub(super) fn string(input: &mut Input, len: usize, is_utf8: bool) -> Result<Value, Error> {
    let at = input.pos();
    let bytes = input.take(len, "a string")?;
    Ok(Value::Str(if is_utf8 {
        utf8(bytes, at)?
    } else {
        PerlString::from(bytes)
    }))
}

/// The key after a hash value; `None` for a restricted hash's placeholder.
pub(super) fn hash_key(input: &mut Input, flagged: bool) -> Result<Option<PerlString>, Error> {
    let at = input.pos();
    let flags = if flagged {
        input.byte("hash key flags")?
    } else {
        0
    };
    if flags & key_flag::ISSV != 0 {
        return Err(syntax(
            at,
            "a hash key stored as an item (flag 0x08) is not supported",
        ));
    }
    let len = input.len32("a hash key length")?;
    let bytes = input.take(len, "a hash key")?;
    if flags & key_flag::PLACEHOLDER != 0 {
        return Ok(None);
    }
    Ok(Some(if flags & key_flag::UTF8 != 0 {
        utf8(bytes, at)?
    } else if flags & key_flag::WASUTF8 != 0 {
        // Perl gives such a key back as a character string (spec §7.6).
        let mut upgraded = Vec::with_capacity(bytes.len() * 2);
        bytes
            .iter()
            .for_each(|&b| encode_lax(u32::from(b), &mut upgraded));
        utf8(&upgraded, at)?
    } else {
        PerlString::from(bytes)
    }))
}

/// Perl's internal UTF-8 from the image, checked.
fn utf8(bytes: &[u8], at: usize) -> Result<PerlString, Error> {
    PerlString::from_utf8_internal_slice(bytes).map_err(|e| {
        syntax(
            at + e.offset,
            "malformed UTF-8 in a character string or key",
        )
    })
}

/// The error for an item type this reader does not build, naming it and where it is.
pub(super) fn refused(op: u8, at: usize, input: &mut Input) -> Error {
    let name = sx::name(op);
    match op {
        sx::CODE => unsupported(format!(
            "at byte {at}: a code reference ({name}): stored code is never evaluated"
        )),
        sx::TIED_ARRAY | sx::TIED_HASH | sx::TIED_SCALAR | sx::TIED_KEY | sx::TIED_IDX => {
            unsupported(format!(
                "at byte {at}: tied data ({name}, 0x{op:02x}) is not supported"
            ))
        }
        sx::HOOK => unsupported(format!(
            "at byte {at}: an object{} stored by its class's STORABLE_freeze hook \
             ({name}) is not supported",
            hook_class(input).map_or(String::new(), |c| format!(" of class {c:?}"))
        )),
        _ => syntax(at, format!("unknown item type 0x{op:02x}")),
    }
}

/// The class of an `SX_HOOK` item, when it is named right after the hook's flags
/// (`retrieve_hook_common`); `None` when the hook's items come first or it is indexed.
fn hook_class(input: &mut Input) -> Option<String> {
    const TYPE_MASK: u8 = 0x03;
    const EXTRA: u8 = 0x03;
    const LARGE_CLASSLEN: u8 = 0x04;
    const IDX_CLASSNAME: u8 = 0x20;
    const NEED_RECURSE: u8 = 0x40;
    let flags = input.byte("").ok()?;
    if flags & (NEED_RECURSE | IDX_CLASSNAME) != 0 {
        return None;
    }
    if flags & TYPE_MASK == EXTRA {
        input.byte("").ok()?;
    }
    let len = if flags & LARGE_CLASSLEN != 0 {
        input.len32("").ok()?
    } else {
        usize::from(input.byte("").ok()?)
    };
    Some(input.take(len, "").ok()?.escape_ascii().to_string())
}

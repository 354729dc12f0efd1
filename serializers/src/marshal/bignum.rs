//! Bignums (`l`): a little-endian magnitude in 16-bit words, and the decimal digits
//! `Ruby::Integer` keeps for one beyond i64.

/// Ten to the ninth: nine decimal digits per step of the conversions.
const BILLION: u64 = 1_000_000_000;

/// The integer of a sign and a little-endian magnitude: `Ok` when it fits an i64,
/// else `Err` with its decimal text (`-` and digits, no leading zeros).
pub(super) fn from_magnitude(negative: bool, magnitude: &[u8]) -> Result<i64, String> {
    let significant = magnitude
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    let magnitude = &magnitude[..significant];
    if magnitude.len() <= 8 {
        let mut le = [0u8; 8];
        le[..magnitude.len()].copy_from_slice(magnitude);
        let n = u64::from_le_bytes(le);
        let fits = if negative {
            n <= i64::MIN.unsigned_abs()
        } else {
            n <= i64::MAX as u64
        };
        if fits {
            // Two's complement: -(n) for n up to 2^63 is exactly `0 - n` wrapped.
            return Ok(if negative {
                0i64.wrapping_sub_unsigned(n)
            } else {
                n as i64
            });
        }
    }
    Err(decimal(negative, magnitude))
}

/// The decimal text of a magnitude of more than 64 bits.
fn decimal(negative: bool, magnitude: &[u8]) -> String {
    let mut limbs: Vec<u32> = magnitude
        .chunks(4)
        .map(|chunk| {
            let mut le = [0u8; 4];
            le[..chunk.len()].copy_from_slice(chunk);
            u32::from_le_bytes(le)
        })
        .collect();
    let mut groups = Vec::new(); // base 10^9, least significant first
    while !limbs.is_empty() {
        let mut rest = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rest << 32) | u64::from(*limb);
            *limb = (cur / BILLION) as u32;
            rest = cur % BILLION;
        }
        groups.push(rest as u32);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut text = String::from(if negative { "-" } else { "" });
    let mut groups = groups.iter().rev();
    if let Some(first) = groups.next() {
        text.push_str(&first.to_string());
    }
    for group in groups {
        text.push_str(&format!("{group:09}"));
    }
    text
}

/// The sign and little-endian magnitude of decimal `text` (`-`? digits), or why it is
/// not one. The magnitude has no trailing zero bytes.
pub(super) fn magnitude_of(text: &[u8]) -> Result<(bool, Vec<u8>), &'static str> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err("is not an optional `-` and decimal digits");
    }
    let mut limbs: Vec<u32> = Vec::new();
    for chunk in digits.chunks(9) {
        let scale = 10u64.pow(chunk.len() as u32);
        let mut carry = chunk.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        for limb in limbs.iter_mut() {
            let cur = u64::from(*limb) * scale + carry;
            *limb = cur as u32;
            carry = cur >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    Ok((negative, bytes))
}

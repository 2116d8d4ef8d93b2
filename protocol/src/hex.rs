//! Hex as the project writes it: `0x` and lower-case digits (hashes, offchain storage keys and
//! values over RPC).

use alloc::{string::String, vec::Vec};

/// `0x`-prefixed lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
	const DIGITS: &[u8; 16] = b"0123456789abcdef";
	let mut out = String::with_capacity(2 + 2 * bytes.len());
	out.push_str("0x");
	for byte in bytes {
		out.push(char::from(DIGITS[usize::from(byte >> 4)]));
		out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
	}
	out
}

/// Bytes from hex, with or without `0x`; `None` if it is not hex of whole bytes.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
	let digits = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")).unwrap_or(text);
	if !digits.len().is_multiple_of(2) || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
		return None;
	}
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
		.collect()
}

/// A 32-byte hash from hex, with or without `0x`.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
	from_hex(text)?.try_into().ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn round_trips() {
		assert_eq!(to_hex(&[0x00, 0xab, 0x7f]), "0x00ab7f");
		assert_eq!(from_hex("0x00ab7f"), Some(vec![0x00, 0xab, 0x7f]));
		assert_eq!(from_hex("00AB7F"), Some(vec![0x00, 0xab, 0x7f]));
		assert_eq!(from_hex("0x0"), None);
		assert_eq!(from_hex("0xzz"), None);
		assert_eq!(from_hex("0xé1"), None);
		assert_eq!(parse_hash(&to_hex(&[7; 32])), Some([7; 32]));
		assert_eq!(parse_hash("0x07"), None);
		assert_eq!(from_hex("+a"), None);
	}
}

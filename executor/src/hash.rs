//! Model identity: the hashes a model registry entry records and an executor checks.

use std::{fs, io, path::Path};

use blake2::{digest::consts::U32, Blake2b, Digest};

/// BLAKE2-256 (BLAKE2b with a 32-byte output), as Substrate's `blake2_256`.
pub fn blake2_256(data: &[u8]) -> [u8; 32] {
	Blake2b::<U32>::digest(data).into()
}

/// The weights hash of the model in `dir`: BLAKE2-256 over, for each `*.safetensors` file in
/// sorted name order, the file's name ++ the BLAKE2-256 of its bytes.
pub fn weights_hash(dir: &Path) -> io::Result<[u8; 32]> {
	let files = safetensors_files(dir)?;
	if files.is_empty() {
		return Err(io::Error::new(
			io::ErrorKind::NotFound,
			format!("no *.safetensors file in {}", dir.display()),
		));
	}
	let mut all = Vec::new();
	for name in files {
		all.extend_from_slice(name.as_bytes());
		all.extend_from_slice(&blake2_256(&fs::read(dir.join(&name))?));
	}
	Ok(blake2_256(&all))
}

/// The tokenizer hash of the model in `dir`: BLAKE2-256 of its `tokenizer.json`.
pub fn tokenizer_hash(dir: &Path) -> io::Result<[u8; 32]> {
	Ok(blake2_256(&fs::read(dir.join("tokenizer.json"))?))
}

/// The `*.safetensors` file names in `dir`, sorted.
pub fn safetensors_files(dir: &Path) -> io::Result<Vec<String>> {
	let mut names = Vec::new();
	for entry in fs::read_dir(dir)? {
		let entry = entry?;
		let name = entry.file_name().to_string_lossy().into_owned();
		if name.ends_with(".safetensors") && entry.file_type()?.is_file() {
			names.push(name);
		}
	}
	names.sort();
	Ok(names)
}

pub use daya_protocol::hex::{parse_hash, to_hex};

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn hex_round_trip() {
		let h = blake2_256(b"daya");
		assert_eq!(parse_hash(&to_hex(&h)), Some(h));
		assert_eq!(parse_hash(&to_hex(&h).to_uppercase().replace("0X", "0x")), Some(h));
		assert_eq!(parse_hash("0x12"), None);
		assert_eq!(parse_hash(&"zz".repeat(32)), None);
	}

	#[test]
	fn blake2_matches_substrate() {
		// blake2_256(b"") as sp_core computes it.
		assert_eq!(
			to_hex(&blake2_256(b"")),
			"0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
	}
}

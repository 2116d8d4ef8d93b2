//! Model spec files: what `daya council propose register|update` and `daya referendum propose
//! register|update` read.
//!
//! A JSON file with the fields of the registry's `ModelSpec` (and, to register, the model's
//! name and price). Hashes are `0x` and 64 hex digits; the price is in DAYA; `validation` is
//! the model's validation policy (integers measured from honest noise, see
//! `docs/verification.md`). `daya-executor spec --model PATH` prints the hashes of a model.
//!
//! ```json
//! {
//!   "name": "llama-3.1-8b-instruct",
//!   "price_per_token": "0.00001",
//!   "version": 1,
//!   "weights_hash": "0x...",
//!   "tokenizer_hash": "0x...",
//!   "source": "hf:meta-llama/Llama-3.1-8B-Instruct",
//!   "engine": "llama",
//!   "context_length": 8192,
//!   "max_output_tokens": 2048,
//!   "max_token_bytes": 128,
//!   "min_vram_mib": 16384,
//!   "compute_units_per_token": 8,
//!   "validation": {
//!     "conclusive_margin_micro": 100000,
//!     "near_ties_base": 2,
//!     "near_ties_per_kilo": 4,
//!     "fingerprint_tolerance_ppm": 2000
//!   }
//! }
//! ```

use crate::{
	client::parse_hash,
	error::{fail, Failure},
	units::parse_amount,
};
use serde::Deserialize;
use std::path::Path;
use subxt::dynamic::Value;

/// A spec file as written.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
	/// The model's unique name (registration only).
	pub name: Option<String>,
	/// Price per token in DAYA (registration only).
	pub price_per_token: Option<String>,
	pub version: u32,
	pub weights_hash: String,
	pub tokenizer_hash: String,
	pub source: String,
	pub engine: String,
	pub context_length: u32,
	pub max_output_tokens: u32,
	/// The most bytes one output token adds to a text (`daya-executor spec` measures it).
	pub max_token_bytes: u32,
	pub min_vram_mib: u32,
	pub compute_units_per_token: u32,
	pub validation: PolicyFile,
}

/// A model's validation policy as written.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
	pub conclusive_margin_micro: u32,
	pub near_ties_base: u32,
	pub near_ties_per_kilo: u32,
	pub fingerprint_tolerance_ppm: u32,
}

impl SpecFile {
	/// Reads and checks a spec file.
	pub fn read(path: &Path) -> Result<Self, Failure> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| Failure(format!("cannot read the spec file {}: {e}", path.display())))?;
		let spec: SpecFile = serde_json::from_str(&text)
			.map_err(|e| Failure(format!("invalid spec file {}: {e}", path.display())))?;
		if spec.max_token_bytes == 0 {
			return fail("invalid spec file: max_token_bytes must not be 0");
		}
		if spec.validation.conclusive_margin_micro == 0 {
			return fail("invalid spec file: validation.conclusive_margin_micro must not be 0");
		}
		if spec.validation.fingerprint_tolerance_ppm == 0 {
			return fail("invalid spec file: validation.fingerprint_tolerance_ppm must not be 0");
		}
		Ok(spec)
	}

	/// The registry's `ModelSpec`, as a value for the node's metadata.
	pub fn spec_value(&self) -> Result<Value, Failure> {
		let weights = parse_hash(&self.weights_hash)
			.map_err(|e| Failure(format!("weights_hash: {}", e.0)))?;
		let tokenizer = parse_hash(&self.tokenizer_hash)
			.map_err(|e| Failure(format!("tokenizer_hash: {}", e.0)))?;
		Ok(Value::named_composite([
			("version", Value::u128(self.version.into())),
			("weights_hash", Value::from_bytes(weights)),
			("tokenizer_hash", Value::from_bytes(tokenizer)),
			("source", Value::from_bytes(self.source.as_bytes())),
			("engine", Value::from_bytes(self.engine.as_bytes())),
			("context_length", Value::u128(self.context_length.into())),
			("max_output_tokens", Value::u128(self.max_output_tokens.into())),
			("max_token_bytes", Value::u128(self.max_token_bytes.into())),
			("min_vram_mib", Value::u128(self.min_vram_mib.into())),
			("compute_units_per_token", Value::u128(self.compute_units_per_token.into())),
			(
				"validation",
				Value::named_composite([
					(
						"conclusive_margin_micro",
						Value::u128(self.validation.conclusive_margin_micro.into()),
					),
					("near_ties_base", Value::u128(self.validation.near_ties_base.into())),
					("near_ties_per_kilo", Value::u128(self.validation.near_ties_per_kilo.into())),
					(
						"fingerprint_tolerance_ppm",
						Value::u128(self.validation.fingerprint_tolerance_ppm.into()),
					),
				]),
			),
		]))
	}

	/// The registry's `ModelParams` (name, price and spec), for a registration.
	pub fn params_value(&self) -> Result<Value, Failure> {
		let Some(name) = &self.name else {
			return fail("invalid spec file: registering a model needs its \"name\"");
		};
		let Some(price) = &self.price_per_token else {
			return fail("invalid spec file: registering a model needs its \"price_per_token\"");
		};
		Ok(Value::named_composite([
			("name", Value::from_bytes(name.as_bytes())),
			("price_per_token", Value::u128(parse_amount(price)?)),
			("spec", self.spec_value()?),
		]))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn write(text: &str) -> std::path::PathBuf {
		let path = std::env::temp_dir().join(format!(
			"daya-spec-{}-{}.json",
			std::process::id(),
			text.len()
		));
		std::fs::write(&path, text).unwrap();
		path
	}

	const SPEC: &str = r#"{"name":"m","price_per_token":"0.000002","version":1,
		"weights_hash":"0x0101010101010101010101010101010101010101010101010101010101010101",
		"tokenizer_hash":"0x0202020202020202020202020202020202020202020202020202020202020202",
		"source":"hf:x","engine":"llama","context_length":4096,"max_output_tokens":512,
		"max_token_bytes":64,"min_vram_mib":8192,"compute_units_per_token":2,"validation":{"conclusive_margin_micro":100000,
		"near_ties_base":2,"near_ties_per_kilo":4,"fingerprint_tolerance_ppm":2000}}"#;

	#[test]
	fn a_spec_file_reads() {
		let spec = SpecFile::read(&write(SPEC)).unwrap();
		assert_eq!(spec.name.as_deref(), Some("m"));
		assert!(spec.params_value().is_ok());
	}

	#[test]
	fn bad_spec_files_get_named_errors() {
		let missing = SpecFile::read(Path::new("/nonexistent/spec.json")).unwrap_err().0;
		assert!(missing.starts_with("cannot read the spec file"), "{missing}");
		let unknown =
			SpecFile::read(&write(&SPEC.replace("\"engine\"", "\"engin\""))).unwrap_err().0;
		assert!(unknown.contains("unknown field `engin`"), "{unknown}");
		let hash = SpecFile::read(&write(&SPEC.replace("0x0101", "0x01")))
			.unwrap()
			.spec_value()
			.unwrap_err()
			.0;
		assert!(hash.starts_with("weights_hash: invalid hash"), "{hash}");
		let zero = SpecFile::read(&write(&SPEC.replace(":100000,", ":0,"))).unwrap_err().0;
		assert!(zero.contains("conclusive_margin_micro must not be 0"), "{zero}");
		let unnamed = SpecFile::read(&write(&SPEC.replace(r#""name":"m","#, "")))
			.unwrap()
			.params_value()
			.unwrap_err()
			.0;
		assert!(unnamed.contains("needs its \"name\""), "{unnamed}");
	}
}

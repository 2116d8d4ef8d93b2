//! What referenda and council motions propose: registry changes (`Models.<call>`) and, for
//! referenda only, runtime upgrades (`System.authorize_upgrade`).

use crate::{
	client::{Client, ModelRef, Proposal, Track},
	error::Failure,
	spec::SpecFile,
	units::parse_amount,
};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use subxt::dynamic::Value;

/// What `referendum propose` and `council propose` propose.
#[derive(Subcommand, Debug)]
pub enum ProposeCommand {
	/// Register a new model from a spec file (JSON: name, price_per_token, version,
	/// weights_hash, tokenizer_hash, source, engine, context_length, max_output_tokens,
	/// max_token_bytes, min_vram_mib, compute_units_per_token, and validation with
	/// conclusive_margin_micro, near_ties_base, near_ties_per_kilo, fingerprint_tolerance_ppm).
	Register {
		/// The spec file.
		#[arg(long, value_name = "FILE")]
		spec: PathBuf,
	},
	/// Replace a model's spec with a new version from a spec file (as for `register`, without
	/// name and price; the version must be above the current one).
	Update {
		/// The model, by name or id.
		model: String,
		/// The spec file.
		#[arg(long, value_name = "FILE")]
		spec: PathBuf,
	},
	/// Set a model's price per token.
	Price {
		/// The model, by name or id.
		model: String,
		/// The new price per token, in DAYA.
		#[arg(long, value_name = "DAYA")]
		price: String,
	},
	/// Deprecate a model: it keeps its hosts and jobs, but no new host may serve it.
	Deprecate {
		/// The model, by name or id.
		model: String,
	},
	/// Retire a model: no new jobs and no new hosts. Final.
	Retire {
		/// The model, by name or id.
		model: String,
	},
	/// Authorize a runtime upgrade to a WASM blob (`System.authorize_upgrade` with its hash, on
	/// the root track; referenda only, never the council). Once enacted, anyone applies it with
	/// `daya runtime upgrade --wasm` and the same blob.
	Upgrade {
		/// The new runtime's WASM blob, as built or compressed.
		#[arg(long, value_name = "FILE")]
		wasm: PathBuf,
	},
}

/// The call a proposal asks for: `Models.<call>` and its fields on the model-registry track,
/// or `System.authorize_upgrade` on the root track.
pub async fn proposal_call(
	client: &Client,
	proposal: &ProposeCommand,
) -> Result<Proposal, Failure> {
	if let ProposeCommand::Upgrade { wasm } = proposal {
		use subxt::config::{substrate::BlakeTwo256, Hasher};
		let code = read_runtime_blob(wasm)?;
		return Ok(Proposal {
			pallet: "System",
			call: "authorize_upgrade",
			fields: vec![("code_hash", Value::from_bytes(BlakeTwo256.hash(&code).0))],
			track: Track::Root,
		});
	}
	let (call, fields) = registry_change(client, proposal).await?;
	Ok(Proposal { pallet: "Models", call, fields, track: Track::ModelRegistry })
}

/// A runtime's WASM blob from a file, as built (`\0asm`) or compressed as chain specs carry it.
pub fn read_runtime_blob(path: &Path) -> Result<Vec<u8>, Failure> {
	/// The prefix of a zstd-compressed runtime blob (`sp-maybe-compressed-blob`).
	const COMPRESSED: [u8; 8] = [82, 188, 83, 118, 70, 219, 142, 5];
	let code = std::fs::read(path)
		.map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
	if !code.starts_with(b"\0asm") && !code.starts_with(&COMPRESSED) {
		return Err(Failure(format!(
			"{} is not a runtime WASM blob (neither `\\0asm` nor a compressed blob)",
			path.display()
		)));
	}
	Ok(code)
}

/// The registry call a proposal asks for: `Models.<call>` and its fields.
pub async fn registry_change(
	client: &Client,
	proposal: &ProposeCommand,
) -> Result<(&'static str, Vec<(&'static str, Value)>), Failure> {
	let model_id = |model: &str| {
		let model = ModelRef::parse(model);
		async move { Ok::<_, Failure>(Value::u128(client.model(&model).await?.0.into())) }
	};
	Ok(match proposal {
		ProposeCommand::Register { spec } => {
			let params = SpecFile::read(spec)?.params_value()?;
			("register_model", vec![("params", params)])
		},
		ProposeCommand::Update { model, spec } => {
			let spec = SpecFile::read(spec)?.spec_value()?;
			("update_model", vec![("model", model_id(model).await?), ("spec", spec)])
		},
		ProposeCommand::Price { model, price } => (
			"set_price",
			vec![
				("model", model_id(model).await?),
				("price_per_token", Value::u128(parse_amount(price)?)),
			],
		),
		ProposeCommand::Deprecate { model } => {
			("deprecate_model", vec![("model", model_id(model).await?)])
		},
		ProposeCommand::Retire { model } => {
			("retire_model", vec![("model", model_id(model).await?)])
		},
		ProposeCommand::Upgrade { .. } => {
			return Err(Failure(
				"the council cannot authorize a runtime upgrade: it needs root, a referendum's \
				 (`daya referendum propose upgrade`)"
					.into(),
			))
		},
	})
}

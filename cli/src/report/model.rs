//! Reports of the model registry: `model list` and `model show`.

use super::text;
use crate::{client::ModelView, units::Amount};
use daya_primitives::ModelStatus;
use daya_protocol::hex::to_hex;
use serde::Serialize;
use std::fmt;

/// How the CLI names a model's status.
fn status_name(status: ModelStatus) -> &'static str {
	match status {
		ModelStatus::Active => "active",
		ModelStatus::Deprecated => "deprecated",
		ModelStatus::Retired => "retired",
	}
}

/// A registered model (`model show`; in JSON, each of `model list`'s too).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
	/// Its id.
	pub id: u32,
	/// Its unique name.
	pub name: String,
	/// Its spec's version.
	pub version: u32,
	/// `active`, `deprecated` or `retired`.
	pub status: &'static str,
	/// Its price per token.
	pub price_per_token: Amount,
	/// Its context length, in tokens.
	pub context_length: u32,
	/// The most tokens a job may generate.
	pub max_output_tokens: u32,
	/// The VRAM a host needs to serve it, in MiB.
	pub min_vram_mib: u32,
	/// The compute units a token costs a host.
	pub compute_units_per_token: u32,
	/// The most bytes one output token adds to a text.
	pub max_token_bytes: u32,
	/// Its validation policy.
	pub validation: Validation,
	/// The hash of its weights (`0x...`).
	pub weights_hash: String,
	/// Where its weights come from.
	pub source: String,
}

/// A model's validation policy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
	/// The margin, in micro-nats, beyond which one token is conclusive of fraud.
	pub conclusive_margin_micro: u32,
	/// The near ties any result may have.
	pub near_ties_base: u32,
	/// The near ties a result may have per 1000 tokens, beyond the base.
	pub near_ties_per_kilo: u32,
	/// The largest honest fingerprint deviation, in parts per million.
	pub fingerprint_tolerance_ppm: u32,
}

impl Model {
	/// The report of model `id`.
	pub fn new(id: u32, model: &ModelView) -> Self {
		let policy = &model.validation;
		Model {
			id,
			name: text(&model.name),
			version: model.version,
			status: status_name(model.status),
			price_per_token: Amount(model.price_per_token),
			context_length: model.context_length,
			max_output_tokens: model.max_output_tokens,
			min_vram_mib: model.min_vram_mib,
			compute_units_per_token: model.compute_units_per_token,
			max_token_bytes: model.max_token_bytes,
			validation: Validation {
				conclusive_margin_micro: policy.conclusive_margin_micro,
				near_ties_base: policy.near_ties_base,
				near_ties_per_kilo: policy.near_ties_per_kilo,
				fingerprint_tolerance_ppm: policy.fingerprint_tolerance_ppm,
			},
			weights_hash: to_hex(&model.weights_hash),
			source: text(&model.source),
		}
	}
}

impl fmt::Display for Model {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"model {}: {} (version {}, {})",
			self.id, self.name, self.version, self.status
		)?;
		writeln!(f, "  price per token      {}", self.price_per_token)?;
		writeln!(f, "  context length       {} tokens", self.context_length)?;
		writeln!(f, "  max output tokens    {}", self.max_output_tokens)?;
		writeln!(f, "  max bytes per token  {}", self.max_token_bytes)?;
		writeln!(f, "  min VRAM             {} MiB", self.min_vram_mib)?;
		writeln!(f, "  compute units/token  {}", self.compute_units_per_token)?;
		let v = &self.validation;
		writeln!(
			f,
			"  validation           a token beyond {} micro-nats is fraud; near ties allowed {} + {} \
			 per 1000 tokens; fingerprints within {} ppm",
			v.conclusive_margin_micro,
			v.near_ties_base,
			v.near_ties_per_kilo,
			v.fingerprint_tolerance_ppm
		)?;
		writeln!(f, "  weights hash         {}", self.weights_hash)?;
		writeln!(f, "  source               {}", self.source)
	}
}

/// Every registered model (`model list`): a table in text, an array in JSON.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct Models(pub Vec<Model>);

impl Models {
	/// The report of the registered models.
	pub fn new(models: &[(u32, ModelView)]) -> Self {
		Models(models.iter().map(|(id, model)| Model::new(*id, model)).collect())
	}
}

impl fmt::Display for Models {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		writeln!(
			f,
			"{:>4}  {:<32} {:>8}  {:<10}  {:>22}",
			"ID", "NAME", "VERSION", "STATUS", "PRICE PER TOKEN"
		)?;
		for model in &self.0 {
			writeln!(
				f,
				"{:>4}  {:<32} {:>8}  {:<10}  {:>22}",
				model.id,
				model.name,
				model.version,
				model.status,
				model.price_per_token.to_string()
			)?;
		}
		Ok(())
	}
}

//! What each command does, one file per command group: its arguments (clap) and its `run`,
//! which returns the command's report and prints nothing (`job submit --wait` aside, whose
//! progress goes to standard error while it waits).

pub mod collator;
pub mod council;
pub mod emission;
pub mod governance;
pub mod host;
pub mod job;
pub mod load;
pub mod model;
pub mod poc;
pub mod referendum;
pub mod rewards;
pub mod runtime;

use crate::{
	client::{self, Client},
	error::Failure,
};
use subxt_signer::sr25519::Keypair;

/// What every command runs with.
pub struct Context {
	/// The connection to the node.
	pub client: Client,
	/// The signing key's secret URI (`--suri` or `--suri-file`), if given.
	pub suri: Option<String>,
	/// Whether `--json` was given.
	pub json: bool,
}

impl Context {
	/// The signing key, for a command that sends a transaction.
	pub fn signer(&self) -> Result<Keypair, Failure> {
		client::signer(self.suri())
	}

	/// The signing key's secret URI, if given.
	pub fn suri(&self) -> Option<&str> {
		self.suri.as_deref()
	}
}

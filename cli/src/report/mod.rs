//! What `daya` prints: one report per command, as text for people (its `Display`) or as JSON
//! for programs (`--json`, its `Serialize`).
//!
//! A report's text is whole lines, each ending in a newline; a report with nothing to say in
//! text (a job that ended without output) is empty. JSON goes through a `serde_json::Value`
//! and is printed pretty, as one document.

mod governance;
mod host;
mod job;
mod model;
mod rewards;

pub use governance::{
	Closed, Motion, Referenda, Referendum, ReferendumSubmitted, ReferendumVoted, RuntimeVersion,
	UpgradeApplied, Voted,
};
pub use host::{Collator, Executor, Host, KeyInserted, Left, PocWindow};
pub use job::{progress, Batch, Cancelled, Finished, JobStatus, Outcome, Output, Quote, Submitted};
pub use model::{Model, Models};
pub use rewards::{Claimed, Pending, Schedule};

use serde::Serialize;
use std::fmt;

/// Declares [`Report`] with one variant per kind of report, its text (each variant's own), and
/// a conversion from each kind.
macro_rules! reports {
	($($(#[$doc:meta])* $variant:ident($kind:ty),)*) => {
		/// What a command prints: one of the kinds of report. In JSON each is its own object (or
		/// array, or `null`), without a tag.
		#[derive(Debug, Serialize)]
		#[serde(untagged)]
		pub enum Report {
			$($(#[$doc])* $variant($kind),)*
		}

		impl fmt::Display for Report {
			fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
				match self {
					$(Report::$variant(report) => fmt::Display::fmt(report, f),)*
				}
			}
		}

		$(impl From<$kind> for Report {
			fn from(report: $kind) -> Self {
				Report::$variant(report)
			}
		})*
	};
}

reports! {
	/// `quote`.
	Quote(Quote),
	/// `job submit` without `--wait`.
	Submitted(Submitted),
	/// `job batch`.
	Batch(Batch),
	/// `job submit --wait`.
	Finished(Finished),
	/// `job status` of an open job.
	JobStatus(JobStatus),
	/// `job status` of an ended job.
	Outcome(Outcome),
	/// `job output`.
	Output(Output),
	/// `job cancel`.
	Cancelled(Cancelled),
	/// `model list`.
	Models(Models),
	/// `model show`.
	Model(Model),
	/// `host status`, and `host register`, `update` and the like after the change.
	Host(Host),
	/// A host change after which the host left the registry.
	Left(Left),
	/// `host set-executor`.
	Executor(Executor),
	/// `host insert-key`.
	KeyInserted(KeyInserted),
	/// `collator status`.
	Collator(Collator),
	/// `poc window`.
	PocWindow(PocWindow),
	/// `rewards pending`.
	Pending(Pending),
	/// `rewards claim`.
	Claimed(Claimed),
	/// `emission schedule`.
	Schedule(Schedule),
	/// `council propose`.
	Motion(Motion),
	/// `council vote`.
	Voted(Voted),
	/// `council close`.
	Closed(Closed),
	/// `referendum propose`.
	ReferendumSubmitted(ReferendumSubmitted),
	/// `referendum vote`.
	ReferendumVoted(ReferendumVoted),
	/// `referendum list`.
	Referenda(Referenda),
	/// `referendum show`.
	Referendum(Referendum),
	/// `runtime version`.
	RuntimeVersion(RuntimeVersion),
	/// `runtime upgrade`.
	UpgradeApplied(UpgradeApplied),
	/// `load`.
	Load(crate::load::LoadReport),
}

impl Report {
	/// Prints the report: with `json`, as JSON on standard output; otherwise its text on
	/// standard output, and for a job waited for, its summary line on standard error.
	pub fn print(&self, json: bool) {
		if json {
			return print_json(self);
		}
		print!("{self}");
		if let Report::Finished(finished) = self {
			eprintln!("{}", finished.summary());
		}
	}
}

/// Prints `value` as JSON on standard output: pretty, through a `serde_json::Value`.
pub fn print_json(value: &impl Serialize) {
	let text = serde_json::to_value(value).and_then(|value| serde_json::to_string_pretty(&value));
	println!("{}", text.unwrap_or_default());
}

/// Bytes from the chain (a name, an output) as text; invalid UTF-8 replaced.
fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// An optional account (an executor not drawn yet) as text: SS58, or `none`.
fn maybe_account(who: &Option<String>) -> &str {
	who.as_deref().unwrap_or("none")
}

/// Test helpers for reports.
#[cfg(test)]
mod testing {
	/// A report's JSON, as `--json` prints it (before formatting).
	pub fn json_of(report: &impl serde::Serialize) -> serde_json::Value {
		serde_json::to_value(report).expect("a report serializes")
	}
}

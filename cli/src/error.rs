//! The errors `daya` reports: one line on standard error for people, and with `--json` also an
//! object on standard output for programs.

use serde::Serialize;

/// An error for the user: printed as one line (its message's first).
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
	fn from(error: E) -> Self {
		Failure(error.to_string())
	}
}

impl Failure {
	/// The line printed for this error: its message's first line.
	pub fn line(&self) -> &str {
		self.0.lines().next().unwrap_or("unknown error")
	}

	/// This error as `--json` prints it: `{"error": "<its line>"}`.
	pub fn report(&self) -> ErrorReport<'_> {
		ErrorReport { error: self.line() }
	}
}

/// Fails with a message.
pub fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
	Err(Failure(message.into()))
}

/// An error as `--json` prints it on standard output.
#[derive(Debug, Serialize)]
pub struct ErrorReport<'a> {
	/// The error's one line, as standard error shows it after `error: `.
	pub error: &'a str,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn an_error_is_its_first_line_in_text_and_json() {
		let failure =
			Failure("cannot connect to ws://127.0.0.1:1: refused\ncaused by: more".into());
		assert_eq!(failure.line(), "cannot connect to ws://127.0.0.1:1: refused");
		assert_eq!(
			serde_json::to_value(failure.report()).unwrap(),
			serde_json::json!({ "error": "cannot connect to ws://127.0.0.1:1: refused" })
		);
		assert_eq!(
			serde_json::to_string(&Failure("one \"line\"".into()).report()).unwrap(),
			r#"{"error":"one \"line\""}"#
		);
		assert_eq!(Failure(String::new()).line(), "unknown error");
	}
}

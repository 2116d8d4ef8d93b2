//! The secrets `daya` reads from files: the signing key (`--suri-file`) and a host executor's
//! API key (`host set-executor --api-key-file`).

use crate::error::{fail, Failure};
use std::path::Path;

/// The signing key's secret URI: `--suri` (or `DAYA_SURI`), or the first line of
/// `--suri-file` (or `DAYA_SURI_FILE`), which must be readable by its owner only.
pub fn secret_uri(suri: Option<String>, file: Option<&Path>) -> Result<Option<String>, Failure> {
	let Some(path) = file else { return Ok(suri) };
	let shown = path.display();
	let metadata = std::fs::metadata(path)
		.map_err(|error| Failure(format!("cannot read the key file {shown}: {error}")))?;
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = metadata.permissions().mode();
		if mode & 0o077 != 0 {
			return Err(Failure(format!(
				"the key file {shown} is readable by other users (mode {:o}): chmod 600 it",
				mode & 0o777
			)));
		}
	}
	let text = std::fs::read_to_string(path)
		.map_err(|error| Failure(format!("cannot read the key file {shown}: {error}")))?;
	match text.lines().next().map(str::trim).filter(|line| !line.is_empty()) {
		Some(line) => Ok(Some(line.to_string())),
		None => Err(Failure(format!("the key file {shown} is empty"))),
	}
}

/// The API key in `path`: its one line, surrounding whitespace dropped, checked.
pub fn read_api_key(path: &Path) -> Result<String, Failure> {
	let text = std::fs::read_to_string(path)
		.map_err(|e| Failure(format!("--api-key-file: cannot read {}: {e}", path.display())))?;
	let key = text.trim();
	match daya_protocol::settings::api_key_problem(key) {
		Some(problem) => fail(format!("--api-key-file {}: {problem}", path.display())),
		None => Ok(key.to_string()),
	}
}

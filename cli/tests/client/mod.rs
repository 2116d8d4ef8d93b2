//! Running the `daya` client (and finding `daya-executor`) from the client's tests.

#![allow(dead_code)]

use std::{
	path::PathBuf,
	process::{Command, Output, Stdio},
	time::{Duration, Instant},
};

/// The `daya` binary under test.
pub const DAYA: &str = env!("CARGO_BIN_EXE_daya");

pub fn daya(url: &str, args: &[&str]) -> Output {
	Command::new(DAYA)
		// The caller's own settings never leak into a test.
		.env_remove("DAYA_URL")
		.env_remove("DAYA_SURI")
		.env_remove("DAYA_SURI_FILE")
		.arg("--url")
		.arg(url)
		.args(args)
		.stdin(Stdio::null())
		.output()
		.expect("daya runs")
}

/// Runs `daya` and returns its standard output, failing the test with its error otherwise.
pub fn ok(url: &str, args: &[&str]) -> String {
	let out = daya(url, args);
	assert!(out.status.success(), "daya {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
	String::from_utf8(out.stdout).unwrap()
}

/// Runs `daya --json` and parses its output.
pub fn json(url: &str, args: &[&str]) -> serde_json::Value {
	let mut all = vec!["--json"];
	all.extend_from_slice(args);
	serde_json::from_str(&ok(url, &all)).expect("JSON output")
}

/// Runs `daya`, expects it to fail, and returns its one-line error.
pub fn error(url: &str, args: &[&str]) -> String {
	let out = daya(url, args);
	assert!(!out.status.success(), "daya {args:?} should fail");
	let stderr = String::from_utf8(out.stderr).unwrap();
	assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
	assert!(stderr.starts_with("error: "), "{stderr}");
	stderr.trim_end().to_string()
}

/// `daya-executor`, which `cargo test --workspace` builds next to `daya-node`.
pub fn executor_bin() -> PathBuf {
	let bin = crate::common::node_bin().with_file_name("daya-executor");
	assert!(
		bin.exists(),
		"{} is missing: build it first (cargo build -p daya-executor)",
		bin.display()
	);
	bin
}

/// Polls `daya job status` until the job has ended.
pub fn wait_for_end(url: &str, id: u64, timeout: Duration) -> serde_json::Value {
	let start = Instant::now();
	loop {
		let status = json(url, &["job", "status", &id.to_string()]);
		if status.get("end").is_some() {
			return status;
		}
		assert!(start.elapsed() < timeout, "job {id} did not end within {timeout:?}: {status}");
		std::thread::sleep(Duration::from_millis(500));
	}
}

//! The official `openai` Python package (from PyPI, in the virtual environment
//! `scripts/setup.sh` creates) against the executor's OpenAI-compatible API, with an API key:
//! completions and chat, streaming and not, the usage, and the errors the SDK raises
//! (`tests/openai_sdk.py` says what it checks).

mod common;

use std::{path::PathBuf, process::Command};

use common::dev_engine;
use daya_executor::{spawn, ServerConfig};
use daya_protocol::dev_model;

/// The Python of the virtual environment `scripts/setup.sh` creates.
fn python() -> PathBuf {
	let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
	let cache = var("DAYA_CACHE")
		.or_else(|| var("HOME").map(|h| h.join(".cache/daya")))
		.expect("DAYA_CACHE or HOME");
	let python = cache.join("python/bin/python");
	assert!(
		python.is_file(),
		"{} is missing: scripts/setup.sh creates it (the test command runs it first)",
		python.display()
	);
	python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openai_sdk_works_unchanged() {
	let key = "5eb63bbbe01eeed093cb22bb8f5acdc3".repeat(2);
	let config = ServerConfig { api_key: Some(key.clone()), ..Default::default() };
	let server = spawn("127.0.0.1:0".parse().unwrap(), vec![dev_engine()], config).await.unwrap();
	let script = common::repo_file("tests/openai_sdk.py");
	let (python, url) = (python(), server.url());
	let out = tokio::task::spawn_blocking(move || {
		Command::new(python)
			.arg(script)
			.args([&url, &key, dev_model::NAME])
			.output()
			.unwrap()
	})
	.await
	.unwrap();
	let (stdout, stderr) =
		(String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
	print!("{stdout}");
	assert!(out.status.success(), "the SDK's checks failed:\n{stdout}\n{stderr}");
	assert!(stdout.contains("all checks passed"), "{stdout}");
}

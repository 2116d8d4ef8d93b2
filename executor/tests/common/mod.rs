#![allow(dead_code)]

use std::{
	path::PathBuf,
	sync::{Arc, OnceLock},
};

use daya_executor::{dev_model, CandleEngine};

/// The dev model, written once per test binary.
pub fn dev_dir() -> PathBuf {
	static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
	DIR.get_or_init(|| {
		let dir = tempfile::tempdir().unwrap();
		dev_model::write(dir.path()).unwrap();
		dir
	})
	.path()
	.to_path_buf()
}

/// The dev model's engine, loaded once per test binary.
pub fn dev_engine() -> Arc<CandleEngine> {
	static ENGINE: OnceLock<Arc<CandleEngine>> = OnceLock::new();
	ENGINE
		.get_or_init(|| {
			Arc::new(CandleEngine::load(&dev_dir(), daya_protocol::dev_model::NAME).unwrap())
		})
		.clone()
}

/// SmolLM2-135M-Instruct, loaded once per test binary from where `scripts/setup.sh` puts it.
pub fn smollm2() -> Arc<CandleEngine> {
	static ENGINE: OnceLock<Arc<CandleEngine>> = OnceLock::new();
	ENGINE
		.get_or_init(|| {
			let path = daya_executor::config::smollm2_path();
			assert!(
				path.is_file(),
				"{} is missing: scripts/setup.sh fetches it (the test command runs it first)",
				path.display()
			);
			Arc::new(CandleEngine::load(&path, daya_protocol::smollm2::NAME).unwrap())
		})
		.clone()
}

/// A file of this repository, by its path from the executor's directory, found at run time:
/// `cargo test` runs tests with `CARGO_MANIFEST_DIR` set to this clone's package, while the
/// compile-time value names the clone that built the binary, which a shared target directory
/// may reuse in another clone.
pub fn repo_file(relative: &str) -> PathBuf {
	let dir = std::env::var_os("CARGO_MANIFEST_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
	dir.join(relative)
}

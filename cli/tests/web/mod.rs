//! Daya's web page end to end, on a dev network the caller runs (the network test's: `daya-node
//! --dev` with the hosts' executors serving SmolLM2 and the dev model): the page built from
//! `web/` and served by Vite, driven in headless Chromium (Debian's `chromium` through
//! `playwright-core`, `web/e2e/page.mjs`).
//!
//! The page's models and hosts must be what the `daya` client reads over RPC; a prompt submitted
//! in the playground must be answered on the page with the output the chain holds, and the job
//! must show as settled in the live feed and on its own page; no `0x` string of more than 16 hex
//! digits may show outside a field labelled as a hash; a prompt of HTML and script must show as
//! text, with nothing run and no element made; and a node that is down or a URL that is
//! not a node's must be said so. Screenshots of each page are kept in the target directory's
//! `web-screenshots/`.

use crate::{
	client::json,
	common::{free_port, node_bin},
	hosts::{amount, SMOLLM2},
};
use serde_json::Value;
use std::{
	net::TcpStream,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// `//Ferdie`'s account, the playground's default.
const FERDIE: &str = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL";

const PROMPT: &str = "What is the capital of France? Answer in one sentence.";

/// A process killed on drop.
struct Running(Child);

impl Drop for Running {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn web_dir() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

/// Vite's command line script, from the packages `scripts/setup.sh` installs.
fn vite() -> PathBuf {
	let vite = web_dir().join("node_modules/vite/bin/vite.js");
	assert!(vite.is_file(), "{} is missing: run scripts/setup.sh", vite.display());
	vite
}

/// Builds the page into `out` (no node is needed to build it).
fn build_page(out: &Path) {
	let built = Command::new("node")
		.arg(vite())
		.args(["build", "--logLevel", "warn", "--emptyOutDir", "--outDir"])
		.arg(out)
		.current_dir(web_dir())
		.output()
		.expect("node runs");
	assert!(
		built.status.success(),
		"the page did not build: {}",
		String::from_utf8_lossy(&built.stderr)
	);
	assert!(out.join("index.html").is_file(), "the build wrote no index.html");
}

/// Serves the built page at `http://127.0.0.1:<port>`.
fn serve_page(dist: &Path, port: u16, log: &Path) -> Running {
	let out = std::fs::File::create(log).unwrap();
	let child = Command::new("node")
		.arg(vite())
		.args(["preview", "--strictPort", "--host", "127.0.0.1", "--port", &port.to_string()])
		.arg("--outDir")
		.arg(dist)
		.current_dir(web_dir())
		.stdin(Stdio::null())
		.stdout(out.try_clone().unwrap())
		.stderr(out)
		.spawn()
		.expect("node runs");
	let running = Running(child);
	let deadline = Instant::now() + Duration::from_secs(30);
	while TcpStream::connect(("127.0.0.1", port)).is_err() {
		assert!(Instant::now() < deadline, "vite preview did not serve the page: {}", read(log));
		std::thread::sleep(Duration::from_millis(100));
	}
	running
}

fn read(path: &Path) -> String {
	std::fs::read_to_string(path).unwrap_or_default()
}

/// What the chain says about the models and the hosts, read with the `daya` client.
fn chain_view(url: &str, hosts: &[&str]) -> (Vec<Value>, Vec<Value>) {
	let models = json(url, &["model", "list"]).as_array().expect("a list of models").clone();
	let hosts = hosts.iter().map(|who| json(url, &["host", "status", who])).collect();
	(models, hosts)
}

/// Builds and serves the page, drives it against the node at `url`, whose hosts are `hosts`
/// (dev names, every registered host), and checks what it shows; `dir` is scratch space.
pub fn check_page(url: &str, hosts: &[&str], dir: &Path) {
	let started = Instant::now();
	let dist = dir.join("web-dist");
	build_page(&dist);
	let port = free_port();
	let _server = serve_page(&dist, port, &dir.join("vite.log"));
	println!("[e2e] the web page built and served: {:.1} s", started.elapsed().as_secs_f64());

	let shots = node_bin().parent().unwrap().parent().unwrap().join("web-screenshots");
	let _ = std::fs::remove_dir_all(&shots);
	let before = chain_view(url, hosts);
	let driven = Instant::now();
	let page = Command::new("node")
		.arg(web_dir().join("e2e/page.mjs"))
		.arg(format!("http://127.0.0.1:{port}"))
		.arg(url)
		.arg(&shots)
		.args([SMOLLM2, PROMPT])
		.current_dir(web_dir())
		.stdin(Stdio::null())
		.output()
		.expect("node runs");
	let after = chain_view(url, hosts);
	let stdout = String::from_utf8_lossy(&page.stdout);
	let stderr = String::from_utf8_lossy(&page.stderr);
	println!("{stderr}");
	println!("[e2e] screenshots: {}", shots.display());
	let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
		.unwrap_or_else(|e| panic!("the page driver printed no report ({e}): {stdout}\n{stderr}"));
	assert!(page.status.success(), "the page driver failed: {report}");
	println!("[e2e] the page driven in Chromium: {:.1} s", driven.elapsed().as_secs_f64());

	assert_eq!(report["pageErrors"], serde_json::json!([]), "the page threw");
	assert_eq!(report["hexShown"], serde_json::json!([]), "raw hex shown where a value is meant");

	// The models: every one the chain has, with its version, price and status, and the hosts
	// that serve it.
	let (models, hosts) = &before;
	let shown = report["models"].as_array().unwrap();
	assert_eq!(shown.len(), models.len(), "{shown:?}");
	for (model, row) in models.iter().zip(shown) {
		assert_eq!(row["id"], model["id"], "{row}");
		assert_eq!(row["name"], model["name"], "{row}");
		assert_eq!(row["version"], model["version"], "{row}");
		assert_eq!(row["price"], model["pricePerToken"], "{row}");
		assert_eq!(row["status"], model["status"], "{row}");
		let serving: Vec<&Value> = hosts
			.iter()
			.filter(|h| h["status"] == "active")
			.filter(|h| h["servedModels"].as_array().unwrap().contains(&model["id"]))
			.map(|h| &h["account"])
			.collect();
		let mut listed: Vec<&Value> = row["hosts"].as_array().unwrap().iter().collect();
		listed.sort_by_key(|a| a.as_str());
		let mut serving = serving;
		serving.sort_by_key(|a| a.as_str());
		assert_eq!(listed, serving, "the hosts serving {}", model["name"]);
	}

	// The hosts: each one's status, bond, models and proven capacity, as the chain had them
	// just before or just after the page read them (a window may conclude in between).
	let shown = report["hosts"].as_array().unwrap();
	assert_eq!(shown.len(), hosts.len(), "{shown:?}");
	for row in shown {
		let at = |view: &(Vec<Value>, Vec<Value>)| {
			view.1.iter().find(|h| h["account"] == row["account"]).cloned()
		};
		let (early, late) = (at(&before), at(&after));
		let early = early.unwrap_or_else(|| panic!("the page shows a host the chain lacks: {row}"));
		let late = late.unwrap();
		assert_eq!(row["status"].as_str().unwrap().to_lowercase(), early["status"], "{row}");
		assert_eq!(amount(&row["bond"]), amount(&early["bond"]), "{row}");
		assert_eq!(row["models"], early["servedModels"], "{row}");
		let proven = row["proven"].as_str().unwrap().parse::<u64>().ok();
		let proven_then = |h: &Value| h["proofOfCompute"]["provenWeight"].as_u64();
		assert!(
			proven.is_some() && (proven == proven_then(&early) || proven == proven_then(&late)),
			"the proven capacity shown, {proven:?}, is neither {:?} nor {:?}",
			proven_then(&early),
			proven_then(&late)
		);
		// Jobs delivered in the epoch the page read: at least what the chain said before in the
		// same epoch, at most what it said after in the same epoch (an epoch may end between).
		let delivered = row["delivered"].as_u64().unwrap();
		let in_epoch = |h: &Value| {
			(h["service"]["epoch"] == row["epoch"]).then(|| h["service"]["delivered"].as_u64())
		};
		let (low, high) = (in_epoch(&early).flatten(), in_epoch(&late).flatten());
		assert!(low.is_some() || high.is_some(), "the page's epoch is the chain's: {row}");
		assert!(low.is_none_or(|low| delivered >= low), "{row} against {early}");
		assert!(high.is_none_or(|high| delivered <= high), "{row} against {late}");
	}
	assert!(report["emission"]["chartBars"].as_u64().unwrap() > 1, "{}", report["emission"]);

	// The playground's job: answered on the page with the output the chain holds, settled.
	let job_id = report["jobId"].as_u64().expect("a job id");
	let id = job_id.to_string();
	let status = json(url, &["job", "status", &id]);
	assert!(matches!(status["end"].as_str(), Some("completed" | "validated")), "{status}");
	assert_eq!(status["consumer"], FERDIE, "the playground's default account paid: {status}");
	let output = json(url, &["job", "output", &id]);
	let answer = output["output"].as_str().unwrap();
	assert!(answer.contains("Paris"), "SmolLM2 knows: {answer}");
	assert_eq!(report["answer"]["output"].as_str(), Some(answer), "{}", report["answer"]);
	assert_eq!(report["answer"]["end"].as_str(), status["end"].as_str(), "{}", report["answer"]);
	let quote = amount(&report["quote"]);
	assert!(amount(&status["fee"]) <= quote, "the fee is within the quote shown: {status}");
	let feed_row = report["feed"]
		.as_array()
		.unwrap()
		.iter()
		.find(|row| row["job"].as_u64() == Some(job_id))
		.unwrap_or_else(|| panic!("job {id} is not in the feed: {}", report["feed"]));
	assert_eq!(feed_row["status"], "settled");
	let job_page = &report["jobPage"];
	assert_eq!(job_page["output"].as_str(), Some(answer), "{job_page}");
	assert_eq!(amount(&job_page["fee"]), amount(&status["fee"]), "{job_page}");
	assert_eq!(job_page["tokens"], status["completionTokens"], "{job_page}");
	assert!(job_page["prompt"].as_str().unwrap().contains(PROMPT), "{job_page}");
	assert_eq!(job_page["end"].as_str().map(str::to_lowercase).as_deref(), status["end"].as_str());

	// A prompt of HTML and script is shown as text: nothing ran, no element was made.
	let injection = &report["injection"];
	assert_eq!(injection["ran"], false, "{injection}");
	assert_eq!(injection["element"], false, "{injection}");
	assert_eq!(injection["shownAsText"], true, "{injection}");

	// A node that is down, and a URL that is not a node's, are said so.
	assert!(report["down"].as_str().unwrap().contains("does not answer"), "{}", report["down"]);
	assert!(report["badUrl"].as_str().unwrap().contains("ws://"), "{}", report["badUrl"]);
	for page in ["network", "playground", "jobs", "job", "node-down"] {
		assert!(shots.join(format!("{page}.png")).is_file(), "no screenshot of the {page} page");
	}
	println!("[e2e] the web page checked: {:.1} s in all", started.elapsed().as_secs_f64());
}

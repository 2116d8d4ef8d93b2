//! Hosts of a dev network in the client's end-to-end tests: their executors, and making a dev
//! account a host of the node.

#![allow(dead_code)]

use crate::{
	client::{executor_bin, json},
	common::free_port,
};
use std::{
	io::{Read, Write},
	net::TcpStream,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// A running `daya-executor` with an API key, killed on drop.
pub struct Executor {
	child: Child,
	port: u16,
	log: PathBuf,
	/// Its command line: the program and its arguments, for [`Executor::kill_and_restart`].
	command: Vec<std::ffi::OsString>,
	/// The file of its API key, which its node is given.
	pub key_file: PathBuf,
}

impl Executor {
	pub fn start(models: &[&Path], dir: &Path, name: &str, extra: &[&str]) -> Self {
		Self::start_under(&[], models, dir, name, extra)
	}

	/// [`Executor::start`] under `wrapper`: a command that runs the rest of its arguments
	/// (`taskset -c 0`, or a shell that enters a cgroup first).
	pub fn start_under(
		wrapper: &[String],
		models: &[&Path],
		dir: &Path,
		name: &str,
		extra: &[&str],
	) -> Self {
		let port = free_port();
		let key_file = dir.join(format!("executor-{name}.key"));
		let _ = std::fs::remove_file(&key_file);
		let made = Command::new(executor_bin())
			.args(["new-api-key", "--out"])
			.arg(&key_file)
			.output()
			.unwrap();
		assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
		let mut command: Vec<std::ffi::OsString> = wrapper.iter().map(Into::into).collect();
		command.push(executor_bin().into());
		command.extend(["serve".into(), "--listen".into(), format!("127.0.0.1:{port}").into()]);
		command.extend(["--api-key-file".into(), key_file.clone().into()]);
		for model in models {
			command.extend(["--model".into(), model.as_os_str().to_owned()]);
		}
		command.extend(extra.iter().map(Into::into));
		let log = dir.join(format!("executor-{name}.log"));
		let child = Self::spawn(&command, &log);
		let mut executor = Executor { child, port, log, command, key_file };
		executor.wait_until_up();
		executor
	}

	fn spawn(command: &[std::ffi::OsString], log: &Path) -> Child {
		// Appended to: a restarted executor's log follows the one it replaced.
		let out = std::fs::File::options().create(true).append(true).open(log).unwrap();
		Command::new(&command[0])
			.args(&command[1..])
			.stdin(Stdio::null())
			.stdout(out.try_clone().unwrap())
			.stderr(out)
			.spawn()
			.unwrap()
	}

	fn wait_until_up(&mut self) {
		let start = Instant::now();
		while http_get(self.port, "/health").is_err() {
			if let Ok(Some(status)) = self.child.try_wait() {
				self.fail(format!("daya-executor exited: {status}"));
			}
			if start.elapsed() > Duration::from_secs(60) {
				self.fail("daya-executor did not answer /health within 60 s");
			}
			std::thread::sleep(Duration::from_millis(100));
		}
	}

	/// Kills the executor at once (`SIGKILL`: its queue and results are lost, as in a crash).
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Starts the killed executor again, on its port, key, models and arguments, and waits until
	/// it answers.
	pub fn restart(&mut self) {
		self.kill();
		self.child = Self::spawn(&self.command, &self.log);
		self.wait_until_up();
	}

	/// The value of the counter `daya_executor_<name>` in its `/metrics`.
	pub fn counter(&self, name: &str) -> u64 {
		let key = std::fs::read_to_string(&self.key_file).unwrap();
		let (head, body) =
			http_request_with(self.port, "GET", "/metrics", None, Some(key.trim())).unwrap();
		assert!(head.starts_with("HTTP/1.1 200"), "{head}");
		let prefix = format!("daya_executor_{name} ");
		body.lines()
			.find_map(|line| line.strip_prefix(&prefix))
			.unwrap_or_else(|| panic!("no {prefix} in {body}"))
			.trim()
			.parse()
			.unwrap()
	}

	pub fn port(&self) -> u16 {
		self.port
	}

	pub fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}

	/// A stranger's attempt to plant a job under an id the node would ask for: refused
	/// (`401 missing_api_key`), and nothing is queued under that id.
	pub fn assert_refuses_strangers(&self) {
		let body = r#"{"version":1,"id":"planted","model":"m","prompt":"p","max_tokens":1,"temperature_milli":0,"sampling_key":"0x00"}"#;
		let (head, answer) = http_request(self.port, "POST", "/v1/jobs", Some(body)).unwrap();
		assert!(head.starts_with("HTTP/1.1 401"), "{head}\n{answer}");
		assert!(answer.contains("missing_api_key"), "{answer}");
		let (head, _) = http_request(self.port, "GET", "/v1/jobs/planted", None).unwrap();
		assert!(head.starts_with("HTTP/1.1 401"), "{head}");
	}

	pub fn fail(&self, why: impl std::fmt::Display) -> ! {
		let log = std::fs::read_to_string(&self.log).unwrap_or_default();
		panic!("{why}\n--- executor log ---\n{log}")
	}
}

impl Drop for Executor {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// A plain HTTP GET on loopback; the body.
pub fn http_get(port: u16, path: &str) -> Result<String, String> {
	let (head, body) = http_request(port, "GET", path, None)?;
	if !head.starts_with("HTTP/1.1 200") {
		return Err(head.lines().next().unwrap_or_default().to_string());
	}
	Ok(body)
}

/// A plain HTTP request on loopback, with a JSON body if any; the head and the body.
pub fn http_request(
	port: u16,
	method: &str,
	path: &str,
	body: Option<&str>,
) -> Result<(String, String), String> {
	http_request_with(port, method, path, body, None)
}

/// [`http_request`] with `key` as its bearer API key, if any.
pub fn http_request_with(
	port: u16,
	method: &str,
	path: &str,
	body: Option<&str>,
	key: Option<&str>,
) -> Result<(String, String), String> {
	let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
	stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
	let body = body.unwrap_or_default();
	let auth = key.map(|key| format!("Authorization: Bearer {key}\r\n")).unwrap_or_default();
	write!(
		stream,
		"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
		 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
		body.len()
	)
	.map_err(|e| e.to_string())?;
	let mut response = String::new();
	stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
	let (head, body) = response.split_once("\r\n\r\n").ok_or("malformed response")?;
	Ok((head.to_string(), body.to_string()))
}

/// Makes `who` (a dev name) a host of this node: its key in the keystore, its executor's URL,
/// and that URL announced on chain as its endpoint (where other hosts fetch its
/// proof-of-compute proofs).
pub fn attach(url: &str, who: &str, executor: &Executor) {
	hand_to(url, who, executor);
	announce(url, who, executor);
}

/// The node's half of [`attach`], which takes no block: `who`'s key in the node's keystore and
/// its executor's URL and API key in the node's offchain storage.
pub fn hand_to(url: &str, who: &str, executor: &Executor) {
	let inserted = json(url, &["--suri", who, "host", "insert-key"]);
	assert_eq!(inserted["keyType"], "daya");
	let key_file = executor.key_file.to_str().unwrap();
	let set = json(
		url,
		&["--suri", who, "host", "set-executor", &executor.url(), "--api-key-file", key_file],
	);
	assert_eq!(set["executor"], executor.url().as_str());
	assert_eq!(set["apiKey"], true, "{set}");
}

/// The chain's half of [`attach`]: `who`'s executor URL announced as its endpoint, by a
/// transaction if the registry has another.
pub fn announce(url: &str, who: &str, executor: &Executor) {
	let status = json(url, &["host", "status", who]);
	if status["endpoint"] != executor.url().as_str() {
		let updated = json(url, &["--suri", who, "host", "update", "--endpoint", &executor.url()]);
		assert_eq!(updated["endpoint"], executor.url().as_str(), "{updated}");
	}
}

/// Waits until `who` has a proven weight, applied in the registry: its executor computed a
/// proof-of-compute window, committed it, and other hosts verified it. Returns the weight.
pub fn wait_for_proven(url: &str, who: &str, timeout: Duration) -> u64 {
	let start = Instant::now();
	loop {
		let status = json(url, &["host", "status", who]);
		let proven = status["proofOfCompute"]["provenWeight"].as_u64().unwrap_or(0);
		if proven > 0 && status["capacityWeight"].as_u64() == Some(proven) {
			println!(
				"[e2e] {who} proved {proven} nonces (window {}) after {:.1} s",
				status["proofOfCompute"]["lastWindow"]["window"],
				start.elapsed().as_secs_f64()
			);
			return proven;
		}
		assert!(start.elapsed() < timeout, "{who} proved nothing within {timeout:?}: {status}");
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// The dev model's registry name.
pub const MODEL: &str = "daya-dev-llama";
/// SmolLM2-135M-Instruct's registry name.
pub const SMOLLM2: &str = "smollm2-135m-instruct";

/// Where `scripts/setup.sh` puts SmolLM2 (as `daya-executor` finds it).
pub fn smollm2_path() -> PathBuf {
	let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
	let dir = var("DAYA_MODELS")
		.or_else(|| var("DAYA_CACHE").map(|c| c.join("models")))
		.or_else(|| var("HOME").map(|h| h.join(".cache/daya/models")))
		.unwrap();
	let path = dir.join("SmolLM2-135M-Instruct.Q4_1.gguf");
	assert!(path.is_file(), "{} is missing: scripts/setup.sh fetches it", path.display());
	path
}

/// Writes the dev model into `dir/dev-model` with `daya-executor dev-model`; its directory.
pub fn write_dev_model(dir: &Path) -> PathBuf {
	let model = dir.join("dev-model");
	let written = Command::new(executor_bin())
		.args(["dev-model", "--out"])
		.arg(&model)
		.output()
		.unwrap();
	assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
	model
}

/// The free and reserved (held) balances of `who` (SS58), read from the chain's state.
pub fn balances(url: &str, who: &str) -> (u128, u128) {
	use subxt::ext::scale_value::At;
	let who: subxt::utils::AccountId32 = who.parse().expect("an SS58 account");
	let read = async {
		let api = subxt::OnlineClient::<subxt::PolkadotConfig>::from_insecure_url(url)
			.await
			.unwrap();
		let at = api.at_current_block().await.unwrap();
		let query =
			subxt::dynamic::storage::<([u8; 32],), subxt::dynamic::Value>("System", "Account");
		let value = at
			.storage()
			.try_fetch(query, (who.0,))
			.await
			.unwrap()
			.unwrap()
			.decode()
			.unwrap();
		let field =
			|name: &str| value.at("data").at(name).and_then(|v| v.as_u128()).expect("a balance");
		(field("free"), field("reserved"))
	};
	tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.unwrap()
		.block_on(read)
}

/// What block `n` moved from one account's hold to another's free balance (the
/// `Balances.TransferOnHold` events: a job's escrow paying its executor, validators and the
/// treasury), as `(source, dest, amount)` of SS58 accounts. A payment read from the block that
/// made it, not from balances that the hosts' own transaction fees move at any time.
pub fn transfers_on_hold(url: &str, n: u64) -> Vec<(String, String, u128)> {
	let read = async {
		let api = subxt::OnlineClient::<subxt::PolkadotConfig>::from_insecure_url(url)
			.await
			.unwrap();
		let at = api.at_block(n).await.unwrap();
		let events = at.events().fetch().await.unwrap();
		let ss58 = |bytes: &[u8]| {
			subxt::utils::AccountId32(bytes.try_into().expect("32 bytes")).to_string()
		};
		events
			.iter()
			.map(|event| event.unwrap())
			.filter(|e| e.pallet_name() == "Balances" && e.event_name() == "TransferOnHold")
			.map(|e| {
				// The hold reason (an enum of any length), then source, dest and amount.
				let fields = e.field_bytes();
				let tail = &fields[fields.len() - 80..];
				let amount = u128::from_le_bytes(tail[64..].try_into().unwrap());
				(ss58(&tail[..32]), ss58(&tail[32..64]), amount)
			})
			.collect::<Vec<_>>()
	};
	tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.unwrap()
		.block_on(read)
}

/// What `from` paid `to` out of its hold in block `n` ([`transfers_on_hold`]).
pub fn paid_on_hold(url: &str, n: u64, from: &str, to: &str) -> u128 {
	transfers_on_hold(url, n)
		.iter()
		.filter(|(source, dest, _)| source == from && dest == to)
		.map(|(_, _, amount)| amount)
		.sum()
}

/// An amount the client printed in JSON (a decimal string).
pub fn amount(value: &serde_json::Value) -> u128 {
	value.as_str().expect("an amount").parse().unwrap()
}

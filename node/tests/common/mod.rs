//! Runs the real `daya-node` binary for end-to-end tests.
//!
//! Each node gets free loopback ports and its own base path; it is killed (and its files removed)
//! when the handle drops. Every wait is bounded: a node that does not start fails the test with
//! the tail of its log instead of hanging.

#![allow(dead_code)]

use std::{
	fs::File,
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// The node binary: the one cargo built for the node's own tests, or, for other packages' tests
/// (the CLI's), the `daya-node` next to the test executable's directory, which
/// `cargo test --workspace` builds.
pub fn node_bin() -> PathBuf {
	match option_env!("CARGO_BIN_EXE_daya-node") {
		Some(path) => PathBuf::from(path),
		None => {
			let exe = std::env::current_exe().unwrap();
			let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
			let node = dir.join("daya-node");
			assert!(
				node.exists(),
				"{} is missing: build it first (cargo build -p daya-node)",
				node.display()
			);
			node
		},
	}
}

/// How long a debug-built node may take to compile the runtime and answer RPC.
pub const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
	pub fn new(tag: &str) -> Self {
		let unique = format!(
			"daya-{tag}-{}-{}",
			std::process::id(),
			std::time::SystemTime::now()
				.duration_since(std::time::UNIX_EPOCH)
				.unwrap()
				.as_nanos()
		);
		let path = std::env::temp_dir().join(unique);
		std::fs::create_dir_all(&path).unwrap();
		TempDir(path)
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		let _ = std::fs::remove_dir_all(&self.0);
	}
}

/// A running `daya-node --dev`.
pub struct DevNode {
	child: Child,
	pub rpc_port: u16,
	p2p_port: u16,
	extra: Vec<String>,
	log: PathBuf,
	dir: TempDir,
}

impl DevNode {
	/// Starts a development chain and waits until it has produced `min_blocks` blocks.
	pub fn start(min_blocks: u64) -> Self {
		Self::start_with(min_blocks, &[])
	}

	/// [`DevNode::start`] with more arguments for the node (e.g. `--dev-block-time 1000`).
	pub fn start_with(min_blocks: u64, extra: &[&str]) -> Self {
		let dir = TempDir::new("dev-node");
		let log = dir.0.join("node.log");
		let (rpc_port, p2p_port) = (free_port(), free_port());
		let extra: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
		let child = Self::spawn(&dir, &log, rpc_port, p2p_port, &extra);
		let mut node = DevNode { child, rpc_port, p2p_port, extra, log, dir };
		node.wait_for_block(min_blocks, START_TIMEOUT);
		node
	}

	fn spawn(
		dir: &TempDir,
		log: &PathBuf,
		rpc_port: u16,
		p2p_port: u16,
		extra: &[String],
	) -> Child {
		// Appended to: a restarted node's log follows the one it replaced.
		let out = File::options().create(true).append(true).open(log).unwrap();
		let err = out.try_clone().unwrap();
		Command::new(node_bin())
			.args([
				"--dev",
				"--no-telemetry",
				"--no-prometheus",
				"--no-mdns",
				"--no-hardware-benchmarks",
			])
			.arg("--base-path")
			.arg(dir.0.join("data"))
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--port", &p2p_port.to_string()])
			.args(extra)
			.stdin(Stdio::null())
			.stdout(out)
			.stderr(err)
			.spawn()
			.unwrap_or_else(|e| panic!("cannot start {}: {e}", node_bin().display()))
	}

	/// Kills the node at once (`SIGKILL`: no shutdown, as a crash or a power cut), starts it again
	/// on its database, ports and arguments, and waits until it has imported a block past the
	/// one it had reached. Returns the best block before the kill.
	pub fn kill_and_restart(&mut self) -> u64 {
		let before = self.best_number().unwrap_or_else(|e| self.fail(e));
		let _ = self.child.kill();
		let _ = self.child.wait();
		self.child = Self::spawn(&self.dir, &self.log, self.rpc_port, self.p2p_port, &self.extra);
		self.wait_for_block(before + 1, START_TIMEOUT);
		before
	}

	/// The node's process id.
	pub fn pid(&self) -> u32 {
		self.child.id()
	}

	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// The node's whole log.
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// The last lines of the node's log.
	pub fn log_tail(&self) -> String {
		let log = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = log.lines().collect();
		lines[lines.len().saturating_sub(60)..].join("\n")
	}

	/// Fails the test with the node's log.
	pub fn fail(&self, why: impl std::fmt::Display) -> ! {
		panic!("{why}\n--- daya-node log (tail) ---\n{}", self.log_tail())
	}

	/// A JSON-RPC call over HTTP; `Err` while the server is not up yet.
	pub fn try_rpc(
		&self,
		method: &str,
		params: serde_json::Value,
	) -> Result<serde_json::Value, String> {
		rpc(self.rpc_port, method, params)
	}

	/// A JSON-RPC call that must succeed.
	pub fn rpc(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
		self.try_rpc(method, params)
			.unwrap_or_else(|e| self.fail(format!("{method}: {e}")))
	}

	/// The best block number, read over JSON-RPC.
	pub fn best_number(&self) -> Result<u64, String> {
		let header = self.try_rpc("chain_getHeader", serde_json::json!([]))?;
		let hex = header["number"].as_str().ok_or("header without number")?;
		u64::from_str_radix(hex.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
	}

	/// Waits until the chain reaches block `n`, failing with the log if the node exits or the
	/// time runs out.
	pub fn wait_for_block(&mut self, n: u64, timeout: Duration) -> u64 {
		let start = Instant::now();
		loop {
			if let Some(status) = self.child.try_wait().unwrap() {
				self.fail(format!("daya-node exited before block {n}: {status}"));
			}
			if let Ok(best) = self.best_number() {
				if best >= n {
					return best;
				}
			}
			if start.elapsed() > timeout {
				self.fail(format!("no block #{n} after {timeout:?}"));
			}
			std::thread::sleep(Duration::from_millis(250));
		}
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

/// Events of one included extrinsic.
pub type Events = subxt::extrinsics::ExtrinsicEvents<subxt::PolkadotConfig>;

/// Signs `call` as `who`, submits it, and waits (at most 90 s) until it is finalized; returns the
/// block it is in and its events, or why it failed (a dispatch error names the pallet error).
pub async fn submit(
	api: &subxt::OnlineClient<subxt::PolkadotConfig>,
	call: &impl subxt::tx::Payload,
	who: &subxt_signer::sr25519::Keypair,
) -> Result<(subxt::utils::H256, Events), String> {
	let included = async {
		let in_block = api
			.at_current_block()
			.await?
			.transactions()
			.sign_and_submit_then_watch_default(call, who)
			.await?
			.wait_for_finalized()
			.await?;
		let events = in_block.wait_for_success().await?;
		Ok::<_, subxt::Error>((in_block.block_hash(), events))
	};
	match tokio::time::timeout(Duration::from_secs(90), included).await {
		Ok(result) => result.map_err(|e| e.to_string()),
		Err(_) => Err("not finalized within 90 s".into()),
	}
}

/// The first `pallet.name` event among `events`, decoded.
pub fn find<E: subxt::ext::scale_decode::DecodeAsFields>(
	events: &Events,
	pallet: &str,
	name: &str,
) -> Option<E> {
	events
		.iter()
		.map(|e| e.unwrap())
		.find(|e| e.pallet_name() == pallet && e.event_name() == name)
		.map(|e| e.decode_fields_unchecked_as().unwrap())
}

/// One JSON-RPC request over plain HTTP/1.1 (the node serves HTTP and WebSocket on one port).
pub fn rpc(
	port: u16,
	method: &str,
	params: serde_json::Value,
) -> Result<serde_json::Value, String> {
	let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
		.to_string();
	let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
	stream
		.set_read_timeout(Some(Duration::from_secs(10)))
		.map_err(|e| e.to_string())?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.map_err(|e| e.to_string())?;
	let mut response = String::new();
	stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
	let (head, payload) = response.split_once("\r\n\r\n").ok_or("malformed HTTP response")?;
	if !head.starts_with("HTTP/1.1 200") {
		return Err(format!("HTTP error: {}", head.lines().next().unwrap_or_default()));
	}
	let reply: serde_json::Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
	match reply.get("error") {
		Some(error) => Err(format!("RPC error: {error}")),
		None => Ok(reply["result"].clone()),
	}
}

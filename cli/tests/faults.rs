//! Faults end to end: `daya-node --dev` with its offchain workers, real `daya-executor`s, and
//! consumers using the `daya` client, while things go wrong.
//!
//! 1. An executor is killed in the middle of a job (`SIGKILL`: its queue is lost) and started
//!    again: the node's offchain worker finds the job gone, sends it again, and the same host
//!    delivers it once, in time.
//! 2. The node is killed (`SIGKILL`) with jobs open and started again on its database: every
//!    job is served, none twice.
//! 3. A host's node reaches its executor through a hostile front that answers jobs with garbage
//!    JSON, with a body far larger than any answer, or not at all (it passes proof of compute
//!    and validation through): the node reads at most 4 MiB and waits at most its timeout, the
//!    host misses its deadlines, and each job is served by another host.
//!
//! Through all of it the consumer pays each job's fee once from its escrow, gets the rest back,
//! and has nothing held at the end.
//! The phases share one chain (1-second blocks) and print how long they took.

mod client;
#[path = "../../node/tests/common/mod.rs"]
mod common;
mod hosts;

use client::{json, wait_for_end};
use common::{DevNode, TempDir};
use hosts::{
	amount, attach, balances, smollm2_path, wait_for_proven, write_dev_model, Executor, MODEL,
	SMOLLM2,
};
use std::{
	collections::HashMap,
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::Path,
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

/// The SS58 account of the dev host `who`.
fn account(url: &str, who: &str) -> String {
	json(url, &["host", "status", who])["account"].as_str().unwrap().to_string()
}

/// Submits a job as Ferdie without waiting for it; its id and escrow.
fn submit(url: &str, model: &str, prompt: &str, max_tokens: u32, extra: &[&str]) -> (u64, u128) {
	let max_tokens = max_tokens.to_string();
	let mut args = vec!["--suri", "ferdie", "job", "submit", "--model", model];
	args.extend_from_slice(extra);
	args.extend(["--prompt", prompt, "--max-tokens", &max_tokens]);
	let job = json(url, &args);
	(job["jobId"].as_u64().unwrap(), amount(&job["escrow"]))
}

/// Waits until job `id` has its executor drawn; its status then.
fn assigned(url: &str, id: u64) -> serde_json::Value {
	let start = Instant::now();
	loop {
		let job = json(url, &["job", "status", &id.to_string()]);
		if !job["executor"].is_null() || job.get("end").is_some() {
			return job;
		}
		assert!(start.elapsed() < Duration::from_secs(30), "job {id} was not assigned: {job}");
		std::thread::sleep(Duration::from_millis(250));
	}
}

/// Waits for job `(id, escrow)` to end and checks that it was served: its consumer paid for its
/// tokens once, from its escrow, and got the rest back.
fn served(url: &str, (id, escrow): (u64, u128)) -> serde_json::Value {
	let job = wait_for_end(url, id, Duration::from_secs(180));
	assert!(matches!(job["end"].as_str(), Some("completed" | "validated")), "{job}");
	let tokens = job["completionTokens"].as_u64().unwrap();
	assert!(tokens > 0, "{job}");
	let fee = amount(&job["fee"]);
	assert!(fee > 0, "{job}");
	assert_eq!(fee + amount(&job["refund"]), escrow, "{job}");
	job
}

#[test]
fn jobs_survive_crashed_executors_a_crashed_node_and_hostile_executors() {
	let dir = TempDir::new("faults");
	let model = write_dev_model(&dir.0);
	let mut node = DevNode::start_with(1, &["--dev-block-time", "1000"]);
	let url = node.ws_url();
	let smollm2 = smollm2_path();
	let both: [&Path; 2] = [&model, &smollm2];
	let mut alice = Executor::start(&both, &dir.0, "alice", &["--poc-workers", "1"]);
	let mut bob = Executor::start(&both, &dir.0, "bob", &["--poc-workers", "1"]);
	attach(&url, "alice", &alice);
	attach(&url, "bob", &bob);
	let proof_timeout = Duration::from_secs(120);
	wait_for_proven(&url, "alice", proof_timeout);
	wait_for_proven(&url, "bob", proof_timeout);
	let accounts = [account(&url, "alice"), account(&url, "bob")];
	let consumer = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL"; // Ferdie
	let (_, held_before) = balances(&url, consumer);

	// 1. An executor killed mid-job. SmolLM2 writes 48 tokens at 0.7 (seconds on a CPU): the
	// test kills whichever executor accepts the job at once, and starts it again at once, as a
	// supervisor would. A kill that came after the result had left (the restarted executor
	// never sees the job) was not mid-job: another job is tried, three at most.
	let started = Instant::now();
	let mut crashed = None;
	for attempt in 1..=3 {
		let accepted = [alice.counter("jobs_accepted_total"), bob.counter("jobs_accepted_total")];
		let submitted = submit(
			&url,
			SMOLLM2,
			&format!("Attempt {attempt}: tell a long story about a lighthouse keeper."),
			48,
			&["--chat", "--temperature", "0.7"],
		);
		let id = submitted.0;
		let waiting = Instant::now();
		let host = loop {
			if alice.counter("jobs_accepted_total") > accepted[0] {
				break 0;
			}
			if bob.counter("jobs_accepted_total") > accepted[1] {
				break 1;
			}
			assert!(waiting.elapsed() < Duration::from_secs(60), "job {id} reached no executor");
			std::thread::sleep(Duration::from_millis(20));
		};
		let executor = if host == 0 { &mut alice } else { &mut bob };
		executor.kill();
		let at_kill = json(&url, &["job", "status", &id.to_string()]);
		executor.restart();
		let job = served(&url, submitted);
		let resent = executor.counter("jobs_accepted_total");
		println!(
			"[faults] job {id}: {}'s executor killed while {:?}, restarted; it took the job \
			 again {resent} time(s); {} by {}",
			["alice", "bob"][host],
			at_kill["status"],
			job["end"],
			job["executor"]
		);
		if resent == 0 {
			continue;
		}
		// The same host delivered it, in time: a reassignment would have gone to the other.
		assert_eq!(job["executor"], accounts[host].as_str(), "{job}");
		crashed = Some(job);
		break;
	}
	let crashed = crashed.expect("one of three kills fell mid-job");
	println!(
		"[faults] 1. a killed and restarted executor delivered job {} in {} blocks ({:.1} s)",
		crashed["jobId"],
		crashed["endedAt"].as_u64().unwrap() - crashed["submittedAt"].as_u64().unwrap(),
		started.elapsed().as_secs_f64()
	);

	// 2. The node killed with jobs open, and started again.
	let started = Instant::now();
	let jobs: Vec<(u64, u128)> = (0..4)
		.map(|i| submit(&url, MODEL, &format!("Job {i} before the crash."), 16, &[]))
		.collect();
	let open: Vec<u64> = jobs
		.iter()
		.map(|(id, _)| *id)
		.filter(|id| json(&url, &["job", "status", &id.to_string()]).get("end").is_none())
		.collect();
	let killed_at = node.kill_and_restart();
	assert!(!open.is_empty(), "every job ended before the kill: {jobs:?}");
	for job in &jobs {
		served(&url, *job);
	}
	println!(
		"[faults] 2. the node killed at block {killed_at} with jobs {open:?} open and \
		 restarted: all four served ({:.1} s)",
		started.elapsed().as_secs_f64()
	);

	// 3. Bob's node reaches Bob's executor through a hostile front (proof of compute and
	// validation pass through it): Alice stops taking new work so that the three jobs go to
	// Bob, and takes work again once Bob has them.
	// A host that missed a proof-of-compute window in the crashes above has no weight until it
	// proves again: both need one here. Bob's jobs come back to be drawn about 22 blocks after
	// they are submitted; a window concludes every 30 and sets every host's weight anew. The
	// step starts right after one concludes, so that none falls between the jobs and their
	// reassignment (one that did once left Alice without weight then, and the first job
	// expired).
	let window = |who: &str| {
		json(&url, &["host", "status", who])["proofOfCompute"]["lastWindow"]["window"].as_u64()
	};
	let (before, waiting) = (window("alice"), Instant::now());
	while window("alice") == before && waiting.elapsed() < proof_timeout {
		std::thread::sleep(Duration::from_millis(250));
	}
	wait_for_proven(&url, "alice", proof_timeout);
	wait_for_proven(&url, "bob", proof_timeout);
	let started = Instant::now();
	let front = HostileFront::start(bob.port());
	let key_file = bob.key_file.to_str().unwrap();
	let set = json(
		&url,
		&["--suri", "bob", "host", "set-executor", &front.url(), "--api-key-file", key_file],
	);
	assert_eq!(set["executor"], front.url().as_str(), "{set}");
	let reputation = json(&url, &["host", "status", "bob"])["reputation"].as_u64().unwrap();
	json(&url, &["--suri", "alice", "host", "chill"]);
	let jobs: Vec<(u64, u128)> = Hostility::ALL
		.iter()
		.map(|how| {
			submit(&url, MODEL, &format!("A job for a front that answers {how:?}."), 16, &[])
		})
		.collect();
	for (id, _) in &jobs {
		let job = assigned(&url, *id);
		assert_eq!(job["executor"], accounts[1].as_str(), "{job}");
	}
	json(&url, &["--suri", "alice", "host", "unchill"]);
	for job in &jobs {
		// Bob had it: served by Alice, it was reassigned.
		let job = served(&url, *job);
		assert_eq!(job["executor"], accounts[0].as_str(), "{job}");
	}
	let seen = front.seen();
	for how in Hostility::ALL {
		assert!(seen.contains(&how), "the front never answered {how:?}: {seen:?}");
	}
	let status = json(&url, &["host", "status", "bob"]);
	assert!(status["reputation"].as_u64().unwrap() < reputation, "{status}");
	let log = node.log();
	for why in [
		"the executor's answer is not a job status",
		"the answer is larger than 4194304 bytes",
		"did not answer in 3000 ms",
	] {
		assert!(log.contains(why), "the node's log never says {why:?}");
	}
	println!(
		"[faults] 3. Bob's executor behind a hostile front (garbage, a huge body, silence): its \
		 three jobs reassigned and served by Alice; Bob's reputation {reputation} -> {} \
		 ({:.1} s)",
		status["reputation"],
		started.elapsed().as_secs_f64()
	);

	// Charged once for each job served, and nothing left held.
	let (_, held_after) = balances(&url, consumer);
	assert_eq!(held_after, held_before, "the consumer's escrow is all released");
	drop((alice, bob, front));
}

/// How [`HostileFront`] answers a job.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Hostility {
	/// `200` with a body that is not JSON.
	Garbage,
	/// `200` with a 16 MiB body.
	Huge,
	/// Nothing: the connection stays open, unanswered.
	Silent,
}

impl Hostility {
	const ALL: [Hostility; 3] = [Hostility::Garbage, Hostility::Huge, Hostility::Silent];
}

/// A hostile front for an executor: it forwards every request to the executor behind it (so
/// that its host proves its compute and is drawn) except jobs, which it answers in one of the
/// [`Hostility`] ways, one per job in the order the jobs come. It has no batch routes (`404`),
/// as an executor of before them: the node sends it each job alone.
struct HostileFront {
	port: u16,
	jobs: Arc<Mutex<HashMap<String, Hostility>>>,
	stop: Arc<AtomicBool>,
}

impl HostileFront {
	fn start(upstream: u16) -> Self {
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let port = listener.local_addr().unwrap().port();
		let jobs = Arc::new(Mutex::new(HashMap::new()));
		let stop = Arc::new(AtomicBool::new(false));
		let (shared, stopping) = (jobs.clone(), stop.clone());
		std::thread::spawn(move || {
			for stream in listener.incoming() {
				if stopping.load(Ordering::Relaxed) {
					break;
				}
				let Ok(stream) = stream else { continue };
				let (jobs, stop) = (shared.clone(), stopping.clone());
				std::thread::spawn(move || {
					let _ = serve(stream, upstream, &jobs, &stop);
				});
			}
		});
		HostileFront { port, jobs, stop }
	}

	fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}

	/// The ways it answered jobs.
	fn seen(&self) -> Vec<Hostility> {
		self.jobs.lock().unwrap().values().copied().collect()
	}
}

impl Drop for HostileFront {
	fn drop(&mut self) {
		self.stop.store(true, Ordering::Relaxed);
		// Wakes the accepting thread, which then stops.
		let _ = TcpStream::connect(("127.0.0.1", self.port));
	}
}

/// One line, without its `\r\n`.
fn read_line(stream: &mut TcpStream) -> std::io::Result<String> {
	let mut line = Vec::new();
	let mut byte = [0u8; 1];
	while !line.ends_with(b"\r\n") {
		if stream.read(&mut byte)? == 0 {
			return Err(std::io::ErrorKind::UnexpectedEof.into());
		}
		line.push(byte[0]);
	}
	line.truncate(line.len() - 2);
	Ok(String::from_utf8_lossy(&line).to_string())
}

/// One request: its head (request line and headers, but those that frame the body) and its
/// body, whole (the node's offchain HTTP client sends bodies in chunks).
fn read_request(stream: &mut TcpStream) -> std::io::Result<(Vec<String>, Vec<u8>)> {
	let mut head = Vec::new();
	loop {
		let line = read_line(stream)?;
		if line.is_empty() {
			break;
		}
		head.push(line);
	}
	let header = |name: &str| {
		head.iter().filter_map(|line| line.split_once(':')).find_map(|(key, value)| {
			key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_ascii_lowercase())
		})
	};
	let mut body = Vec::new();
	if header("transfer-encoding").is_some_and(|coding| coding.contains("chunked")) {
		loop {
			let size = read_line(stream)?;
			let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
				.map_err(|_| std::io::ErrorKind::InvalidData)?;
			if size == 0 {
				while !read_line(stream)?.is_empty() {}
				break;
			}
			let start = body.len();
			body.resize(start + size, 0);
			stream.read_exact(&mut body[start..])?;
			read_line(stream)?;
		}
	} else if let Some(length) = header("content-length") {
		body.resize(length.parse().map_err(|_| std::io::ErrorKind::InvalidData)?, 0);
		stream.read_exact(&mut body)?;
	}
	let framing = ["transfer-encoding:", "content-length:", "connection:"];
	head.retain(|line| !framing.iter().any(|f| line.to_ascii_lowercase().starts_with(f)));
	Ok((head, body))
}

fn serve(
	mut stream: TcpStream,
	upstream: u16,
	jobs: &Mutex<HashMap<String, Hostility>>,
	stop: &AtomicBool,
) -> std::io::Result<()> {
	let (head, body) = read_request(&mut stream)?;
	let mut words = head.first().map(|line| line.split_whitespace()).into_iter().flatten();
	let (method, path) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
	if path.starts_with("/v1/batch/") {
		let body = r#"{"error":{"code":"not_found","message":"no such endpoint"}}"#;
		return write!(
			stream,
			"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
			 Connection: close\r\n\r\n{body}",
			body.len()
		);
	}
	let job = match (method, path.strip_prefix("/v1/jobs")) {
		("POST", Some("")) => serde_json::from_slice::<serde_json::Value>(&body)
			.ok()
			.and_then(|request| request["id"].as_str().map(str::to_string)),
		("GET", Some(id)) => id.strip_prefix('/').map(str::to_string),
		_ => None,
	};
	let Some(job) = job else {
		// Everything else goes to the executor, one request per connection.
		let mut executor = TcpStream::connect(("127.0.0.1", upstream))?;
		write!(
			executor,
			"{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
			head.join("\r\n"),
			body.len()
		)?;
		executor.write_all(&body)?;
		let mut answer = Vec::new();
		executor.read_to_end(&mut answer)?;
		let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(answer.len());
		let answer_head = String::from_utf8_lossy(&answer[..split]).to_string();
		let answer_head: Vec<&str> = answer_head
			.lines()
			.filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
			.collect();
		write!(stream, "{}\r\nConnection: close", answer_head.join("\r\n"))?;
		return stream.write_all(&answer[split..]);
	};
	let how = {
		let mut jobs = jobs.lock().unwrap();
		let next = Hostility::ALL[jobs.len() % Hostility::ALL.len()];
		*jobs.entry(job).or_insert(next)
	};
	match how {
		Hostility::Garbage => {
			let body = "{\"version\": 3, \"status\": [not json";
			write!(
				stream,
				"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
				 Connection: close\r\n\r\n{body}",
				body.len()
			)
		},
		Hostility::Huge => {
			let length = 16usize << 20;
			write!(
				stream,
				"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\
				 Connection: close\r\n\r\n{{\"version\":3,\"status\":\"done\",\"output\":\""
			)?;
			let chunk = vec![b'a'; 64 << 10];
			for _ in 0..length / chunk.len() {
				// The node stops reading past its bound and closes: that ends this.
				stream.write_all(&chunk)?;
			}
			Ok(())
		},
		Hostility::Silent => {
			let until = Instant::now() + Duration::from_secs(120);
			while Instant::now() < until && !stop.load(Ordering::Relaxed) {
				std::thread::sleep(Duration::from_millis(200));
			}
			Ok(())
		},
	}
}

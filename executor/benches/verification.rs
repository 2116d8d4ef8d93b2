//! The verification benchmark: how often each kind of cheat is caught, how often an honest host
//! is wrongly accused, and what checking costs against generating. Prints tables.
//!
//! `cargo bench -p daya-executor --bench verification -- [--OPTION N]...` with, per model
//! (`dev-` or `smollm2-`): `jobs` per cheat row (3,000 and 50), `calibration` honest jobs
//! (2,000 and 25), `honest` held-out jobs (7,000 and 50) and `paths` jobs per thread-count
//! path (500 and 10); `--dev-truncated` truncations (as many as `--dev-jobs`); through
//! llama.cpp (`llama-`): `jobs` (50), `calibration` (100) and `honest` (100); `--tokens`
//! output tokens (128). A section whose counts are all 0 is left out. SmolLM2 is read from where
//! `scripts/setup.sh` puts it.
//!
//! Each row runs jobs (prompts and sampler keys drawn from a fixed seed, a third of them
//! greedy, the rest sampled at temperature 0.7) through a generator, and checks every result
//! with the honest model under the model's registered policy. Honest rows count false
//! positives; cheat rows count detections. Rates come with their 95% Clopper-Pearson bound.
//! The honest rows also print the noise the policy must absorb (the largest margin of a
//! mismatch, near ties per 1,000 tokens, the largest fingerprint deviation). The registered
//! policy is set against a calibration set and its false positives are counted on a disjoint
//! held-out set and on other engine paths (thread counts). Cheats that edit an honest claim
//! (fabricated, edited, empty, inflated prompt) reuse the honest set's generations.

use std::{
	collections::HashMap,
	ops::Range,
	path::Path,
	time::{Duration, Instant},
};

use candle_core::Device;
use daya_executor::{
	config::smollm2_path,
	dev_model,
	engine::{default_device, Engine},
	gguf::Tamper,
	proxy::ProxyEngine,
	sampler::Sampler,
	CandleEngine, FinishReason, Generation,
};
use daya_protocol::{blake2_256, ExecutionResult, Judgement, Policy};

/// How a row's results are made.
#[derive(Clone, Copy)]
enum Cheat {
	/// Nothing: the honest model's output.
	Honest,
	/// Another model's output (the generator differs).
	Substitute,
	/// Random token ids, with their text, and blank fingerprints.
	Fabricated,
	/// The honest output with one token changed.
	Edited,
	/// An honest output cut short: generated for fewer tokens than the job asks, claimed for
	/// the job.
	Truncated,
	/// No tokens at all.
	Empty,
	/// The honest output billed for more prompt tokens.
	InflatedPrompt,
}

struct Row {
	label: String,
	jobs: u32,
	flagged: u32,
	generation: Duration,
	checking: Duration,
	tokens: u64,
	noise: Noise,
}

#[derive(Default)]
struct Noise {
	max_margin: u32,
	near_ties: u64,
	max_deviation: u32,
	/// The job with the most near ties beyond what the policy allows it (or the fewest short
	/// of it): its near ties, tokens and allowance.
	worst_job: Option<(u32, u32, u32)>,
	/// The smallest of the jobs' largest fingerprint deviations: the tolerance under which
	/// fingerprints alone would have caught every job of the row.
	min_job_deviation: Option<u32>,
}

fn arg(name: &str, default: u32) -> u32 {
	let args: Vec<String> = std::env::args().collect();
	args.iter()
		.position(|a| a == name)
		.and_then(|i| args.get(i + 1))
		.and_then(|v| v.parse().ok())
		.unwrap_or(default)
}

/// A job's prompt and sampler, from its index.
fn job(i: u32) -> (String, Sampler) {
	const TOPICS: [&str; 12] = [
		"the history of the printing press",
		"how a GPU multiplies matrices",
		"why the sky is blue",
		"a recipe for bread",
		"the rules of chess",
		"how vaccines work",
		"the water cycle",
		"a short story about a lighthouse keeper",
		"the causes of inflation",
		"how to learn a new language",
		"the life of bees",
		"what a blockchain is",
	];
	const FORMS: [&str; 4] = [
		"Write about {}.",
		"Explain {} to a child.",
		"Tell me about {}.",
		"Describe {} in detail.",
	];
	let topic = TOPICS[(i as usize) % TOPICS.len()];
	let form = FORMS[(i as usize / TOPICS.len()) % FORMS.len()];
	let prompt = format!("{} (#{i})", form.replace("{}", topic));
	let key = blake2_256(&i.to_le_bytes());
	let temperature = if i.is_multiple_of(3) { 0 } else { 700 };
	(prompt, Sampler::new(temperature, key))
}

/// Clopper-Pearson 95% interval of `k` successes in `n` trials.
fn interval(k: u32, n: u32) -> (f64, f64) {
	if n == 0 {
		return (0.0, 1.0);
	}
	let lower = if k == 0 { 0.0 } else { beta_quantile(0.025, k, n - k + 1) };
	let upper = if k == n { 1.0 } else { beta_quantile(0.975, k + 1, n - k) };
	(lower, upper)
}

/// The `p` quantile of Beta(a, b), by bisection on its CDF (the regularised incomplete beta,
/// from the binomial sum: exact for integer parameters).
fn beta_quantile(p: f64, a: u32, b: u32) -> f64 {
	// I_x(a, b) = P(Bin(a + b - 1, x) >= a).
	let cdf = |x: f64| {
		let n = a + b - 1;
		let mut sum = 0.0;
		let mut log_choose = 0.0f64;
		for j in 0..=n {
			if j > 0 {
				log_choose += ((n - j + 1) as f64).ln() - (j as f64).ln();
			}
			if j >= a {
				sum += (log_choose + j as f64 * x.ln() + (n - j) as f64 * (1.0 - x).ln()).exp();
			}
		}
		sum
	};
	let (mut lo, mut hi) = (0.0f64, 1.0f64);
	for _ in 0..60 {
		let mid = (lo + hi) / 2.0;
		if cdf(mid) < p {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	(lo + hi) / 2.0
}

fn decode(e: &CandleEngine, ids: &[u32]) -> String {
	e.tokenizer().decode(ids, true).unwrap_or_default()
}

/// The rows of cheats that edit the honest outputs of jobs `0..jobs`, then the truncations.
fn edit_rows(
	rows: &mut Vec<Row>,
	honest: &CandleEngine,
	source: &mut Source,
	edits: &[(&str, Cheat)],
	policy: &Policy,
	jobs: u32,
	tokens: u32,
) {
	for &(label, cheat) in edits {
		rows.push(row(label, honest, None, source, cheat, policy, 0..jobs, tokens));
	}
	rows.push(row("truncated", honest, None, source, Cheat::Truncated, policy, 0..jobs, tokens));
}

/// `--smollm2-only WORD`, if given.
fn only() -> Option<String> {
	let args: Vec<String> = std::env::args().collect();
	args.iter()
		.position(|a| a == "--smollm2-only")
		.and_then(|i| args.get(i + 1))
		.cloned()
}

/// The job closest to (or furthest beyond) the near-tie allowance, in words.
fn worst(noise: &Noise) -> String {
	match noise.worst_job {
		Some((n, tokens, allowed)) => {
			format!("{n} near ties in {tokens} tokens (allowed {allowed})")
		},
		None => "none".into(),
	}
}

/// Runs `f` with candle's CPU kernels on `threads` threads (`None`: all cores).
fn on_threads<R>(threads: Option<usize>, f: impl FnOnce() -> R) -> R {
	match threads {
		Some(n) => std::env::set_var("RAYON_NUM_THREADS", n.to_string()),
		None => std::env::remove_var("RAYON_NUM_THREADS"),
	}
	let r = f();
	std::env::remove_var("RAYON_NUM_THREADS");
	r
}

/// Where a row's generations come from: a model, on some number of threads, keeping what it
/// made so that rows which only edit a claim check the same outputs without generating again.
struct Source<'a> {
	engine: &'a dyn Engine,
	threads: Option<usize>,
	/// Greedy jobs only (what a greedy-only host is drawn for).
	greedy: bool,
	/// Deliver without fingerprints (as a greedy-only host does).
	no_fingerprints: bool,
	made: HashMap<(u32, u32), (Generation, Duration)>,
}

impl<'a> Source<'a> {
	fn new(engine: &'a dyn Engine, threads: Option<usize>) -> Self {
		Self { engine, threads, greedy: false, no_fingerprints: false, made: HashMap::new() }
	}

	/// Greedy jobs, delivered without fingerprints: what a greedy-only host is drawn for and
	/// delivers.
	fn greedy_only(mut self) -> Self {
		self.greedy = true;
		self.no_fingerprints = true;
		self
	}

	/// Job `i` as this source runs it.
	fn job(&self, i: u32) -> (String, Sampler) {
		let (prompt, sampler) = job(i);
		let sampler = if self.greedy { Sampler::new(0, sampler.key) } else { sampler };
		(prompt, sampler)
	}

	/// Job `i`'s output of at most `tokens` tokens, and how long making it took.
	fn generate(&mut self, i: u32, tokens: u32) -> (Generation, Duration) {
		let (engine, threads, no_fingerprints) = (self.engine, self.threads, self.no_fingerprints);
		let (prompt, sampler) = self.job(i);
		self.made
			.entry((i, tokens))
			.or_insert_with(|| {
				let started = Instant::now();
				let mut g = on_threads(threads, || engine.generate(&prompt, tokens, sampler))
					.expect("generation");
				if no_fingerprints {
					g.fingerprints.clear();
				}
				(g, started.elapsed())
			})
			.clone()
	}
}

/// Runs jobs `jobs` of `tokens` output tokens made by `source` as `cheat`, checked by `honest`
/// (on `threads` threads) under `policy`.
#[allow(clippy::too_many_arguments)]
fn row(
	label: &str,
	honest: &CandleEngine,
	threads: Option<usize>,
	source: &mut Source,
	cheat: Cheat,
	policy: &Policy,
	jobs: Range<u32>,
	tokens: u32,
) -> Row {
	let mut r = Row {
		label: label.to_string(),
		jobs: 0,
		flagged: 0,
		generation: Duration::ZERO,
		checking: Duration::ZERO,
		tokens: 0,
		noise: Noise::default(),
	};
	let vocab = honest.tokenizer().get_vocab_size(true) as u32;
	// As many jobs as the range holds; a truncation row skips outputs that stopped on their own
	// and goes on past the range (four times its length at most) to count as many.
	let target = jobs.len() as u32;
	for i in jobs.start..jobs.start + 4 * target {
		if r.jobs == target {
			break;
		}
		let (prompt, sampler) = source.job(i);
		let asked = match cheat {
			Cheat::Truncated => tokens / 2,
			_ => tokens,
		};
		let (g, took) = source.generate(i, asked);
		r.generation += took;
		r.tokens += u64::from(g.completion_tokens);
		let mut claim: ExecutionResult = g.result();
		let pick = blake2_256(&(i ^ 0x5eed).to_le_bytes());
		let pick = u64::from_le_bytes(pick[..8].try_into().unwrap());
		match cheat {
			Cheat::Honest | Cheat::Substitute => {},
			Cheat::Fabricated => {
				let mut rng = daya_executor::dev_model::SplitMix64(pick);
				claim.tokens = (0..claim.tokens.len())
					.map(|_| (rng.next_u64() % u64::from(vocab)) as u32)
					.collect();
				claim.output = decode(honest, &claim.tokens);
				for f in claim.fingerprints.iter_mut() {
					*f = Default::default();
				}
			},
			Cheat::Edited => {
				let at = (pick % claim.tokens.len() as u64) as usize;
				let old = claim.tokens[at];
				claim.tokens[at] = (old + 1 + (pick >> 32) as u32 % (vocab - 1)) % vocab;
				claim.output = decode(honest, &claim.tokens);
			},
			Cheat::Truncated => {
				// An output that stopped on its own is no truncation: keep the row about cuts.
				if g.finish_reason == FinishReason::Stop {
					continue;
				}
			},
			Cheat::Empty => {
				claim.tokens.clear();
				claim.output.clear();
				claim.fingerprints.clear();
			},
			Cheat::InflatedPrompt => claim.prompt_tokens += 1 + (pick % 16) as u32,
		}
		let started = Instant::now();
		let checked =
			on_threads(threads, || honest.check(&prompt, tokens, sampler, &claim, policy, None))
				.expect("check");
		r.checking += started.elapsed();
		r.jobs += 1;
		if checked.judgement != Judgement::Valid {
			r.flagged += 1;
		}
		let rep = checked.report;
		r.noise.max_margin = r.noise.max_margin.max(rep.max_margin_micro);
		r.noise.near_ties += u64::from(rep.mismatches);
		r.noise.max_deviation = r.noise.max_deviation.max(rep.max_deviation_ppm);
		r.noise.min_job_deviation = Some(
			r.noise
				.min_job_deviation
				.map_or(rep.max_deviation_ppm, |m| m.min(rep.max_deviation_ppm)),
		);
		let allowed = policy.near_ties_allowed(rep.tokens);
		let excess = |(n, _, a): (u32, u32, u32)| i64::from(n) - i64::from(a);
		let this = (rep.near_ties, rep.tokens, allowed);
		if r.noise.worst_job.is_none_or(|w| excess(this) > excess(w)) {
			r.noise.worst_job = Some(this);
		}
	}
	r
}

/// The honest rows of a model: a calibration set, a disjoint held-out set on the same engine
/// path, and the other thread counts; then the registered policy set against the calibration
/// set's noise.
#[allow(clippy::too_many_arguments)]
fn honest_rows(
	rows: &mut Vec<Row>,
	engine: &CandleEngine,
	source: &mut Source,
	policy: &Policy,
	calibration: u32,
	held_out: u32,
	paths: u32,
	tokens: u32,
) {
	let cal = row(
		"honest: calibration set",
		engine,
		None,
		source,
		Cheat::Honest,
		policy,
		0..calibration,
		tokens,
	);
	let near_tie_rate = cal.noise.near_ties as f64 * 1000.0 / cal.tokens.max(1) as f64;
	if cal.jobs > 0 {
		println!(
		"  calibration: {} jobs, {} tokens; largest honest margin {} µnat (policy: conclusive above \
		 {}), near ties {near_tie_rate:.2} per 1,000 tokens (policy: {} + {} per 1,000), largest \
		 fingerprint deviation {} ppm (policy: {}, {:.0}x); closest job to the near-tie \
		 allowance: {}",
		cal.jobs,
		cal.tokens,
		cal.noise.max_margin,
		policy.conclusive_margin_micro,
		policy.near_ties_base,
		policy.near_ties_per_kilo,
		cal.noise.max_deviation,
		policy.fingerprint_tolerance_ppm,
		f64::from(policy.fingerprint_tolerance_ppm) / f64::from(cal.noise.max_deviation.max(1)),
		worst(&cal.noise)
		);
	}
	rows.push(cal);
	let held = calibration..calibration + held_out;
	rows.push(row(
		"honest: held-out set",
		engine,
		None,
		source,
		Cheat::Honest,
		policy,
		held,
		tokens,
	));
	// Across thread counts: generated on one thread, checked on two, and the other way round.
	let base = 1_000_000;
	let mut one = Source::new(engine, Some(1));
	rows.push(row(
		"honest: 1 thread generates, 2 check",
		engine,
		Some(2),
		&mut one,
		Cheat::Honest,
		policy,
		base..base + paths,
		tokens,
	));
	let mut two = Source::new(engine, Some(2));
	rows.push(row(
		"honest: 2 threads generate, 1 checks",
		engine,
		Some(1),
		&mut two,
		Cheat::Honest,
		policy,
		base + paths..base + 2 * paths,
		tokens,
	));
}

fn print_rows(title: &str, rows: &[Row]) {
	println!("\n{title}");
	println!(
		"| row | jobs | flagged | rate | 95% interval | check/generate | max margin (µnat) | mismatches /1k tokens | max fingerprint dev (ppm) | least job's max dev (ppm) |"
	);
	println!("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
	for r in rows.iter().filter(|r| r.jobs > 0) {
		let (lo, hi) = interval(r.flagged, r.jobs);
		let rate = if r.jobs == 0 { 0.0 } else { f64::from(r.flagged) / f64::from(r.jobs) };
		let share = r.checking.as_secs_f64() / r.generation.as_secs_f64().max(1e-9);
		println!(
			"| {} | {} | {} | {:.4} | [{:.4}, {:.4}] | {:.1}% | {} | {:.2} | {} | {} |",
			r.label,
			r.jobs,
			r.flagged,
			rate,
			lo,
			hi,
			share * 100.0,
			r.noise.max_margin,
			r.noise.near_ties as f64 * 1000.0 / (r.tokens.max(1) as f64),
			r.noise.max_deviation,
			r.noise.min_job_deviation.unwrap_or(0)
		);
	}
}

/// Cheats that edit an honest claim: they check the honest set's outputs again.
const EDITS: [(&str, Cheat); 4] = [
	("fabricated", Cheat::Fabricated),
	("edited (one token)", Cheat::Edited),
	("empty", Cheat::Empty),
	("inflated prompt count", Cheat::InflatedPrompt),
];

/// The dev model's rows.
fn dev_section(
	device: &Device,
	dev_jobs: u32,
	dev_calibration: u32,
	dev_honest: u32,
	dev_paths: u32,
	dev_truncated: u32,
	tokens: u32,
) {
	let edits = EDITS;
	// The dev model and a substitute of the same architecture with other weights.
	let dir = std::env::temp_dir().join(format!("daya-verification-{}", std::process::id()));
	dev_model::write(&dir.join("dev")).unwrap();
	dev_model::write_salted(&dir.join("other"), 7).unwrap();
	let dev = CandleEngine::load_on(&dir.join("dev"), "dev", device).unwrap();
	let other = CandleEngine::load_on(&dir.join("other"), "dev", device).unwrap();
	let policy = daya_protocol::dev_model::POLICY;
	println!("\ndev model:");
	let mut rows = Vec::new();
	let mut honest = Source::new(&dev, None);
	honest_rows(
		&mut rows,
		&dev,
		&mut honest,
		&policy,
		dev_calibration,
		dev_honest,
		dev_paths,
		tokens,
	);
	let mut substitute = Source::new(&other, None);
	rows.push(row(
		"substitute: another seed",
		&dev,
		None,
		&mut substitute,
		Cheat::Substitute,
		&policy,
		100_000..100_000 + dev_jobs,
		tokens,
	));
	for (label, cheat) in edits {
		rows.push(row(label, &dev, None, &mut honest, cheat, &policy, 0..dev_jobs, tokens));
	}
	rows.push(row(
		"truncated",
		&dev,
		None,
		&mut honest,
		Cheat::Truncated,
		&policy,
		0..dev_truncated,
		tokens,
	));
	print_rows("dev model (f32, random weights)", &rows);
	drop(honest);
	let _ = std::fs::remove_dir_all(&dir);
}

/// SmolLM2's rows on the candle engine, and what bounds the check's cost.
fn smollm2_section(
	smol: &CandleEngine,
	path: &Path,
	device: &Device,
	smol_jobs: u32,
	smol_calibration: u32,
	smol_honest: u32,
	smol_paths: u32,
	tokens: u32,
) {
	let edits = EDITS;
	let name = daya_protocol::smollm2::NAME;
	let policy = daya_protocol::smollm2::POLICY;
	println!("\nSmolLM2:");
	let mut rows = Vec::new();
	let mut honest = Source::new(smol, None);
	honest_rows(
		&mut rows,
		smol,
		&mut honest,
		&policy,
		smol_calibration,
		smol_honest,
		smol_paths,
		tokens,
	);
	for (label, tamper, sweep) in [
		("substitute: block 15 removed", Tamper::DropBlock(15), false),
		("substitute: 1% noise on every weight", Tamper::Perturb(1), true),
		("downgrade: Q2_K / Q4_0", Tamper::Downgrade, true),
	] {
		// `--smollm2-only WORD`: the substitutes whose label has it, and nothing else.
		if only().is_some_and(|w| !label.contains(w.as_str())) {
			continue;
		}
		let cheater = CandleEngine::load_tampered(path, name, device, tamper).unwrap();
		let mut source = Source::new(&cheater, None);
		let jobs = 100_000..100_000 + smol_jobs;
		rows.push(row(
			label,
			smol,
			None,
			&mut source,
			Cheat::Substitute,
			&policy,
			jobs.clone(),
			tokens,
		));
		if sweep {
			// Detection against output length.
			for n in [16, 32, 64] {
				rows.push(row(
					&format!("{label}, {n} tokens"),
					smol,
					None,
					&mut source,
					Cheat::Substitute,
					&policy,
					jobs.clone(),
					n,
				));
			}
		}
	}
	let edits = if only().is_some() { &[][..] } else { &edits[..] };
	edit_rows(&mut rows, smol, &mut honest, edits, &policy, smol_jobs, tokens);
	print_rows("SmolLM2-135M-Instruct (Q4_1 GGUF; Q4_1 and Q8_0 kept quantized on the CPU, tampered copies dense)", &rows);

	// What bounds the check's cost on this device: a check is one prefill over prompt and
	// output, a generation one decode step per token.
	let messages = [daya_protocol::ChatMessage {
		role: "user".into(),
		content: "Write a long story about a lighthouse keeper and the sea.".into(),
	}];
	let prompt = smol.render_chat(&messages).unwrap();
	let sampler = Sampler::new(700, [3; 32]);
	let (mut generation, mut checking, mut decoded, mut prefilled) =
		(Duration::ZERO, Duration::ZERO, 0u64, 0u64);
	for _ in 0..3 {
		let started = Instant::now();
		let g = smol.generate(&prompt, 256, sampler).unwrap();
		generation += started.elapsed();
		decoded += u64::from(g.completion_tokens);
		prefilled += u64::from(g.prompt_tokens + g.completion_tokens);
		let started = Instant::now();
		let checked = smol.check(&prompt, 256, sampler, &g.result(), &policy, None).unwrap();
		checking += started.elapsed();
		assert_eq!(checked.judgement, Judgement::Valid);
	}
	let decode = decoded as f64 / generation.as_secs_f64();
	let prefill = prefilled as f64 / checking.as_secs_f64();
	println!(
		"\nSmolLM2, {} output tokens after a {}-token prompt: decode {decode:.1} tokens/s, \
		 prefill (the check) {prefill:.1} tokens/s, prefill/decode {:.1}x; \
		 check/generate {:.1}%",
		decoded / 3,
		prefilled / 3 - decoded / 3,
		prefill / decode,
		checking.as_secs_f64() / generation.as_secs_f64() * 100.0
	);
}

/// llama.cpp's server on a free port (`scripts/llama-server.py`), killed on drop.
struct LlamaServer(std::process::Child, String);

impl Drop for LlamaServer {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn llama_server(path: &Path) -> LlamaServer {
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	// Found at run time (`cargo bench` sets the variable): a shared target directory may
	// reuse this binary in another clone than the one that built it.
	let dir =
		std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let script = format!("{dir}/../scripts/llama-server.py");
	let child = std::process::Command::new("python3")
		.arg(script)
		.arg(path)
		.arg(port.to_string())
		.stdout(std::process::Stdio::null())
		.stderr(std::process::Stdio::null())
		.spawn()
		.expect("python3 runs scripts/llama-server.py");
	let server = LlamaServer(child, format!("http://127.0.0.1:{port}"));
	let started = Instant::now();
	while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
		assert!(started.elapsed() < Duration::from_secs(60), "llama.cpp's server did not start");
		std::thread::sleep(Duration::from_millis(100));
	}
	server
}

/// SmolLM2 served by llama.cpp behind the proxy engine (greedy jobs, no fingerprints), checked
/// by the candle engine: the honest noise across engines, and what a greedy-only host's tokens
/// alone reveal of each cheat.
#[allow(clippy::too_many_arguments)]
fn llama_section(
	smol: &CandleEngine,
	path: &Path,
	device: &Device,
	jobs: u32,
	calibration: u32,
	honest_jobs: u32,
	tokens: u32,
) {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	let server = llama_server(path);
	let name = daya_protocol::smollm2::NAME;
	let proxy = runtime
		.block_on(ProxyEngine::connect(&server.1, None, name, path))
		.expect("the proxy connects to llama.cpp");
	let policy = daya_protocol::smollm2::POLICY;
	println!("\nSmolLM2 through llama.cpp (greedy-only host):");
	let mut rows = Vec::new();
	let mut honest = Source::new(&proxy, None).greedy_only();
	let cal = row(
		"honest via llama.cpp: calibration set",
		smol,
		None,
		&mut honest,
		Cheat::Honest,
		&policy,
		0..calibration,
		tokens,
	);
	println!(
		"  calibration: {} jobs, {} tokens; largest honest margin {} µnat, near ties {:.2} per \
		 1,000 tokens (policy: {} + {} per 1,000); closest job to the near-tie allowance: {}",
		cal.jobs,
		cal.tokens,
		cal.noise.max_margin,
		cal.noise.near_ties as f64 * 1000.0 / cal.tokens.max(1) as f64,
		policy.near_ties_base,
		policy.near_ties_per_kilo,
		worst(&cal.noise)
	);
	rows.push(cal);
	rows.push(row(
		"honest via llama.cpp: held-out set",
		smol,
		None,
		&mut honest,
		Cheat::Honest,
		&policy,
		calibration..calibration + honest_jobs,
		tokens,
	));
	for (label, tamper) in [
		("substitute: block 15 removed", Tamper::DropBlock(15)),
		("substitute: 1% noise on every weight", Tamper::Perturb(1)),
		("downgrade: Q2_K / Q4_0", Tamper::Downgrade),
	] {
		let cheater = CandleEngine::load_tampered(path, name, device, tamper).unwrap();
		let mut source = Source::new(&cheater, None).greedy_only();
		rows.push(row(
			&format!("{label}, tokens only"),
			smol,
			None,
			&mut source,
			Cheat::Substitute,
			&policy,
			100_000..100_000 + jobs,
			tokens,
		));
	}
	edit_rows(&mut rows, smol, &mut honest, &EDITS, &policy, jobs, tokens);
	print_rows(
		"SmolLM2 through llama.cpp (greedy jobs, token ids, no fingerprints), checked by candle",
		&rows,
	);
	// The generation times are llama.cpp's: a check by candle against generation by llama.cpp.
	drop(server);
}

fn main() {
	let dev_jobs = arg("--dev-jobs", 3_000);
	let dev_calibration = arg("--dev-calibration", 2_000);
	let dev_honest = arg("--dev-honest", 7_000);
	let dev_paths = arg("--dev-paths", 500);
	let dev_truncated = arg("--dev-truncated", dev_jobs);
	let smol_jobs = arg("--smollm2-jobs", 50);
	let smol_calibration = arg("--smollm2-calibration", 25);
	let smol_honest = arg("--smollm2-honest", 50);
	let smol_paths = arg("--smollm2-paths", 10);
	let llama_jobs = arg("--llama-jobs", 50);
	let llama_calibration = arg("--llama-calibration", 100);
	let llama_honest = arg("--llama-honest", 100);
	let tokens = arg("--tokens", 128);
	let device = default_device();
	println!(
		"verification benchmark on {device:?}, {tokens} output tokens; dev model: {dev_jobs} jobs \
		 per cheat row, {dev_calibration} + {dev_honest} honest, {dev_paths} per thread path; \
		 SmolLM2: {smol_jobs} jobs per cheat row, {smol_calibration} + {smol_honest} honest, \
		 {smol_paths} per thread path; through llama.cpp: {llama_jobs} jobs per cheat row, \
		 {llama_calibration} + {llama_honest} honest"
	);
	if dev_jobs + dev_calibration + dev_honest + dev_paths + dev_truncated > 0 {
		dev_section(
			&device,
			dev_jobs,
			dev_calibration,
			dev_honest,
			dev_paths,
			dev_truncated,
			tokens,
		);
	}
	if smol_jobs == 0 && llama_jobs == 0 {
		return;
	}
	let path = smollm2_path();
	assert!(path.is_file(), "{} is missing: run scripts/setup.sh", path.display());
	let smol = CandleEngine::load_on(&path, daya_protocol::smollm2::NAME, &device).unwrap();
	if smol_jobs > 0 {
		smollm2_section(
			&smol,
			&path,
			&device,
			smol_jobs,
			smol_calibration,
			smol_honest,
			smol_paths,
			tokens,
		);
	}
	if llama_jobs > 0 {
		llama_section(&smol, &path, &device, llama_jobs, llama_calibration, llama_honest, tokens);
	}
}

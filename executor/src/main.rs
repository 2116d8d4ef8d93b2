//! `daya-executor`: serve a model to a Daya node's offchain worker, or write the dev model.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use clap::{Parser, Subcommand};
use daya_executor::{
	config::{Backend, Settings},
	dev_model,
	engine::{CandleEngine, Engine},
	hash::{to_hex, tokenizer_hash, weights_hash},
	proxy::ProxyEngine,
	server,
};

/// A Daya host's inference service.
#[derive(Parser)]
#[command(name = "daya-executor", version, about)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Serve models over HTTP. Every setting is a flag, a DAYA_EXECUTOR_* variable (named in
	/// brackets) and a key of the --config file (the flag's name with underscores); a flag wins
	/// over the variable, the variable over the file.
	Serve {
		/// A TOML file of settings (`listen = "0.0.0.0:8090"`, `models = ["/m.gguf"]`, ...).
		#[arg(long, value_name = "FILE")]
		config: Option<PathBuf>,
		/// Check the settings, print them as the service would run with them (JSON), and exit
		/// without loading a model.
		#[arg(long)]
		check: bool,
		#[command(flatten)]
		settings: Settings,
	},
	/// Write a new random API key (64 hex digits, 256 bits) into a new file readable by its
	/// owner only, for `serve --api-key-file` and `daya host set-executor --api-key-file`.
	NewApiKey {
		/// The file to create (an existing one is never overwritten).
		#[arg(long, value_name = "FILE")]
		out: PathBuf,
	},
	/// Print a model's registry spec (JSON), for `daya model propose register`: its hashes and
	/// context length (as the executor loads it), with defaults to review for the rest.
	Spec {
		/// A GGUF file, or a directory with config.json, *.safetensors and tokenizer.json.
		#[arg(long = "model", alias = "model-dir", value_name = "PATH")]
		model: PathBuf,
		/// The model's name in the registry.
		#[arg(long, value_name = "NAME")]
		name: String,
		/// Where hosts get the files, e.g. `hf:meta-llama/Llama-3.1-8B-Instruct`.
		#[arg(long, value_name = "TEXT", default_value = "")]
		source: String,
		/// The price per token to propose, in DAYA.
		#[arg(long, value_name = "DAYA", default_value = "0.000001")]
		price: String,
	},
	/// Measure proof-of-compute throughput on this machine, as a window's run computes it
	/// (the PoC benchmark's measurement), and print it as JSON: what a host can expect to
	/// prove per second under the limits it runs with (cores, CPU quota).
	PocBench {
		/// `small` (the parameters the runtime ships with) or `large` (a GPU network's).
		#[arg(long, value_name = "SET", default_value = "small")]
		params: String,
		/// Seconds to compute for (the pool's build excluded).
		#[arg(long, value_name = "S", default_value_t = 5.0)]
		seconds: f64,
		/// Threads computing nonces, as `serve --poc-workers`.
		#[arg(long, value_name = "N", default_value_t = 1)]
		workers: usize,
	},
	/// Write the deterministic development model and print its hashes.
	DevModel {
		/// Directory to write into (created if need be).
		#[arg(long, value_name = "DIR")]
		out: PathBuf,
	},
}

fn main() -> ExitCode {
	// An empty `DAYA_EXECUTOR_*` variable sets nothing (as unset), rather than an empty value.
	// Still one thread here: nothing else reads the environment while it changes.
	for (key, value) in std::env::vars_os() {
		if value.is_empty() && key.to_str().is_some_and(|k| k.starts_with("DAYA_EXECUTOR_")) {
			std::env::remove_var(key);
		}
	}
	let cli = match Cli::try_parse() {
		Ok(cli) => cli,
		Err(e) => {
			let from_env = env_behind(&e);
			let _ = e.print();
			if let Some(var) = from_env {
				eprintln!("(that value comes from the environment variable {var})");
			}
			return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
		},
	};
	let result = match cli.command {
		Command::DevModel { out } => dev(&out),
		Command::NewApiKey { out } => new_api_key(&out),
		Command::PocBench { params, seconds, workers } => poc_bench(&params, seconds, workers),
		Command::Spec { model, name, source, price } => {
			spec(&model, &name, &source, &price).map_err(|e| (1, e))
		},
		Command::Serve { config, check, settings } => {
			let file = match config {
				Some(path) => Settings::from_file(&path),
				None => Ok(Settings::default()),
			};
			match file.and_then(|file| file.overridden_by(settings)?.resolve()) {
				Ok(resolved) if check => {
					println!("{}", resolved.describe());
					Ok(())
				},
				Ok(resolved) => serve(resolved).map_err(|e| (1, e)),
				Err(e) => Err((2, e)),
			}
		},
	};
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err((code, message)) => {
			eprintln!("error: {message}");
			ExitCode::from(code)
		},
	}
}

/// The environment variable that gave the value `e` refuses, when no flag on the command line
/// did: clap names the flag only.
fn env_behind(e: &clap::Error) -> Option<String> {
	use clap::{error::ContextKind, CommandFactory};
	let invalid = e.get(ContextKind::InvalidArg)?.to_string();
	let flag = invalid.split_whitespace().next()?.to_string();
	if std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}="))) {
		return None;
	}
	let command = Cli::command();
	let serve = command.find_subcommand("serve")?;
	let arg = serve
		.get_arguments()
		.find(|a| a.get_long().is_some_and(|l| flag == format!("--{l}")))?;
	let var = arg.get_env()?.to_str()?.to_string();
	std::env::var_os(&var).map(|_| var)
}

fn new_api_key(out: &std::path::Path) -> Result<(), (u8, String)> {
	use std::{io::Read, io::Write, os::unix::fs::OpenOptionsExt};
	let mut bytes = [0u8; 32];
	std::fs::File::open("/dev/urandom")
		.and_then(|mut random| random.read_exact(&mut bytes))
		.map_err(|e| (1, format!("reading the system's randomness: {e}")))?;
	let key = daya_protocol::hex::to_hex(&bytes);
	let key = key.trim_start_matches("0x");
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(out)
		.map_err(|e| match e.kind() {
		std::io::ErrorKind::AlreadyExists => {
			(2, format!("--out: {} exists; it is never overwritten", out.display()))
		},
		_ => (1, format!("creating {}: {e}", out.display())),
	})?;
	writeln!(file, "{key}").map_err(|e| (1, format!("writing {}: {e}", out.display())))?;
	println!("{}", serde_json::json!({ "apiKeyFile": out }));
	Ok(())
}

fn poc_bench(params: &str, seconds: f64, workers: usize) -> Result<(), (u8, String)> {
	use daya_executor::poc::{batch_for, measure, WindowKey};
	use daya_protocol::poc::{host_key, PocParams};
	let params = match params {
		"small" => PocParams::SMALL,
		"large" => PocParams::LARGE,
		other => return Err((2, format!("--params: `small` or `large`, not `{other}`"))),
	};
	if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3_600.0) {
		return Err((2, format!("--seconds: more than 0 and at most 3600, not {seconds}")));
	}
	if workers == 0 {
		return Err((2, "--workers: at least 1".into()));
	}
	let device = daya_executor::engine::default_device();
	let window = WindowKey { key: host_key(&[0x5e; 32], &[0xbe; 32]), params };
	let measured = measure(
		window,
		device.clone(),
		workers,
		batch_for(&device),
		std::time::Duration::from_secs_f64(seconds),
	)
	.map_err(|e| (1, e))?;
	println!(
		"{}",
		serde_json::json!({
			"params": params,
			"workers": workers,
			"device": if device.is_cuda() { "cuda" } else { "cpu" },
			"nonces": measured.nonces,
			"computingSeconds": measured.computing.as_secs_f64(),
			"poolSeconds": measured.pool.as_secs_f64(),
			"noncesPerSecond": measured.nonces_per_second(),
		})
	);
	Ok(())
}

fn dev(out: &std::path::Path) -> Result<(), (u8, String)> {
	dev_model::write(out).map_err(|e| (1, format!("writing {}: {e}", out.display())))?;
	let w = weights_hash(out).map_err(|e| (1, e.to_string()))?;
	let t = tokenizer_hash(out).map_err(|e| (1, e.to_string()))?;
	println!("model:          {}", daya_protocol::dev_model::NAME);
	println!("directory:      {}", out.display());
	println!("weights hash:   {}", to_hex(&w));
	println!("tokenizer hash: {}", to_hex(&t));
	Ok(())
}

/// The registry spec of the model at `path`, as `daya model propose register --spec` reads it:
/// its hashes as the executor computes them when it loads the model.
fn spec(path: &std::path::Path, name: &str, source: &str, price: &str) -> Result<(), String> {
	let engine = CandleEngine::load_on(path, name, &candle_core::Device::Cpu)
		.map_err(|e| format!("loading {}: {e:#}", path.display()))?;
	let bytes = if path.is_file() {
		std::fs::metadata(path).map_err(|e| e.to_string())?.len()
	} else {
		let mut bytes = 0u64;
		for file in daya_executor::hash::safetensors_files(path).map_err(|e| e.to_string())? {
			bytes += std::fs::metadata(path.join(&file)).map_err(|e| e.to_string())?.len();
		}
		bytes
	};
	// The weights (as stored) with a fifth more for activations and the KV cache.
	let min_vram_mib = (bytes + bytes / 5).div_ceil(1 << 20);
	// One compute unit per billion parameters (4 bytes each as f32, 2 as f16/bf16: counted
	// as 2), at least one.
	let compute_units = (bytes / 2 / 1_000_000_000).max(1);
	let context = engine.context_length() as u64;
	let weights = engine.weights_hash().unwrap_or_default();
	// A starting policy: the dev model's numbers, to be replaced by the model's measured
	// honest noise (the verification benchmark, docs/verification.md).
	let policy = daya_protocol::dev_model::POLICY;
	let spec = serde_json::json!({
		"name": name,
		"price_per_token": price,
		"version": 1,
		"weights_hash": to_hex(&weights),
		"tokenizer_hash": to_hex(&engine.tokenizer_hash()),
		"source": source,
		"engine": if path.is_file() { "llama-gguf" } else { "llama" },
		"context_length": context,
		"max_output_tokens": context.min(4096) / 4,
		"max_token_bytes": engine.max_token_bytes(),
		"min_vram_mib": min_vram_mib,
		"compute_units_per_token": compute_units,
		"validation": {
			"conclusive_margin_micro": policy.conclusive_margin_micro,
			"near_ties_base": policy.near_ties_base,
			"near_ties_per_kilo": policy.near_ties_per_kilo,
			"fingerprint_tolerance_ppm": policy.fingerprint_tolerance_ppm,
		},
	});
	println!("{}", serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?);
	Ok(())
}

fn serve(resolved: daya_executor::config::Resolved) -> Result<(), String> {
	// Logs go to standard error, filtered by `RUST_LOG` (default: `info`).
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	let _ = tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_writer(std::io::stderr)
		.try_init();
	let runtime = tokio::runtime::Builder::new_multi_thread()
		.enable_all()
		.build()
		.map_err(|e| format!("starting the runtime: {e}"))?;
	runtime.block_on(async move {
		let engines: Vec<Arc<dyn Engine>> = match &resolved.backend {
			Backend::Models(models) => {
				let mut engines: Vec<Arc<dyn Engine>> = Vec::new();
				for m in models {
					let device = daya_executor::engine::default_device();
					let engine = match resolved.tamper {
						Some(tamper) if m.path.is_file() => {
							tracing::warn!(model = %m.name, ?tamper, "serving a TAMPERED model");
							CandleEngine::load_tampered(&m.path, &m.name, &device, tamper)
						},
						_ => CandleEngine::load_on(&m.path, &m.name, &device),
					}
					.map_err(|e| format!("loading {}: {e:#}", m.path.display()))?;
					engines.push(Arc::new(engine));
				}
				engines
			},
			Backend::Proxy { url, upstream, model } => {
				let proxy =
					ProxyEngine::connect(url, upstream.as_deref(), &model.name, &model.path)
						.await
						.map_err(|e| format!("proxy to {url}: {e}"))?;
				tracing::info!(
					model = %model.name,
					%url,
					upstream = proxy.upstream_model(),
					"forwarding: greedy jobs only, no checks; declare the host greedy-only on \
					 chain (`daya host set-kind greedy-only`)"
				);
				vec![Arc::new(proxy)]
			},
		};
		let listener = tokio::net::TcpListener::bind(resolved.listen)
			.await
			.map_err(|e| format!("cannot listen on {}: {e}", resolved.listen))?;
		let addr = listener.local_addr().map_err(|e| e.to_string())?;
		for engine in &engines {
			tracing::info!(
				model = engine.model_name(),
				weights =
					engine.weights_hash().map(|h| to_hex(&h)).unwrap_or_else(|| "unknown".into()),
				"serving on http://{addr}"
			);
		}
		// The peer's address reaches the handlers: without an API key, the private routes
		// answer this machine only.
		let app = server::app(engines, resolved.server)
			.into_make_service_with_connect_info::<std::net::SocketAddr>();
		axum::serve(listener, app)
			.with_graceful_shutdown(shutdown())
			.await
			.map_err(|e| format!("serving: {e}"))
	})
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown() {
	#[cfg(unix)]
	{
		use tokio::signal::unix::{signal, SignalKind};
		if let Ok(mut term) = signal(SignalKind::terminate()) {
			tokio::select! {
				_ = tokio::signal::ctrl_c() => {},
				_ = term.recv() => {},
			}
			return;
		}
	}
	let _ = tokio::signal::ctrl_c().await;
}

//! Configuration: a TOML file, then `DAYA_EXECUTOR_*` environment variables, then flags (flags
//! win), each setting declared once in [`Settings`].

use std::{net::SocketAddr, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::server::ServerConfig;

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8090";

/// Settings of `daya-executor serve`, each declared once: its flag, its `DAYA_EXECUTOR_*`
/// variable and its key in the TOML file (the field's name) all come from the field below. A
/// flag wins over the variable, the variable over the file.
#[derive(clap::Args, Deserialize, Serialize, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
	/// The address to serve on [default: 127.0.0.1:8090].
	#[arg(long, env = "DAYA_EXECUTOR_LISTEN", value_name = "ADDR")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub listen: Option<String>,
	/// A model to serve, as `NAME=PATH` or `PATH` (repeat, or separate by commas, for several):
	/// a GGUF file, or a directory with config.json, *.safetensors and tokenizer.json. Without
	/// a name, SmolLM2's file takes its registry name and a directory the dev model's.
	#[arg(
		long = "model",
		alias = "model-dir",
		env = "DAYA_EXECUTOR_MODELS",
		value_name = "[NAME=]PATH",
		value_delimiter = ','
	)]
	#[serde(default, skip_serializing_if = "Vec::is_empty")]
	pub models: Vec<String>,
	/// Jobs waiting at most [default: 256, the jobs the chain may have open with one host].
	#[arg(long, env = "DAYA_EXECUTOR_QUEUE", value_name = "N")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub queue: Option<usize>,
	/// The most tokens a request may ask for [default: the model's context length].
	#[arg(long, env = "DAYA_EXECUTOR_MAX_TOKENS", value_name = "N")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub max_tokens: Option<u32>,
	/// Validations and OpenAI requests waiting for the engine at most; one beyond is refused
	/// with `429 busy` [default: 64].
	#[arg(long, env = "DAYA_EXECUTOR_MAX_WAITING", value_name = "N")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub max_waiting: Option<usize>,
	/// OpenAI requests decoding together in one batch at most [default: 8]; chain jobs and
	/// validations always run alone.
	#[arg(long, env = "DAYA_EXECUTOR_MAX_BATCH", value_name = "N")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub max_batch: Option<usize>,
	/// Behave as a dishonest executor: corrupt every output (for tests of fraud detection).
	#[arg(
		long,
		env = "DAYA_EXECUTOR_CORRUPT_OUTPUTS",
		value_name = "BOOL",
		num_args = 0..=1,
		default_missing_value = "true"
	)]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub corrupt_outputs: Option<bool>,
	/// Behave as a dishonest executor: serve GGUF models with changed weights under their
	/// registered hashes (`downgrade`, `drop-block:N`, `perturb:SEED`; for tests of fraud
	/// detection).
	#[arg(long, env = "DAYA_EXECUTOR_TAMPER", value_name = "HOW")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub tamper: Option<String>,
	/// Forward to this OpenAI-compatible server (llama.cpp's, vLLM), which runs the file of the
	/// one model, instead of running it here: greedy jobs only, no checks.
	#[arg(long, env = "DAYA_EXECUTOR_PROXY_URL", value_name = "URL")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub proxy_url: Option<String>,
	/// The model to ask the proxied server for [default: the only one it lists].
	#[arg(long, env = "DAYA_EXECUTOR_PROXY_MODEL", value_name = "NAME")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub proxy_model: Option<String>,
	/// Threads computing proof-of-compute nonces [default: the cores this process may use].
	#[arg(long, env = "DAYA_EXECUTOR_POC_WORKERS", value_name = "N")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub poc_workers: Option<usize>,
	/// Behave as a dishonest prover: make up this share of the proof-of-compute leaves, in
	/// parts per million (for tests of fraud detection).
	#[arg(long, env = "DAYA_EXECUTOR_POC_FABRICATE_PPM", value_name = "PPM")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub poc_fabricate_ppm: Option<u32>,
	/// A file holding the API key every private route asks for (`Authorization: Bearer KEY`);
	/// without one they answer this machine only. `new-api-key` writes one; the host's node
	/// gets the same key with `daya host set-executor URL --api-key-file FILE`.
	#[arg(long, env = "DAYA_EXECUTOR_API_KEY_FILE", value_name = "FILE")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub api_key_file: Option<PathBuf>,
	/// The largest request body taken, in bytes [default: 4 MiB; at least 1 MiB].
	#[arg(long, env = "DAYA_EXECUTOR_MAX_BODY_BYTES", value_name = "BYTES")]
	#[serde(skip_serializing_if = "Option::is_none")]
	pub max_body_bytes: Option<usize>,
}

/// The smallest `max_body_bytes`: a node's validation request for a 64 KiB output, with its
/// token ids and fingerprints, takes up to about 700 KiB of JSON.
pub const MIN_BODY_BYTES: usize = 1 << 20;

/// Reads the API key in `path`: its one line, surrounding whitespace dropped.
pub fn read_api_key(path: &std::path::Path) -> Result<String, String> {
	let text = std::fs::read_to_string(path)
		.map_err(|e| format!("api_key_file: cannot read {}: {e}", path.display()))?;
	let key = text.trim();
	match daya_protocol::settings::api_key_problem(key) {
		Some(problem) => Err(format!("api_key_file {}: {problem}", path.display())),
		None => Ok(key.to_string()),
	}
}

/// A model to load: its registry name and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
	/// Its name in the registry.
	pub name: String,
	/// A GGUF file or a model directory.
	pub path: PathBuf,
}

impl ModelSpec {
	/// Parses `NAME=PATH` or `PATH`.
	pub fn parse(text: &str) -> Result<Self, String> {
		let (name, path) = match text.split_once('=') {
			Some((name, path)) if !name.is_empty() && !path.is_empty() => {
				(name.to_string(), PathBuf::from(path))
			},
			Some(_) => return Err(format!("models: {text:?} is not NAME=PATH")),
			None => {
				let path = PathBuf::from(text);
				let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default();
				let name = if file == daya_protocol::smollm2::FILE {
					daya_protocol::smollm2::NAME
				} else if file.ends_with(".gguf") {
					return Err(format!(
						"models: name the model of {text:?} as it is registered: NAME={text}"
					));
				} else {
					daya_protocol::dev_model::NAME
				};
				(name.to_string(), path)
			},
		};
		Ok(Self { name, path })
	}
}

/// What to serve, resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Backend {
	/// Models run with candle, one engine each.
	Models(Vec<ModelSpec>),
	/// An OpenAI-compatible server running the registered model file.
	Proxy {
		/// Its base URL.
		url: String,
		/// The model to ask it for; `None`: the only one it lists.
		upstream: Option<String>,
		/// The registered model: its name, and the file whose tokenizer, chat template and
		/// hash the proxy uses (the file the server runs).
		model: ModelSpec,
	},
}

/// A resolved configuration.
#[derive(Clone, Debug)]
pub struct Resolved {
	/// Where to listen.
	pub listen: SocketAddr,
	/// What runs the models.
	pub backend: Backend,
	/// How a dishonest executor changes the weights it loads (tests of fraud detection).
	pub tamper: Option<crate::gguf::Tamper>,
	/// The service's settings.
	pub server: ServerConfig,
}

impl Resolved {
	/// What `serve --check` prints: the settings as the service will run with them (the API
	/// key's presence, never the key).
	pub fn describe(&self) -> serde_json::Value {
		let model = |m: &ModelSpec| serde_json::json!({ "name": m.name, "path": m.path });
		let backend = match &self.backend {
			Backend::Models(models) => {
				serde_json::json!({ "models": models.iter().map(model).collect::<Vec<_>>() })
			},
			Backend::Proxy { url, upstream, model: m } => serde_json::json!({
				"proxy": { "url": url, "upstream": upstream, "model": model(m) },
			}),
		};
		let s = &self.server;
		serde_json::json!({
			"listen": self.listen.to_string(),
			"backend": backend,
			"queue": s.queue,
			"max_tokens": s.max_tokens,
			"max_waiting": s.max_waiting,
			"max_batch": s.max_batch,
			"max_body_bytes": s.max_body_bytes,
			"api_key": s.api_key.is_some(),
			"poc_workers": s.poc.workers,
			"corrupt_outputs": s.corrupt_outputs,
			"poc_fabricate_ppm": s.poc.fabricate_ppm,
			"tamper": self.tamper.is_some(),
		})
	}
}

impl Settings {
	/// Reads a TOML file.
	pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		toml::from_str(&text).map_err(|e| {
			// Where it went wrong: the line, which names the key.
			let at = e.span().map(|span| {
				let start = text[..span.start.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
				let line = text[start..].lines().next().unwrap_or_default();
				format!(" (line {}: `{}`)", text[..start].lines().count() + 1, line.trim())
			});
			format!("{}: {}{}", path.display(), e.message(), at.unwrap_or_default())
		})
	}

	/// `self` with every setting `over` sets replaced.
	pub fn overridden_by(self, over: Settings) -> Result<Self, String> {
		let table = |s: Settings| match toml::Value::try_from(s) {
			Ok(toml::Value::Table(table)) => Ok(table),
			Ok(_) => Err("settings are not a table".to_string()),
			Err(e) => Err(format!("settings: {e}")),
		};
		let mut merged = table(self)?;
		merged.extend(table(over)?);
		toml::Value::Table(merged).try_into().map_err(|e| format!("settings: {e}"))
	}

	/// Checks and completes the settings.
	pub fn resolve(self) -> Result<Resolved, String> {
		let listen = self.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
		let listen: SocketAddr = listen.parse().map_err(|_| {
			format!("listen: {listen:?} is not an address such as {DEFAULT_LISTEN}")
		})?;
		let queue = self.queue.unwrap_or(crate::server::DEFAULT_QUEUE);
		if queue == 0 {
			return Err("queue: must be at least 1".into());
		}
		if self.max_tokens == Some(0) {
			return Err("max_tokens: must be at least 1".into());
		}
		let defaults = ServerConfig::default();
		let max_waiting = self.max_waiting.unwrap_or(defaults.max_waiting);
		if max_waiting == 0 {
			return Err("max_waiting: must be at least 1".into());
		}
		let max_batch = self.max_batch.unwrap_or(defaults.max_batch);
		if max_batch == 0 {
			return Err("max_batch: must be at least 1".into());
		}
		if self.proxy_model.is_some() && self.proxy_url.is_none() {
			return Err("proxy_model: only with proxy_url".into());
		}
		let mut models =
			self.models.iter().map(|m| ModelSpec::parse(m)).collect::<Result<Vec<_>, _>>()?;
		for (i, m) in models.iter().enumerate() {
			if models[..i].iter().any(|o| o.name == m.name) {
				return Err(format!("models: {:?} is named twice", m.name));
			}
		}
		let backend = match (models.len(), self.proxy_url) {
			(0, None) => {
				return Err("no model: pass --model [NAME=]PATH, a GGUF file or a model \
				            directory (`daya-executor dev-model --out DIR` writes one), or \
				            --proxy-url URL --model [NAME=]PATH"
					.into())
			},
			(_, None) => Backend::Models(models),
			(1, Some(url)) => {
				if !(url.starts_with("http://") || url.starts_with("https://")) {
					return Err(format!("proxy_url: {url:?} is not an http(s) URL"));
				}
				Backend::Proxy {
					url: url.trim_end_matches('/').to_string(),
					upstream: self.proxy_model,
					model: models.remove(0),
				}
			},
			(_, Some(_)) => {
				return Err("proxy_url needs exactly one model: --model [NAME=]PATH, the \
				            registered model file the proxied server runs (its tokenizer, chat \
				            template and hash)"
					.into())
			},
		};
		let tamper = self
			.tamper
			.as_deref()
			.map(|t| t.parse().map_err(|e: String| format!("tamper: {e}")))
			.transpose()?;
		if self.poc_workers == Some(0) {
			return Err("poc_workers: at least 1".into());
		}
		if self.poc_fabricate_ppm.is_some_and(|ppm| ppm > 1_000_000) {
			return Err("poc_fabricate_ppm: parts per million, at most 1000000".into());
		}
		let api_key = self.api_key_file.as_deref().map(read_api_key).transpose()?;
		let max_body_bytes = self.max_body_bytes.unwrap_or(crate::server::DEFAULT_MAX_BODY_BYTES);
		if max_body_bytes < MIN_BODY_BYTES {
			return Err(format!(
				"max_body_bytes: at least {MIN_BODY_BYTES} (a node's requests need that much)"
			));
		}
		let poc = crate::server::PocConfig::default();
		Ok(Resolved {
			listen,
			tamper,
			backend,
			server: ServerConfig {
				queue,
				corrupt_outputs: self.corrupt_outputs.unwrap_or(false),
				max_tokens: self.max_tokens,
				poc: crate::server::PocConfig {
					workers: self.poc_workers.unwrap_or(poc.workers),
					fabricate_ppm: self.poc_fabricate_ppm.unwrap_or(0),
					..poc
				},
				api_key,
				max_body_bytes,
				max_waiting,
				max_batch,
				..defaults
			},
		})
	}
}

/// Where `scripts/setup.sh` caches models: `$DAYA_MODELS`, else `$DAYA_CACHE/models`, else
/// `$HOME/.cache/daya/models`.
pub fn models_dir() -> PathBuf {
	let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
	var("DAYA_MODELS")
		.or_else(|| var("DAYA_CACHE").map(|c| c.join("models")))
		.or_else(|| var("HOME").map(|h| h.join(".cache/daya/models")))
		.unwrap_or_else(|| PathBuf::from("models"))
}

/// Where `scripts/setup.sh` puts SmolLM2-135M-Instruct.
pub fn smollm2_path() -> PathBuf {
	models_dir().join(daya_protocol::smollm2::FILE)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[derive(clap::Parser)]
	struct Flags {
		#[command(flatten)]
		settings: Settings,
	}

	fn flags(args: &[&str]) -> Settings {
		use clap::Parser;
		Flags::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
			.unwrap()
			.settings
	}

	#[test]
	fn flags_override_the_file() {
		let file: Settings =
			toml::from_str("listen = \"0.0.0.0:1\"\nqueue = 3\nmodels = [\"/m\"]\nmax_batch = 2")
				.unwrap();
		let over = flags(&["--listen", "127.0.0.1:2", "--max-batch", "5", "--corrupt-outputs"]);
		let r = file.overridden_by(over).unwrap().resolve().unwrap();
		assert_eq!(r.listen.to_string(), "127.0.0.1:2");
		assert_eq!(r.server.queue, 3);
		assert_eq!(r.server.max_batch, 5);
		assert!(r.server.corrupt_outputs);
		let dev = ModelSpec { name: daya_protocol::dev_model::NAME.into(), path: "/m".into() };
		assert_eq!(r.backend, Backend::Models(vec![dev.clone()]));
		let many =
			flags(&["--model", &format!("/m,x=/y.gguf,/c/{}", daya_protocol::smollm2::FILE)]);
		let Backend::Models(models) = many.resolve().unwrap().backend else { panic!() };
		assert_eq!(models[0], dev);
		assert_eq!(models[1], ModelSpec { name: "x".into(), path: "/y.gguf".into() });
		assert_eq!(models[2].name, daya_protocol::smollm2::NAME);
		assert_eq!(flags(&["--corrupt-outputs", "false"]).corrupt_outputs, Some(false));
		assert_eq!(flags(&[]), Settings::default(), "nothing given, nothing set");
	}

	#[test]
	fn an_api_key_comes_from_its_file_and_a_bad_one_is_refused() {
		let dir = std::env::temp_dir().join(format!("daya-key-test-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let with_key = |text: &str| {
			let path = dir.join("key");
			std::fs::write(&path, text).unwrap();
			Settings { models: vec!["/m".into()], api_key_file: Some(path), ..Default::default() }
				.resolve()
		};
		let key = "0123456789abcdef".repeat(4);
		assert_eq!(with_key(&format!("{key}\n")).unwrap().server.api_key, Some(key));
		assert!(with_key("short\n").unwrap_err().contains("32 to 256 characters"));
		assert!(with_key(&format!("{} {}", "a".repeat(20), "b".repeat(20)))
			.unwrap_err()
			.contains("visible ASCII"));
		let missing = Settings {
			models: vec!["/m".into()],
			api_key_file: Some(dir.join("absent")),
			..Default::default()
		};
		assert!(missing.resolve().unwrap_err().contains("cannot read"));
		let small = Settings {
			models: vec!["/m".into()],
			max_body_bytes: Some(1000),
			..Default::default()
		};
		assert!(small.resolve().unwrap_err().contains("max_body_bytes"));
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn bad_settings_are_refused() {
		assert!(Settings::default().resolve().unwrap_err().contains("no model"));
		let s = Settings {
			models: vec!["/m".into()],
			listen: Some("nope".into()),
			..Default::default()
		};
		assert!(s.resolve().unwrap_err().contains("listen"));
		let twice = Settings { models: vec!["/m".into(), "/n".into()], ..Default::default() };
		assert!(twice.resolve().unwrap_err().contains("named twice"));
		let unnamed = Settings { models: vec!["/other.gguf".into()], ..Default::default() };
		assert!(unnamed.resolve().unwrap_err().contains("NAME=/other.gguf"));
		let empty = Settings { models: vec!["=/x".into()], ..Default::default() };
		assert!(empty.resolve().unwrap_err().contains("not NAME=PATH"));
		let zero = Settings { models: vec!["/m".into()], max_batch: Some(0), ..Default::default() };
		assert!(zero.resolve().unwrap_err().contains("max_batch"));
		let lonely = Settings {
			models: vec!["/m".into()],
			proxy_model: Some("m".into()),
			..Default::default()
		};
		assert!(lonely.resolve().unwrap_err().contains("proxy_model"));
		assert!(toml::from_str::<Settings>("colour = 1").is_err());
		let s = Settings { proxy_url: Some("http://x".into()), ..Default::default() };
		assert!(s.resolve().unwrap_err().contains("exactly one model"));
		let s = Settings {
			proxy_url: Some("http://x/".into()),
			models: vec!["m=/m.gguf".into()],
			..Default::default()
		};
		assert_eq!(
			s.resolve().unwrap().backend,
			Backend::Proxy {
				url: "http://x".into(),
				upstream: None,
				model: ModelSpec { name: "m".into(), path: "/m.gguf".into() },
			}
		);
	}
}

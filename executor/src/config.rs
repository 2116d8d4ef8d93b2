//! Configuration: a TOML file, then `DAYA_EXECUTOR_*` environment variables, then flags (flags
//! win).

use std::{net::SocketAddr, path::PathBuf};

use serde::Deserialize;

use crate::server::ServerConfig;

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8090";

/// Settings of `daya-executor serve`. Every field is optional in the file.
#[derive(Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
	/// `listen`: the address to serve on (`DAYA_EXECUTOR_LISTEN`).
	pub listen: Option<String>,
	/// `models`: the models to serve, each `NAME=PATH` or `PATH` (`DAYA_EXECUTOR_MODELS`,
	/// comma-separated): a GGUF file, or a directory with `config.json`, `*.safetensors` and
	/// `tokenizer.json`. Without a name, SmolLM2's file is named as the registry names it, and
	/// a directory takes the dev model's name.
	#[serde(default)]
	pub models: Vec<String>,
	/// `queue`: jobs waiting at most (`DAYA_EXECUTOR_QUEUE`), 64 by default.
	pub queue: Option<usize>,
	/// `max_tokens`: the most tokens a request may ask for (`DAYA_EXECUTOR_MAX_TOKENS`); the
	/// model's context length by default.
	pub max_tokens: Option<u32>,
	/// `corrupt_outputs`: behave as a dishonest executor (`DAYA_EXECUTOR_CORRUPT_OUTPUTS`).
	pub corrupt_outputs: Option<bool>,
	/// `tamper`: behave as a dishonest executor that serves changed weights under the
	/// registered hashes, `downgrade`, `drop-block:N` or `perturb:SEED`, GGUF models only
	/// (`DAYA_EXECUTOR_TAMPER`).
	pub tamper: Option<String>,
	/// `proxy_url`: forward to this OpenAI-compatible server (llama.cpp's, vLLM) running the
	/// one model of `models`, instead of running it here; greedy jobs only
	/// (`DAYA_EXECUTOR_PROXY_URL`).
	pub proxy_url: Option<String>,
	/// `proxy_model`: the model name to ask the proxied server for; the only one it lists when
	/// absent (`DAYA_EXECUTOR_PROXY_MODEL`).
	pub proxy_model: Option<String>,
	/// `poc_workers`: threads computing proof-of-compute nonces (`DAYA_EXECUTOR_POC_WORKERS`);
	/// the cores the process may use by default.
	pub poc_workers: Option<usize>,
	/// `poc_fabricate_ppm`: behave as a dishonest prover that makes up this share of its
	/// proof-of-compute leaves, in parts per million (`DAYA_EXECUTOR_POC_FABRICATE_PPM`).
	pub poc_fabricate_ppm: Option<u32>,
	/// `api_key_file`: a file holding the API key every private route asks for
	/// (`DAYA_EXECUTOR_API_KEY_FILE`); without one they answer this machine only. The same key
	/// is set on the host's node with `daya host set-executor URL --api-key-file FILE`.
	pub api_key_file: Option<PathBuf>,
	/// `max_body_bytes`: the largest request body taken (`DAYA_EXECUTOR_MAX_BODY_BYTES`),
	/// 4 MiB by default.
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

impl Settings {
	/// Reads a TOML file.
	pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
	}

	/// Reads the `DAYA_EXECUTOR_*` variables through `var`.
	pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
		let get = |name: &str| var(&format!("DAYA_EXECUTOR_{name}")).filter(|v| !v.is_empty());
		fn parse<T: std::str::FromStr>(name: &str, v: Option<String>) -> Result<Option<T>, String> {
			v.map(|v| {
				v.parse()
					.map_err(|_| format!("DAYA_EXECUTOR_{name}: {v:?} is not a valid value"))
			})
			.transpose()
		}
		Ok(Self {
			listen: get("LISTEN"),
			models: get("MODELS")
				.map(|v| {
					v.split(',').map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect()
				})
				.unwrap_or_default(),
			queue: parse("QUEUE", get("QUEUE"))?,
			max_tokens: parse("MAX_TOKENS", get("MAX_TOKENS"))?,
			corrupt_outputs: parse("CORRUPT_OUTPUTS", get("CORRUPT_OUTPUTS"))?,
			tamper: get("TAMPER"),
			proxy_url: get("PROXY_URL"),
			proxy_model: get("PROXY_MODEL"),
			poc_workers: parse("POC_WORKERS", get("POC_WORKERS"))?,
			poc_fabricate_ppm: parse("POC_FABRICATE_PPM", get("POC_FABRICATE_PPM"))?,
			api_key_file: get("API_KEY_FILE").map(PathBuf::from),
			max_body_bytes: parse("MAX_BODY_BYTES", get("MAX_BODY_BYTES"))?,
		})
	}

	/// `self` with every field `over` sets replaced.
	pub fn overridden_by(self, over: Settings) -> Self {
		Self {
			listen: over.listen.or(self.listen),
			models: if over.models.is_empty() { self.models } else { over.models },
			queue: over.queue.or(self.queue),
			max_tokens: over.max_tokens.or(self.max_tokens),
			corrupt_outputs: over.corrupt_outputs.or(self.corrupt_outputs),
			tamper: over.tamper.or(self.tamper),
			proxy_url: over.proxy_url.or(self.proxy_url),
			proxy_model: over.proxy_model.or(self.proxy_model),
			poc_workers: over.poc_workers.or(self.poc_workers),
			poc_fabricate_ppm: over.poc_fabricate_ppm.or(self.poc_fabricate_ppm),
			api_key_file: over.api_key_file.or(self.api_key_file),
			max_body_bytes: over.max_body_bytes.or(self.max_body_bytes),
		}
	}

	/// Checks and completes the settings.
	pub fn resolve(self) -> Result<Resolved, String> {
		let listen = self.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
		let listen: SocketAddr = listen.parse().map_err(|_| {
			format!("listen: {listen:?} is not an address such as {DEFAULT_LISTEN}")
		})?;
		let queue = self.queue.unwrap_or(64);
		if queue == 0 {
			return Err("queue: must be at least 1".into());
		}
		if self.max_tokens == Some(0) {
			return Err("max_tokens: must be at least 1".into());
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
		let defaults = crate::server::PocConfig::default();
		Ok(Resolved {
			listen,
			tamper,
			backend,
			server: ServerConfig {
				queue,
				corrupt_outputs: self.corrupt_outputs.unwrap_or(false),
				max_tokens: self.max_tokens,
				poc: crate::server::PocConfig {
					workers: self.poc_workers.unwrap_or(defaults.workers),
					fabricate_ppm: self.poc_fabricate_ppm.unwrap_or(0),
					..defaults
				},
				api_key,
				max_body_bytes,
				..ServerConfig::default()
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

	#[test]
	fn flags_override_env_override_file() {
		let file: Settings =
			toml::from_str("listen = \"0.0.0.0:1\"\nqueue = 3\nmodels = [\"/m\"]").unwrap();
		let env = Settings::from_env(|k| (k == "DAYA_EXECUTOR_QUEUE").then(|| "5".into())).unwrap();
		let flags = Settings { listen: Some("127.0.0.1:2".into()), ..Default::default() };
		let r = file.overridden_by(env).overridden_by(flags).resolve().unwrap();
		assert_eq!(r.listen.to_string(), "127.0.0.1:2");
		assert_eq!(r.server.queue, 5);
		let dev = ModelSpec { name: daya_protocol::dev_model::NAME.into(), path: "/m".into() };
		assert_eq!(r.backend, Backend::Models(vec![dev.clone()]));
		let env = Settings::from_env(|k| {
			(k == "DAYA_EXECUTOR_MODELS")
				.then(|| format!("/m, x=/y.gguf,/c/{}", daya_protocol::smollm2::FILE))
		})
		.unwrap();
		let Backend::Models(models) = env.resolve().unwrap().backend else { panic!() };
		assert_eq!(models[0], dev);
		assert_eq!(models[1], ModelSpec { name: "x".into(), path: "/y.gguf".into() });
		assert_eq!(models[2].name, daya_protocol::smollm2::NAME);
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
		let env = Settings::from_env(|k| (k == "DAYA_EXECUTOR_API_KEY_FILE").then(|| "/k".into()))
			.unwrap();
		assert_eq!(env.api_key_file, Some(PathBuf::from("/k")));
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
		assert!(Settings::from_env(|_| Some("x".into())).is_err());
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

//! The OpenAI-compatible API: `POST /v1/completions`, `POST /v1/chat/completions`,
//! `GET /v1/models`. It is not part of the executor protocol and carries no protocol version.
//!
//! Requests take `max_tokens` (chat: `max_completion_tokens` too), `temperature`, `top_p`,
//! `seed`, `stop` (a string or up to four), log-probabilities, and `stream` (server-sent events:
//! text or `chat.completion.chunk` chunks, the role in the first delta, the finish reason in
//! the last, a usage chunk with `stream_options.include_usage`, then `[DONE]`). A field whose
//! value asks for something not implemented (`n` above 1, `best_of` above 1, `echo`, `suffix`,
//! `logit_bias`, non-zero penalties, tools or functions, a response format other than text,
//! log-probabilities in a stream) is refused with `400 unsupported_parameter` naming it; the
//! neutral values SDKs send by default (`n: 1`, zero penalties, `user`, an empty `logit_bias`)
//! are accepted.

use std::{
	sync::{Arc, Mutex},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
	extract::State,
	response::{
		sse::{Event, Sse},
		IntoResponse, Response,
	},
	Json,
};
use daya_protocol::{ChatMessage, LOGPROBS_TOP};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
	error::{ApiError, ApiJson},
	metrics::{self, Timing},
	openai_types::{
		AssistantMessage, ChatChoice, ChatChunk, ChatCompletion, ChatLogprobs, ChunkChoice,
		Completion, CompletionChoice, CompletionLogprobs, Delta, ModelCard, ModelList,
		TokenLogprob, TopLogprob, Usage,
	},
	state::{AppState, Running, Shared},
};
use crate::{
	engine::{Engine, FinishReason, Generation},
	sampler::Sampler,
};
use tokio::sync::{mpsc, OwnedSemaphorePermit};

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn temperature_milli(t: Option<f64>) -> Result<u32, ApiError> {
	let t = t.unwrap_or(1.0);
	if !t.is_finite() || !(0.0..=2.0).contains(&t) {
		return Err(ApiError::bad_request("invalid_request", "temperature is between 0 and 2")
			.param("temperature"));
	}
	Ok((t * 1000.0).round() as u32)
}

fn top_p_milli(p: Option<f64>) -> Result<u32, ApiError> {
	let p = p.unwrap_or(1.0);
	if !(p.is_finite() && p > 0.0 && p <= 1.0) {
		return Err(ApiError::bad_request("invalid_request", "top_p is above 0 and at most 1")
			.param("top_p"));
	}
	Ok(((p * 1000.0).round() as u32).max(1))
}

/// `stop`: a string, or a list of at most four.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stop {
	One(String),
	Many(Vec<String>),
}

impl Stop {
	/// The stop sequences, checked: at most four, none empty.
	fn sequences(stop: Option<Stop>) -> Result<Vec<String>, ApiError> {
		let all = match stop {
			None => vec![],
			Some(Stop::One(s)) => vec![s],
			Some(Stop::Many(v)) => v,
		};
		if all.len() > 4 || all.iter().any(String::is_empty) {
			return Err(ApiError::bad_request(
				"invalid_request",
				"stop is a non-empty string or a list of at most four",
			)
			.param("stop"));
		}
		Ok(all)
	}
}

/// A request's fields, and apart from them those that ask for what is not implemented. (Not one
/// struct with `#[serde(flatten)]`: a flattened struct's numbers do not deserialize where
/// serde_json keeps numbers exact, as the workspace's build has it.)
fn read<T: serde::de::DeserializeOwned>(body: Value) -> Result<(T, Unsupported), ApiError> {
	let invalid = |e: serde_json::Error| ApiError::bad_request("invalid_request", e.to_string());
	let unsupported = serde_json::from_value(body.clone()).map_err(invalid)?;
	Ok((serde_json::from_value(body).map_err(invalid)?, unsupported))
}

/// The fields of a request that ask for something this executor does not do; each is refused
/// unless its value is the neutral one SDKs send by default.
#[derive(Deserialize, Default)]
struct Unsupported {
	#[serde(default)]
	n: Option<u32>,
	#[serde(default)]
	best_of: Option<u32>,
	#[serde(default)]
	echo: Option<bool>,
	#[serde(default)]
	suffix: Option<String>,
	#[serde(default)]
	logit_bias: Option<serde_json::Map<String, Value>>,
	#[serde(default)]
	presence_penalty: Option<f64>,
	#[serde(default)]
	frequency_penalty: Option<f64>,
	#[serde(default)]
	tools: Option<Vec<Value>>,
	#[serde(default)]
	functions: Option<Vec<Value>>,
	#[serde(default)]
	tool_choice: Option<Value>,
	#[serde(default)]
	function_call: Option<Value>,
	#[serde(default)]
	response_format: Option<Value>,
}

impl Unsupported {
	/// Refuses the first field that asks for something not implemented.
	fn check(&self) -> Result<(), ApiError> {
		let none_or = |v: &Option<Value>, neutral: &str| match v {
			None | Some(Value::Null) => true,
			Some(Value::String(s)) => s == neutral,
			Some(_) => false,
		};
		let text_format = match &self.response_format {
			None | Some(Value::Null) => true,
			Some(format) => format.get("type").and_then(Value::as_str) == Some("text"),
		};
		let refused = [
			("n", self.n.is_some_and(|n| n != 1), "one choice per request (n: 1)"),
			("best_of", self.best_of.is_some_and(|n| n != 1), "best_of: 1 only"),
			("echo", self.echo == Some(true), "the prompt is not echoed"),
			("suffix", self.suffix.as_deref().is_some_and(|s| !s.is_empty()), "no suffix"),
			(
				"logit_bias",
				self.logit_bias.as_ref().is_some_and(|b| !b.is_empty()),
				"no logit bias: the model's own distribution only",
			),
			(
				"presence_penalty",
				self.presence_penalty.is_some_and(|p| p != 0.0),
				"no presence penalty",
			),
			(
				"frequency_penalty",
				self.frequency_penalty.is_some_and(|p| p != 0.0),
				"no frequency penalty",
			),
			("tools", self.tools.as_ref().is_some_and(|t| !t.is_empty()), "no tool calls"),
			(
				"functions",
				self.functions.as_ref().is_some_and(|f| !f.is_empty()),
				"no function calls",
			),
			("tool_choice", !none_or(&self.tool_choice, "none"), "no tool calls"),
			("function_call", !none_or(&self.function_call, "none"), "no function calls"),
			("response_format", !text_format, "text responses only"),
		];
		match refused.into_iter().find(|(_, asked, _)| *asked) {
			Some((param, _, what)) => Err(ApiError::bad_request(
				"unsupported_parameter",
				format!("{param} is not supported by this executor: {what}"),
			)
			.param(param)),
			None => Ok(()),
		}
	}
}

/// `prompt` of a completion request: a string or a list of one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Prompt {
	One(String),
	Many(Vec<String>),
}

#[derive(Deserialize)]
pub(super) struct CompletionRequest {
	model: String,
	prompt: Prompt,
	#[serde(default)]
	max_tokens: Option<u32>,
	#[serde(default)]
	temperature: Option<f64>,
	#[serde(default)]
	seed: Option<u64>,
	#[serde(default)]
	logprobs: Option<u32>,
	#[serde(default)]
	top_p: Option<f64>,
	#[serde(default)]
	stop: Option<Stop>,
	#[serde(default)]
	stream: Option<bool>,
	#[serde(default)]
	stream_options: Option<StreamOptions>,
	#[serde(default)]
	weights_hash: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ChatRequest {
	model: String,
	messages: Vec<Message>,
	#[serde(default)]
	max_tokens: Option<u32>,
	#[serde(default)]
	max_completion_tokens: Option<u32>,
	#[serde(default)]
	temperature: Option<f64>,
	#[serde(default)]
	seed: Option<u64>,
	#[serde(default)]
	logprobs: Option<bool>,
	#[serde(default)]
	top_logprobs: Option<u32>,
	#[serde(default)]
	top_p: Option<f64>,
	#[serde(default)]
	stop: Option<Stop>,
	#[serde(default)]
	stream: Option<bool>,
	#[serde(default)]
	stream_options: Option<StreamOptions>,
	#[serde(default)]
	weights_hash: Option<String>,
}

/// A chat message as OpenAI clients send it: its content a string or a list of parts.
#[derive(Deserialize)]
struct Message {
	role: String,
	#[serde(default)]
	content: Option<Content>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
	Text(String),
	Parts(Vec<Part>),
}

/// A content part: text is taken, anything else (images, audio, files) refused.
#[derive(Deserialize)]
struct Part {
	#[serde(rename = "type")]
	kind: String,
	#[serde(default)]
	text: Option<String>,
}

impl Message {
	/// The message the model's chat template renders: its text parts joined.
	fn into_chat(self) -> Result<ChatMessage, ApiError> {
		let content = match self.content {
			None => String::new(),
			Some(Content::Text(text)) => text,
			Some(Content::Parts(parts)) => {
				let mut text = String::new();
				for part in parts {
					match (part.kind.as_str(), part.text) {
						("text", Some(t)) => text.push_str(&t),
						(kind, _) => {
							return Err(ApiError::bad_request(
								"unsupported_parameter",
								format!("a {kind:?} content part: this executor reads text only"),
							)
							.param("messages"))
						},
					}
				}
				text
			},
		};
		Ok(ChatMessage { role: self.role, content })
	}
}

/// `stream_options`.
#[derive(Deserialize, Default)]
struct StreamOptions {
	#[serde(default)]
	include_usage: bool,
}

/// How a request samples and when it stops.
struct Decoding {
	max_tokens: u32,
	temperature: Option<f64>,
	top_p: Option<f64>,
	seed: Option<u64>,
	stop: Vec<String>,
}

/// A request checked and ready to run.
struct Prepared {
	engine: Arc<dyn Engine>,
	prompt: String,
	max_tokens: u32,
	sampler: Sampler,
	stop: Vec<String>,
}

/// Gets the answer's text as it comes, each piece once; answers `false` when nobody reads any
/// more (the generation then ends).
type OnDelta = Box<dyn FnMut(&str) -> bool + Send>;

/// How much of `text` can be given out now: up to the first stop sequence (then `true`), or all
/// but an end that may still become one, or a character not finished yet.
fn ready(text: &str, stop: &[String]) -> (usize, bool) {
	if let Some(at) = stop.iter().filter_map(|s| text.find(s.as_str())).min() {
		return (at, true);
	}
	let mut end = text.len();
	for s in stop {
		if let Some(len) = (1..s.len())
			.rev()
			.find(|&len| s.is_char_boundary(len) && text.ends_with(&s[..len]))
		{
			end = end.min(text.len() - len);
		}
	}
	(text[..end].trim_end_matches('\u{FFFD}').len(), false)
}

impl Shared {
	/// Checks an OpenAI request for `engine` and makes its sampler.
	fn prepare(
		&self,
		engine: Arc<dyn Engine>,
		prompt: String,
		how: Decoding,
	) -> Result<Prepared, ApiError> {
		let Decoding { max_tokens, temperature, top_p, seed, stop } = how;
		self.check_tokens(&*engine, &prompt, max_tokens)?;
		let sampler = Sampler::from_seed(temperature_milli(temperature)?, seed.unwrap_or(0))
			.with_top_p(top_p_milli(top_p)?);
		Ok(Prepared { engine, prompt, max_tokens, sampler, stop })
	}

	/// Runs `job` from its place among the waiting requests: the generation, the answer's text
	/// (cut before the first stop sequence, then finished as `stop`), and what of it
	/// `on_delta` was given as it came.
	async fn run(
		self: &Arc<Self>,
		job: Prepared,
		place: OwnedSemaphorePermit,
		mut on_delta: Option<OnDelta>,
	) -> Result<(Generation, String, String), ApiError> {
		let arrived = Instant::now();
		let Prepared { engine, prompt, max_tokens, sampler, stop } = job;
		self.metrics.openai_requests.inc();
		// A dishonest executor's answer is known only at the end: nothing is given before.
		if self.config.corrupt_outputs {
			on_delta = None;
		}
		let stops = stop.clone();
		let sent = Arc::new(Mutex::new(String::new()));
		let told = sent.clone();
		// Told every token: a stream is fed, and a stop sequence ends the generation.
		let on_text = Box::new(move |text: &str| {
			let (end, stopped) = ready(text, &stops);
			let mut reading = true;
			let mut sent = told.lock().unwrap_or_else(|e| e.into_inner());
			if let (Some(give), Some(new)) =
				(on_delta.as_mut(), text[..end].strip_prefix(sent.as_str()))
			{
				if !new.is_empty() {
					reading = give(new);
					sent.push_str(new);
				}
			}
			reading && !stopped
		});
		let _running = Running::new(self);
		let (mut g, started) =
			self.scheduler.generate(&engine, prompt, max_tokens, sampler, on_text).await?;
		drop(place);
		let sent = std::mem::take(&mut *sent.lock().unwrap_or_else(|e| e.into_inner()));
		let timing = Timing { arrived, started: started.at, first_token: started.first_token };
		self.metrics.generation(metrics::OPENAI, &g, &timing);
		self.metrics.answered(metrics::OPENAI, arrived.elapsed());
		let mut text = self.delivered(&*engine, g.clone()).text;
		if let Some(at) = stop.iter().filter_map(|s| text.find(s.as_str())).min() {
			text.truncate(at);
			g.finish_reason = FinishReason::Stop;
		}
		Ok((g, text, sent))
	}
}

/// What a stream's chunks say besides their delta.
#[derive(Clone)]
struct Chunks {
	id: String,
	created: u64,
	model: String,
	chat: bool,
	include_usage: bool,
}

impl Chunks {
	/// A chunk with `text` (a completion's text, a chat's delta content), `role` (the chat's
	/// first), `finish` (the last) or `usage` (after the last, without choices).
	fn event(
		&self,
		text: Option<&str>,
		role: Option<&'static str>,
		finish: Option<FinishReason>,
		usage: Option<Usage>,
	) -> Event {
		let usage = self.include_usage.then_some(usage);
		let finish_reason = finish.map(FinishReason::as_str);
		let data = if self.chat {
			let choices = match usage.flatten() {
				Some(_) => vec![],
				None => vec![ChunkChoice {
					index: 0,
					delta: Delta { role, content: text.map(str::to_string) },
					finish_reason,
					logprobs: None,
				}],
			};
			let chunk = ChatChunk {
				id: self.id.clone(),
				object: "chat.completion.chunk",
				created: self.created,
				model: self.model.clone(),
				choices,
				usage,
			};
			serde_json::to_string(&chunk)
		} else {
			let choices = match usage.flatten() {
				Some(_) => vec![],
				None => vec![CompletionChoice {
					index: 0,
					text: text.unwrap_or_default().to_string(),
					finish_reason,
					logprobs: None,
				}],
			};
			let chunk = Completion {
				id: self.id.clone(),
				object: "text_completion",
				created: self.created,
				model: self.model.clone(),
				choices,
				usage,
			};
			serde_json::to_string(&chunk)
		};
		Event::default().data(data.unwrap_or_default())
	}

	/// The chat's first chunk: the assistant's role.
	fn role(&self) -> Event {
		self.event(Some(""), Some("assistant"), None, None)
	}

	fn delta(&self, text: &str) -> Event {
		self.event(Some(text), None, None, None)
	}

	fn last(&self, finish: FinishReason) -> Event {
		self.event((!self.chat).then_some(""), None, Some(finish), None)
	}

	fn usage(&self, g: &Generation) -> Event {
		self.event(None, None, None, Some(usage(g)))
	}
}

/// Answers `job` as server-sent events; its place among the waiting requests is taken already,
/// so that a busy executor still answers `429` before the stream starts.
fn stream(state: AppState, job: Prepared, place: OwnedSemaphorePermit, chunks: Chunks) -> Response {
	let (tx, rx) = mpsc::unbounded_channel::<Event>();
	tokio::spawn(async move {
		if chunks.chat {
			let _ = tx.send(chunks.role());
		}
		let (sender, each) = (tx.clone(), chunks.clone());
		let on_delta: OnDelta = Box::new(move |text| sender.send(each.delta(text)).is_ok());
		match state.run(job, place, Some(on_delta)).await {
			Ok((g, text, sent)) => {
				match text.strip_prefix(sent.as_str()) {
					Some(rest) if !rest.is_empty() => {
						let _ = tx.send(chunks.delta(rest));
					},
					_ => {},
				}
				let _ = tx.send(chunks.last(g.finish_reason));
				if chunks.include_usage {
					let _ = tx.send(chunks.usage(&g));
				}
			},
			Err(e) => {
				let _ = tx.send(Event::default().data(e.body().to_string()));
			},
		}
		let _ = tx.send(Event::default().data("[DONE]"));
	});
	let events = futures_util::stream::unfold(rx, |mut rx| async move {
		rx.recv().await.map(|event| (Ok::<_, std::convert::Infallible>(event), rx))
	});
	Sse::new(events).into_response()
}

fn usage(g: &Generation) -> Usage {
	Usage {
		prompt_tokens: g.prompt_tokens,
		completion_tokens: g.completion_tokens,
		total_tokens: g.prompt_tokens + g.completion_tokens,
	}
}

fn nats(micro: i32) -> f64 {
	f64::from(micro) / 1e6
}

/// `POST /v1/completions`.
pub(super) async fn completions(
	State(state): State<AppState>,
	ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
	let (req, unsupported): (CompletionRequest, Unsupported) = read(body)?;
	let prompt = match req.prompt {
		Prompt::One(p) => p,
		Prompt::Many(mut v) if v.len() == 1 => v.remove(0),
		Prompt::Many(_) => {
			return Err(
				ApiError::bad_request("invalid_request", "one prompt per request").param("prompt")
			)
		},
	};
	unsupported.check()?;
	let how = Decoding {
		max_tokens: req.max_tokens.unwrap_or(16),
		temperature: req.temperature,
		top_p: req.top_p,
		seed: req.seed,
		stop: Stop::sequences(req.stop)?,
	};
	let streaming = req.stream.unwrap_or(false);
	if streaming && req.logprobs.is_some() {
		return Err(unstreamed_logprobs());
	}
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	let stream_options = streaming.then(|| req.stream_options.unwrap_or_default());
	let (g, text) = match answer(state.clone(), &engine, prompt, how, stream_options, false).await?
	{
		Answer::Whole(g, text) => (g, text),
		Answer::Streamed(response) => return Ok(response),
	};
	let logprobs = req.logprobs.map(|n| {
		let n = (n as usize).min(LOGPROBS_TOP);
		let mut offset = 0usize;
		let mut logprobs = CompletionLogprobs {
			tokens: vec![],
			token_logprobs: vec![],
			top_logprobs: vec![],
			text_offset: vec![],
		};
		for t in &g.logprobs {
			let s = engine.token_text(t.token);
			logprobs.text_offset.push(offset);
			offset += s.len();
			logprobs.tokens.push(s);
			logprobs.token_logprobs.push(nats(t.logprob_micro));
			let top = t.top.iter().take(n);
			logprobs
				.top_logprobs
				.push(top.map(|a| (engine.token_text(a.token), nats(a.logprob_micro))).collect());
		}
		logprobs
	});
	let answer = Completion {
		id: state.request_id("cmpl"),
		object: "text_completion",
		created: now_secs(),
		model: engine.model_name().to_string(),
		choices: vec![CompletionChoice {
			index: 0,
			text,
			finish_reason: Some(g.finish_reason.as_str()),
			logprobs,
		}],
		usage: Some(Some(usage(&g))),
	};
	Ok(Json(answer).into_response())
}

/// A request's answer: whole, or a stream already under way.
enum Answer {
	Whole(Generation, String),
	Streamed(Response),
}

/// Checks and runs a request for `engine`: streamed as `chat` or text chunks when
/// `stream_options` is given, to its whole answer otherwise.
async fn answer(
	state: AppState,
	engine: &Arc<dyn Engine>,
	prompt: String,
	how: Decoding,
	stream_options: Option<StreamOptions>,
	chat: bool,
) -> Result<Answer, ApiError> {
	let job = state.prepare(engine.clone(), prompt, how)?;
	let place = state.reserve()?;
	match stream_options {
		Some(options) => {
			let chunks = Chunks {
				id: state.request_id(if chat { "chatcmpl" } else { "cmpl" }),
				created: now_secs(),
				model: engine.model_name().to_string(),
				chat,
				include_usage: options.include_usage,
			};
			Ok(Answer::Streamed(stream(state, job, place, chunks)))
		},
		None => {
			let (g, text, _) = state.run(job, place, None).await?;
			Ok(Answer::Whole(g, text))
		},
	}
}

/// Log-probabilities asked of a stream: refused.
fn unstreamed_logprobs() -> ApiError {
	ApiError::bad_request(
		"unsupported_parameter",
		"logprobs is not supported in a stream: ask without stream",
	)
	.param("logprobs")
}

/// `POST /v1/chat/completions`.
pub(super) async fn chat_completions(
	State(state): State<AppState>,
	ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
	let (req, unsupported): (ChatRequest, Unsupported) = read(body)?;
	if req.messages.is_empty() {
		return Err(ApiError::bad_request("invalid_request", "messages is empty").param("messages"));
	}
	unsupported.check()?;
	let how = Decoding {
		max_tokens: req.max_completion_tokens.or(req.max_tokens).unwrap_or(256),
		temperature: req.temperature,
		top_p: req.top_p,
		seed: req.seed,
		stop: Stop::sequences(req.stop)?,
	};
	let streaming = req.stream.unwrap_or(false);
	if streaming && req.logprobs == Some(true) {
		return Err(unstreamed_logprobs());
	}
	let engine = state.check_model(&req.model, req.weights_hash.as_deref())?;
	let messages = req
		.messages
		.into_iter()
		.map(Message::into_chat)
		.collect::<Result<Vec<_>, _>>()?;
	let prompt = engine.render_chat(&messages).map_err(ApiError::from)?;
	let stream_options = streaming.then(|| req.stream_options.unwrap_or_default());
	let (g, text) = match answer(state.clone(), &engine, prompt, how, stream_options, true).await? {
		Answer::Whole(g, text) => (g, text),
		Answer::Streamed(response) => return Ok(response),
	};
	let logprobs = req.logprobs.unwrap_or(false).then(|| {
		let n = (req.top_logprobs.unwrap_or(0) as usize).min(LOGPROBS_TOP);
		let content = g
			.logprobs
			.iter()
			.map(|t| TokenLogprob {
				token: engine.token_text(t.token),
				logprob: nats(t.logprob_micro),
				top_logprobs: t
					.top
					.iter()
					.take(n)
					.map(|a| TopLogprob {
						token: engine.token_text(a.token),
						logprob: nats(a.logprob_micro),
					})
					.collect(),
			})
			.collect();
		ChatLogprobs { content }
	});
	let answer = ChatCompletion {
		id: state.request_id("chatcmpl"),
		object: "chat.completion",
		created: now_secs(),
		model: engine.model_name().to_string(),
		choices: vec![ChatChoice {
			index: 0,
			message: AssistantMessage { role: "assistant", content: text },
			finish_reason: g.finish_reason.as_str(),
			logprobs,
		}],
		usage: usage(&g),
	};
	Ok(Json(answer).into_response())
}

/// `GET /v1/models`: each model with `created` (when this executor started serving it, in
/// Unix seconds) and its context length.
pub(super) async fn models(State(state): State<AppState>) -> Json<ModelList> {
	let data = state
		.engines
		.iter()
		.map(|engine| ModelCard {
			id: engine.model_name().to_string(),
			object: "model",
			created: state.started_at,
			owned_by: "daya",
			context_length: engine.context_length(),
		})
		.collect();
	Json(ModelList { object: "list", data })
}

/// `POST /tokenize`: a prompt, or a chat's messages rendered with the model's template.
#[derive(Deserialize)]
pub(super) struct TokenizeRequest {
	model: String,
	#[serde(default)]
	prompt: Option<String>,
	#[serde(default)]
	messages: Option<Vec<Message>>,
}

/// The answer of `POST /tokenize`.
#[derive(Serialize)]
pub(super) struct TokenizeResponse {
	/// How many tokens.
	count: usize,
	/// The model's context length.
	max_model_len: usize,
	/// The ids, with the beginning-of-sequence id the model adds.
	tokens: Vec<u32>,
}

/// `POST /tokenize`: the token ids a generation would read.
pub(super) async fn tokenize(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<TokenizeRequest>,
) -> Result<Json<TokenizeResponse>, ApiError> {
	let engine = state.check_model(&req.model, None)?;
	let prompt = match (req.prompt, req.messages) {
		(Some(prompt), None) => prompt,
		(None, Some(messages)) => {
			let messages =
				messages.into_iter().map(Message::into_chat).collect::<Result<Vec<_>, _>>()?;
			engine.render_chat(&messages)?
		},
		_ => {
			return Err(ApiError::bad_request("invalid_request", "give either prompt or messages")
				.param("prompt"))
		},
	};
	let tokens = engine.tokenize(&prompt)?.ok_or_else(cannot_tokenize)?;
	Ok(Json(TokenizeResponse {
		count: tokens.len(),
		max_model_len: engine.context_length(),
		tokens,
	}))
}

/// `POST /detokenize`.
#[derive(Deserialize)]
pub(super) struct DetokenizeRequest {
	model: String,
	tokens: Vec<u32>,
}

/// The answer of `POST /detokenize`.
#[derive(Serialize)]
pub(super) struct DetokenizeResponse {
	/// The text of the ids, special tokens left out.
	prompt: String,
}

/// `POST /detokenize`: the text of token ids.
pub(super) async fn detokenize(
	State(state): State<AppState>,
	ApiJson(req): ApiJson<DetokenizeRequest>,
) -> Result<Json<DetokenizeResponse>, ApiError> {
	let engine = state.check_model(&req.model, None)?;
	let prompt = engine
		.detokenize(&req.tokens)
		.map_err(|e| ApiError::from(e).param("tokens"))?
		.ok_or_else(cannot_tokenize)?;
	Ok(Json(DetokenizeResponse { prompt }))
}

fn cannot_tokenize() -> ApiError {
	ApiError::new(
		axum::http::StatusCode::NOT_IMPLEMENTED,
		"not_tokenizable",
		"this engine cannot tell its tokens",
	)
}

//! The OpenAI API's answers as typed structs, serialized as the OpenAI SDKs parse them.

use std::collections::BTreeMap;

use serde::Serialize;

/// Tokens read and written.
#[derive(Serialize, Clone, Copy)]
pub(super) struct Usage {
	pub(super) prompt_tokens: u32,
	pub(super) completion_tokens: u32,
	pub(super) total_tokens: u32,
}

/// A chunk's `usage`: absent when the stream was not asked for it, `null` on every chunk but
/// the last when it was, the usage on the last.
pub(super) type ChunkUsage = Option<Option<Usage>>;

/// `text_completion`: a completion, or one chunk of a streamed one.
#[derive(Serialize)]
pub(super) struct Completion {
	pub(super) id: String,
	pub(super) object: &'static str,
	pub(super) created: u64,
	pub(super) model: String,
	pub(super) choices: Vec<CompletionChoice>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub(super) usage: ChunkUsage,
}

#[derive(Serialize)]
pub(super) struct CompletionChoice {
	pub(super) index: u32,
	pub(super) text: String,
	pub(super) finish_reason: Option<&'static str>,
	pub(super) logprobs: Option<CompletionLogprobs>,
}

/// A completion's log-probabilities: per output token its text, log-probability, the best
/// alternatives and its offset in the text.
#[derive(Serialize)]
pub(super) struct CompletionLogprobs {
	pub(super) tokens: Vec<String>,
	pub(super) token_logprobs: Vec<f64>,
	pub(super) top_logprobs: Vec<BTreeMap<String, f64>>,
	pub(super) text_offset: Vec<usize>,
}

/// `chat.completion`.
#[derive(Serialize)]
pub(super) struct ChatCompletion {
	pub(super) id: String,
	pub(super) object: &'static str,
	pub(super) created: u64,
	pub(super) model: String,
	pub(super) choices: Vec<ChatChoice>,
	pub(super) usage: Usage,
}

#[derive(Serialize)]
pub(super) struct ChatChoice {
	pub(super) index: u32,
	pub(super) message: AssistantMessage,
	pub(super) finish_reason: &'static str,
	pub(super) logprobs: Option<ChatLogprobs>,
}

#[derive(Serialize)]
pub(super) struct AssistantMessage {
	pub(super) role: &'static str,
	pub(super) content: String,
}

#[derive(Serialize)]
pub(super) struct ChatLogprobs {
	pub(super) content: Vec<TokenLogprob>,
}

#[derive(Serialize)]
pub(super) struct TokenLogprob {
	pub(super) token: String,
	pub(super) logprob: f64,
	pub(super) top_logprobs: Vec<TopLogprob>,
}

#[derive(Serialize)]
pub(super) struct TopLogprob {
	pub(super) token: String,
	pub(super) logprob: f64,
}

/// `chat.completion.chunk`: one chunk of a streamed chat.
#[derive(Serialize)]
pub(super) struct ChatChunk {
	pub(super) id: String,
	pub(super) object: &'static str,
	pub(super) created: u64,
	pub(super) model: String,
	pub(super) choices: Vec<ChunkChoice>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub(super) usage: ChunkUsage,
}

#[derive(Serialize)]
pub(super) struct ChunkChoice {
	pub(super) index: u32,
	pub(super) delta: Delta,
	pub(super) finish_reason: Option<&'static str>,
	pub(super) logprobs: Option<ChatLogprobs>,
}

/// What a chunk adds: the role (first chunk), text, or nothing (the last).
#[derive(Serialize, Default)]
pub(super) struct Delta {
	#[serde(skip_serializing_if = "Option::is_none")]
	pub(super) role: Option<&'static str>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub(super) content: Option<String>,
}

/// `GET /v1/models`.
#[derive(Serialize)]
pub(super) struct ModelList {
	pub(super) object: &'static str,
	pub(super) data: Vec<ModelCard>,
}

#[derive(Serialize)]
pub(super) struct ModelCard {
	pub(super) id: String,
	pub(super) object: &'static str,
	/// When the executor started serving it, in Unix seconds.
	pub(super) created: u64,
	pub(super) owned_by: &'static str,
	pub(super) context_length: usize,
}

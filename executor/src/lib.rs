//! # daya-executor
//!
//! A Daya host's inference service. A node's offchain worker hands it the jobs assigned to the
//! host (`POST /v1/jobs`) and the outputs it must validate (`POST /v1/validate`), over the wire
//! protocol of [`daya_protocol`]; people and tools can also use it as an
//! OpenAI-compatible server (`/v1/completions`, `/v1/chat/completions`).
//!
//! - [`engine`]: the [`engine::Engine`] trait and the candle engine (a Llama-architecture model
//!   on the CPU or, with the `cuda` feature, a GPU).
//! - [`sampler`]: the keyed Gumbel-max sampler a validator replays.
//! - [`proxy`]: an engine that forwards to another OpenAI-compatible server.
//! - [`model`]: the Llama forward pass.
//! - [`poc`]: proof of compute: the prover's and the verifier's kernels.
//! - [`gguf`]: models in one GGUF file (tensors, tokenizer and chat template).
//! - [`chat`]: chat templates.
//! - [`text`]: a model's tokenizer, chat template and special ids.
//! - [`dev_model`]: the deterministic development model.
//! - [`hash`]: weights and tokenizer hashes.
//! - [`server`]: the HTTP service.
//! - [`config`]: configuration from a file, the environment and flags.

pub mod chat;
pub mod config;
pub mod dev_model;
pub mod engine;
pub mod gguf;
pub mod hash;
pub mod model;
pub mod poc;
pub mod proxy;
pub mod quant;
pub mod sampler;
pub mod server;
pub mod text;

pub use engine::{CandleEngine, Engine, EngineError, FinishReason, Generation};
pub use server::{app, serve, spawn, PocConfig, RunningServer, Scheduler, ServerConfig};

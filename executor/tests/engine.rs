//! The dev model and the candle engine: determinism, hashes, generation and validation.

mod common;

use common::{dev_dir, dev_engine};
use daya_executor::{
	dev_model,
	engine::{corrupt, Engine},
	hash::{to_hex, tokenizer_hash, weights_hash},
};
use daya_protocol::{dev_model as constants, LOGPROBS_TOP};

#[test]
fn dev_model_is_deterministic_and_matches_the_constants() {
	let a = tempfile::tempdir().unwrap();
	let b = tempfile::tempdir().unwrap();
	dev_model::write(a.path()).unwrap();
	dev_model::write(b.path()).unwrap();
	for file in ["config.json", "model.safetensors", "tokenizer.json"] {
		assert_eq!(
			std::fs::read(a.path().join(file)).unwrap(),
			std::fs::read(b.path().join(file)).unwrap(),
			"{file}"
		);
	}
	let w = weights_hash(a.path()).unwrap();
	let t = tokenizer_hash(a.path()).unwrap();
	assert_eq!(w, constants::WEIGHTS_HASH, "weights hash {}", to_hex(&w));
	assert_eq!(t, constants::TOKENIZER_HASH, "tokenizer hash {}", to_hex(&t));
}

#[test]
fn tokenizer_round_trips_characters() {
	let tok = tokenizers::Tokenizer::from_file(dev_dir().join("tokenizer.json")).unwrap();
	assert_eq!(tok.get_vocab_size(true), dev_model::VOCAB_SIZE);
	let text = "Hello, world!\n  ~{a|b}` 0123456789";
	let ids = tok.encode(text, false).unwrap().get_ids().to_vec();
	assert_eq!(ids.len(), text.len(), "one token per character");
	assert!(ids.iter().all(|&i| i >= 3));
	assert_eq!(tok.decode(&ids, true).unwrap(), text);
	assert_eq!(tok.token_to_id("<s>"), Some(dev_model::BOS_ID));
	assert_eq!(tok.token_to_id("</s>"), Some(dev_model::EOS_ID));
	assert_eq!(tok.token_to_id("\n"), Some(3));
	assert_eq!(tok.token_to_id(" "), Some(4));
	// Outside the vocabulary: `<unk>`.
	assert_eq!(tok.encode("é", false).unwrap().get_ids(), &[dev_model::UNK_ID]);
}

#[test]
fn model_loads() {
	let e = dev_engine();
	assert_eq!(e.model_name(), constants::NAME);
	assert_eq!(e.context_length(), dev_model::CONTEXT);
	assert_eq!(e.weights_hash(), Some(constants::WEIGHTS_HASH));
	assert_eq!(e.tokenizer_hash(), constants::TOKENIZER_HASH);
	assert_eq!(e.prompt_tokens("abc").unwrap(), Some(4));
}

#[test]
fn greedy_generation_is_deterministic_and_validates() {
	let e = dev_engine();
	let a = e.generate("The capital of France is", 48, 0, 0).unwrap();
	let b = e.generate("The capital of France is", 48, 0, 99).unwrap();
	assert_eq!(a, b, "greedy ignores the seed");
	assert!(a.text.is_ascii());
	assert_eq!(a.prompt_tokens, 25);
	assert_eq!(a.completion_tokens as usize, a.logprobs.len());
	assert!(a.completion_tokens > 0);
	for t in &a.logprobs {
		assert!(t.token > 1, "never <unk> or <s>");
		assert_eq!(t.top.len(), LOGPROBS_TOP);
		assert_eq!(t.top[0].token, t.token, "greedy takes the best");
		assert!(t.top.windows(2).all(|w| w[0].logprob_micro >= w[1].logprob_micro));
		assert!(t.logprob_micro <= 0);
	}
	let score = e.score("The capital of France is", &a.text, 0).unwrap();
	assert_eq!(score.tokens, a.completion_tokens);
	assert_eq!(score.similarity_ppb, 1_000_000_000, "{score:?}");
}

#[test]
fn sampled_generation_is_reproducible_and_validates() {
	let e = dev_engine();
	let a = e.generate("Once upon a time", 64, 800, 7).unwrap();
	let b = e.generate("Once upon a time", 64, 800, 7).unwrap();
	let c = e.generate("Once upon a time", 64, 800, 8).unwrap();
	assert_eq!(a, b);
	assert_ne!(a.text, c.text, "another seed, another output");
	for g in [&a, &c] {
		let score = e.score("Once upon a time", &g.text, 800).unwrap();
		assert!(score.similarity_ppb >= 900_000_000, "{score:?}");
	}
}

#[test]
fn corrupted_output_scores_low() {
	let e = dev_engine();
	let honest = e.generate("Validators re-score outputs.", 64, 0, 0).unwrap();
	let bad = corrupt(&honest.text);
	assert_ne!(bad, honest.text);
	assert_eq!(bad.len(), honest.text.len());
	let score = e.score("Validators re-score outputs.", &bad, 0).unwrap();
	assert!(score.similarity_ppb < 500_000_000, "{score:?}");
	// Another prompt's output does not pass either.
	let other = e.generate("Something else entirely", 64, 0, 0).unwrap();
	let score = e.score("Validators re-score outputs.", &other.text, 0).unwrap();
	assert!(score.similarity_ppb < 500_000_000, "{score:?}");
}

#[test]
fn long_prompts_are_refused() {
	let e = dev_engine();
	let prompt = "a".repeat(dev_model::CONTEXT);
	assert!(matches!(
		e.generate(&prompt, 1, 0, 0),
		Err(daya_executor::EngineError::PromptTooLong { .. })
	));
	assert!(e.score(&prompt, "b", 0).is_err());
	assert_eq!(e.score("x", "", 0).unwrap().similarity_ppb, 1_000_000_000);
}

#[test]
fn generation_stops_at_max_tokens() {
	let e = dev_engine();
	let g = e.generate("x", 5, 0, 0).unwrap();
	assert!(g.completion_tokens <= 5);
	if g.completion_tokens == 5 {
		assert_eq!(g.finish_reason, daya_executor::FinishReason::Length);
	}
}

//! The dev model and the candle engine: determinism, hashes, generation and checks.

mod common;

use common::{dev_dir, dev_engine};
use daya_executor::{
	dev_model,
	engine::Engine,
	hash::{to_hex, tokenizer_hash, weights_hash},
	sampler::Sampler,
	CandleEngine, FinishReason,
};
use daya_protocol::{
	dev_model as constants, ExecutionResult, Fault, Judgement, ValidateResponse, LOGPROBS_TOP,
};

const GREEDY: Sampler = Sampler { temperature_milli: 0, key: [0; 32], top_p_milli: 1_000 };

fn check(
	e: &CandleEngine,
	prompt: &str,
	max: u32,
	s: Sampler,
	claim: &ExecutionResult,
) -> ValidateResponse {
	e.check(prompt, max, s, claim, &constants::POLICY, None).unwrap()
}

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
fn greedy_generation_is_deterministic_and_checks_valid() {
	let e = dev_engine();
	let a = e.generate("The capital of France is", 48, GREEDY).unwrap();
	let b = e
		.generate("The capital of France is", 48, Sampler { key: [9; 32], ..GREEDY })
		.unwrap();
	assert_eq!(a, b, "greedy ignores the key");
	assert!(a.text.is_ascii());
	assert_eq!(a.prompt_tokens, 25);
	assert_eq!(a.completion_tokens as usize, a.tokens.len());
	assert_eq!(a.tokens.len(), a.logprobs.len());
	assert_eq!(a.fingerprints.len(), a.tokens.len().div_ceil(32));
	assert!(a.completion_tokens > 0);
	for t in &a.logprobs {
		assert!(t.token > 1, "never <unk> or <s>");
		assert_eq!(t.top.len(), LOGPROBS_TOP);
		assert_eq!(t.top[0].token, t.token, "greedy takes the best");
		assert!(t.top.windows(2).all(|w| w[0].logprob_micro >= w[1].logprob_micro));
		assert!(t.logprob_micro <= 0);
	}
	let r = check(&e, "The capital of France is", 48, GREEDY, &a.result());
	assert_eq!(r.judgement, Judgement::Valid, "{r:?}");
	assert_eq!(r.report.tokens, a.completion_tokens);
	assert_eq!(r.report.mismatches, 0);
}

#[test]
fn sampled_generation_replays_and_checks_valid() {
	let e = dev_engine();
	let key = |k| Sampler::new(800, [k; 32]);
	let a = e.generate("Once upon a time", 64, key(7)).unwrap();
	let b = e.generate("Once upon a time", 64, key(7)).unwrap();
	let c = e.generate("Once upon a time", 64, key(8)).unwrap();
	assert_eq!(a, b);
	assert_ne!(a.tokens, c.tokens, "another key, another output");
	for (g, k) in [(&a, 7), (&c, 8)] {
		let r = check(&e, "Once upon a time", 64, key(k), &g.result());
		assert_eq!(r.judgement, Judgement::Valid, "{r:?}");
		assert_eq!(r.report.mismatches, 0, "the validator replays every pick");
	}
	// Under another key, a sampled output is not what the sampler had to pick.
	let r = check(&e, "Once upon a time", 64, key(8), &a.result());
	assert!(matches!(r.judgement, Judgement::Invalid(Fault::Token { .. })), "{r:?}");
}

#[test]
fn cheats_are_named() {
	let e = dev_engine();
	let prompt = "Validators check outputs.";
	let honest = e.generate(prompt, 64, GREEDY).unwrap().result();
	let fault = |claim: &ExecutionResult| match check(&e, prompt, 64, GREEDY, claim).judgement {
		Judgement::Invalid(f) => f,
		Judgement::Valid => panic!("{claim:?} passed"),
	};
	// One token edited (and the text with it).
	let mut edited = honest.clone();
	edited.tokens[10] = if edited.tokens[10] == 70 { 71 } else { 70 };
	edited.output = e.tokenizer().decode(&edited.tokens, true).unwrap();
	assert!(matches!(fault(&edited), Fault::Token { position: 10, .. }), "{:?}", fault(&edited));
	// The dishonest executor's output.
	let g = e.generate(prompt, 64, GREEDY).unwrap();
	assert!(matches!(fault(&e.corrupt(&g).result()), Fault::Token { position: 0, .. }));
	// Text that is not the ids' decoding.
	assert_eq!(
		fault(&ExecutionResult { output: "forged".into(), ..honest.clone() }),
		Fault::Malformed
	);
	// Empty, and cut short.
	let empty = ExecutionResult {
		tokens: vec![],
		output: String::new(),
		fingerprints: vec![],
		..honest.clone()
	};
	assert_eq!(fault(&empty), Fault::Malformed);
	if honest.tokens.len() == 64 {
		let mut cut = honest.clone();
		cut.tokens.truncate(40);
		cut.output = e.tokenizer().decode(&cut.tokens, true).unwrap();
		cut.fingerprints.truncate(2);
		assert_eq!(fault(&cut), Fault::Truncated { position: 40 });
	}
	// An inflated prompt count, another prompt's ids.
	assert_eq!(
		fault(&ExecutionResult { prompt_tokens: honest.prompt_tokens + 5, ..honest.clone() }),
		Fault::Prompt
	);
	let other = e.generate("Something else entirely", 64, GREEDY).unwrap().result();
	assert_eq!(
		fault(&ExecutionResult { prompt_hash: other.prompt_hash.clone(), ..honest.clone() }),
		Fault::Prompt
	);
	// Out of the vocabulary, too many tokens, a missing fingerprint.
	let mut oov = honest.clone();
	oov.tokens[0] = 1 << 20;
	assert_eq!(fault(&oov), Fault::Malformed);
	assert_eq!(
		match e.check(prompt, 8, GREEDY, &honest, &constants::POLICY, None).unwrap().judgement {
			Judgement::Invalid(f) => f,
			Judgement::Valid => panic!(),
		},
		Fault::Malformed,
		"more tokens than the job allows"
	);
	let mut fp = honest.clone();
	fp.fingerprints.pop();
	assert_eq!(fault(&fp), Fault::Malformed);
	// A forged fingerprint: its values off by a tenth.
	let mut forged = honest.clone();
	for v in forged.fingerprints[0].values.iter_mut() {
		*v += *v / 10;
	}
	assert!(matches!(fault(&forged), Fault::Fingerprint { chunk: 0, .. }));
	// Dimensions chosen rather than the largest: one twice.
	let mut chosen = honest.clone();
	chosen.fingerprints[0].dims[1] = chosen.fingerprints[0].dims[0];
	chosen.fingerprints[0].values[1] = chosen.fingerprints[0].values[0];
	assert_eq!(fault(&chosen), Fault::Fingerprint { chunk: 0, deviation_ppm: 1_000_000 });
}

#[test]
fn long_prompts_are_refused() {
	let e = dev_engine();
	let prompt = "a".repeat(dev_model::CONTEXT);
	assert!(matches!(
		e.generate(&prompt, 1, GREEDY),
		Err(daya_executor::EngineError::PromptTooLong { .. })
	));
}

#[test]
fn generation_stops_at_max_tokens_or_the_context() {
	let e = dev_engine();
	let g = e.generate("x", 5, GREEDY).unwrap();
	assert!(g.completion_tokens <= 5);
	if g.completion_tokens == 5 {
		assert_eq!(g.finish_reason, FinishReason::Length);
	}
	// Prompt and output together fit the context, and a result cut by it checks valid.
	let prompt = "a".repeat(dev_model::CONTEXT - 4);
	let g = e.generate(&prompt, 50, GREEDY).unwrap();
	assert!(g.prompt_tokens + g.completion_tokens <= dev_model::CONTEXT as u32);
	let r = check(&e, &prompt, 50, GREEDY, &g.result());
	assert_eq!(r.judgement, Judgement::Valid, "{r:?}");
}

/// An executor that pads its bill with tokens after the end of sequence, or cuts the end off
/// and claims the model stopped, is caught.
#[test]
fn tokens_after_the_end_of_sequence_are_caught() {
	let e = dev_engine();
	let prompt = "Padding the bill.";
	let honest = e.generate(prompt, 32, GREEDY).unwrap().result();
	let mut padded = honest.clone();
	padded.tokens[4] = dev_model::EOS_ID;
	padded.output = e.tokenizer().decode(&padded.tokens, true).unwrap();
	let r = check(&e, prompt, 32, GREEDY, &padded);
	assert_eq!(r.judgement, Judgement::Invalid(Fault::Malformed), "{r:?}");
	// An end of sequence put where the model would not stop: a token it could not pick.
	let mut stopped = honest.clone();
	stopped.tokens.truncate(5);
	stopped.tokens[4] = dev_model::EOS_ID;
	stopped.output = e.tokenizer().decode(&stopped.tokens, true).unwrap();
	let r = check(&e, prompt, 32, GREEDY, &stopped);
	assert!(matches!(r.judgement, Judgement::Invalid(Fault::Token { position: 4, .. })), "{r:?}");
}

/// The dev model answers probes as the real one does: its own probe is recognised, a copy of
/// the nearest committed fingerprint is not, and a position past the output has no answer.
#[test]
fn probes_are_answered_and_judged() {
	use daya_protocol::Probe;
	let e = dev_engine();
	let prompt = "Once upon a time";
	let s = Sampler::new(700, [5; 32]);
	let g = e.generate(prompt, 40, s).unwrap();
	let claim = g.result();
	let ask = |position, claimed| {
		e.check(prompt, 40, s, &claim, &constants::POLICY, Some(Probe { position, claimed }))
			.unwrap()
			.probe
	};
	let honest = ask(3, None).expect("an answer").fingerprint;
	assert_eq!(ask(3, Some(honest)).unwrap().judgement, Some(Judgement::Valid));
	let copied = claim.fingerprints[0];
	assert!(matches!(
		ask(3, Some(copied)).unwrap().judgement,
		Some(Judgement::Invalid(Fault::Probe { .. }))
	));
	assert_eq!(ask(claim.tokens.len() as u32, None), None);
	// Without a probe, no answer: the check is what it was.
	let plain = check(&e, prompt, 40, s, &claim);
	assert_eq!(plain.probe, None);
	assert_eq!(plain.judgement, Judgement::Valid);
}

/// The registry's bound on a result's text, per token, is what the engine measures, and the
/// texts it generates keep to it.
#[test]
fn texts_keep_to_the_registered_bytes_per_token() {
	let e = dev_engine();
	assert_eq!(e.max_token_bytes(), constants::MAX_TOKEN_BYTES);
	for (i, prompt) in ["Once upon a time", "{}~|", "0123456789"].iter().enumerate() {
		let g = e.generate(prompt, 64, Sampler::new(1_000, [i as u8; 32])).unwrap();
		assert!(g.text.len() <= g.tokens.len() * constants::MAX_TOKEN_BYTES as usize, "{g:?}");
	}
}

#[test]
fn sequences_decoded_together_each_get_the_answer_they_get_alone() {
	let e = dev_engine();
	let requests = [
		("The capital of France is", 40, GREEDY),
		("Once upon a time", 12, Sampler::from_seed(800, 7)),
		("abc", 64, GREEDY),
		("Hello, world! How are", 30, Sampler::from_seed(500, 1)),
	];
	let alone: Vec<_> = requests
		.iter()
		.map(|&(prompt, max, s)| e.generate(prompt, max, s).unwrap())
		.collect();
	let mut batch: Vec<_> = requests
		.iter()
		.map(|&(prompt, max, s)| e.start(prompt, max, s).unwrap())
		.collect();
	let mut steps = 0;
	while batch.iter().any(|s| s.finished().is_none()) {
		let mut going: Vec<_> = batch.iter_mut().collect();
		e.step(&mut going).unwrap();
		steps += 1;
	}
	let longest = alone.iter().map(|g| g.tokens.len()).max().unwrap();
	assert_eq!(steps, longest - 1, "one step per token after the first, for all at once");
	for ((sequence, alone), (prompt, max, s)) in batch.into_iter().zip(&alone).zip(requests) {
		let together = e.finish(sequence).unwrap();
		assert_eq!(together.tokens, alone.tokens, "{prompt:?}");
		assert_eq!(together.text, alone.text);
		assert_eq!(together.finish_reason, alone.finish_reason);
		assert_eq!(together.fingerprints.len(), alone.fingerprints.len());
		let verdict = check(&e, prompt, max, s, &together.result());
		assert_eq!(verdict.judgement, Judgement::Valid, "{prompt:?}: {verdict:?}");
	}
}

//! SmolLM2-135M-Instruct, the real model the dev network serves, against reference values
//! measured outside the project (an f32 forward pass and llama.cpp on the same GGUF).
//! `scripts/setup.sh` fetches the model; see `common::smollm2`.

mod common;

use daya_executor::{engine::Engine, gguf::Tamper, sampler::Sampler, CandleEngine};
use daya_protocol::{ChatMessage, Judgement};

#[test]
fn its_tokenizer_is_llama_cpps() {
	let e = common::smollm2();
	let ids = e.encode("Hello world! 12345 <|im_start|>user\nHi<|im_end|>").unwrap();
	assert_eq!(ids, [19556, 905, 17, 216, 33, 34, 35, 36, 37, 216, 1, 4093, 198, 26843, 2]);
	assert_eq!(e.prompt_tokens("Hi").unwrap(), Some(1), "no beginning-of-sequence token");
	let emoji = "naïve 🤖 déjà-vu\t\ttabs";
	let ids = e.encode(emoji).unwrap();
	assert_eq!(e.tokenizer().decode(&ids, false).unwrap(), emoji, "byte-level round trip");
}

#[test]
fn its_next_token_is_paris() {
	let e = common::smollm2();
	let g = e.generate("The capital of France is", 1, Sampler::new(0, [0; 32])).unwrap();
	assert_eq!(g.text, " Paris");
	let top: Vec<(String, f64)> = g.logprobs[0]
		.top
		.iter()
		.take(3)
		.map(|t| (e.token_text(t.token), f64::from(t.logprob_micro) / 1e6))
		.collect();
	let expected = [(" Paris", -0.258), (" the", -2.74), (" London", -4.38)];
	for ((text, lp), (want, want_lp)) in top.iter().zip(expected) {
		assert_eq!(text, want, "{top:?}");
		assert!((lp - want_lp).abs() < 0.02, "{text}: {lp} against {want_lp} ({top:?})");
	}
}

#[test]
fn it_answers_a_chat_with_its_template() {
	let e = common::smollm2();
	let messages =
		[ChatMessage { role: "user".into(), content: "What is 2+2? Answer briefly.".into() }];
	let prompt = e.render_chat(&messages).unwrap();
	assert!(prompt.starts_with("<|im_start|>system\nYou are a helpful AI assistant named SmolLM"));
	assert!(prompt.ends_with("<|im_start|>assistant\n"), "{prompt:?}");
	let g = e.generate(&prompt, 24, Sampler::new(0, [0; 32])).unwrap();
	assert_eq!(g.prompt_tokens, 40);
	assert_eq!(g.text, "The answer is 4.");
	assert_eq!(g.tokens.last(), Some(&2), "<|im_end|> is an id of the result");
	assert_eq!(g.finish_reason, daya_executor::FinishReason::Stop, "it ends with <|im_end|>");
}

#[test]
fn its_hashes_cover_what_is_loaded() {
	let e = common::smollm2();
	assert_eq!(e.weights_hash(), Some(daya_protocol::smollm2::WEIGHTS_HASH));
	assert_eq!(e.tokenizer_hash(), daya_protocol::smollm2::TOKENIZER_HASH);
	assert_eq!(e.context_length(), 8192);
}

/// A host serving SmolLM2 re-quantized to the lowest types (Q2_K, Q4_0) under the registered
/// hashes: its results are judged invalid, while the honest model's pass.
#[test]
fn a_downgraded_model_is_caught_and_the_honest_one_passes() {
	let honest = common::smollm2();
	let cheat = CandleEngine::load_tampered(
		&daya_executor::config::smollm2_path(),
		daya_protocol::smollm2::NAME,
		&candle_core::Device::Cpu,
		Tamper::Downgrade,
	)
	.unwrap();
	assert_eq!(cheat.weights_hash(), honest.weights_hash(), "it claims the registered hashes");
	let policy = daya_protocol::smollm2::POLICY;
	for (i, prompt) in ["What is a GPU?", "Write a haiku about rain.", "Name three colours."]
		.iter()
		.enumerate()
	{
		let messages = [ChatMessage { role: "user".into(), content: prompt.to_string() }];
		let prompt = honest.render_chat(&messages).unwrap();
		let sampler = Sampler::new(if i == 0 { 0 } else { 700 }, [i as u8; 32]);
		let good = honest.generate(&prompt, 24, sampler).unwrap().result();
		let r = honest.check(&prompt, 24, sampler, &good, &policy, None).unwrap();
		assert_eq!(r.judgement, Judgement::Valid, "honest: {r:?}");
		let bad = cheat.generate(&prompt, 24, sampler).unwrap().result();
		let r = honest.check(&prompt, 24, sampler, &bad, &policy, None).unwrap();
		assert!(matches!(r.judgement, Judgement::Invalid(_)), "downgraded: {r:?}");
		println!("{prompt:?}: downgraded judged {:?} ({:?})", r.judgement, r.report);
	}
}

/// A validator's probe (the fingerprint of the hidden state at a position no committed
/// fingerprint shows) is recognised by the executor's own model, while what a validator that
/// did not run the model could show instead is not: the nearest committed fingerprint, the
/// hidden state of the next position, or the probe of another prompt at the same position.
#[test]
fn a_probe_is_recognised_only_when_the_model_was_run() {
	use daya_protocol::{fingerprint_positions, Fault, Probe};
	let e = common::smollm2();
	let policy = daya_protocol::smollm2::POLICY;
	let messages =
		[ChatMessage { role: "user".into(), content: "Write a haiku about rain.".into() }];
	let prompt = e.render_chat(&messages).unwrap();
	let sampler = Sampler::new(700, [3; 32]);
	let result = e.generate(&prompt, 48, sampler).unwrap().result();
	let n = result.tokens.len() as u32;
	let committed: Vec<u32> = fingerprint_positions(n).collect();
	let other_prompt = e
		.render_chat(&[ChatMessage { role: "user".into(), content: "Name three colours.".into() }])
		.unwrap();
	let other = e.generate(&other_prompt, 48, sampler).unwrap().result();
	let probe = |prompt: &str, claim: &daya_protocol::ExecutionResult, position, claimed| {
		let r = e
			.check(prompt, 48, sampler, claim, &policy, Some(Probe { position, claimed }))
			.unwrap();
		assert_eq!(r.judgement, Judgement::Valid);
		r.probe.expect("a probe answer")
	};
	let open = (0..n - 1).filter(|p| !committed.contains(p)).collect::<Vec<_>>();
	assert!(open.len() >= 8, "{n} tokens");
	for &position in open.iter().step_by(open.len() / 2) {
		let honest = probe(&prompt, &result, position, None).fingerprint;
		let judged = probe(&prompt, &result, position, Some(honest)).judgement;
		assert_eq!(judged, Some(Judgement::Valid), "position {position}");
		let nearest = committed.iter().min_by_key(|c| c.abs_diff(position)).unwrap();
		let chunk = committed.iter().position(|c| c == nearest).unwrap();
		let next = probe(&prompt, &result, position + 1, None).fingerprint;
		let elsewhere =
			probe(&other_prompt, &other, position.min(other.tokens.len() as u32 - 1), None)
				.fingerprint;
		for (what, lie) in [
			("nearest fingerprint", result.fingerprints[chunk]),
			("next position", next),
			("another prompt", elsewhere),
		] {
			let judged = probe(&prompt, &result, position, Some(lie)).judgement;
			let Some(Judgement::Invalid(Fault::Probe { deviation_ppm })) = judged else {
				panic!("position {position}: the {what} passes as a probe ({judged:?})");
			};
			println!("position {position}: {what} deviates {deviation_ppm} ppm");
		}
	}
}

/// The registry's bound on a result's text, per token, is what the engine measures on
/// SmolLM2's vocabulary, and its answers keep to it.
#[test]
fn its_texts_keep_to_the_registered_bytes_per_token() {
	let e = common::smollm2();
	assert_eq!(e.max_token_bytes(), daya_protocol::smollm2::MAX_TOKEN_BYTES);
	let bound = daya_protocol::smollm2::MAX_TOKEN_BYTES as usize;
	let messages = [ChatMessage {
		role: "user".into(),
		content: "Écris un poème sur la pluie, avec des émojis.".into(),
	}];
	let prompt = e.render_chat(&messages).unwrap();
	let g = e.generate(&prompt, 48, Sampler::new(900, [9; 32])).unwrap();
	assert!(
		g.text.len() <= g.tokens.len() * bound,
		"{} bytes, {} tokens",
		g.text.len(),
		g.tokens.len()
	);
}

/// Sequences decoded together (the plain `f32` step: every projection kept quantized, each
/// sequence's attention read from its cache) get the tokens they get alone, and results a
/// validator passes.
#[test]
fn sequences_decoded_together_get_their_tokens_alone() {
	let e = common::smollm2();
	let requests = [
		("The capital of France is", 24, Sampler::new(0, [0; 32])),
		("Once upon a time, by a river,", 16, Sampler::new(800, [7; 32])),
		("def fibonacci(n):", 32, Sampler::new(0, [0; 32])),
	];
	let mut batch: Vec<_> = requests
		.iter()
		.map(|&(prompt, max, s)| e.start(prompt, max, s).unwrap())
		.collect();
	while batch.iter().any(|s| s.finished().is_none()) {
		e.step(&mut batch.iter_mut().collect::<Vec<_>>()).unwrap();
	}
	let policy = daya_protocol::smollm2::POLICY;
	for (sequence, (prompt, max, s)) in batch.into_iter().zip(requests) {
		let together = e.finish(sequence).unwrap();
		let alone = e.generate(prompt, max, s).unwrap();
		assert_eq!(together.tokens, alone.tokens, "{prompt:?}");
		assert_eq!(together.text, alone.text);
		let r = e.check(prompt, max, s, &together.result(), &policy, None).unwrap();
		assert_eq!(r.judgement, Judgement::Valid, "{prompt:?}: {r:?}");
	}
}

//! The proxy engine against llama.cpp's own server (PyPI `xllamacpp`, which `scripts/setup.sh`
//! unpacks) running SmolLM2's GGUF: greedy results delivered through llama.cpp pass the candle
//! engine's check, so a host behind llama.cpp is never judged a fraud for its honest work.

mod common;

use std::{
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use common::smollm2;
use daya_executor::{
	config::smollm2_path,
	engine::{Capability, Engine},
	proxy::ProxyEngine,
	sampler::Sampler,
	FinishReason,
};
use daya_protocol::{smollm2, ChatMessage, Judgement};

/// llama.cpp's server on a free port, killed on drop.
struct LlamaServer {
	child: Child,
	url: String,
}

impl Drop for LlamaServer {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

async fn llama_server() -> LlamaServer {
	let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
	let script = common::repo_file("../scripts/llama-server.py");
	let child = Command::new("python3")
		.arg(script)
		.arg(smollm2_path())
		.arg(port.to_string())
		.arg("1")
		.stdout(Stdio::null())
		.stderr(Stdio::null())
		.spawn()
		.expect("python3 runs scripts/llama-server.py");
	let server = LlamaServer { child, url: format!("http://127.0.0.1:{port}") };
	let started = Instant::now();
	loop {
		if reqwest::get(format!("{}/v1/models", server.url))
			.await
			.is_ok_and(|r| r.status().is_success())
		{
			return server;
		}
		assert!(
			started.elapsed() < Duration::from_secs(60),
			"llama.cpp's server did not start: scripts/setup.sh unpacks xllamacpp (the test \
			 command runs it first)"
		);
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
}

fn chat(content: &str) -> Vec<ChatMessage> {
	vec![ChatMessage { role: "user".into(), content: content.into() }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greedy_results_through_llama_cpp_pass_the_check() {
	let server = llama_server().await;
	let proxy = ProxyEngine::connect(&server.url, None, smollm2::NAME, &smollm2_path())
		.await
		.unwrap();
	assert_eq!(proxy.capability(), Capability::GreedyOnly);
	assert_eq!(proxy.weights_hash(), Some(smollm2::WEIGHTS_HASH));

	let checker = smollm2();
	let policy = smollm2::POLICY;
	let greedy = Sampler::new(0, [9; 32]);
	let prompts = [
		("What is 2+2? Answer briefly.", 32),
		("Write a short poem about the sea.", 96),
		("Explain how a GPU multiplies matrices.", 96),
		("Tell me about the history of the printing press.", 96),
	];
	let results = tokio::task::spawn_blocking(move || {
		prompts
			.iter()
			.map(|(content, max)| {
				let prompt = proxy.render_chat(&chat(content)).unwrap();
				// The same prompt ids whichever engine renders and tokenizes it.
				assert_eq!(prompt, checker.render_chat(&chat(content)).unwrap());
				let g = proxy.generate(&prompt, *max, greedy).unwrap();
				assert!(g.fingerprints.is_empty());
				let checked =
					checker.check(&prompt, *max, greedy, &g.result(), &policy, None).unwrap();
				(g, checked)
			})
			.collect::<Vec<_>>()
	})
	.await
	.unwrap();
	let (first, _) = &results[0];
	assert_eq!(first.text, "The answer is 4.");
	assert_eq!(first.prompt_tokens, 40);
	assert_eq!(first.finish_reason, FinishReason::Stop);
	assert_eq!(first.tokens.last(), Some(&2), "the end-of-sequence id is delivered");
	for (g, checked) in &results {
		assert_eq!(checked.judgement, Judgement::Valid, "{:?}: {:?}", g.text, checked.report);
	}
}

//! The HTTP service in-process: the executor protocol, the OpenAI API, health and metrics.

mod common;

use std::{
	sync::{Arc, Condvar, Mutex},
	time::Duration,
};

use common::dev_engine;
use daya_executor::{
	engine::{Engine, EngineError, FinishReason, Generation},
	hash::to_hex,
	sampler::Sampler,
	spawn, RunningServer, ServerConfig,
};
use daya_protocol::{
	dev_model, BatchAnswer, ErrorBody, ExecutionResult, ExecutionState, ExecutionStatus, Fault,
	JobBatch, JobRequest, Judgement, PayloadFormat, Policy, StatusQuery, ValidateRequest,
	ValidateResponse, VersionMismatch, MAX_BATCH, VERSION, VERSION_MISMATCH,
};

const KEY: [u8; 32] = [3; 32];

fn greedy() -> Sampler {
	Sampler::new(0, KEY)
}

fn validate_request(prompt: &str, claim: ExecutionResult) -> ValidateRequest {
	ValidateRequest {
		version: VERSION,
		model: dev_model::NAME.into(),
		weights_hash: Some(to_hex(&dev_model::WEIGHTS_HASH)),
		prompt: prompt.into(),
		format: PayloadFormat::Text,
		max_tokens: 24,
		temperature_milli: 0,
		sampling_key: to_hex(&KEY),
		claim,
		policy: dev_model::POLICY,
		probe: None,
	}
}
use serde_json::{json, Value};

async fn server(engine: Arc<dyn Engine>, config: ServerConfig) -> RunningServer {
	spawn("127.0.0.1:0".parse().unwrap(), vec![engine], config).await.unwrap()
}

async fn dev_server(config: ServerConfig) -> RunningServer {
	server(dev_engine(), config).await
}

fn job(id: &str, prompt: &str) -> JobRequest {
	JobRequest {
		version: VERSION,
		id: id.into(),
		model: dev_model::NAME.into(),
		weights_hash: Some(to_hex(&dev_model::WEIGHTS_HASH)),
		prompt: prompt.into(),
		format: PayloadFormat::Text,
		max_tokens: 24,
		temperature_milli: 0,
		sampling_key: to_hex(&KEY),
	}
}

async fn post(url: String, body: &impl serde::Serialize) -> (u16, Value) {
	let r = reqwest::Client::new().post(url).json(body).send().await.unwrap();
	(r.status().as_u16(), r.json().await.unwrap())
}

async fn error_code(url: String, body: &impl serde::Serialize) -> (u16, String) {
	let (status, body) = post(url, body).await;
	let e: ErrorBody = serde_json::from_value(body).unwrap();
	(status, e.error.code)
}

/// The service's metrics, as text.
async fn metrics(s: &RunningServer) -> String {
	reqwest::get(format!("{}/metrics", s.url()))
		.await
		.unwrap()
		.text()
		.await
		.unwrap()
}

async fn wait_done(s: &RunningServer, id: &str) -> ExecutionStatus {
	for _ in 0..600 {
		let r = reqwest::get(format!("{}/v1/jobs/{id}", s.url())).await.unwrap();
		assert_eq!(r.status(), 200);
		let status: ExecutionStatus = r.json().await.unwrap();
		if matches!(status.status, ExecutionState::Done | ExecutionState::Failed) {
			return status;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	panic!("job {id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_poll_and_validate_a_job() {
	let s = dev_server(ServerConfig::default()).await;
	let (status, body) = post(format!("{}/v1/jobs", s.url()), &job("1", "Hello")).await;
	assert_eq!(status, 202, "{body}");
	let queued: ExecutionStatus = serde_json::from_value(body).unwrap();
	assert!(matches!(queued.status, ExecutionState::Queued | ExecutionState::Running));
	assert_eq!(queued.version, VERSION);

	let done = wait_done(&s, "1").await;
	assert_eq!(done.status, ExecutionState::Done, "{done:?}");
	assert_eq!(done.version, VERSION);
	let claim = done.result.clone().unwrap();
	let direct = dev_engine().generate("Hello", 24, greedy()).unwrap();
	assert_eq!(claim, direct.result());

	// The same id again: its status, no new work.
	let (status, body) = post(format!("{}/v1/jobs", s.url()), &job("1", "Other")).await;
	assert_eq!(status, 200);
	assert_eq!(serde_json::from_value::<ExecutionStatus>(body).unwrap(), done);

	let request = validate_request("Hello", claim.clone());
	let (status, body) = post(format!("{}/v1/validate", s.url()), &request).await;
	assert_eq!(status, 200, "{body}");
	let checked: ValidateResponse = serde_json::from_value(body).unwrap();
	assert_eq!(checked.judgement, Judgement::Valid, "{checked:?}");
	// Six prompt tokens (with the BOS) for a five-byte payload: the chain bills five, which is
	// honest; four is not.
	assert_eq!(claim.prompt_tokens, 6);
	for (billed, judgement) in [(5, Judgement::Valid), (4, Judgement::Invalid(Fault::Prompt))] {
		let claim = ExecutionResult { prompt_tokens: billed, ..claim.clone() };
		let (_, body) =
			post(format!("{}/v1/validate", s.url()), &validate_request("Hello", claim)).await;
		let checked: ValidateResponse = serde_json::from_value(body).unwrap();
		assert_eq!(checked.judgement, judgement, "{billed}");
	}
	assert_eq!(checked.report.tokens, direct.completion_tokens);
	assert_eq!(checked.version, VERSION);
	assert_eq!(checked.probe, None, "no probe asked, none answered");

	// A probe: shown, then judged; a position past the output is refused by name.
	let probed = |position, claimed| ValidateRequest {
		probe: Some(daya_protocol::Probe { position, claimed }),
		..validate_request("Hello", claim.clone())
	};
	let (_, body) = post(format!("{}/v1/validate", s.url()), &probed(1, None)).await;
	let shown: ValidateResponse = serde_json::from_value(body).unwrap();
	let fingerprint = shown.probe.expect("a probe").fingerprint;
	let (_, body) = post(format!("{}/v1/validate", s.url()), &probed(1, Some(fingerprint))).await;
	let judged: ValidateResponse = serde_json::from_value(body).unwrap();
	assert_eq!(judged.probe.unwrap().judgement, Some(Judgement::Valid));
	let past = claim.tokens.len() as u32;
	let (status, body) = post(format!("{}/v1/validate", s.url()), &probed(past, None)).await;
	assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_probe")), "{body}");
	let corrupt = dev_engine().corrupt(&direct).result();
	let (_, body) =
		post(format!("{}/v1/validate", s.url()), &validate_request("Hello", corrupt)).await;
	let checked: ValidateResponse = serde_json::from_value(body).unwrap();
	assert!(matches!(checked.judgement, Judgement::Invalid(Fault::Token { .. })), "{checked:?}");

	let metrics = metrics(&s).await;
	assert!(metrics.contains("daya_executor_jobs_accepted_total 1\n"), "{metrics}");
	assert!(metrics.contains("daya_executor_jobs_completed_total 1\n"), "{metrics}");
	assert!(metrics.contains("daya_executor_validations_total 6\n"), "{metrics}");
	assert!(metrics.contains("# TYPE daya_executor_queue_depth gauge"));
	assert!(metrics
		.contains(&format!("daya_executor_tokens_generated_total {}\n", direct.completion_tokens)));
	// Latencies per kind of work, the requests running, the build.
	assert!(metrics.contains("daya_executor_request_duration_seconds_count{kind=\"job\"} 1\n"));
	assert!(
		metrics.contains("daya_executor_request_duration_seconds_count{kind=\"validation\"} 6\n")
	);
	assert!(metrics.contains("daya_executor_time_per_output_token_seconds_count{kind=\"job\"} 1\n"));
	assert!(metrics.contains("daya_executor_running_requests 0\n"), "{metrics}");
	assert!(metrics.contains("daya_executor_build_info{version=\""), "{metrics}");
	assert!(metrics.ends_with("# EOF\n"), "OpenMetrics text: {metrics}");
}

/// What a batch call answered: each entry's id, and its state or refusal code.
fn entries(answer: &BatchAnswer) -> Vec<(String, Result<ExecutionState, (u16, String)>)> {
	assert_eq!(answer.version, VERSION);
	answer
		.jobs
		.iter()
		.map(|entry| {
			let outcome = match (&entry.job, &entry.refused) {
				(Some(job), None) => Ok(job.status),
				(None, Some(refused)) => Err((refused.status, refused.error.code.clone())),
				_ => panic!("an entry has a status or a refusal: {entry:?}"),
			};
			(entry.id.clone(), outcome)
		})
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_queue_and_report_each_job_on_its_own() {
	let s = dev_server(ServerConfig::default()).await;
	let (jobs, status) =
		(format!("{}/v1/batch/jobs", s.url()), format!("{}/v1/batch/status", s.url()));
	let unknown = JobRequest { model: "no-such-model".into(), ..job("bad", "Hello") };
	let batch = JobBatch {
		version: VERSION,
		jobs: vec![job("b1", "Hello"), unknown, job("b2", "World"), job("b1", "Other")],
	};
	let (code, body) = post(jobs.clone(), &batch).await;
	assert_eq!(code, 200, "{body}");
	let answer: BatchAnswer = serde_json::from_value(body).unwrap();
	let got = entries(&answer);
	let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
	assert_eq!(ids, ["b1", "bad", "b2", "b1"], "one entry per job, in order");
	assert!(got[0].1.is_ok() && got[2].1.is_ok() && got[3].1.is_ok(), "{got:?}");
	// Refused as `POST /v1/jobs` refuses it, the others taken all the same.
	let (single, _) = error_code(format!("{}/v1/jobs", s.url()), &batch.jobs[1]).await;
	assert_eq!(got[1].1, Err((single, "unknown_model".into())));

	// Both done as they would be alone; an unknown id is a 404 of its own.
	let (b1, b2) = (wait_done(&s, "b1").await, wait_done(&s, "b2").await);
	assert_eq!(b1.result.unwrap(), dev_engine().generate("Hello", 24, greedy()).unwrap().result());
	assert_eq!(b2.result.unwrap(), dev_engine().generate("World", 24, greedy()).unwrap().result());
	let query =
		StatusQuery { version: VERSION, ids: vec!["b1".into(), "nope".into(), "b2".into()] };
	let (code, body) = post(status.clone(), &query).await;
	assert_eq!(code, 200, "{body}");
	let answer: BatchAnswer = serde_json::from_value(body).unwrap();
	assert_eq!(
		entries(&answer),
		vec![
			("b1".into(), Ok(ExecutionState::Done)),
			("nope".into(), Err((404, "not_found".into()))),
			("b2".into(), Ok(ExecutionState::Done)),
		]
	);
	let b1 = answer.jobs[0].job.clone().unwrap();
	let alone: ExecutionStatus = reqwest::get(format!("{}/v1/jobs/b1", s.url()))
		.await
		.unwrap()
		.json()
		.await
		.unwrap();
	assert_eq!(b1, alone, "the same status as the single-job route's");
	// Only "b1" and "b2" ran: the repeated id was answered, not queued.
	let metrics = metrics(&s).await;
	assert!(metrics.contains("daya_executor_jobs_accepted_total 2\n"), "{metrics}");

	// Empty and oversized batches, and another protocol version, are refused by name.
	let empty = JobBatch { version: VERSION, jobs: vec![] };
	assert_eq!(error_code(jobs.clone(), &empty).await, (400, "invalid_batch".into()));
	let ids = (0..=MAX_BATCH).map(|i| format!("j{i}")).collect();
	let large = StatusQuery { version: VERSION, ids };
	assert_eq!(error_code(status.clone(), &large).await, (400, "invalid_batch".into()));
	let old = StatusQuery { version: VERSION - 1, ids: vec!["b1".into()] };
	assert_eq!(error_code(status, &old).await, (400, VERSION_MISMATCH.into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_error_bodies() {
	let s = dev_server(ServerConfig { max_tokens: Some(100), ..Default::default() }).await;
	let jobs = format!("{}/v1/jobs", s.url());

	let r = reqwest::get(format!("{}/v1/jobs/nope", s.url())).await.unwrap();
	assert_eq!(r.status(), 404);
	assert_eq!(r.json::<ErrorBody>().await.unwrap().error.code, "not_found");

	let r = reqwest::Client::new()
		.post(&jobs)
		.header("content-type", "application/json")
		.body("{not json")
		.send()
		.await
		.unwrap();
	assert_eq!(r.status(), 400);
	assert_eq!(r.json::<ErrorBody>().await.unwrap().error.code, "invalid_json");

	assert_eq!(
		error_code(jobs.clone(), &json!({"version": VERSION, "id": "1"})).await,
		(400, "invalid_request".into())
	);
	let unknown = JobRequest { model: "gpt-9".into(), ..job("2", "x") };
	assert_eq!(error_code(jobs.clone(), &unknown).await, (404, "unknown_model".into()));
	let mismatch = JobRequest { weights_hash: Some(to_hex(&[7; 32])), ..job("3", "x") };
	assert_eq!(error_code(jobs.clone(), &mismatch).await, (409, "weights_mismatch".into()));
	let too_many = JobRequest { max_tokens: 101, ..job("4", "x") };
	assert_eq!(error_code(jobs.clone(), &too_many).await, (400, "too_many_tokens".into()));
	let zero = JobRequest { max_tokens: 0, ..job("5", "x") };
	assert_eq!(error_code(jobs.clone(), &zero).await, (400, "invalid_max_tokens".into()));
	let long = job("6", &"a".repeat(dev_model_context()));
	assert_eq!(error_code(jobs.clone(), &long).await, (400, "prompt_too_long".into()));

	let bad_key = JobRequest { sampling_key: "0x12".into(), ..job("7", "x") };
	assert_eq!(error_code(jobs.clone(), &bad_key).await, (400, "invalid_request".into()));
	let not_chat = JobRequest { format: PayloadFormat::Chat, ..job("8", "x") };
	assert_eq!(error_code(jobs.clone(), &not_chat).await, (400, "invalid_request".into()));

	let validate = format!("{}/v1/validate", s.url());
	let v = ValidateRequest { model: "gpt-9".into(), ..validate_request("a", Default::default()) };
	assert_eq!(error_code(validate.clone(), &v).await, (404, "unknown_model".into()));
	let v = ValidateRequest {
		weights_hash: Some(to_hex(&[1; 32])),
		..validate_request("a", Default::default())
	};
	assert_eq!(error_code(validate.clone(), &v).await, (409, "weights_mismatch".into()));
	let v = json!({"version": VERSION, "model": dev_model::NAME, "prompt": "a", "output": "b"});
	assert_eq!(error_code(validate, &v).await, (400, "invalid_request".into()));

	let r = reqwest::get(format!("{}/nowhere", s.url())).await.unwrap();
	assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_protocol_version_is_refused() {
	let s = dev_server(ServerConfig::default()).await;
	let jobs = format!("{}/v1/jobs", s.url());
	let validate = format!("{}/v1/validate", s.url());

	let newer = JobRequest { version: VERSION + 1, ..job("1", "Hello") };
	let (status, body) = post(jobs.clone(), &newer).await;
	assert_eq!(status, 400, "{body}");
	let e: ErrorBody = serde_json::from_value(body).unwrap();
	assert_eq!(e.error.code, VERSION_MISMATCH);
	assert_eq!(e.error.message, VersionMismatch { found: VERSION + 1 }.to_string());
	// A request without a version (one of before versions) reads as version 0.
	let mut unversioned = serde_json::to_value(job("2", "Hello")).unwrap();
	unversioned.as_object_mut().unwrap().remove("version");
	assert_eq!(error_code(jobs.clone(), &unversioned).await, (400, VERSION_MISMATCH.into()));

	let older = ValidateRequest { version: 0, ..validate_request("Hello", Default::default()) };
	assert_eq!(error_code(validate.clone(), &older).await, (400, VERSION_MISMATCH.into()));
	let v = json!({"model": dev_model::NAME, "prompt": "a", "output": "b"});
	assert_eq!(error_code(validate, &v).await, (400, VERSION_MISMATCH.into()));

	// Nothing was queued nor run.
	for id in ["1", "2"] {
		let r = reqwest::get(format!("{}/v1/jobs/{id}", s.url())).await.unwrap();
		assert_eq!(r.status(), 404, "job {id}");
	}
	let health: Value =
		reqwest::get(format!("{}/health", s.url())).await.unwrap().json().await.unwrap();
	assert_eq!(health["queue_depth"], 0);
	assert_eq!(health["protocol_version"], VERSION);
	let metrics = metrics(&s).await;
	assert!(metrics.contains("daya_executor_jobs_accepted_total 0\n"), "{metrics}");
	assert!(metrics.contains("daya_executor_validations_total 0\n"), "{metrics}");

	// The same job at this version is taken.
	let (status, body) = post(jobs, &job("1", "Hello")).await;
	assert_eq!(status, 202, "{body}");
	assert_eq!(serde_json::from_value::<ExecutionStatus>(body).unwrap().version, VERSION);
}

fn dev_model_context() -> usize {
	daya_executor::dev_model::CONTEXT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_completions_and_chat() {
	let s = dev_server(ServerConfig::default()).await;
	let (status, body) = post(
		format!("{}/v1/completions", s.url()),
		&json!({"model": dev_model::NAME, "prompt": "Hello", "max_tokens": 24, "temperature": 0, "logprobs": 3}),
	)
	.await;
	assert_eq!(status, 200, "{body}");
	let direct = dev_engine().generate("Hello", 24, Sampler::from_seed(0, 0)).unwrap();
	assert_eq!(body["object"], "text_completion");
	assert_eq!(body["model"], dev_model::NAME);
	assert_eq!(body["choices"][0]["text"], direct.text.as_str());
	assert_eq!(body["usage"]["completion_tokens"], direct.completion_tokens);
	let lp = &body["choices"][0]["logprobs"];
	assert_eq!(lp["tokens"].as_array().unwrap().len(), direct.logprobs.len());
	assert_eq!(lp["top_logprobs"][0].as_object().unwrap().len(), 3);
	let first: String =
		lp["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
	assert_eq!(first, direct.text);

	let (status, body) = post(
		format!("{}/v1/chat/completions", s.url()),
		&json!({
			"model": dev_model::NAME,
			"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
			"max_tokens": 16, "temperature": 0.7, "seed": 3, "logprobs": true, "top_logprobs": 2,
		}),
	)
	.await;
	assert_eq!(status, 200, "{body}");
	let prompt = "system: Be brief.\nuser: Hi\nassistant: ";
	let direct = dev_engine().generate(prompt, 16, Sampler::from_seed(700, 3)).unwrap();
	assert_eq!(body["object"], "chat.completion");
	assert_eq!(body["choices"][0]["message"]["role"], "assistant");
	assert_eq!(body["choices"][0]["message"]["content"], direct.text.as_str());
	let content = body["choices"][0]["logprobs"]["content"].as_array().unwrap();
	assert_eq!(content.len(), direct.logprobs.len());
	assert_eq!(content[0]["top_logprobs"].as_array().unwrap().len(), 2);

	let (status, code) = error_code(
		format!("{}/v1/completions", s.url()),
		&json!({"model": "other", "prompt": "x"}),
	)
	.await;
	assert_eq!((status, code.as_str()), (404, "unknown_model"));
	let (status, code) = error_code(
		format!("{}/v1/chat/completions", s.url()),
		&json!({"model": dev_model::NAME, "messages": []}),
	)
	.await;
	assert_eq!((status, code.as_str()), (400, "invalid_request"));

	// Two OpenAI requests answered (the refused ones never ran): their latency, their time to
	// the first token and per token after it.
	let metrics = reqwest::get(format!("{}/metrics", s.url())).await.unwrap();
	assert!(metrics.headers()["content-type"]
		.to_str()
		.unwrap()
		.starts_with("application/openmetrics-text"));
	let metrics = metrics.text().await.unwrap();
	for histogram in
		["request_duration_seconds", "time_to_first_token_seconds", "time_per_output_token_seconds"]
	{
		let count = format!("daya_executor_{histogram}_count{{kind=\"openai\"}} 2\n");
		assert!(metrics.contains(&count), "{count} in {metrics}");
	}
	assert!(metrics.contains("daya_executor_openai_requests_total 2\n"), "{metrics}");

	// Every answer names its request, as the log line does.
	let ids: Vec<String> = request_ids(&s).await;
	assert!(ids.iter().all(|id| id.starts_with("req-")), "{ids:?}");
	assert_ne!(ids[0], ids[1]);

	let health: Value =
		reqwest::get(format!("{}/health", s.url())).await.unwrap().json().await.unwrap();
	assert_eq!(health["model"], dev_model::NAME);
	assert_eq!(health["weights_hash"], to_hex(&dev_model::WEIGHTS_HASH));
	assert_eq!(health["queue_depth"], 0);
	assert_eq!(health["protocol_version"], VERSION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_parameters_are_honoured_or_refused_by_name() {
	let s = dev_server(ServerConfig::default()).await;
	let completions = format!("{}/v1/completions", s.url());
	let chat = format!("{}/v1/chat/completions", s.url());
	let base =
		json!({"model": dev_model::NAME, "prompt": "Hello", "max_tokens": 24, "temperature": 0});
	let with = |extra: Value| {
		let mut body = base.clone();
		body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
		body
	};

	// The models, with `created` and the context length strict clients read.
	let models: Value = reqwest::get(format!("{}/v1/models", s.url()))
		.await
		.unwrap()
		.json()
		.await
		.unwrap();
	let model = &models["data"][0];
	assert_eq!(model["id"], dev_model::NAME);
	assert!(model["created"].as_u64().unwrap() > 1_700_000_000, "{models}");
	assert_eq!(model["context_length"], dev_model_context());

	// Errors as OpenAI clients read them: message, type, param, code.
	let (status, body) = post(completions.clone(), &json!({"model": "gpt-9", "prompt": "x"})).await;
	assert_eq!(status, 404);
	assert_eq!(body["error"]["type"], "not_found_error", "{body}");
	assert_eq!(body["error"]["code"], "unknown_model");
	assert_eq!(body["error"]["param"], Value::Null);
	assert!(body["error"]["message"].as_str().unwrap().contains("gpt-9"));
	let (status, body) = post(completions.clone(), &with(json!({"temperature": 3}))).await;
	assert_eq!(status, 400);
	assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
	assert_eq!(body["error"]["param"], "temperature");

	// What the SDKs send by default is taken, and answers as without it.
	let direct = dev_engine().generate("Hello", 24, Sampler::from_seed(0, 0)).unwrap();
	let neutral = json!({
		"n": 1, "best_of": 1, "echo": false, "presence_penalty": 0, "frequency_penalty": 0,
		"logit_bias": {}, "user": "someone", "stream": false, "tools": [], "tool_choice": "none",
		"response_format": {"type": "text"}, "suffix": "", "top_p": 1,
	});
	let (status, body) = post(completions.clone(), &with(neutral)).await;
	assert_eq!(status, 200, "{body}");
	assert_eq!(body["choices"][0]["text"], direct.text.as_str());

	// What asks for something not implemented is refused, naming the field.
	for (param, value) in [
		("n", json!(2)),
		("best_of", json!(3)),
		("echo", json!(true)),
		("suffix", json!("end")),
		("logit_bias", json!({"5": 10})),
		("presence_penalty", json!(0.5)),
		("frequency_penalty", json!(-1)),
		("tools", json!([{"type": "function", "function": {"name": "f"}}])),
		("tool_choice", json!("required")),
		("response_format", json!({"type": "json_object"})),
	] {
		let extra = Value::Object([(param.to_string(), value)].into_iter().collect());
		let (status, body) = post(completions.clone(), &with(extra)).await;
		assert_eq!(status, 400, "{param}: {body}");
		assert_eq!(body["error"]["code"], "unsupported_parameter", "{param}: {body}");
		assert_eq!(body["error"]["param"], param, "{body}");
		assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
	}
	let chat_body = json!({
		"model": dev_model::NAME, "messages": [{"role": "user", "content": "Hi"}], "n": 4,
	});
	let (status, body) = post(chat.clone(), &chat_body).await;
	assert_eq!((status, &body["error"]["param"]), (400, &json!("n")), "{body}");
	// Content parts: text is read (as the same text sent whole), anything else refused.
	let parts = json!({"model": dev_model::NAME, "max_tokens": 8, "temperature": 0, "messages": [
		{"role": "user", "content": [{"type": "text", "text": "H"}, {"type": "text", "text": "i"}]}]});
	let whole = json!({"model": dev_model::NAME, "max_tokens": 8, "temperature": 0,
		"messages": [{"role": "user", "content": "Hi"}]});
	let ((s1, b1), (s2, b2)) = (post(chat.clone(), &parts).await, post(chat.clone(), &whole).await);
	assert_eq!((s1, s2), (200, 200), "{b1} {b2}");
	assert_eq!(b1["choices"][0]["message"], b2["choices"][0]["message"]);
	let image = json!({"model": dev_model::NAME, "messages": [{"role": "user", "content": [
		{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]});
	let (status, body) = post(chat.clone(), &image).await;
	assert_eq!((status, &body["error"]["param"]), (400, &json!("messages")), "{body}");
	assert_eq!(body["error"]["code"], "unsupported_parameter");

	// `stop`: the answer ends before the first stop sequence, finished as `stop`.
	let text = direct.text.as_str();
	let cut = text
		.char_indices()
		.map(|(i, _)| i)
		.find(|&i| i >= 4)
		.expect("a long enough text");
	let stop: String = text[cut..].chars().take(2).collect();
	let expected = &text[..text.find(&stop).unwrap()];
	let (status, body) =
		post(completions.clone(), &with(json!({"stop": [stop.clone(), "\u{1}never"]}))).await;
	assert_eq!(status, 200, "{body}");
	assert_eq!(body["choices"][0]["text"], expected, "stop {stop:?} in {text:?}");
	assert_eq!(body["choices"][0]["finish_reason"], "stop");
	for bad in [json!(""), json!(["a", "b", "c", "d", "e"])] {
		let (status, body) = post(completions.clone(), &with(json!({"stop": bad}))).await;
		assert_eq!((status, &body["error"]["param"]), (400, &json!("stop")), "{body}");
	}

	// `top_p` goes to the sampler (whose nucleus the sampler's tests check); at 1, none.
	for (top_p, milli) in [(0.05, 50), (1.0, 1_000)] {
		let (status, body) = post(
			completions.clone(),
			&with(json!({"temperature": 1.5, "top_p": top_p, "seed": 11})),
		)
		.await;
		assert_eq!(status, 200, "{body}");
		let sampler = Sampler::from_seed(1_500, 11).with_top_p(milli);
		let direct = dev_engine().generate("Hello", 24, sampler).unwrap();
		assert_eq!(body["choices"][0]["text"], direct.text.as_str(), "top_p {top_p}");
	}
	for bad in [json!(0), json!(1.5)] {
		let (status, body) = post(completions.clone(), &with(json!({"top_p": bad}))).await;
		assert_eq!((status, &body["error"]["param"]), (400, &json!("top_p")), "{body}");
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokenize_and_detokenize() {
	let s = dev_server(ServerConfig::default()).await;
	let (tokenize, detokenize) =
		(format!("{}/tokenize", s.url()), format!("{}/detokenize", s.url()));
	let engine = dev_engine();
	let ids = engine.tokenize("Hello there").unwrap().unwrap();
	assert_eq!(Some(ids.len()), engine.prompt_tokens("Hello there").unwrap());

	let (status, body) =
		post(tokenize.clone(), &json!({"model": dev_model::NAME, "prompt": "Hello there"})).await;
	assert_eq!(status, 200, "{body}");
	assert_eq!(body["tokens"], json!(ids));
	assert_eq!(body["count"], ids.len());
	assert_eq!(body["max_model_len"], dev_model_context());
	// A chat's messages are rendered with the model's template first.
	let messages = json!([{"role": "user", "content": "Hi"}]);
	let (status, body) =
		post(tokenize.clone(), &json!({"model": dev_model::NAME, "messages": messages})).await;
	assert_eq!(status, 200, "{body}");
	let rendered = engine
		.render_chat(&[daya_protocol::ChatMessage { role: "user".into(), content: "Hi".into() }]);
	assert_eq!(body["tokens"], json!(engine.tokenize(&rendered.unwrap()).unwrap().unwrap()));

	let (status, body) =
		post(detokenize.clone(), &json!({"model": dev_model::NAME, "tokens": ids})).await;
	assert_eq!(status, 200, "{body}");
	assert_eq!(body["prompt"], "Hello there");

	let (status, body) =
		post(detokenize.clone(), &json!({"model": dev_model::NAME, "tokens": [1, 999999]})).await;
	assert_eq!((status, &body["error"]["param"]), (400, &json!("tokens")), "{body}");
	let (status, body) = post(tokenize.clone(), &json!({"model": dev_model::NAME})).await;
	assert_eq!((status, &body["error"]["code"]), (400, &json!("invalid_request")), "{body}");
	assert_eq!(error_code(tokenize, &json!({"model": "gpt-9", "prompt": "x"})).await.0, 404);
}

/// The `x-request-id` of two answers.
async fn request_ids(s: &RunningServer) -> Vec<String> {
	let mut ids = Vec::new();
	for path in ["/health", "/nowhere"] {
		let r = reqwest::get(format!("{}{path}", s.url())).await.unwrap();
		ids.push(r.headers()["x-request-id"].to_str().unwrap().to_string());
	}
	ids
}

/// The `data:` payloads of a server-sent event stream, read to its end.
async fn events(url: String, body: &Value) -> Vec<String> {
	let r = reqwest::Client::new().post(url).json(body).send().await.unwrap();
	assert_eq!(r.status(), 200);
	let kind = r.headers()["content-type"].to_str().unwrap().to_string();
	assert!(kind.starts_with("text/event-stream"), "{kind}");
	let text = r.text().await.unwrap();
	text.lines()
		.filter_map(|line| line.strip_prefix("data: "))
		.map(str::to_string)
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_streams_are_server_sent_events() {
	let s = dev_server(ServerConfig::default()).await;
	let completions = format!("{}/v1/completions", s.url());
	let chat = format!("{}/v1/chat/completions", s.url());

	// A completion: text chunks that add up to the answer, the finish reason last, `[DONE]`.
	let body = json!({"model": dev_model::NAME, "prompt": "Hello", "max_tokens": 24,
		"temperature": 0.7, "seed": 5, "stream": true});
	let mut plain = body.clone();
	plain["stream"] = json!(false);
	let (status, whole) = post(completions.clone(), &plain).await;
	assert_eq!(status, 200, "{whole}");
	let data = events(completions.clone(), &body).await;
	assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
	let chunks: Vec<Value> = data[..data.len() - 1]
		.iter()
		.map(|d| serde_json::from_str(d).unwrap())
		.collect();
	assert!(chunks.len() > 2, "token by token: {data:?}");
	let text: String = chunks.iter().map(|c| c["choices"][0]["text"].as_str().unwrap()).collect();
	assert_eq!(text, whole["choices"][0]["text"].as_str().unwrap());
	for chunk in &chunks {
		assert_eq!(chunk["object"], "text_completion");
		assert_eq!(chunk["id"], chunks[0]["id"]);
		assert!(chunk.get("usage").is_none(), "usage only when asked for: {chunk}");
	}
	let (last, rest) = chunks.split_last().unwrap();
	assert_eq!(last["choices"][0]["finish_reason"], whole["choices"][0]["finish_reason"]);
	assert!(rest.iter().all(|c| c["choices"][0]["finish_reason"].is_null()));

	// A chat: the role first, content deltas, the finish reason, then the usage chunk.
	let messages = json!([{"role": "user", "content": "Hi"}]);
	let plain = json!({"model": dev_model::NAME, "messages": messages, "max_tokens": 16,
		"temperature": 0});
	let (status, whole) = post(chat.clone(), &plain).await;
	assert_eq!(status, 200, "{whole}");
	let mut body = plain.clone();
	body["stream"] = json!(true);
	body["stream_options"] = json!({"include_usage": true});
	let data = events(chat.clone(), &body).await;
	assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
	let chunks: Vec<Value> = data[..data.len() - 1]
		.iter()
		.map(|d| serde_json::from_str(d).unwrap())
		.collect();
	assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
	assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
	let (usage, deltas) = chunks.split_last().unwrap();
	assert_eq!(usage["choices"], json!([]));
	assert_eq!(usage["usage"], whole["usage"]);
	assert!(deltas.iter().all(|c| c["usage"].is_null()));
	let content: String = deltas
		.iter()
		.filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
		.collect();
	assert_eq!(content, whole["choices"][0]["message"]["content"].as_str().unwrap());
	let finish = &deltas.last().unwrap()["choices"][0];
	assert_eq!(finish["finish_reason"], whole["choices"][0]["finish_reason"]);
	assert_eq!(finish["delta"], json!({}));

	// A stop sequence: the stream ends before it, and so does the generation (fewer tokens).
	let text = whole["choices"][0]["message"]["content"].as_str().unwrap().to_string();
	let cut = text
		.char_indices()
		.map(|(i, _)| i)
		.find(|&i| i >= 3)
		.expect("a long enough text");
	let stop: String = text[cut..].chars().take(2).collect();
	body["stop"] = json!(stop);
	let data = events(chat.clone(), &body).await;
	let chunks: Vec<Value> = data[..data.len() - 1]
		.iter()
		.map(|d| serde_json::from_str(d).unwrap())
		.collect();
	let content: String = chunks
		.iter()
		.filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
		.collect();
	assert_eq!(content, text[..text.find(&stop).unwrap()], "stop {stop:?} in {text:?}");
	let (usage, deltas) = chunks.split_last().unwrap();
	assert_eq!(deltas.last().unwrap()["choices"][0]["finish_reason"], "stop");
	assert!(
		usage["usage"]["completion_tokens"].as_u64() < whole["usage"]["completion_tokens"].as_u64(),
		"the generation ended at the stop sequence: {usage}"
	);

	// Refusals come before the stream, as plain errors.
	let mut bad = body.clone();
	bad["model"] = json!("gpt-9");
	assert_eq!(error_code(chat.clone(), &bad).await, (404, "unknown_model".into()));
	let mut bad = body.clone();
	bad["logprobs"] = json!(true);
	let (status, answer) = post(chat, &bad).await;
	assert_eq!((status, &answer["error"]["param"]), (400, &json!("logprobs")), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_outputs_are_reported_done() {
	let s = dev_server(ServerConfig { corrupt_outputs: true, ..Default::default() }).await;
	let (status, _) = post(format!("{}/v1/jobs", s.url()), &job("9", "Hello")).await;
	assert_eq!(status, 202);
	let done = wait_done(&s, "9").await;
	assert_eq!(done.status, ExecutionState::Done);
	let honest = dev_engine().generate("Hello", 24, greedy()).unwrap();
	let delivered = done.result.unwrap();
	assert_eq!(delivered, dev_engine().corrupt(&honest).result());
	assert_ne!(delivered.tokens, honest.tokens);
	assert_eq!(delivered.fingerprints, honest.fingerprints, "it still claims honest numerics");
}

/// An engine that blocks until its gate opens.
struct Gated {
	gate: Arc<(Mutex<bool>, Condvar)>,
}

impl Gated {
	fn open(gate: &(Mutex<bool>, Condvar)) {
		*gate.0.lock().unwrap() = true;
		gate.1.notify_all();
	}
}

impl Engine for Gated {
	fn model_name(&self) -> &str {
		dev_model::NAME
	}
	fn weights_hash(&self) -> Option<[u8; 32]> {
		None
	}
	fn context_length(&self) -> usize {
		64
	}
	fn prompt_tokens(&self, prompt: &str) -> Result<Option<usize>, EngineError> {
		Ok(Some(prompt.len() + 1))
	}
	fn generate(&self, prompt: &str, _: u32, _: Sampler) -> Result<Generation, EngineError> {
		let (lock, cv) = &*self.gate;
		let _open = cv.wait_while(lock.lock().unwrap(), |open| !*open).unwrap();
		if prompt == "fail" {
			return Err(EngineError::Internal("boom".into()));
		}
		Ok(Generation {
			text: "ok".into(),
			tokens: vec![1],
			prompt_tokens: 1,
			prompt_hash: [0; 32],
			completion_tokens: 1,
			fingerprints: Vec::new(),
			logprobs: Vec::new(),
			finish_reason: FinishReason::Stop,
		})
	}
	fn check(
		&self,
		_: &str,
		_: u32,
		_: Sampler,
		_: &ExecutionResult,
		_: &Policy,
		_: Option<daya_protocol::Probe>,
	) -> Result<ValidateResponse, EngineError> {
		Err(EngineError::Internal("not here".into()))
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_with_429() {
	let gate = Arc::new((Mutex::new(false), Condvar::new()));
	let s = server(
		Arc::new(Gated { gate: gate.clone() }),
		ServerConfig { queue: 1, ..Default::default() },
	)
	.await;
	let jobs = format!("{}/v1/jobs", s.url());
	let plain = |id: &str, prompt: &str| JobRequest { weights_hash: None, ..job(id, prompt) };
	assert_eq!(post(jobs.clone(), &plain("a", "x")).await.0, 202);
	// Wait for the worker to take it.
	for _ in 0..500 {
		let st: ExecutionStatus = reqwest::get(format!("{}/v1/jobs/a", s.url()))
			.await
			.unwrap()
			.json()
			.await
			.unwrap();
		if st.status == ExecutionState::Running {
			break;
		}
		tokio::time::sleep(Duration::from_millis(10)).await;
	}
	assert_eq!(post(jobs.clone(), &plain("b", "fail")).await.0, 202);
	assert_eq!(error_code(jobs.clone(), &plain("c", "x")).await, (429, "queue_full".into()));
	// In a batch, the job the full queue refuses is refused alone; a known one is answered.
	let batch = JobBatch { version: VERSION, jobs: vec![plain("a", "x"), plain("c", "x")] };
	let (code, body) = post(format!("{}/v1/batch/jobs", s.url()), &batch).await;
	assert_eq!(code, 200, "{body}");
	let got = entries(&serde_json::from_value(body).unwrap());
	assert!(got[0].1.is_ok(), "{got:?}");
	assert_eq!(got[1], ("c".into(), Err((429, "queue_full".into()))));
	let health: Value =
		reqwest::get(format!("{}/health", s.url())).await.unwrap().json().await.unwrap();
	assert_eq!(health["queue_depth"], 1);
	Gated::open(&gate);
	assert_eq!(wait_done(&s, "a").await.result.unwrap().output, "ok");
	let failed = wait_done(&s, "b").await;
	assert_eq!(failed.status, ExecutionState::Failed);
	assert_eq!(failed.error.as_deref(), Some("boom"));
	// A failed job posted again runs again; a done one is answered, not run again.
	assert_eq!(post(jobs.clone(), &plain("b", "fail")).await.0, 202);
	assert_eq!(wait_done(&s, "b").await.status, ExecutionState::Failed);
	assert_eq!(post(jobs.clone(), &plain("a", "x")).await.0, 200);
	// Room again.
	assert_eq!(post(jobs, &plain("c", "x")).await.0, 202);
	wait_done(&s, "c").await;
	let metrics = metrics(&s).await;
	assert!(metrics.contains("daya_executor_jobs_failed_total 2\n"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executor_with_a_key_obeys_only_who_holds_it() {
	let key = "0123456789abcdef".repeat(4);
	let s = dev_server(ServerConfig { api_key: Some(key.clone()), ..Default::default() }).await;
	let client = reqwest::Client::new();
	let jobs = format!("{}/v1/jobs", s.url());
	let code = |r: reqwest::Response| async move {
		let status = r.status().as_u16();
		let body: ErrorBody = r.json().await.unwrap();
		(status, body.error.code)
	};
	// A third party plants a job under the id the node would ask for: refused, nothing queued.
	let planted = client.post(&jobs).json(&job("chain-7", "planted")).send().await.unwrap();
	assert_eq!(planted.headers()["www-authenticate"], "Bearer");
	assert_eq!(code(planted).await, (401, "missing_api_key".into()));
	let wrong = client
		.post(&jobs)
		.bearer_auth("f".repeat(64))
		.json(&job("chain-7", "planted"))
		.send()
		.await
		.unwrap();
	assert_eq!(code(wrong).await, (401, "invalid_api_key".into()));
	let malformed = client
		.post(&jobs)
		.header("Authorization", key.clone())
		.json(&job("x", "y"))
		.send();
	assert_eq!(code(malformed.await.unwrap()).await, (401, "invalid_api_key".into()));
	// Every private route asks for it: status, batches (a stranger planting jobs or reading
	// results sixteen at a time), validation, the OpenAI API, proof of compute.
	for (method, path) in [
		("GET", "/v1/jobs/chain-7"),
		("POST", "/v1/batch/jobs"),
		("POST", "/v1/batch/status"),
		("POST", "/v1/validate"),
		("POST", "/v1/completions"),
		("POST", "/v1/chat/completions"),
		("GET", "/v1/models"),
		("POST", "/tokenize"),
		("POST", "/detokenize"),
		("POST", "/v1/poc/start"),
		("POST", "/v1/poc/seal"),
		("GET", "/v1/poc/status"),
		("POST", "/v1/poc/verify"),
	] {
		let url = format!("{}{path}", s.url());
		let request = match method {
			"GET" => client.get(url),
			_ => client.post(url).json(&json!({})),
		};
		assert_eq!(code(request.send().await.unwrap()).await.0, 401, "{method} {path}");
	}
	// The node, with the key: the job is its own.
	let (status, _) = {
		let r = client.post(&jobs).bearer_auth(&key).json(&job("chain-7", "Hello")).send();
		let r = r.await.unwrap();
		(r.status().as_u16(), r.text().await.unwrap())
	};
	assert_eq!(status, 202);
	let done = loop {
		let r = client.get(format!("{jobs}/chain-7")).bearer_auth(&key).send().await.unwrap();
		let status: ExecutionStatus = r.json().await.unwrap();
		if status.status == ExecutionState::Done {
			break status;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	};
	let honest = dev_engine().generate("Hello", 24, greedy()).unwrap();
	assert_eq!(done.result.unwrap(), honest.result());
	// The public routes need none: health, metrics, and the proofs other hosts verify.
	for path in ["/health", "/metrics", "/v1/poc/proofs?window=1&host=0x00&nonces=1"] {
		let r = client.get(format!("{}{path}", s.url())).send().await.unwrap();
		assert_ne!(r.status().as_u16(), 401, "{path}");
		assert_ne!(r.status().as_u16(), 403, "{path}");
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_and_a_crowd_of_waiting_requests_are_refused() {
	let gate = Arc::new((Mutex::new(false), Condvar::new()));
	let s = server(
		Arc::new(Gated { gate: gate.clone() }),
		ServerConfig { max_body_bytes: 1 << 20, max_waiting: 1, ..Default::default() },
	)
	.await;
	let huge = job("big", &"x".repeat(2 << 20));
	assert_eq!(
		error_code(format!("{}/v1/jobs", s.url()), &huge).await,
		(413, "body_too_large".into())
	);
	let completions = format!("{}/v1/completions", s.url());
	let request = json!({ "model": dev_model::NAME, "prompt": "x", "max_tokens": 1 });
	// Two requests for the closed engine: one waits, the other finds no place.
	let spawn_request = || {
		let (url, request) = (completions.clone(), request.clone());
		tokio::spawn(async move { post(url, &request).await })
	};
	let (a, b) = (spawn_request(), spawn_request());
	while !a.is_finished() && !b.is_finished() {
		tokio::time::sleep(Duration::from_millis(10)).await;
	}
	let (refused, waiting) = if a.is_finished() { (a, b) } else { (b, a) };
	let (status, body) = refused.await.unwrap();
	assert_eq!((status, body["error"]["code"].as_str()), (429, Some("busy")), "{body}");
	Gated::open(&gate);
	let (status, body) = waiting.await.unwrap();
	assert_eq!(status, 200, "{body}");
}

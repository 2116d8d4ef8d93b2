//! The scheduler: one thread runs every engine call, in this order.
//!
//! 1. **Chain work** (jobs and validations), first and alone: its token ids, fingerprints and
//!    probes are replayed by other hosts, so they never depend on what else runs. A chain job
//!    waits at most for the decode step or the prefill under way when it arrives.
//! 2. **OpenAI requests to an engine that does not batch** (a proxy), one at a time.
//! 3. **OpenAI requests to an engine that batches** decode together: each step gives every
//!    sequence under way one token in one forward pass (the weights are read once for all);
//!    new requests join between steps, prefilled as they join, up to
//!    [`ServerConfig::max_batch`](super::ServerConfig::max_batch) at once. A request whose
//!    reader has gone ends at its next token.

use std::{
	collections::VecDeque,
	panic::{catch_unwind, AssertUnwindSafe},
	sync::{Arc, Condvar, Mutex, MutexGuard},
	time::Instant,
};

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::oneshot;

use crate::{
	engine::{Engine, EngineError, Generation, Sequence},
	sampler::Sampler,
};

/// Which queue exclusive work waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
	/// Jobs and validations: before anything else.
	Chain,
	/// OpenAI requests to an engine that does not batch.
	OpenAi,
}

/// Where a text reader is told a generation's text so far; `false` ends the generation.
pub type OnText = Box<dyn FnMut(&str) -> bool + Send>;

/// When a generation started and gave its first token.
#[derive(Clone, Copy, Debug)]
pub struct Started {
	/// When its prefill began.
	pub at: Instant,
	/// When its first token was picked.
	pub first_token: Option<Instant>,
}

type Task = Box<dyn FnOnce() + Send>;
type Done = oneshot::Sender<Result<(Generation, Started), EngineError>>;

/// An OpenAI request waiting to join the batch.
struct Joining {
	engine: Arc<dyn Engine>,
	prompt: String,
	max_tokens: u32,
	sampler: Sampler,
	on_text: OnText,
	done: Done,
}

/// A sequence in the batch.
struct Running {
	engine: Arc<dyn Engine>,
	sequence: Sequence,
	on_text: OnText,
	done: Done,
	started: Started,
}

#[derive(Default)]
struct Queues {
	chain: VecDeque<Task>,
	alone: VecDeque<Task>,
	joining: VecDeque<Joining>,
	closed: bool,
}

struct Inner {
	queues: Mutex<Queues>,
	wake: Condvar,
}

impl Inner {
	fn queues(&self) -> MutexGuard<'_, Queues> {
		self.queues.lock().unwrap_or_else(|e| e.into_inner())
	}
}

/// The scheduler's handle; dropping it ends its thread, answering the work under way with an
/// error. The service runs one; a program that embeds the engines may run its own.
pub struct Scheduler {
	inner: Arc<Inner>,
}

fn gone() -> EngineError {
	EngineError::Internal("the engine failed (a panic) or the service is shutting down".into())
}

impl Scheduler {
	/// Starts the scheduler's thread: at most `max_batch` OpenAI sequences decode together.
	pub fn new(max_batch: usize) -> std::io::Result<Self> {
		Self::start(max_batch, Histogram::new([1.0].into_iter()))
	}

	/// [`Self::new`], each decode step's size observed by `batch_sizes`.
	pub(super) fn start(max_batch: usize, batch_sizes: Histogram) -> std::io::Result<Self> {
		let inner = Arc::new(Inner { queues: Mutex::default(), wake: Condvar::new() });
		let looping = inner.clone();
		std::thread::Builder::new()
			.name("daya-scheduler".into())
			.spawn(move || run(&looping, max_batch.max(1), &batch_sizes))?;
		Ok(Self { inner })
	}

	/// Runs `f` with `engine` alone, after the work queued before it in its class (chain work
	/// before any OpenAI request). Work whose caller has gone before it starts is skipped.
	pub async fn exclusive<T: Send + 'static>(
		&self,
		class: Class,
		engine: &Arc<dyn Engine>,
		f: impl FnOnce(&dyn Engine) -> Result<T, EngineError> + Send + 'static,
	) -> Result<T, EngineError> {
		let (tx, rx) = oneshot::channel();
		let engine = engine.clone();
		let task: Task = Box::new(move || {
			if !tx.is_closed() {
				let _ = tx.send(f(&*engine));
			}
		});
		{
			let mut queues = self.inner.queues();
			match class {
				Class::Chain => queues.chain.push_back(task),
				Class::OpenAi => queues.alone.push_back(task),
			}
		}
		self.inner.wake.notify_one();
		rx.await.unwrap_or_else(|_| Err(gone()))
	}

	/// Generates for an OpenAI request: in the batch when `engine` batches, alone otherwise.
	/// `on_text` is told the text after each token.
	pub async fn generate(
		&self,
		engine: &Arc<dyn Engine>,
		prompt: String,
		max_tokens: u32,
		sampler: Sampler,
		mut on_text: OnText,
	) -> Result<(Generation, Started), EngineError> {
		if !engine.batches() {
			return self
				.exclusive(Class::OpenAi, engine, move |e| {
					let at = Instant::now();
					let mut first_token = None;
					let g = e.generate_streaming(&prompt, max_tokens, sampler, &mut |text| {
						first_token.get_or_insert_with(Instant::now);
						on_text(text)
					})?;
					Ok((g, Started { at, first_token }))
				})
				.await;
		}
		let (done, rx) = oneshot::channel();
		let joining =
			Joining { engine: engine.clone(), prompt, max_tokens, sampler, on_text, done };
		self.inner.queues().joining.push_back(joining);
		self.inner.wake.notify_one();
		rx.await.unwrap_or_else(|_| Err(gone()))
	}
}

impl Drop for Scheduler {
	fn drop(&mut self) {
		self.inner.queues().closed = true;
		self.inner.wake.notify_one();
	}
}

/// What the thread takes next.
enum Next {
	Task(Task),
	Join(Vec<Joining>),
	Close,
}

fn run(inner: &Inner, max_batch: usize, batch_sizes: &Histogram) {
	let mut batch: Vec<Running> = Vec::new();
	loop {
		let next = {
			let mut queues = inner.queues();
			while !queues.closed
				&& queues.chain.is_empty()
				&& queues.alone.is_empty()
				&& queues.joining.is_empty()
				&& batch.is_empty()
			{
				queues = inner.wake.wait(queues).unwrap_or_else(|e| e.into_inner());
			}
			if let Some(task) = queues.chain.pop_front().or_else(|| queues.alone.pop_front()) {
				Next::Task(task)
			} else if queues.closed {
				Next::Close
			} else {
				let room = max_batch.saturating_sub(batch.len()).min(queues.joining.len());
				Next::Join(queues.joining.drain(..room).collect())
			}
		};
		match next {
			Next::Task(task) => {
				// A panic drops the task's answer: its caller hears the engine failed.
				on_pool(|| {
					let _ = catch_unwind(AssertUnwindSafe(task));
				});
				continue;
			},
			Next::Close => {
				for running in batch.drain(..) {
					let _ = running.done.send(Err(gone()));
				}
				return;
			},
			Next::Join(joining) => {
				for joining in joining {
					if let Some(running) = join(joining) {
						batch.push(running);
					}
				}
			},
		}
		batch = step(batch, batch_sizes);
	}
}

/// Runs `f` on a thread of the compute pool (rayon's global pool, whose threads the products
/// split across): the scheduler's thread waits meanwhile, rather than compete with them for
/// the cores.
fn on_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
	rayon::scope(|_| f())
}

/// Prefills a request and tells its first token; `None` when it is answered already.
fn join(joining: Joining) -> Option<Running> {
	let Joining { engine, prompt, max_tokens, sampler, mut on_text, done } = joining;
	if done.is_closed() {
		return None;
	}
	let at = Instant::now();
	let started = on_pool(|| {
		catch_unwind(AssertUnwindSafe(|| engine.start(&prompt, max_tokens, sampler)))
			.unwrap_or_else(|_| Err(gone()))
	});
	match started {
		Ok(mut sequence) => {
			let started = Started { at, first_token: Some(Instant::now()) };
			sequence.tell(&mut *on_text);
			let running = Running { engine, sequence, on_text, done, started };
			answer_if_done(running)
		},
		Err(e) => {
			let _ = done.send(Err(e));
			None
		},
	}
}

/// The sequence back when it goes on; answered (its generation sent) when it has ended.
fn answer_if_done(mut running: Running) -> Option<Running> {
	if running.done.is_closed() {
		running.sequence.stop();
	}
	if running.sequence.finished().is_none() {
		return Some(running);
	}
	let (engine, sequence) = (running.engine, running.sequence);
	let result = on_pool(|| {
		catch_unwind(AssertUnwindSafe(|| engine.finish(sequence))).unwrap_or_else(|_| Err(gone()))
	})
	.map(|g| (g, running.started));
	let _ = running.done.send(result);
	None
}

/// One decode step of every engine's sequences, each engine's in one batch; what has not ended
/// comes back.
fn step(mut batch: Vec<Running>, batch_sizes: &Histogram) -> Vec<Running> {
	let mut rest = Vec::with_capacity(batch.len());
	while let Some(first) = batch.first() {
		let engine = first.engine.clone();
		let (mut mine, others): (Vec<Running>, Vec<Running>) =
			batch.into_iter().partition(|r| Arc::ptr_eq(&r.engine, &engine));
		batch = others;
		let stepped = {
			let mut sequences: Vec<&mut Sequence> =
				mine.iter_mut().map(|r| &mut r.sequence).collect();
			batch_sizes.observe(sequences.len() as f64);
			on_pool(|| {
				catch_unwind(AssertUnwindSafe(|| engine.step(&mut sequences)))
					.unwrap_or_else(|_| Err(gone()))
			})
		};
		match stepped {
			Ok(()) => {
				for mut running in mine {
					running.sequence.tell(&mut *running.on_text);
					rest.extend(answer_if_done(running));
				}
			},
			Err(e) => {
				for running in mine {
					let _ = running.done.send(Err(e.clone()));
				}
			},
		}
	}
	rest
}

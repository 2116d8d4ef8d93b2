// Jobs: the live feed, and one job read from the blocks its outcome records.
import { blake2AsHex } from '@polkadot/util-crypto';
import { el, field, fill, table } from './dom.js';
import * as fmt from './format.js';

/** A job's status as a badge. */
export function statusBadge(job) {
	const status = job.status ?? 'seen';
	return el('span', { class: `badge ${status}`, dataset: { status } }, job.end && status !== 'settled' ? `${status} (${job.end.toLowerCase()})` : status);
}

/** Renders the live feed into `root`; returns a function that stops it. */
export function feedView(ctx, root) {
	const note = el('p', { class: 'muted' });
	const body = el('div');
	fill(root, el('h1', {}, 'Jobs, live'), note, body);
	function render() {
		const jobs = [...ctx.feed.jobs.values()].sort((a, b) => b.id - a.id);
		const from = ctx.feed.oldestKept;
		fill(
			note,
			from === null
				? 'Reading the chain…'
				: `Every job the chain's events mention since block ${fmt.block(from)} (the oldest whose events this node still keeps), updated at every finalized block (now ${fmt.block(ctx.feed.last)}).`,
		);
		if (jobs.length === 0) {
			fill(body, el('p', {}, 'No jobs yet. Submit one in the ', el('a', { href: '#/playground' }, 'playground'), '.'));
			return;
		}
		fill(
			body,
			table(
				['job', 'model', 'consumer', 'status', 'executor', 'fee', 'last event', 'block'],
				jobs.map((job) => {
					const last = job.events[job.events.length - 1];
					return el(
						'tr',
						{ dataset: { job: job.id, status: job.status ?? '' } },
						el('td', { class: 'num' }, el('a', { href: `#/job/${job.id}` }, `#${job.id}`)),
						el('td', {}, job.model === null ? 'unknown' : ctx.modelName(job.model)),
						el('td', {}, job.consumer ? fmt.account(job.consumer) : 'unknown'),
						el('td', {}, statusBadge(job)),
						el('td', {}, job.executor ? fmt.account(job.executor) : 'not yet'),
						el('td', { class: 'num' }, job.fee === null ? '' : fmt.amount(job.fee)),
						el('td', {}, last ? last.what : ''),
						el('td', { class: 'num' }, fmt.block(job.updatedAt)),
					);
				}),
				{ class: 'feed' },
			),
		);
	}
	render();
	ctx.feed.addEventListener('change', render);
	return () => ctx.feed.removeEventListener('change', render);
}

async function body(api, n) {
	const hash = await api.rpc.chain.getBlockHash(n);
	const { block } = await api.rpc.chain.getBlock(hash);
	return block.extrinsics;
}

function isCall(extrinsic, section, method) {
	return extrinsic.method.section === section && extrinsic.method.method === method;
}

/**
 * The prompt of job `id`, submitted by `consumer` for `model` in block `n`: the `submit_job`
 * extrinsic the `JobSubmitted` event points to, or whose payload has `payloadHash`.
 */
async function readPrompt(api, id, n, consumer, model, known) {
	const extrinsics = await body(api, n);
	let index = known.submittedIn ?? null;
	let payloadHash = known.payloadHash ?? null;
	if (index === null && payloadHash === null) {
		try {
			const events = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
			const submitted = events.find(({ event }) => event.section === 'inference' && event.method === 'JobSubmitted' && event.data.jobId.toNumber() === id);
			if (submitted) {
				index = submitted.phase.asApplyExtrinsic.toNumber();
				payloadHash = submitted.event.data.payloadHash.toHex();
			}
		} catch {
			// the node discarded that block's state: match by consumer and model below
		}
	}
	const candidates = extrinsics
		.map((x, i) => ({ x, i }))
		.filter(({ x, i }) => isCall(x, 'inference', 'submitJob') && (index === null || i === index))
		.filter(({ x }) => x.signer.toString() === consumer && x.method.args[0].toNumber() === model)
		.filter(({ x }) => payloadHash === null || blake2AsHex(x.method.args[1]) === payloadHash);
	if (candidates.length !== 1) return null;
	const [, payload, maxOutputTokens, , params] = candidates[0].x.method.args;
	return { bytes: payload, chat: params.format.isChat, maxOutputTokens: maxOutputTokens.toNumber() };
}

/** The results delivered in extrinsic `x`: a `submit_result`'s, or each of an executor's `submit_results`. */
function resultsIn(x) {
	if (isCall(x, 'inference', 'submitResult')) return [{ jobId: x.method.args[0], result: x.method.args[1] }];
	if (isCall(x, 'inference', 'submitResults')) return x.method.args[0].map(({ jobId, result }) => ({ jobId, result }));
	return [];
}

/** Job `id`'s output from block `n`'s result whose output has the recorded hash. */
async function readOutput(api, id, n, outputHash) {
	for (const x of await body(api, n)) {
		for (const { jobId, result } of resultsIn(x)) {
			if (jobId.toNumber() === id && blake2AsHex(result.output) === outputHash) return result.output;
		}
	}
	return null;
}

/** The verdicts given in extrinsic `x`: a `submit_verdict`'s, or each of a host's `submit_verdicts`. */
function verdictsIn(x) {
	if (isCall(x, 'inference', 'submitVerdict')) return [{ jobId: x.method.args[0], judgement: x.method.args[1] }];
	if (isCall(x, 'inference', 'submitVerdicts')) return x.method.args[0].map(({ jobId, judgement }) => ({ jobId, judgement }));
	return [];
}

/** The verdicts on job `id` in blocks `from..=to` (at most 64 of them). */
async function readVerdicts(api, id, from, to) {
	const verdicts = [];
	for (let n = from; n <= Math.min(to, from + 63); n += 1) {
		for (const x of await body(api, n)) {
			for (const { jobId, judgement } of verdictsIn(x)) {
				if (jobId.toNumber() !== id) continue;
				verdicts.push({
					validator: x.signer.toString(),
					block: n,
					valid: judgement.isValid,
					fault: judgement.isInvalid ? judgement.asInvalid.type : null,
				});
			}
		}
	}
	return verdicts;
}

/** An `Option`'s value through `read`, or `null` for `None`. */
const some = (option, read = (value) => value) => (option.isSome ? read(option.unwrap()) : null);
const number = (value) => value.toNumber();
const hex = (value) => value.toHex();

/** Job `id`: its open record or its outcome, with its prompt, output and verdicts. */
export async function readJob(api, id, known = {}) {
	const open = await api.call.inferenceApi.job(id);
	if (open.isSome) {
		const v = open.unwrap();
		const job = {
			id,
			open: true,
			consumer: v.consumer.toString(),
			model: v.model.toNumber(),
			state: v.status.type,
			executor: some(v.executor, String),
			deadline: v.deadline.toNumber(),
			escrow: v.escrow.toString(),
			submittedAt: v.submittedAt.toNumber(),
			deliveredAt: some(v.deliveredAt, number),
			usage: some(v.usage),
			outputHash: some(v.outputHash, hex),
			validator: v.status.isValidating ? v.status.asValidating.validator.toString() : v.status.isProbing ? v.status.asProbing.validator.toString() : null,
		};
		job.prompt = await readPrompt(api, id, job.submittedAt, job.consumer, job.model, { ...known, payloadHash: v.payloadHash.toHex() });
		if (job.deliveredAt !== null) job.output = await readOutput(api, id, job.deliveredAt, job.outputHash);
		return job;
	}
	const ended = await api.call.inferenceApi.outcome(id);
	if (ended.isNone) return null;
	const o = ended.unwrap();
	const job = {
		id,
		open: false,
		consumer: o.consumer.toString(),
		model: o.model.toNumber(),
		end: o.end.type,
		executor: some(o.executor, String),
		fee: o.fee.toString(),
		protocolFee: o.protocolFee.toString(),
		validationFee: o.validationFee.toString(),
		refund: o.refund.toString(),
		submittedAt: o.submittedAt.toNumber(),
		deliveredAt: some(o.deliveredAt, number),
		endedAt: o.endedAt.toNumber(),
		usage: some(o.usage),
		outputHash: some(o.outputHash, hex),
		disputed: o.disputed.isTrue,
	};
	job.prompt = await readPrompt(api, id, job.submittedAt, job.consumer, job.model, known);
	if (job.deliveredAt !== null) {
		job.output = await readOutput(api, id, job.deliveredAt, job.outputHash);
		job.verdicts = await readVerdicts(api, id, job.deliveredAt, job.endedAt);
	}
	return job;
}

/** A prompt as text, or a chat as its messages. */
function promptView(prompt) {
	if (!prompt) return el('p', { class: 'muted' }, 'not found in its submission block');
	const text = fmt.text(prompt.bytes);
	if (prompt.chat) {
		try {
			const messages = JSON.parse(text);
			return el('div', { class: 'chat' }, messages.map((m) => el('div', { class: `message ${m.role}` }, el('b', {}, m.role), ' ', el('span', {}, m.content))));
		} catch {
			// not JSON: shown as text
		}
	}
	return el('pre', { class: 'text' }, text);
}

/** Renders job `id`'s page into `root`. */
export function jobView(ctx, root, id) {
	let stopped = false;
	let busy = false;
	fill(root, el('h1', {}, `Job #${id}`), el('p', { class: 'muted' }, 'reading…'));
	async function refresh() {
		if (busy || stopped) return;
		busy = true;
		try {
			const known = ctx.feed.jobs.get(id) ?? {};
			const job = await readJob(ctx.api, id, known);
			if (!stopped) render(job, known);
		} catch (error) {
			ctx.problem(`reading job ${id}: ${error.message ?? error}`);
		} finally {
			busy = false;
		}
	}
	function render(job, known) {
		if (!job) {
			fill(root, el('h1', {}, `Job #${id}`), el('p', {}, `The chain has no job #${id}: it never existed, or it ended longer ago than the market keeps outcomes.`));
			return;
		}
		const usage = job.usage ? `${fmt.count(job.usage.promptTokens)} prompt + ${fmt.count(job.usage.completionTokens)} output tokens` : 'not delivered';
		const status = job.open ? { status: known.status ?? 'open', end: null } : { status: ['Completed', 'Validated'].includes(job.end) ? 'settled' : 'refunded', end: job.end };
		const verdicts = job.open
			? job.validator ? [fmt.account(job.validator), ' is checking it'] : 'none yet'
			: job.verdicts?.length
				? job.verdicts.map((v) => {
						const judged = v.valid ? 'valid' : `invalid (${fmt.words(v.fault ?? 'fault')})`;
						// The executor's verdict is on a validator's probe, not on its own result.
						const what = v.validator === job.executor ? ` (the executor) judged the validator's probe ${judged}` : ` judged it ${judged}`;
						return el('div', { class: 'verdict' }, fmt.account(v.validator), what, ` in ${fmt.block(v.block)}`);
					})
				: job.end === 'Validated' ? 'validated' : 'not checked (not drawn for validation)';
		fill(
			root,
			el('h1', {}, `Job #${id} `, statusBadge(status)),
			el(
				'dl',
				{ class: 'facts', dataset: { job: id, end: job.end ?? '' } },
				field('model', ctx.modelName(job.model)),
				field('consumer', fmt.account(job.consumer)),
				field('executor', job.executor ? fmt.account(job.executor) : 'none'),
				field('validation', verdicts),
				job.disputed ? field('dispute', 'a validator accused the result; a dispute followed') : null,
				field('tokens', el('span', { dataset: { tokens: job.usage ? job.usage.completionTokens.toString() : '' } }, usage)),
				job.open
					? field('escrow', fmt.amount(job.escrow), ` held; step due by ${fmt.block(job.deadline)}`)
					: field('fee', el('span', { dataset: { fee: job.fee } }, fmt.amount(job.fee)), ` (treasury ${fmt.amount(job.protocolFee)}, validators ${fmt.amount(job.validationFee)}), refunded ${fmt.amount(job.refund)}`),
				field('blocks', `submitted in ${fmt.block(job.submittedAt)}`, job.deliveredAt !== null ? `, delivered in ${fmt.block(job.deliveredAt)}` : '', job.open ? '' : `, ended in ${fmt.block(job.endedAt)}`),
				job.outputHash ? field('output hash', fmt.hash(job.outputHash, 'output hash')) : null,
			),
			el('h2', {}, 'Prompt'),
			promptView(job.prompt),
			el('h2', {}, 'Output'),
			job.output ? el('pre', { class: 'text output', dataset: { output: '' } }, fmt.text(job.output)) : el('p', { class: 'muted' }, job.deliveredAt === null ? 'no output delivered' : 'not found in its delivery block'),
			known.events?.length
				? [
						el('h2', {}, 'Events'),
						table(
							['block', 'event', 'what'],
							known.events.map((e) => [fmt.block(e.block), e.name, el('span', {}, e.what)]),
							{ class: 'events' },
						),
					]
				: null,
		);
		root.dataset.loaded = 'true';
	}
	refresh();
	const onChange = ({ detail }) => {
		if (detail.ids.includes(id)) refresh();
	};
	ctx.feed.addEventListener('change', onChange);
	return () => {
		stopped = true;
		ctx.feed.removeEventListener('change', onChange);
	};
}

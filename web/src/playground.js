// The playground: pick a model, write a prompt, see the quote, submit it as a dev account (or an
// account of a browser wallet extension), watch the job's progress and read the answer.
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { explain } from './chain.js';
import { el, field, fill } from './dom.js';
import * as fmt from './format.js';
import { readJob, statusBadge } from './jobs.js';
import { readModels } from './network.js';

export const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

let keyring = null;

/** The dev accounts' key pairs (`//Alice`, ...), made once. */
export async function devKeys() {
	if (!keyring) {
		await cryptoWaitReady();
		keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
		for (const name of DEV_ACCOUNTS) keyring.addFromUri(`//${name}`, { name });
	}
	return keyring.getPairs();
}

/** The accounts of browser wallet extensions (polkadot.js, Talisman, SubWallet), if any. */
async function extensionAccounts() {
	const injected = window.injectedWeb3 ?? {};
	const found = [];
	for (const [source, extension] of Object.entries(injected)) {
		try {
			const enabled = await extension.enable('Daya');
			for (const account of await enabled.accounts.get()) {
				found.push({ address: account.address, name: `${account.name ?? 'account'} (${source})`, signer: enabled.signer });
			}
		} catch {
			// the user declined, or the extension failed: its accounts are not offered
		}
	}
	return found;
}

// A model whose prompts are chats: instruction-tuned models have a chat template.
const isChatModel = (name) => /instruct|chat/i.test(name);

/** Renders the playground into `root`. */
export function playgroundView(ctx, root) {
	let stopped = false;
	const modelSelect = el('select', { id: 'pg-model', name: 'model' });
	const accountSelect = el('select', { id: 'pg-account', name: 'account' });
	const prompt = el('textarea', { id: 'pg-prompt', name: 'prompt', rows: 4, placeholder: 'Ask something…' }, 'What is the capital of France? Answer in one sentence.');
	const chat = el('input', { id: 'pg-chat', type: 'checkbox', name: 'chat' });
	const maxTokens = el('input', { id: 'pg-max-tokens', type: 'number', min: 1, value: 32, name: 'maxTokens' });
	const quote = el('p', { id: 'pg-quote', class: 'quote' }, 'pick a model');
	const balance = el('span', { id: 'pg-balance', class: 'muted' });
	const submit = el('button', { id: 'pg-submit', type: 'submit' }, 'Submit');
	const progress = el('ol', { id: 'pg-progress', class: 'progress' });
	const answer = el('div', { id: 'pg-answer' });
	let models = [];
	let accounts = [];

	fill(
		root,
		el('h1', {}, 'Playground'),
		el(
			'form',
			{ id: 'playground', class: 'playground', onsubmit: (e) => { e.preventDefault(); send(); } },
			el('label', { for: 'pg-model' }, 'Model'), modelSelect,
			el('label', { for: 'pg-account' }, 'Account'), el('div', {}, accountSelect, ' ', balance),
			el('label', { for: 'pg-prompt' }, 'Prompt'), prompt,
			el('label', { for: 'pg-chat' }, 'As a chat'), el('div', {}, chat, el('span', { class: 'muted' }, ' one user message, rendered with the model\'s chat template')),
			el('label', { for: 'pg-max-tokens' }, 'Output tokens'), maxTokens,
			el('span'), quote,
			el('span'), el('div', {}, submit),
		),
		progress,
		answer,
	);

	const selectedModel = () => models.find((m) => String(m.id) === modelSelect.value);
	const selectedAccount = () => accounts.find((a) => a.address === accountSelect.value);
	const promptBytes = () => {
		const text = prompt.value;
		const payload = chat.checked ? JSON.stringify([{ role: 'user', content: text }]) : text;
		return new TextEncoder().encode(payload);
	};

	async function load() {
		models = (await readModels(ctx.api)).filter((m) => m.status !== 'Retired');
		ctx.rememberModels(models);
		const keep = modelSelect.value;
		fill(modelSelect, models.map((m) => el('option', { value: m.id, dataset: { name: m.name } }, `${m.name} (v${m.version}, ${fmt.amount(m.price)} per token, ${m.hosts.length} hosts)`)));
		const preferred = models.find((m) => String(m.id) === keep) ?? models.find((m) => isChatModel(m.name) && m.hosts.length) ?? models[0];
		if (preferred) modelSelect.value = String(preferred.id);
		chat.checked = preferred ? isChatModel(preferred.name) : false;
		// The dev accounts' keys are public: they are offered on development and local chains only.
		const chainType = await ctx.api.rpc.system.chainType();
		const dev = chainType.isDevelopment || chainType.isLocal
			? (await devKeys()).map((pair) => ({ address: pair.address, name: pair.meta.name, pair }))
			: [];
		accounts = [...(await extensionAccounts()), ...dev];
		fill(accountSelect, accounts.map((a) => el('option', { value: a.address }, `${a.name}: ${a.address.slice(0, 8)}…`)));
		if (accounts.length === 0) {
			submit.disabled = true;
			fill(balance, el('span', { class: 'error' }, 'no account to sign with: add one to a browser wallet extension (polkadot.js, Talisman, SubWallet) and reload'));
		}
		const ferdie = accounts.find((a) => a.name === 'Ferdie');
		if (ferdie) accountSelect.value = ferdie.address;
		await Promise.all([requote(), showBalance()]);
		root.dataset.loaded = 'true';
	}

	async function showBalance() {
		const account = selectedAccount();
		if (!account) return;
		const { data } = await ctx.api.query.system.account(account.address);
		fill(balance, `free ${fmt.amount(data.free)}`);
	}

	let quoting = 0;
	async function requote() {
		const model = selectedModel();
		const n = Number(maxTokens.value);
		if (!model) return fill(quote, 'no model to pick');
		if (!Number.isInteger(n) || n < 1) return fill(quote, 'give a whole number of output tokens, at least 1');
		const bytes = promptBytes();
		if (bytes.length === 0) return fill(quote, 'write a prompt');
		const mine = ++quoting;
		const result = await ctx.api.call.inferenceApi.quote(model.id, bytes.length, n);
		if (mine !== quoting || stopped) return;
		if (result.isErr) {
			const why = { UnknownModel: 'no such model', ModelNotAccepting: 'the model takes no new jobs', TooManyTokens: `too many tokens: at most ${fmt.count(model.maxOutputTokens)} output tokens, ${fmt.count(model.contextLength)} in all`, Overflow: 'the escrow is too large' };
			fill(quote, el('span', { class: 'error' }, why[result.asErr.type] ?? fmt.words(result.asErr.type)));
			submit.disabled = true;
			return;
		}
		submit.disabled = accounts.length === 0;
		fill(
			quote,
			'Quote: the job holds at most ',
			el('b', { dataset: { quote: result.asOk.toString() } }, fmt.amount(result.asOk)),
			` (${fmt.count(bytes.length)} prompt tokens at most, ${fmt.count(n)} output tokens, at ${fmt.amount(model.price)} each); you pay for the tokens used, the rest comes back.`,
		);
	}

	function step(text, state = 'done') {
		const item = el('li', { class: state }, text);
		progress.append(item);
		return item;
	}

	async function send() {
		const model = selectedModel();
		const account = selectedAccount();
		if (!model || !account) return;
		submit.disabled = true;
		fill(progress);
		fill(answer);
		const signing = step(`signing as ${account.name}…`, 'doing');
		try {
			// Raw bytes go in as hex: a `Uint8Array` would be read as already SCALE-encoded.
			const tx = ctx.api.tx.inference.submitJob(model.id, u8aToHex(promptBytes()), Number(maxTokens.value), model.price, {
				temperatureMilli: 0,
				seed: 0,
				format: chat.checked ? 'Chat' : 'Text',
			});
			const id = await new Promise((resolve, reject) => {
				const options = account.signer ? { signer: account.signer } : {};
				tx.signAndSend(account.pair ?? account.address, options, ({ status, events, dispatchError }) => {
					if (status.isInvalid || status.isDropped || status.isUsurped) reject(new Error(`the transaction was ${status.type.toLowerCase()}`));
					if (!status.isInBlock && !status.isFinalized) return;
					if (dispatchError) return reject(new Error(explain(ctx.api, dispatchError)));
					const submitted = events.find(({ event }) => ctx.api.events.inference.JobSubmitted.is(event));
					if (!submitted) return reject(new Error('the block holds no JobSubmitted event'));
					resolve(submitted.event.data.jobId.toNumber());
				}).catch(reject);
			});
			signing.className = 'done';
			fill(signing, `signed as ${account.name}`);
			step(el('span', {}, 'submitted: ', el('a', { href: `#/job/${id}`, id: 'pg-job', dataset: { job: id } }, `job #${id}`)));
			await follow(id);
		} catch (error) {
			signing.className = 'failed';
			step(el('span', { class: 'error' }, `not submitted: ${error.message ?? error}`), 'failed');
		} finally {
			submit.disabled = accounts.length === 0;
			showBalance().catch(() => {});
		}
	}

	// Follows job `id` through the feed until its outcome, then shows the answer.
	function follow(id) {
		return new Promise((resolve) => {
			let shown = 0;
			const status = el('li', { class: 'doing', id: 'pg-status' }, 'waiting for an executor to be drawn…');
			progress.append(status);
			const onChange = async ({ detail }) => {
				if (stopped || !detail.ids.includes(id)) return;
				const job = ctx.feed.jobs.get(id);
				for (const event of job.events.slice(shown)) progress.insertBefore(el('li', { class: 'done' }, `${fmt.block(event.block)}: `, event.what), status);
				shown = job.events.length;
				fill(status, statusBadge(job));
				if (job.status !== 'settled' && job.status !== 'refunded') return;
				ctx.feed.removeEventListener('change', onChange);
				status.className = 'done';
				const read = await readJob(ctx.api, id, job);
				showAnswer(read);
				resolve();
			};
			ctx.feed.addEventListener('change', onChange);
		});
	}

	function showAnswer(job) {
		if (!job) return;
		fill(
			answer,
			el('h2', {}, 'Answer'),
			job.output ? el('pre', { class: 'text output', id: 'pg-output' }, fmt.text(job.output)) : el('p', { class: 'error' }, `no answer: the job ended ${job.end.toLowerCase()}, refunded ${fmt.amount(job.refund)}`),
			el(
				'dl',
				{ class: 'facts' },
				field('ended', el('span', { id: 'pg-end' }, fmt.words(job.end))),
				job.usage ? field('tokens', `${fmt.count(job.usage.promptTokens)} prompt + ${fmt.count(job.usage.completionTokens)} output`) : null,
				field('fee', fmt.amount(job.fee)),
				field('executor', job.executor ? fmt.account(job.executor) : 'none'),
				field('details', el('a', { href: `#/job/${job.id}` }, `job #${job.id}`)),
			),
		);
	}

	for (const input of [prompt, chat, maxTokens]) input.addEventListener('input', () => requote().catch((e) => ctx.problem(e.message)));
	modelSelect.addEventListener('change', () => {
		const model = selectedModel();
		if (model) chat.checked = isChatModel(model.name);
		requote().catch((e) => ctx.problem(e.message));
	});
	accountSelect.addEventListener('change', () => showBalance().catch((e) => ctx.problem(e.message)));
	load().catch((error) => ctx.problem(`loading the playground: ${error.message ?? error}`));
	return () => {
		stopped = true;
	};
}

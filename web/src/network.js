// The network: models, hosts and the emission, read through Daya's runtime APIs and storage.
import { el, field, fill, table } from './dom.js';
import * as fmt from './format.js';
import { scheduleChart } from './chart.js';

const HOSTS_PER_PAGE = 50;

/** Every model, with the hosts that serve it. */
export async function readModels(api) {
	const models = await api.call.modelsApi.models();
	return Promise.all(
		models.map(async ([id, view]) => ({
			id: id.toNumber(),
			name: fmt.text(view.name),
			version: view.version.toNumber(),
			price: view.pricePerToken.toString(),
			status: view.status.type,
			contextLength: view.contextLength.toNumber(),
			maxOutputTokens: view.maxOutputTokens.toNumber(),
			minVramMib: view.minVramMib.toNumber(),
			weightsHash: view.weightsHash.toHex(),
			hosts: (await api.call.hostsApi.hostsByModel(id)).map((a) => a.toString()),
		})),
	);
}

/** One page of the host registry, read from storage (`Compute.Hosts`), each host in full. */
export async function readHosts(api, startKey) {
	const keys = await api.query.compute.hosts.keysPaged({ args: [], pageSize: HOSTS_PER_PAGE, startKey });
	const total = (await api.query.compute.counterForHosts()).toNumber();
	const hosts = await Promise.all(
		keys.map(async (key) => {
			const who = key.args[0];
			const [view, poc, service, pending] = await Promise.all([
				api.call.hostsApi.host(who),
				api.call.pocApi.host(who),
				api.call.emissionApi.service(who),
				api.call.emissionApi.pendingRewards(who),
			]);
			if (view.isNone) return null;
			const host = view.unwrap();
			return {
				account: who.toString(),
				status: host.status,
				endpoint: fmt.text(host.endpoint),
				hardware: host.hardware.map((g) => ({ name: fmt.text(g.name), vramMib: g.vramMib.toNumber(), count: g.count.toNumber() })),
				models: host.servedModels.map((m) => m.toNumber()),
				bond: host.bond.toString(),
				reputation: host.reputation.toString(),
				executorKind: host.executorKind.type,
				provenWeight: poc.provenWeight.isSome ? poc.provenWeight.unwrap().toString() : null,
				lastWindow: poc.last.isSome ? { window: poc.last.unwrap()[0].toNumber(), outcome: poc.last.unwrap()[1].type } : null,
				epoch: service.epoch.toNumber(),
				delivered: service.delivered.toNumber(),
				missed: service.missed.toNumber(),
				pending: pending.toString(),
			};
		}),
	);
	const next = keys.length === HOSTS_PER_PAGE ? keys[keys.length - 1].toHex() : null;
	return { hosts: hosts.filter(Boolean), next, total };
}

/** The emission: the epoch under way, what was emitted, and the schedule by halving era. */
export async function readEmission(api) {
	const [[epoch, startedAt], epochLength, [emitted, remaining], header] = await Promise.all([
		api.call.emissionApi.currentEpoch(),
		api.call.emissionApi.epochLength(),
		api.call.emissionApi.emitted(),
		api.rpc.chain.getHeader(),
	]);
	const interval = api.consts.emission.halvingInterval.toNumber();
	const eras = [];
	for (let era = 0; era < 16; era += 1) {
		const reward = await api.call.emissionApi.rewardAt(era * interval);
		eras.push({ firstEpoch: era * interval, reward: reward.toString() });
		if (reward.isZero()) break;
	}
	const current = epoch.toNumber();
	return {
		epoch: current,
		startedAt: startedAt.toNumber(),
		epochLength: epochLength.toNumber(),
		best: header.number.toNumber(),
		reward: (await api.call.emissionApi.rewardAt(current)).toString(),
		emitted: emitted.toString(),
		remaining: remaining.toString(),
		interval,
		nextHalving: (Math.floor(current / interval) + 1) * interval,
		eras,
	};
}

function hostStatus(status) {
	if (status.isJailed) return `jailed until ${fmt.block(status.asJailed.until)}`;
	if (status.isLeaving) return `leaving, bond free at ${fmt.block(status.asLeaving.unlockAt)}`;
	return fmt.words(status.type);
}

function hardware(gpus) {
	if (gpus.length === 0) return 'no GPU declared';
	return gpus.map((g) => `${g.count} × ${g.name} (${fmt.count(g.vramMib)} MiB)`).join(', ');
}

/** Renders the network view into `root`; returns a function that stops it. */
export function networkView(ctx, root) {
	const modelsBox = el('section', { id: 'models' }, el('h2', {}, 'Models'), el('p', { class: 'muted' }, 'loading…'));
	const hostsBox = el('section', { id: 'hosts' }, el('h2', {}, 'Hosts'), el('p', { class: 'muted' }, 'loading…'));
	const emissionBox = el('section', { id: 'emission' }, el('h2', {}, 'Emission'), el('p', { class: 'muted' }, 'loading…'));
	fill(root, el('h1', {}, 'The network'), modelsBox, hostsBox, emissionBox);
	let pages = [undefined]; // start keys of the host pages shown
	let busy = false;
	let stopped = false;

	async function refresh() {
		if (busy || stopped) return;
		busy = true;
		try {
			const models = await readModels(ctx.api);
			ctx.rememberModels(models);
			const pagesRead = [];
			for (const start of pages) pagesRead.push(await readHosts(ctx.api, start));
			const emission = await readEmission(ctx.api);
			if (stopped) return;
			renderModels(models);
			renderHosts(pagesRead, models);
			renderEmission(emission);
			root.dataset.loaded = 'true';
		} catch (error) {
			ctx.problem(`reading the network: ${error.message ?? error}`);
		} finally {
			busy = false;
		}
	}

	function renderModels(models) {
		fill(
			modelsBox,
			el('h2', {}, 'Models'),
			el('p', { class: 'muted' }, 'What the network serves, as token holders decided. Prices are per token, prompt and output alike.'),
			table(
				['id', 'name', 'version', 'price per token', 'status', 'context', 'max output', 'hosts serving it', 'weights hash'],
				models.map((m) =>
					el(
						'tr',
						{ dataset: { modelId: m.id, modelName: m.name } },
						el('td', { class: 'num' }, m.id),
						el('td', { class: 'name' }, m.name),
						el('td', { class: 'num' }, m.version),
						el('td', { class: 'num', dataset: { price: m.price } }, fmt.amount(m.price)),
						el('td', {}, el('span', { class: `badge ${m.status.toLowerCase()}` }, fmt.words(m.status))),
						el('td', { class: 'num' }, `${fmt.count(m.contextLength)} tokens`),
						el('td', { class: 'num' }, `${fmt.count(m.maxOutputTokens)} tokens`),
						el('td', { class: 'hosts', dataset: { hosts: m.hosts.join(',') } }, m.hosts.length ? m.hosts.map((h) => el('div', {}, fmt.account(h))) : 'none'),
						el('td', {}, fmt.hash(m.weightsHash, 'weights hash')),
					),
				),
				{ class: 'models' },
			),
		);
	}

	function renderHosts(pagesRead, models) {
		const name = (id) => models.find((m) => m.id === id)?.name ?? `model ${id}`;
		const hosts = pagesRead.flatMap((p) => p.hosts);
		const total = pagesRead[0]?.total ?? hosts.length;
		const next = pagesRead[pagesRead.length - 1]?.next;
		fill(
			hostsBox,
			el('h2', {}, 'Hosts'),
			el(
				'p',
				{ class: 'muted' },
				`${fmt.count(total)} registered. Proven capacity is what proof of compute measured; hardware is what the host declares. Jobs delivered and missed count the epoch under way.`,
			),
			table(
				['host', 'status', 'proven capacity', 'last window', 'declared hardware', 'serves', 'reputation', 'bond', 'jobs delivered / missed', 'pending rewards', 'executor'],
				hosts.map((h) =>
					el(
						'tr',
						{ dataset: { account: h.account } },
						el('td', {}, fmt.account(h.account)),
						el('td', { dataset: { status: h.status.type } }, el('span', { class: `badge ${h.status.type.toLowerCase()}` }, hostStatus(h.status))),
						el('td', { class: 'num', dataset: { proven: h.provenWeight ?? '' } }, h.provenWeight === null ? 'not proven yet' : fmt.count(h.provenWeight)),
						el('td', {}, h.lastWindow ? `window ${h.lastWindow.window}: ${fmt.words(h.lastWindow.outcome)}` : 'none yet'),
						el('td', {}, hardware(h.hardware)),
						el('td', { class: 'list', dataset: { models: h.models.join(',') } }, h.models.map((id) => el('div', {}, name(id)))),
						el('td', { class: 'num' }, fmt.perbill(h.reputation)),
						el('td', { class: 'num', dataset: { bond: h.bond } }, fmt.amount(h.bond)),
						el('td', { class: 'num' }, el('span', { dataset: { delivered: h.delivered, epoch: h.epoch } }, fmt.count(h.delivered)), ' / ', el('span', { dataset: { missed: h.missed } }, fmt.count(h.missed))),
						el('td', { class: 'num' }, fmt.amount(h.pending)),
						el('td', { title: h.endpoint }, fmt.words(h.executorKind)),
					),
				),
				{ class: 'hosts' },
			),
			next
				? el('button', { type: 'button', onclick: () => { pages = [...pages, next]; refresh(); } }, `Show the next ${HOSTS_PER_PAGE}`)
				: null,
		);
	}

	function renderEmission(e) {
		const secondsPerBlock = ctx.blockSeconds();
		const epochEnd = e.startedAt + e.epochLength;
		const toHalving = (e.nextHalving - e.epoch) * e.epochLength - (e.best - e.startedAt);
		fill(
			emissionBox,
			el('h2', {}, 'Emission'),
			el(
				'dl',
				{ class: 'facts' },
				field('epoch', el('span', { dataset: { epoch: e.epoch } }, fmt.count(e.epoch)), ` (since ${fmt.block(e.startedAt)}, ends at ${fmt.block(epochEnd)}; ${fmt.count(e.epochLength)} blocks each)`),
				field('reward this epoch', fmt.amount(e.reward)),
				field('next halving', `epoch ${fmt.count(e.nextHalving)}, in ${fmt.count(Math.max(0, toHalving))} blocks (about ${fmt.duration(Math.max(0, toHalving) * secondsPerBlock)} at ${secondsPerBlock} s a block)`),
				field('emitted so far', el('span', { dataset: { emitted: e.emitted } }, fmt.amount(e.emitted))),
				field('left under the cap', fmt.amount(e.remaining)),
			),
			scheduleChart(e),
		);
	}

	refresh();
	const onBlock = () => refresh();
	ctx.feed.addEventListener('change', onBlock);
	return () => {
		stopped = true;
		ctx.feed.removeEventListener('change', onBlock);
	};
}

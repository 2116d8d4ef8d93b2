// Daya's web page: the network, live jobs and a playground, against any Daya node.
import './style.css';
import { connect, urlProblem } from './chain.js';
import { fill, el } from './dom.js';
import { Feed } from './feed.js';
import * as fmt from './format.js';
import { feedView, jobView } from './jobs.js';
import { networkView } from './network.js';
import { devKeys, playgroundView } from './playground.js';

const DEFAULT_NODE = 'ws://127.0.0.1:9944';
const view = document.getElementById('view');
const banner = document.getElementById('banner');
const statusPill = document.getElementById('node-status');
const urlInput = document.getElementById('node-url');

const feed = new Feed(fmt);
const modelNames = new Map();
let connection = null;
let stopView = () => {};
let blockSeconds = 6;

const ctx = {
	api: null,
	feed,
	rememberModels(models) {
		for (const m of models) modelNames.set(m.id, m.name);
	},
	modelName(id) {
		return modelNames.get(id) ?? `model ${id}`;
	},
	// Seconds per block: the runtime's slot, the block time the chain keeps to.
	blockSeconds: () => blockSeconds,
	problem(text) {
		showBanner('error', text);
	},
};

function showBanner(kind, text) {
	banner.hidden = !text;
	banner.className = kind ?? '';
	fill(banner, text ?? '');
}

function setStatus(state, text) {
	statusPill.dataset.state = state;
	fill(statusPill, text);
}

function route() {
	const hash = window.location.hash || '#/network';
	const [, name, arg] = hash.split('/');
	for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.view === name || (name === 'job' && link.dataset.view === 'jobs'));
	stopView();
	stopView = () => {};
	if (!ctx.api) {
		fill(view, el('p', { class: 'muted' }, 'Waiting for the node…'));
		return;
	}
	view.dataset.view = name;
	delete view.dataset.loaded;
	if (name === 'jobs') stopView = feedView(ctx, view);
	else if (name === 'job' && /^\d+$/.test(arg ?? '')) stopView = jobView(ctx, view, Number(arg));
	else if (name === 'playground') stopView = playgroundView(ctx, view);
	else stopView = networkView(ctx, view);
}

async function onReady(api) {
	const fresh = ctx.api !== api;
	ctx.api = api;
	fmt.setToken(api.registry.chainDecimals[0], api.registry.chainTokens[0]);
	const slot = api.consts.aura?.slotDuration ?? api.consts.timestamp?.minimumPeriod?.muln(2);
	if (slot) blockSeconds = slot.toNumber() / 1000;
	const [chain, version] = await Promise.all([api.rpc.system.chain(), api.rpc.state.getRuntimeVersion()]);
	setStatus('ready', `${chain} · runtime ${version.specVersion.toNumber()}`);
	showBanner(null, null);
	await feed.start(api);
	if (fresh || !view.dataset.loaded) route();
}

function open(url) {
	const problem = urlProblem(url);
	if (problem) {
		showBanner('error', problem);
		return;
	}
	window.localStorage.setItem('daya.node', url);
	const params = new URLSearchParams(window.location.search);
	params.set('node', url);
	window.history.replaceState(null, '', `?${params}${window.location.hash}`);
	urlInput.value = url;
	if (connection?.close) {
		feed.stop();
		connection.close();
	}
	ctx.api = null;
	feed.jobs.clear();
	feed.last = 0;
	feed.oldestKept = null;
	route();
	const token = {};
	connection = token;
	const opened = connect(url, (state, detail) => {
		if (connection !== token && connection?.token !== token) return;
		if (state === 'connecting') setStatus('connecting', 'connecting…');
		if (state === 'ready') onReady(detail).catch((error) => showBanner('error', `the node at ${url}: ${error.message ?? error}`));
		if (state === 'down') {
			setStatus('down', 'node down');
			showBanner('warning', `The node at ${url} does not answer: it may be down or restarting. Retrying every few seconds; what the page shows may be out of date. (No node? ./scripts/dev.sh starts one.)`);
		}
		if (state === 'failed') {
			setStatus('down', 'not a Daya node');
			showBanner('error', detail);
		}
	});
	connection = { ...opened, token };
}

document.getElementById('node-form').addEventListener('submit', (event) => {
	event.preventDefault();
	open(urlInput.value.trim());
});
window.addEventListener('hashchange', route);

// Names for the dev accounts, wherever they appear.
devKeys().then((pairs) => {
	for (const pair of pairs) fmt.nameAccount(pair.address, pair.meta.name);
});

open(new URLSearchParams(window.location.search).get('node') ?? window.localStorage.getItem('daya.node') ?? DEFAULT_NODE);

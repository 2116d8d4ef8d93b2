// Drives Daya's web page in headless Chromium (Debian's `chromium`, through playwright-core) and
// prints, as one JSON line, what the page showed: the models and hosts, a job submitted in the
// playground and its answer, the job in the live feed and on its own page, what the page says
// when the node is down, and every `0x` string longer than 16 hex digits shown outside a field
// labelled as a hash. The end-to-end test compares those with what it reads over RPC itself.
//
//   node page.mjs PAGE_URL NODE_URL SCREENSHOT_DIR MODEL PROMPT [CHROMIUM]
//
// A step that does not happen in time fails the script (exit 1) with the page's screenshot.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const [pageUrl, nodeUrl, shots, modelName, prompt, executable = '/usr/bin/chromium'] = process.argv.slice(2);
if (!pageUrl || !nodeUrl || !shots || !modelName || !prompt) {
	console.error('usage: node page.mjs PAGE_URL NODE_URL SCREENSHOT_DIR MODEL PROMPT [CHROMIUM]');
	process.exit(2);
}
mkdirSync(shots, { recursive: true });
const log = (text) => console.error(`[web] ${text}`);
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);

const browser = await chromium.launch({
	executablePath: executable,
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(error.message || String(error)));
page.on('console', (message) => {
	if (message.type() === 'error') log(`console: ${message.text()}`);
});

const report = { pageErrors, hexShown: [] };

async function shot(name) {
	await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function step(name, action) {
	try {
		const result = await action();
		log(`${name} (${secs()} s)`);
		return result;
	} catch (error) {
		await shot(`failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
		console.log(JSON.stringify({ ...report, failed: name, error: error.message }));
		await browser.close();
		process.exit(1);
	}
}

// Raw hex where a name or a number is meant: `0x` and more than 16 hex digits anywhere on the
// page except in fields labelled as hashes (`.hash`).
async function hexShown(view) {
	const found = await page.evaluate(() => {
		const copy = document.body.cloneNode(true);
		for (const node of copy.querySelectorAll('.hash, script, style')) node.remove();
		document.body.append(copy);
		copy.style.position = 'absolute';
		const text = copy.innerText;
		copy.remove();
		return text.match(/0x[0-9a-fA-F]{17,}/g) ?? [];
	});
	for (const hex of found) report.hexShown.push({ view, hex });
}

const base = `${pageUrl}/?node=${encodeURIComponent(nodeUrl)}`;

// 1. The network: models, hosts, emission.
await step('network page', async () => {
	await page.goto(`${base}#/network`);
	await page.waitForSelector('#view[data-view="network"][data-loaded="true"] table.hosts tbody tr', { timeout: 60_000 });
});
report.models = await page.$$eval('table.models tbody tr', (rows) =>
	rows.map((tr) => ({
		id: Number(tr.dataset.modelId),
		name: tr.dataset.modelName,
		version: Number(tr.children[2].textContent),
		price: tr.querySelector('[data-price]').dataset.price,
		status: tr.children[4].textContent,
		hosts: tr.querySelector('[data-hosts]').dataset.hosts.split(',').filter(Boolean),
		shown: tr.innerText,
	})),
);
report.hosts = await page.$$eval('table.hosts tbody tr', (rows) =>
	rows.map((tr) => ({
		account: tr.dataset.account,
		status: tr.querySelector('[data-status]').dataset.status,
		proven: tr.querySelector('[data-proven]').dataset.proven,
		bond: tr.querySelector('[data-bond]').dataset.bond,
		models: tr.querySelector('[data-models]').dataset.models.split(',').filter(Boolean).map(Number),
		delivered: Number(tr.querySelector('[data-delivered]').dataset.delivered),
		epoch: Number(tr.querySelector('[data-delivered]').dataset.epoch),
		missed: Number(tr.querySelector('[data-missed]').dataset.missed),
		shown: tr.innerText,
	})),
);
report.emission = await page.$eval('#emission', (section) => ({
	epoch: Number(section.querySelector('[data-epoch]').dataset.epoch),
	emitted: section.querySelector('[data-emitted]').dataset.emitted,
	chartBars: section.querySelectorAll('svg.chart rect.bar').length,
	shown: section.innerText,
}));
await hexShown('network');
await shot('network');

// 2. The playground: a prompt, its quote, the job submitted as Ferdie, the answer on the page.
await step('playground', async () => {
	await page.goto(`${base}#/playground`);
	await page.waitForSelector('#view[data-view="playground"][data-loaded="true"]', { timeout: 30_000 });
	const option = await page.$eval(`#pg-model option[data-name="${modelName}"]`, (o) => o.value);
	await page.selectOption('#pg-model', option);
	await page.fill('#pg-prompt', prompt);
	await page.fill('#pg-max-tokens', '24');
	await page.waitForSelector('#pg-quote [data-quote]', { timeout: 15_000 });
});
report.quote = await page.$eval('#pg-quote [data-quote]', (b) => b.dataset.quote);
report.account = await page.$eval('#pg-account', (s) => s.options[s.selectedIndex].textContent);
await step('job submitted', async () => {
	await page.click('#pg-submit');
	await page.waitForSelector('#pg-job', { timeout: 60_000 });
});
report.jobId = Number(await page.$eval('#pg-job', (a) => a.dataset.job));
await step('answer shown', async () => {
	await page.waitForSelector('#pg-end', { timeout: 180_000 });
});
report.answer = {
	end: await page.$eval('#pg-end', (e) => e.textContent),
	output: await page.$eval('#pg-output', (e) => e.textContent).catch(() => null),
	progress: await page.$$eval('#pg-progress li', (items) => items.map((li) => li.innerText)),
};
await hexShown('playground');
await shot('playground');

// 3. The live feed: the job, settled.
await step('feed shows the job settled', async () => {
	await page.goto(`${base}#/jobs`);
	await page.waitForSelector(`table.feed tr[data-job="${report.jobId}"][data-status="settled"]`, { timeout: 60_000 });
});
report.feed = await page.$$eval('table.feed tbody tr', (rows) => rows.map((tr) => ({ job: Number(tr.dataset.job), status: tr.dataset.status })));
await hexShown('jobs');
await shot('jobs');

// 4. The job's page, read from the blocks its outcome records.
await step('job page', async () => {
	await page.goto(`${base}#/job/${report.jobId}`);
	await page.waitForSelector('#view[data-view="job"][data-loaded="true"] [data-output]', { timeout: 30_000 });
});
report.jobPage = await page.$eval('#view', (view) => ({
	end: view.querySelector('[data-end]').dataset.end,
	fee: view.querySelector('[data-fee]').dataset.fee,
	tokens: Number(view.querySelector('[data-tokens]').dataset.tokens),
	output: view.querySelector('[data-output]').textContent,
	prompt: view.querySelector('.chat, pre.text').innerText,
	shown: view.innerText,
}));
await hexShown('job');
await shot('job');

// 4b. A consumer who writes HTML and script into a prompt gets text on every page that shows
// it, never markup: nothing runs, no element is made.
const INJECTION = '<img src=x onerror="window.__dayaInjected=1"><b id="dayaInjected">bold</b>';
await step('injected prompt', async () => {
	await page.goto(`${base}#/playground`);
	await page.waitForSelector('#view[data-view="playground"][data-loaded="true"]', { timeout: 30_000 });
	const option = await page.$eval('#pg-model option[data-name="daya-dev-llama"]', (o) => o.value);
	await page.selectOption('#pg-model', option);
	await page.fill('#pg-prompt', INJECTION);
	await page.fill('#pg-max-tokens', '8');
	await page.waitForSelector('#pg-quote [data-quote]', { timeout: 15_000 });
	await page.click('#pg-submit');
	await page.waitForSelector('#pg-end', { timeout: 120_000 });
	const id = await page.$eval('#pg-job', (a) => a.dataset.job);
	await page.goto(`${base}#/job/${id}`);
	await page.waitForSelector('#view[data-view="job"][data-loaded="true"] pre.text', { timeout: 30_000 });
});
report.injection = await page.evaluate((prompt) => ({
	ran: window.__dayaInjected === 1,
	element: document.getElementById('dayaInjected') !== null || document.querySelector('#view img') !== null,
	shownAsText: document.querySelector('#view pre.text').textContent === prompt,
}), INJECTION);
await shot('injected-prompt');

// 5. A node that is down, and a URL that is not a node's.
// A port nobody listens on: one the system just gave out and took back.
const closedPort = await new Promise((resolve) => {
	const server = createServer().listen(0, '127.0.0.1', () => {
		const { port } = server.address();
		server.close(() => resolve(port));
	});
});
await step('node down', async () => {
	await page.fill('#node-url', `ws://127.0.0.1:${closedPort}`);
	await page.click('#node-form button');
	await page.waitForSelector('#banner.warning:not([hidden])', { timeout: 30_000 });
});
report.down = await page.$eval('#banner', (b) => b.innerText);
await shot('node-down');
await step('bad URL', async () => {
	await page.fill('#node-url', 'http://127.0.0.1:9944');
	await page.click('#node-form button');
	await page.waitForSelector('#banner.error:not([hidden])', { timeout: 10_000 });
});
report.badUrl = await page.$eval('#banner', (b) => b.innerText);

await browser.close();
log(`done in ${secs()} s`);
console.log(JSON.stringify(report));

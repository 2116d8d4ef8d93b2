// The emission schedule as a chart: what an epoch pays in each halving era (bars), what has been
// emitted by the end of each era (line), and where the chain is now.
import * as fmt from './format.js';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
	const node = document.createElementNS(NS, tag);
	for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
	if (text !== undefined) node.textContent = text;
	return node;
}

/** `e` as `readEmission` returns it: the chart with its caption. */
export function scheduleChart(e) {
	const figure = document.createElement('figure');
	figure.className = 'schedule';
	figure.append(chart(e));
	const caption = document.createElement('figcaption');
	caption.textContent = `Bars: what one epoch pays in each halving era (${fmt.count(e.interval)} epochs each), in ${fmt.symbolOf()}. Line: what has been emitted by the end of each era, if every epoch pays in full. The dashed line is now: epoch ${fmt.count(e.epoch)}.`;
	figure.append(caption);
	return figure;
}

function chart(e) {
	const eras = e.eras.filter((era) => BigInt(era.reward) > 0n).slice(0, 12);
	const width = 760;
	const height = 240;
	const pad = { left: 60, right: 110, top: 14, bottom: 28 };
	const plotW = width - pad.left - pad.right;
	const plotH = height - pad.top - pad.bottom;
	const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': 'emission schedule' });
	if (eras.length === 0) return root;
	const max = Number(BigInt(eras[0].reward));
	// Emitted by the end of each era, if every epoch paid in full.
	let sum = 0n;
	const cumulative = eras.map((era) => Number((sum += BigInt(era.reward) * BigInt(e.interval))));
	const total = Number(sum);
	const barW = plotW / eras.length;
	const y = (v) => pad.top + plotH - (v / max) * plotH;
	const yc = (v) => pad.top + plotH - (v / total) * plotH;
	const currentEra = Math.floor(e.epoch / e.interval);
	eras.forEach((era, i) => {
		const value = Number(BigInt(era.reward));
		const x = pad.left + i * barW;
		root.append(svg('rect', { x: x + 3, y: y(value), width: barW - 6, height: pad.top + plotH - y(value), class: i === currentEra ? 'bar now' : 'bar' }));
		root.append(svg('text', { x: x + barW / 2, y: height - 10, 'text-anchor': 'middle', class: 'tick' }, `era ${i + 1}`));
	});
	const points = cumulative.map((v, i) => `${pad.left + (i + 1) * barW},${yc(v)}`);
	root.append(svg('polyline', { points: [`${pad.left},${yc(0)}`, ...points].join(' '), class: 'line' }));
	root.append(svg('text', { x: pad.left - 6, y: pad.top + 10, 'text-anchor': 'end', class: 'tick' }, fmt.amount(eras[0].reward, { unit: false })));
	root.append(svg('text', { x: pad.left - 6, y: pad.top + plotH, 'text-anchor': 'end', class: 'tick' }, '0'));
	root.append(svg('text', { x: width - pad.right + 6, y: pad.top + 10, class: 'tick line-label' }, fmt.amount(sum, { unit: false })));
	if (currentEra < eras.length) {
		const x = pad.left + (currentEra + (e.epoch % e.interval) / e.interval) * barW;
		root.append(svg('line', { x1: x, x2: x, y1: pad.top, y2: pad.top + plotH, class: 'now-line' }));
	}
	return root;
}

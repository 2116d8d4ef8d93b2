// How the page shows the chain's values: amounts in DAYA, accounts by name and SS58 address,
// blocks as numbers, hashes shortened and labelled as hashes. Raw hex never stands where a name
// or a number is meant.
import { el } from './dom.js';

let decimals = 12;
let symbol = 'DAYA';
const names = new Map();

/** Takes the token's decimals and symbol from the chain's properties. */
export function setToken(chainDecimals, chainSymbol) {
	if (Number.isInteger(chainDecimals)) decimals = chainDecimals;
	if (chainSymbol) symbol = chainSymbol;
}

/** The token's symbol. */
export function symbolOf() {
	return symbol;
}

/** Names an account (the dev accounts: Alice, Bob, ...). */
export function nameAccount(address, name) {
	names.set(address, name);
}

/** An amount in the smallest unit (a `BN`, bigint, number or decimal string) as DAYA. */
export function amount(value, { unit = true } = {}) {
	const planck = BigInt(value.toString());
	const negative = planck < 0n;
	const abs = negative ? -planck : planck;
	const base = 10n ** BigInt(decimals);
	const whole = (abs / base).toLocaleString('en-US');
	let fraction = (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '');
	const text = `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
	return unit ? `${text} ${symbol}` : text;
}

/** A number with thousands separators. */
export function count(value) {
	return BigInt(value.toString()).toLocaleString('en-US');
}

/** A block number as `#1,234`. */
export function block(value) {
	return `#${count(value)}`;
}

/** An account: its name if it has one, and its SS58 address (shortened, whole on hover). */
export function account(address) {
	const text = address.toString();
	const name = names.get(text);
	const short = `${text.slice(0, 6)}…${text.slice(-6)}`;
	return el(
		'span',
		{ class: 'account', title: text, dataset: { account: text } },
		name ? el('b', {}, name) : null,
		name ? ` ${short}` : short,
	);
}

/** A hash, labelled as one: shortened, whole on hover. */
export function hash(value, label = 'hash') {
	const text = typeof value === 'string' ? value : value.toHex();
	return el('span', { class: 'hash', title: `${label}: ${text}`, dataset: { hash: text } }, `${text.slice(0, 10)}…${text.slice(-8)}`);
}

/** Bytes that hold text (names, endpoints, prompts) as text. */
export function text(bytes) {
	if (typeof bytes === 'string') return bytes;
	if (bytes.toUtf8) return bytes.toUtf8();
	return new TextDecoder().decode(bytes);
}

/** A share in parts per billion (`Perbill`) as a percentage. */
export function perbill(value) {
	const ppb = Number(value.toString());
	return `${(ppb / 1e7).toFixed(ppb % 1e7 === 0 ? 0 : 1)}%`;
}

/** An enum's variant name in words: `GreedyOnly` as `greedy only`. */
export function words(name) {
	return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Seconds as `42 s`, `3 min 5 s`, `2 h 10 min`, `3 days`. */
export function duration(seconds) {
	const s = Math.round(seconds);
	if (s < 90) return `${s} s`;
	if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
	if (s < 2 * 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
	return `${count(Math.floor(s / 86400))} days`;
}

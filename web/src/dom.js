// A small DOM builder. Every text the chain or a host supplies (prompts, outputs, model names,
// endpoints) goes in as a text node, never as HTML.

/** `el('td', { class: 'num', dataset: { id: 3 } }, 'text', child)`. */
export function el(tag, attrs = {}, ...children) {
	const node = document.createElement(tag);
	for (const [key, value] of Object.entries(attrs ?? {})) {
		if (value === undefined || value === null || value === false) continue;
		if (key === 'dataset') Object.assign(node.dataset, value);
		else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
		else if (key === 'class') node.className = value;
		else node.setAttribute(key, value === true ? '' : String(value));
	}
	append(node, children);
	return node;
}

function append(node, children) {
	for (const child of children.flat(Infinity)) {
		if (child === undefined || child === null || child === false) continue;
		node.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
}

/** Replaces `node`'s children. */
export function fill(node, ...children) {
	node.replaceChildren();
	append(node, children);
	return node;
}

/** A table: `columns` are header texts, `rows` arrays of cells (or `<tr>`s). */
export function table(columns, rows, attrs = {}) {
	return el(
		'table',
		attrs,
		el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c)))),
		el(
			'tbody',
			{},
			rows.map((row) => (row instanceof Node ? row : el('tr', {}, row.map((cell) => el('td', {}, cell))))),
		),
	);
}

/** A labelled value for a definition list. */
export function field(label, ...value) {
	return [el('dt', {}, label), el('dd', {}, ...value)];
}

// The page's connection to a Daya node: one `ApiPromise` at a time, reconnecting by itself when
// the node goes down or restarts, and telling the page where it stands.
import { ApiPromise, WsProvider } from '@polkadot/api';

/** Why a node URL cannot be used, or `null`. */
export function urlProblem(url) {
	let parsed;
	try {
		parsed = new URL(url);
	} catch {
		return `"${url}" is not a URL: give the node's WebSocket address, e.g. ws://127.0.0.1:9944`;
	}
	if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
		return `a node URL starts with ws:// or wss:// (the node's JSON-RPC WebSocket), not ${parsed.protocol}//`;
	}
	return null;
}

/**
 * Connects to `url` and keeps connecting. `onState(state, detail)` hears `connecting`, `ready`
 * (with the api; again after every reconnection), `down` (the node does not answer; retried
 * every few seconds) and `failed` (the node answered but is not a Daya node).
 */
export function connect(url, onState) {
	const provider = new WsProvider(url, 2500);
	let everReady = false;
	const api = new ApiPromise({ provider, noInitWarn: true, throwOnConnect: false });
	// Rejected by the first socket error, which the events below report: nobody awaits it.
	api.isReadyOrError.catch(() => {});
	onState('connecting', url);
	provider.on('disconnected', () => onState('down', url));
	provider.on('error', () => {
		if (!provider.isConnected) onState('down', url);
	});
	api.on('ready', () => {
		if (!api.call.modelsApi || !api.tx.inference) {
			onState('failed', `${url} answers, but it is not a Daya node: it has no job market`);
			return;
		}
		everReady = true;
		onState('ready', api);
	});
	// A reconnection to the same node keeps the metadata: `ready` does not fire again.
	provider.on('connected', () => {
		if (everReady && api.isReady) api.isReady.then(() => onState('ready', api));
	});
	return {
		api,
		async close() {
			try {
				await api.disconnect();
			} catch {
				// already down
			}
		},
	};
}

/** The message of a failed transaction or runtime API call, in words. */
export function explain(api, error) {
	if (error?.isModule) {
		const { section, name, docs } = api.registry.findMetaError(error.asModule);
		return `${section}.${name}${docs.length ? `: ${docs.join(' ')}` : ''}`;
	}
	if (error?.toHuman) return JSON.stringify(error.toHuman());
	return error?.message ?? String(error);
}

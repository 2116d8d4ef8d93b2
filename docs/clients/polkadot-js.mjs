// Daya from JavaScript with @polkadot/api: read a model and a host, quote a job, submit it, wait
// for its end and read the output. Runtime APIs (`api.call.*`) need no type definitions: the API
// reads them from the node's metadata (V15).
//
//   npm install @polkadot/api@16.5.6 @polkadot/util-crypto@14.0.3
//   node polkadot-js.mjs [ws://127.0.0.1:9944] [//Ferdie] [daya-dev-llama] [prompt]
//
// Prints one JSON line: the job, how it ended, what it cost and its output.
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { blake2AsHex } from '@polkadot/util-crypto';

const [url = 'ws://127.0.0.1:9944', suri = '//Ferdie', modelName = 'daya-dev-llama',
	prompt = 'Daya is a decentralized inference network.'] = process.argv.slice(2);
const maxOutputTokens = 16;

const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const consumer = new Keyring({ type: 'sr25519' }).addFromUri(suri);

// Model and host state, through Daya's runtime APIs.
const found = await api.call.modelsApi.modelByName(modelName);
if (found.isNone) throw new Error(`no model named ${modelName}`);
const [modelId, model] = found.unwrap();
const hosts = await api.call.hostsApi.hostsByModel(modelId);
if (hosts.length === 0) throw new Error(`no host serves ${modelName}`);
const host = (await api.call.hostsApi.host(hosts[0])).unwrap();

// The quote: the escrow the job holds, the most it can cost (a prompt token per byte at most).
const promptTokens = new TextEncoder().encode(prompt).length;
const quote = await api.call.inferenceApi.quote(modelId, promptTokens, maxOutputTokens);
if (quote.isErr) throw new Error(`no quote: ${quote.asErr.type}`);

// Submit, and take the job id from the `JobSubmitted` event. A `--dev` node seals and finalizes
// each block at once, so its transactions go from `Ready` to `Finalized` without `InBlock`:
// wait for either.
const jobId = await new Promise((resolve, reject) => {
	api.tx.inference
		.submitJob(modelId, prompt, maxOutputTokens, model.pricePerToken,
			{ temperatureMilli: 0, seed: 0, format: 'Text' })
		.signAndSend(consumer, ({ status, events, dispatchError }) => {
			if (!status.isInBlock && !status.isFinalized) return;
			if (dispatchError) {
				const error = dispatchError.isModule
					? api.registry.findMetaError(dispatchError.asModule)
					: { section: '', name: dispatchError.toString() };
				return reject(new Error(`submit_job failed: ${error.section}.${error.name}`));
			}
			const submitted = events.find(({ event }) => api.events.inference.JobSubmitted.is(event));
			resolve(submitted.event.data.jobId.toNumber());
		})
		.catch(reject);
});

// Wait for the job's end: its outcome appears once it is settled (or refunded).
const outcome = await new Promise((resolve) => {
	const unsubscribe = api.rpc.chain.subscribeNewHeads(async () => {
		const ended = await api.call.inferenceApi.outcome(jobId);
		if (ended.isSome) {
			(await unsubscribe)();
			resolve(ended.unwrap());
		}
	});
});

// The output lies in the body of the block that recorded the delivery: the executor's
// `submit_result` (or its batch, `submit_results`) for this job whose output has the recorded
// hash.
let output = null;
if (outcome.deliveredAt.isSome) {
	const hash = await api.rpc.chain.getBlockHash(outcome.deliveredAt.unwrap());
	const { block } = await api.rpc.chain.getBlock(hash);
	for (const { method } of block.extrinsics) {
		if (method.section !== 'inference') continue;
		const results = method.method === 'submitResult'
			? [{ jobId: method.args[0], result: method.args[1] }]
			: method.method === 'submitResults' ? method.args[0] : [];
		for (const { jobId: id, result } of results) {
			if (id.toNumber() === jobId &&
				blake2AsHex(result.output) === outcome.outputHash.unwrap().toHex()) {
				output = new TextDecoder().decode(result.output);
			}
		}
	}
}

console.log(JSON.stringify({
	client: 'polkadot-js',
	model: modelName,
	host: hosts[0].toString(),
	hostBond: host.bond.toString(),
	quote: quote.asOk.toString(),
	job: jobId,
	end: outcome.end.type,
	fee: outcome.fee.toString(),
	output,
}));
await api.disconnect();

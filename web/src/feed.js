// The job market's live feed: every job the chain's events mention, from the blocks whose state
// the node still keeps (a default node: the last 256) and every finalized block since the page
// opened. A job's status is where its last event left it.
import { amount, block } from './format.js';

/** The statuses a job goes through, in words. */
export const STATUS = {
	submitted: 'submitted',
	executing: 'executing',
	delivered: 'delivered',
	validating: 'validating',
	disputed: 'disputed',
	settled: 'settled',
	refunded: 'refunded',
};

// Jobs that end so were paid for; the others were refunded in full.
const PAID = new Set(['Completed', 'Validated']);

// How far back the feed reads when it starts: a default node keeps the state (the events) of
// its last 256 blocks.
const BACKFILL = 256;

/** Reads one inference event into `{ status, what }`, where `what` lists texts and accounts. */
function describe(name, data, fmt, job) {
	const who = (key) => fmt.account(data[key]);
	switch (name) {
		case 'JobSubmitted':
			return { status: 'submitted', what: ['submitted by ', who('consumer'), `, ${amount(data.escrow)} held`] };
		case 'JobAssigned':
			return { status: 'executing', what: ['assigned to ', who('executor'), `, due by ${block(data.deadline)}`] };
		case 'JobReassigned':
			return { status: 'executing', what: ['reassigned from ', who('from'), ' to ', who('to')] };
		case 'ResultSubmitted':
			return {
				status: 'delivered',
				what: [who('executor'), ` delivered ${data.usage.completionTokens} tokens`],
			};
		case 'ValidationSkipped':
			return { what: ['not checked'] };
		case 'ValidationRequested':
			return { status: 'validating', what: ['checked by ', who('validator')] };
		case 'VerdictSubmitted':
			// The executor's verdict is on the probe a validator showed, not on its own result.
			if (job.executor && data.validator.toString() === job.executor) {
				return { what: [who('validator'), ` judged the validator's probe ${data.judgement.isValid ? 'valid' : 'invalid'}`] };
			}
			return {
				status: data.judgement.isValid ? 'validating' : 'disputed',
				what: [who('validator'), data.judgement.isValid ? ' judged it valid' : ' judged it invalid'],
			};
		case 'ProbeShown':
			return { status: 'validating', what: [who('validator'), ' showed its probe'] };
		case 'ProbeContested':
			return { what: ['the executor contested the probe of ', who('validator')] };
		case 'ProbeUnanswered':
			return { what: [who('executor'), ' did not answer the probe'] };
		case 'DisputeOpened':
			return {
				status: 'disputed',
				what: ['accused by ', who('accuser'), `; ${data.validators.length} validators decide`],
			};
		case 'DisputeRoundFailed':
			return { status: 'disputed', what: [`dispute round ${data.round} failed`] };
		case 'DisputeUnresolved':
			return { status: 'disputed', what: ['the dispute could not be decided'] };
		case 'CheckUnstaffed':
			return { what: ['drawn for a check no validator had room for: unresolved'] };
		case 'FraudConfirmed':
			return { status: 'disputed', what: ['fraud confirmed: ', who('executor'), ` slashed ${amount(data.slashed)}`] };
		case 'AccusationOverturned':
			return { status: 'disputed', what: ['accusation overturned: ', who('accuser'), ` slashed ${amount(data.slashed)}`] };
		case 'LazyValidatorCaught':
			return { what: ['lazy validator ', who('validator'), ` slashed ${amount(data.slashed)}`] };
		case 'ValidatorSilent':
			return { what: ['silent validator ', who('validator'), ` slashed ${amount(data.slashed)}`] };
		case 'JobReleased':
			return { what: ['the model changed: released'] };
		case 'CancelRequested':
			return { what: [`cancel requested, ends by ${block(data.deadline)}`] };
		case 'JobEnded': {
			const end = data.end.type;
			return {
				status: PAID.has(end) ? 'settled' : 'refunded',
				end,
				what: [`${end.toLowerCase()}: fee ${amount(data.fee)}, refund ${amount(data.refund)}`],
			};
		}
		default:
			return { what: [name] };
	}
}

/**
 * The feed. `jobs` maps a job id to `{ id, model, consumer, executor, status, end, fee,
 * submittedAt, updatedAt, events: [{ block, name, what, extrinsic }] }`. Listeners of `change`
 * hear `{ detail: { ids, block } }` after each block.
 */
export class Feed extends EventTarget {
	constructor(fmt) {
		super();
		this.fmt = fmt;
		this.jobs = new Map();
		this.last = 0; // the last block read
		this.head = 0;
		this.oldestKept = null; // the oldest block whose events were read
		this.stop = () => {};
	}

	/** Starts (or, after a reconnection, resumes) reading `api`'s finalized blocks. */
	async start(api) {
		this.stop();
		let stopped = false;
		let reading = Promise.resolve();
		const unsubscribe = await api.rpc.chain.subscribeFinalizedHeads((header) => {
			const number = header.number.toNumber();
			this.head = number;
			reading = reading.then(() => (stopped ? null : this.readUpTo(api, number))).catch((error) => {
				console.warn('feed:', error);
			});
		});
		this.stop = () => {
			stopped = true;
			unsubscribe();
		};
	}

	async readUpTo(api, head) {
		if (head < this.last) {
			// Another chain, or the same one restarted from genesis: what was read is void.
			this.jobs.clear();
			this.last = 0;
		}
		if (this.last === 0 || head - this.last > BACKFILL) {
			await this.backfill(api, head);
			return;
		}
		for (let n = this.last + 1; n <= head; n += 1) {
			const ids = await this.readBlock(api, n);
			this.last = n;
			this.dispatchEvent(new CustomEvent('change', { detail: { ids, block: n } }));
		}
	}

	// The blocks before the page opened whose state the node keeps: read from the newest back,
	// several at a time, until one is gone.
	async backfill(api, head) {
		const first = Math.max(1, head - BACKFILL + 1);
		const found = new Map();
		const batch = 16;
		let oldest = head + 1;
		outer: for (let top = head; top >= first; top -= batch) {
			const numbers = [];
			for (let n = top; n > top - batch && n >= first; n -= 1) numbers.push(n);
			const results = await Promise.allSettled(numbers.map((n) => this.eventsOf(api, n)));
			for (let i = 0; i < numbers.length; i += 1) {
				if (results[i].status === 'rejected') break outer;
				found.set(numbers[i], results[i].value);
				oldest = numbers[i];
			}
		}
		const ids = new Set();
		for (const n of [...found.keys()].sort((a, b) => a - b)) {
			for (const id of this.apply(found.get(n), n)) ids.add(id);
		}
		this.oldestKept = oldest <= head ? oldest : null;
		this.last = head;
		this.dispatchEvent(new CustomEvent('change', { detail: { ids: [...ids], block: head } }));
	}

	async eventsOf(api, n) {
		const hash = await api.rpc.chain.getBlockHash(n);
		const at = await api.at(hash);
		const events = await at.query.system.events();
		return events
			.filter(({ event }) => event.section === 'inference')
			.map(({ event, phase }) => ({
				name: event.method,
				data: event.data,
				extrinsic: phase.isApplyExtrinsic ? phase.asApplyExtrinsic.toNumber() : null,
			}));
	}

	async readBlock(api, n) {
		return this.apply(await this.eventsOf(api, n), n);
	}

	apply(events, n) {
		const ids = [];
		for (const { name, data, extrinsic } of events) {
			if (!data.jobId) continue;
			const id = data.jobId.toNumber();
			let job = this.jobs.get(id);
			if (!job) {
				job = { id, model: null, consumer: null, executor: null, status: null, end: null, fee: null, events: [] };
				this.jobs.set(id, job);
			}
			if (job.events.some((e) => e.block === n && e.name === name)) continue;
			const { status, end, what } = describe(name, data, this.fmt, job);
			job.events.push({ block: n, name, what, extrinsic });
			if (name === 'JobSubmitted') {
				job.model = data.model.toNumber();
				job.consumer = data.consumer.toString();
				job.payloadHash = data.payloadHash.toHex();
				job.submittedAt = n;
				job.submittedIn = extrinsic;
			}
			if (name === 'JobAssigned') job.executor = data.executor.toString();
			if (name === 'JobReassigned') job.executor = data.to.toString();
			if (name === 'JobEnded') job.fee = data.fee.toString();
			if (status && !(job.status === 'settled' || job.status === 'refunded')) job.status = status;
			if (end) job.end = end;
			job.updatedAt = n;
			ids.push(id);
		}
		return ids;
	}
}

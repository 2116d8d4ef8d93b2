//! Node-local settings of the offchain worker, kept in the node's PERSISTENT offchain storage.
//!
//! They are set through the node's `offchain_localStorageSet` RPC (an unsafe RPC: it answers on
//! a node's local interface only), which `daya host set-executor` calls:
//!
//! | key | value |
//! | --- | --- |
//! | `daya/executor/` ++ 32-byte host account | the URL of that host's executor, UTF-8 |
//! | `daya/executor` | the URL of every host's executor without its own entry |
//! | `daya/executor-key/` ++ 32-byte host account | the API key of that host's executor |
//! | `daya/executor-key` | the API key of every host's executor without its own entry |
//!
//! Without either URL, a host's executor is [`DEFAULT_EXECUTOR_URL`]. Without either key, the
//! worker calls the executor without one, which an executor answers from its own machine
//! (loopback) only, or not at all when it has a key.

use alloc::{string::String, vec::Vec};

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

/// Key of the executor API key shared by every host of the node.
pub const EXECUTOR_KEY_KEY: &[u8] = b"daya/executor-key";

/// The fewest characters of an executor API key: 32 (128 bits as hex at the least).
pub const MIN_API_KEY_LEN: usize = 32;

/// The most characters of an executor API key.
pub const MAX_API_KEY_LEN: usize = 256;

/// The HTTP header that carries the executor API key, as `Bearer {key}` (the OpenAI API's).
pub const AUTH_HEADER: &str = "Authorization";

/// Key of the executor API key of one host, by its 32-byte account.
pub fn executor_key_key(host: &[u8; 32]) -> Vec<u8> {
	[EXECUTOR_KEY_KEY, b"/", host.as_slice()].concat()
}

/// Why `key` cannot be an executor API key, if it cannot: it has [`MIN_API_KEY_LEN`] to
/// [`MAX_API_KEY_LEN`] visible ASCII characters (no spaces).
pub fn api_key_problem(key: &str) -> Option<String> {
	if !(MIN_API_KEY_LEN..=MAX_API_KEY_LEN).contains(&key.len()) {
		return Some(alloc::format!(
			"an API key has {MIN_API_KEY_LEN} to {MAX_API_KEY_LEN} characters, this one {}",
			key.len()
		));
	}
	if !key.bytes().all(|b| b.is_ascii_graphic()) {
		return Some("an API key has visible ASCII characters only (no spaces)".into());
	}
	None
}

/// The executor API key of a host, in the order the offchain worker applies: the host's own
/// setting, else the node-wide one, else none. A setting that is not a valid key
/// ([`api_key_problem`]) is passed over as if it were absent; surrounding whitespace is dropped.
pub fn executor_key(per_host: Option<&[u8]>, node_wide: Option<&[u8]>) -> Option<String> {
	let valid = |raw: Option<&[u8]>| {
		let key = core::str::from_utf8(raw?).ok()?.trim();
		api_key_problem(key).is_none().then(|| String::from(key))
	};
	valid(per_host).or_else(|| valid(node_wide))
}

/// The value of [`AUTH_HEADER`] for `key`.
pub fn bearer(key: &str) -> String {
	alloc::format!("Bearer {key}")
}

/// Whether `url` is an executor URL the worker can call: `http://` or `https://`, at most
/// [`MAX_URL_LEN`] bytes, no whitespace.
pub fn is_valid_executor_url(url: &str) -> bool {
	let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
	matches!(rest, Some(rest) if !rest.is_empty())
		&& url.len() <= MAX_URL_LEN
		&& !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Where the executor URL of a host came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UrlSource {
	/// The host's own setting ([`executor_url_key`]).
	Host,
	/// The node-wide setting ([`EXECUTOR_URL_KEY`]).
	Node,
	/// Neither: [`DEFAULT_EXECUTOR_URL`].
	Default,
}

/// The executor URL of a host, in the order the offchain worker applies: the host's own setting,
/// else the node-wide one, else [`DEFAULT_EXECUTOR_URL`]. A setting that is not valid UTF-8 or not
/// a valid URL ([`is_valid_executor_url`]) is passed over as if it were absent; surrounding
/// whitespace and trailing slashes are dropped.
///
/// `per_host` and `node_wide` are the raw values of the two settings, as the node's offchain
/// storage holds them. The worker and `daya host set-executor` both use this, so that what the
/// client reports is what the worker calls.
pub fn executor_url(per_host: Option<&[u8]>, node_wide: Option<&[u8]>) -> (String, UrlSource) {
	let valid = |raw: Option<&[u8]>| {
		let url = core::str::from_utf8(raw?).ok()?.trim().trim_end_matches('/');
		is_valid_executor_url(url).then(|| String::from(url))
	};
	if let Some(url) = valid(per_host) {
		(url, UrlSource::Host)
	} else if let Some(url) = valid(node_wide) {
		(url, UrlSource::Node)
	} else {
		(String::from(DEFAULT_EXECUTOR_URL), UrlSource::Default)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::format;

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
	fn the_host_setting_then_the_nodes_then_the_default() {
		let host = Some(&b"http://10.0.0.2:8091/"[..]);
		let node = Some(&b" http://10.0.0.1:8090 "[..]);
		assert_eq!(executor_url(host, node), ("http://10.0.0.2:8091".into(), UrlSource::Host));
		assert_eq!(executor_url(None, node), ("http://10.0.0.1:8090".into(), UrlSource::Node));
		assert_eq!(executor_url(Some(b"ftp://x"), node).1, UrlSource::Node);
		assert_eq!(executor_url(Some(&[0xff, 0xfe]), None).1, UrlSource::Default);
		assert_eq!(executor_url(None, None), (DEFAULT_EXECUTOR_URL.into(), UrlSource::Default));
	}

	#[test]
	fn api_keys_the_host_setting_then_the_nodes() {
		let good = "k".repeat(MIN_API_KEY_LEN);
		let other = "0123456789abcdef".repeat(4);
		assert_eq!(api_key_problem(&good), None);
		assert!(api_key_problem("short").is_some());
		assert!(api_key_problem(&"k".repeat(MAX_API_KEY_LEN + 1)).is_some());
		assert!(api_key_problem(&format!("{good} x")).is_some());
		let host = format!(" {good}\n");
		assert_eq!(executor_key(Some(host.as_bytes()), Some(other.as_bytes())), Some(good));
		assert_eq!(executor_key(Some(b"short"), Some(other.as_bytes())), Some(other.clone()));
		assert_eq!(executor_key(None, Some(other.as_bytes())), Some(other));
		assert_eq!(executor_key(Some(&[0xff; 40]), None), None);
		assert_eq!(executor_key(None, None), None);
		assert_ne!(executor_key_key(&[1; 32]), executor_key_key(&[2; 32]));
		assert!(!executor_key_key(&[1; 32]).starts_with(&executor_url_key(&[1; 32])));
	}

	#[test]
	fn per_host_keys_differ() {
		assert_ne!(executor_url_key(&[1; 32]), executor_url_key(&[2; 32]));
		assert!(executor_url_key(&[1; 32]).starts_with(EXECUTOR_URL_KEY));
	}
}

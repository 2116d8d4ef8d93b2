//! Who may call the executor: the one auth module of every private route (the executor
//! protocol, proof of compute's run and verification, the OpenAI-compatible API).
//!
//! - With an API key (`api_key_file`), a private route answers only a request whose
//!   `Authorization` header is `Bearer {key}`, from anywhere: the host's node sends it (the key
//!   is set on the node with `daya host set-executor URL --api-key-file FILE`), and so does an
//!   OpenAI client of the host's own (as its `api_key`).
//! - Without one, a private route answers only requests from the executor's own machine
//!   (loopback), the case of a node and an executor side by side; behind a reverse proxy on the
//!   same machine every request looks local, so such a setup needs a key.
//!
//! Public routes: `/health`, `/metrics`, and `/v1/poc/proofs`, which other hosts' nodes fetch to
//! verify this host's proof of compute. Refusals: `401 missing_api_key`, `401 invalid_api_key`,
//! `403 local_only`.

use std::net::SocketAddr;

use axum::{
	extract::{ConnectInfo, Request, State},
	http::{header, HeaderValue, StatusCode},
	middleware::Next,
	response::{IntoResponse, Response},
};

use super::{error::ApiError, state::AppState};

/// Whether `given` equals `key`, in time that depends on their lengths only.
fn same_key(given: &[u8], key: &[u8]) -> bool {
	given.len() == key.len() && given.iter().zip(key).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Why a request to a private route is refused, if it is.
fn refusal(key: Option<&str>, request: &Request) -> Option<ApiError> {
	match key {
		Some(key) => {
			let Some(given) = request.headers().get(header::AUTHORIZATION) else {
				return Some(ApiError::new(
					StatusCode::UNAUTHORIZED,
					"missing_api_key",
					"this endpoint needs the executor's API key: Authorization: Bearer KEY",
				));
			};
			let Some(token) = given.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
				return Some(ApiError::new(
					StatusCode::UNAUTHORIZED,
					"invalid_api_key",
					"the Authorization header is not `Bearer KEY`",
				));
			};
			(!same_key(token.trim().as_bytes(), key.as_bytes())).then(|| {
				ApiError::new(
					StatusCode::UNAUTHORIZED,
					"invalid_api_key",
					"this is not the executor's API key",
				)
			})
		},
		None => {
			let local = request
				.extensions()
				.get::<ConnectInfo<SocketAddr>>()
				.is_some_and(|ConnectInfo(peer)| peer.ip().is_loopback());
			(!local).then(|| {
				ApiError::new(
					StatusCode::FORBIDDEN,
					"local_only",
					"this executor has no API key: it answers this endpoint from its own \
					 machine only (set api_key_file to serve a node elsewhere)",
				)
			})
		},
	}
}

/// The middleware of the private routes.
pub(super) async fn require(
	State(state): State<AppState>,
	request: Request,
	next: Next,
) -> Response {
	match refusal(state.config.api_key.as_deref(), &request) {
		Some(refused) => {
			let mut response = refused.into_response();
			if response.status() == StatusCode::UNAUTHORIZED {
				response
					.headers_mut()
					.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
			}
			response
		},
		None => next.run(request).await,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use axum::body::Body;

	fn from(peer: &str, authorization: Option<&str>) -> Request {
		let mut request = Request::new(Body::empty());
		request
			.extensions_mut()
			.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
		if let Some(value) = authorization {
			request.headers_mut().insert(header::AUTHORIZATION, value.parse().unwrap());
		}
		request
	}

	#[test]
	fn without_a_key_only_this_machine_is_answered() {
		assert!(refusal(None, &from("127.0.0.1:5000", None)).is_none());
		assert!(refusal(None, &from("[::1]:5000", None)).is_none());
		assert!(refusal(None, &from("10.0.0.7:5000", None)).is_some());
		assert!(refusal(None, &from("203.0.113.9:5000", Some("Bearer anything"))).is_some());
		// Served without the peer's address: nobody is known to be local.
		assert!(refusal(None, &Request::new(Body::empty())).is_some());
	}

	#[test]
	fn with_a_key_anyone_holding_it_is_answered_and_nobody_else() {
		let key = "k".repeat(32);
		let bearer = format!("Bearer {key}");
		assert!(refusal(Some(&key), &from("10.0.0.7:5000", Some(&bearer))).is_none());
		assert!(refusal(Some(&key), &from("127.0.0.1:5000", Some("Bearer nope"))).is_some());
		assert!(refusal(Some(&key), &from("127.0.0.1:5000", Some(&key))).is_some());
		assert!(refusal(Some(&key), &from("127.0.0.1:5000", None)).is_some());
	}

	#[test]
	fn keys_compare_whole() {
		assert!(same_key(b"abc", b"abc"));
		assert!(!same_key(b"abd", b"abc"));
		assert!(!same_key(b"ab", b"abc"));
		assert!(!same_key(b"", b"abc"));
	}
}

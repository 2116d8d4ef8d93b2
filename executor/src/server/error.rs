//! Refusals: [`ApiError`], answered with its status code as an `ErrorBody` that OpenAI clients
//! read too (`{"error": {"message", "type", "param", "code"}}`), and [`ApiJson`], the JSON
//! extractor whose refusals are [`ApiError`]s.

use axum::{
	extract::{rejection::JsonRejection, FromRequest, Request},
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};
use daya_protocol::{VersionMismatch, VERSION_MISMATCH};
use serde::{de::DeserializeOwned, Serialize};

use crate::engine::EngineError;

/// A refusal, answered as an `ErrorBody`.
#[derive(Debug)]
pub struct ApiError {
	status: StatusCode,
	code: &'static str,
	message: String,
	/// The request field at fault, if one is.
	param: Option<&'static str>,
}

impl ApiError {
	/// A refusal with `status`, the error code `code` and a sentence for people.
	pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		Self { status, code, message: message.into(), param: None }
	}

	/// This refusal, naming the request field at fault.
	pub(super) fn param(mut self, param: &'static str) -> Self {
		self.param = Some(param);
		self
	}

	/// The error's type as OpenAI clients read it, from its status.
	fn kind(&self) -> &'static str {
		match self.status {
			StatusCode::UNAUTHORIZED => "authentication_error",
			StatusCode::FORBIDDEN => "permission_error",
			StatusCode::NOT_FOUND => "not_found_error",
			StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
			status if status.is_server_error() => "server_error",
			_ => "invalid_request_error",
		}
	}

	/// A `400 Bad Request` refusal.
	pub(super) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, code, message)
	}

	/// This refusal as one job's entry in a batch answer.
	pub(super) fn refusal(self) -> daya_protocol::Refusal {
		daya_protocol::Refusal {
			status: self.status.as_u16(),
			error: daya_protocol::ErrorDetail { code: self.code.into(), message: self.message },
		}
	}
}

impl From<EngineError> for ApiError {
	fn from(e: EngineError) -> Self {
		match e {
			EngineError::PromptTooLong { .. } => {
				Self::bad_request("prompt_too_long", e.to_string())
			},
			EngineError::Invalid(m) => Self::bad_request("invalid_request", m),
			EngineError::Internal(m) => {
				Self::new(StatusCode::INTERNAL_SERVER_ERROR, "engine_error", m)
			},
			EngineError::GreedyOnly => {
				Self::new(StatusCode::NOT_IMPLEMENTED, "greedy_only", e.to_string())
			},
			EngineError::NotVerifiable => {
				Self::new(StatusCode::NOT_IMPLEMENTED, "not_verifiable", e.to_string())
			},
		}
	}
}

/// A protocol request of another version: `400` with the code [`VERSION_MISMATCH`].
impl From<VersionMismatch> for ApiError {
	fn from(e: VersionMismatch) -> Self {
		Self::bad_request(VERSION_MISMATCH, e.to_string())
	}
}

/// A refusal's body: the executor protocol's [`daya_protocol::ErrorBody`] (`code` and
/// `message`), with the `type` and `param` OpenAI clients read besides.
#[derive(Serialize)]
pub struct ErrorBody<'a> {
	error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
	message: &'a str,
	#[serde(rename = "type")]
	kind: &'static str,
	param: Option<&'static str>,
	code: &'static str,
}

impl ApiError {
	/// The refusal's body, as JSON.
	pub(super) fn body(&self) -> serde_json::Value {
		let error = ErrorDetail {
			message: &self.message,
			kind: self.kind(),
			param: self.param,
			code: self.code,
		};
		serde_json::to_value(ErrorBody { error }).unwrap_or_default()
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		(self.status, Json(self.body())).into_response()
	}
}

/// `Json<T>` whose refusals are `ErrorBody`s: `400 invalid_json` for malformed JSON,
/// `400 invalid_request` for missing or mistyped fields, `415 unsupported_media_type` without a
/// JSON content type, `413 body_too_large` for a body over the service's limit.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
	type Rejection = ApiError;

	async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
		match Json::<T>::from_request(req, state).await {
			Ok(Json(value)) => Ok(Self(value)),
			Err(rejection) => Err(match rejection {
				JsonRejection::JsonSyntaxError(e) => {
					ApiError::bad_request("invalid_json", e.body_text())
				},
				JsonRejection::JsonDataError(e) => {
					ApiError::bad_request("invalid_request", e.body_text())
				},
				JsonRejection::MissingJsonContentType(e) => ApiError::new(
					StatusCode::UNSUPPORTED_MEDIA_TYPE,
					"unsupported_media_type",
					e.body_text(),
				),
				other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
					StatusCode::PAYLOAD_TOO_LARGE,
					"body_too_large",
					other.body_text(),
				),
				other => ApiError::bad_request("invalid_request", other.body_text()),
			}),
		}
	}
}

/// A message of the executor protocol: [`ApiJson`], with the `version` field checked before the
/// rest, so that a request of another protocol version is refused as such
/// ([`VERSION_MISMATCH`]) rather than for a field its version lacks.
pub struct ProtocolJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ProtocolJson<T> {
	type Rejection = ApiError;

	async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
		let ApiJson(value) = ApiJson::<serde_json::Value>::from_request(req, state).await?;
		let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
		daya_protocol::check_version(u32::try_from(version).unwrap_or(u32::MAX))?;
		serde_json::from_value(value)
			.map(Self)
			.map_err(|e| ApiError::bad_request("invalid_request", e.to_string()))
	}
}

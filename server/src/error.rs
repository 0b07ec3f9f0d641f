//! The server's one error type at the HTTP boundary. Owns the mapping from every failure to a
//! status code and the wire's [`ErrorBody`] `{"error":{"code","message_zh","message_en"}}`
//! (plus `reasons` when a product rule refuses an application).
//! Must never put personal data (phones, tokens, document bytes) into a message or a log line,
//! and must never answer 5xx for anything a client sent: only real faults are `internal`.

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use huoshui_core::domain::credit::Reason;
use huoshui_core::wire::{ErrorBody, ErrorDetail};

/// A failure as the client sees it: a status, a stable code, and a message in Chinese and English
/// that says what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message_en}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
    /// Every product rule an application fails (`not_eligible` only).
    pub reasons: Vec<Reason>,
    /// Seconds to wait before asking again (`Retry-After` on a 429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            message_zh: zh.into(),
            message_en: en.into(),
            reasons: Vec::new(),
            retry_after: None,
        }
    }

    /// The wire body of this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message_zh: self.message_zh.clone(),
                message_en: self.message_en.clone(),
                reasons: self.reasons.clone(),
            },
        }
    }

    pub fn bad_request(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, zh, en)
    }

    pub fn unprocessable(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, zh, en)
    }

    pub fn conflict(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, zh, en)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "请先登录（登录已失效或令牌无效）",
            "please log in (the session is missing, expired or invalid)",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "您的角色不能执行此操作",
            "your role may not do this",
        )
    }

    /// Used both for "does not exist" and "exists but is not yours", so nothing leaks.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "找不到该记录，或您无权查看",
            "not found, or not yours to see",
        )
    }

    pub fn internal(what: &str) -> Self {
        tracing::error!(fault = what, "internal fault");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后重试",
            "internal server error; please retry later",
        )
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::internal(&format!("database: {err}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        ApiError::internal(&format!("json: {err}"))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rej: JsonRejection) -> Self {
        match rej {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "请求体必须是 JSON（Content-Type: application/json）",
                "the body must be JSON (Content-Type: application/json)",
            ),
            JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(
                "malformed_json",
                "请求体不是有效的 JSON",
                format!("the body is not valid JSON: {}", e.body_text()),
            ),
            JsonRejection::JsonDataError(e) => ApiError::unprocessable(
                "invalid_fields",
                "请求字段缺失或类型不对",
                format!("missing or wrongly typed fields: {}", e.body_text()),
            ),
            JsonRejection::BytesRejection(e) => from_bytes_status(e.status()),
            _ => ApiError::bad_request("bad_body", "请求体无法读取", "the body could not be read"),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rej: BytesRejection) -> Self {
        from_bytes_status(rej.status())
    }
}

fn from_bytes_status(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::bad_request("bad_body", "请求体无法读取", "the body could not be read")
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "请求体太大，请减小后重试",
        "the body is too large; send less",
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

//! The one error of the app facade: what went wrong, said as what the caller can do about it.
//!
//! Owns the mapping from every module's rich error (cost, market, lifecycle, store, vault) to a
//! small set of caller actions, each with a message in Chinese and English. It must never carry
//! personal data (ID numbers, phone numbers, document bytes) in a message.

use std::fmt;

/// What the caller (the phone app) can do about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorAction {
    /// The input is wrong: show the message next to the field and let the villager fix it.
    InvalidInput,
    /// The thing asked for does not exist (any more): go back to the list.
    NotFound,
    /// The platform keystore lost its key: the documents must be captured again.
    KeyUnavailable,
    /// The phone is out of space: free some and try again.
    StorageFull,
    /// A passing failure (busy database, keystore not unlocked yet): try again later.
    Retry,
    /// The action does not fit the current state (e.g. withdrawing a disbursed loan): refresh.
    Conflict,
    /// Nobody is signed in, or the platform no longer accepts the sign-in: sign in (again).
    /// Nothing queued is lost.
    SignIn,
    /// The platform cannot be reached: what was done waits in the outbox and is sent later.
    Offline,
    /// A bug: report it. The app keeps running.
    Internal,
}

/// An error of the app facade: an action and a message in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub action: ErrorAction,
    pub message_zh: String,
    pub message_en: String,
}

impl AppError {
    /// An error with its two messages.
    pub fn new(action: ErrorAction, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError {
            action,
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }

    /// Bad input, with the two messages.
    pub fn invalid(zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::new(ErrorAction::InvalidInput, zh, en)
    }

    /// Not found, naming what was looked for.
    pub fn not_found(what_zh: &str, what_en: &str, id: &str) -> AppError {
        AppError::new(
            ErrorAction::NotFound,
            format!("找不到{what_zh}：{id}，请返回列表刷新"),
            format!("{what_en} not found: {id}; go back to the list and refresh"),
        )
    }

    /// Nobody is signed in.
    pub fn sign_in() -> AppError {
        AppError::new(
            ErrorAction::SignIn,
            "请先用手机号登录",
            "sign in with your phone number first",
        )
    }

    /// An internal failure (a bug, or a panic caught at the boundary).
    pub fn internal(detail: impl fmt::Display) -> AppError {
        AppError::new(
            ErrorAction::Internal,
            format!("程序内部出错，请重试或联系客服：{detail}"),
            format!("internal error, try again or contact support: {detail}"),
        )
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.message_zh, self.message_en)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {

    #[test]
    fn a_vault_error_reaches_the_user_with_its_chinese_and_english_apart() {
        let e = crate::app::documents::vault_error(&crate::vault::VaultError::TooLarge {
            media: "PNG",
            limit_bytes: 1000,
        });
        assert_eq!(e.message_zh, "文件太大（PNG 最大 1000 字节），请压缩后重试");
        assert_eq!(
            e.message_en,
            "file too large (PNG at most 1000 bytes): compress it and try again"
        );
        assert!(!e.message_zh.contains(" / ") && !e.message_en.contains('字'));
        assert_eq!(
            e.to_string(),
            format!("{} / {}", e.message_zh, e.message_en)
        );
    }
}

//! The FFI's one error enum: each variant is an action the app can take, with its message in
//! Chinese and English. Owns the conversions from the app facade's error, from the foreign
//! keystore's failures and from caught panics. It must never let a panic or a foreign error
//! cross the FFI unconverted, and never carry personal data in a message.

use huoshui_core::app::{AppError, ErrorAction};
use std::any::Any;

/// What went wrong, as the action the app can take. In Kotlin: `HuoshuiException.InvalidInput`
/// etc.; in Swift: `HuoshuiError.InvalidInput(messageZh:messageEn:)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HuoshuiError {
    /// The input is wrong: show the message next to the field.
    #[error("{message_zh} / {message_en}")]
    InvalidInput {
        message_zh: String,
        message_en: String,
    },
    /// The thing asked for does not exist (any more): go back to the list.
    #[error("{message_zh} / {message_en}")]
    NotFound {
        message_zh: String,
        message_en: String,
    },
    /// The platform keystore lost its key: the documents must be captured again.
    #[error("{message_zh} / {message_en}")]
    KeyUnavailable {
        message_zh: String,
        message_en: String,
    },
    /// The phone is out of storage: free some space, then try again.
    #[error("{message_zh} / {message_en}")]
    StorageFull {
        message_zh: String,
        message_en: String,
    },
    /// A passing failure: try again later.
    #[error("{message_zh} / {message_en}")]
    Retry {
        message_zh: String,
        message_en: String,
    },
    /// The action does not fit the current state: refresh the screen.
    #[error("{message_zh} / {message_en}")]
    Conflict {
        message_zh: String,
        message_en: String,
    },
    /// Nobody is signed in, or the sign-in expired: sign in (nothing queued is lost).
    #[error("{message_zh} / {message_en}")]
    SignIn {
        message_zh: String,
        message_en: String,
    },
    /// The platform cannot be reached: what was done waits and is sent later.
    #[error("{message_zh} / {message_en}")]
    Offline {
        message_zh: String,
        message_en: String,
    },
    /// A bug inside the core (including a caught panic): report it; the app keeps running.
    #[error("{message_zh} / {message_en}")]
    Internal {
        message_zh: String,
        message_en: String,
    },
}

impl From<AppError> for HuoshuiError {
    fn from(e: AppError) -> HuoshuiError {
        let AppError {
            action,
            message_zh,
            message_en,
        } = e;
        match action {
            ErrorAction::InvalidInput => HuoshuiError::InvalidInput {
                message_zh,
                message_en,
            },
            ErrorAction::NotFound => HuoshuiError::NotFound {
                message_zh,
                message_en,
            },
            ErrorAction::KeyUnavailable => HuoshuiError::KeyUnavailable {
                message_zh,
                message_en,
            },
            ErrorAction::StorageFull => HuoshuiError::StorageFull {
                message_zh,
                message_en,
            },
            ErrorAction::Retry => HuoshuiError::Retry {
                message_zh,
                message_en,
            },
            ErrorAction::Conflict => HuoshuiError::Conflict {
                message_zh,
                message_en,
            },
            ErrorAction::SignIn => HuoshuiError::SignIn {
                message_zh,
                message_en,
            },
            ErrorAction::Offline => HuoshuiError::Offline {
                message_zh,
                message_en,
            },
            ErrorAction::Internal => HuoshuiError::Internal {
                message_zh,
                message_en,
            },
        }
    }
}

impl HuoshuiError {
    /// The error a caught panic becomes. The panic message is kept (it names no personal data:
    /// the core never formats personal data into a panic, and panics are bugs).
    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> HuoshuiError {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        HuoshuiError::from(AppError::internal(format!("panic: {detail}")))
    }

    /// A background task that ended without a result (cancelled with its runtime).
    pub(crate) fn task_lost() -> HuoshuiError {
        HuoshuiError::Retry {
            message_zh: "后台任务被中断，请重试".to_owned(),
            message_en: "the background task was interrupted; try again".to_owned(),
        }
    }
}

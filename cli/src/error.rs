//! The shell's one error type: a message in Chinese and English, what to do about it, and the
//! exit code it ends the command with (2 bad input, 3 the platform cannot be reached, 1 the rest).

use huoshui_core::app::{AppError, ErrorAction};

/// How a failed command exits, so scripts can tell the cases apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Anything else that failed (exit code 1).
    Failed,
    /// Bad input from the command line (exit code 2).
    Input,
    /// The platform cannot be reached; what was done waits on this machine (exit code 3).
    Offline,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Failed => 1,
            Exit::Input => 2,
            Exit::Offline => 3,
        }
    }
}

/// What went wrong, said so that the person at the terminal knows what to do next.
#[derive(Debug, thiserror::Error)]
#[error("{zh} / {en}")]
pub struct CliError {
    /// The message in Chinese, shown first.
    pub zh: String,
    /// The same message in English.
    pub en: String,
    /// A stable machine code for `--json` output (e.g. `invalid_input`).
    pub code: &'static str,
    /// How the command exits.
    pub exit: Exit,
    /// The command already said what happened on its output (e.g. "kept on this machine"):
    /// only the exit code is left to give.
    pub said: bool,
}

impl CliError {
    /// Bad input from the command line (exit code 2).
    pub fn input(zh: impl Into<String>, en: impl Into<String>) -> Self {
        CliError {
            zh: zh.into(),
            en: en.into(),
            code: "invalid_input",
            exit: Exit::Input,
            said: false,
        }
    }

    /// Anything else that failed (exit code 1).
    pub fn failed(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        CliError {
            zh: zh.into(),
            en: en.into(),
            code,
            exit: Exit::Failed,
            said: false,
        }
    }

    /// The command printed its outcome already; it ends with `exit` (and `code` in logs only).
    pub fn said(code: &'static str, exit: Exit) -> Self {
        CliError {
            zh: String::new(),
            en: String::new(),
            code,
            exit,
            said: true,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.exit.code()
    }
}

/// The app core's caller actions as exit codes: what the user typed (a wrong value, an id that
/// does not exist) is bad input; an unreachable platform is 3; the rest is a failure.
impl From<AppError> for CliError {
    fn from(e: AppError) -> CliError {
        let (code, exit) = match e.action {
            ErrorAction::InvalidInput => ("invalid_input", Exit::Input),
            ErrorAction::NotFound => ("not_found", Exit::Input),
            ErrorAction::Offline => ("offline", Exit::Offline),
            ErrorAction::KeyUnavailable => ("key_lost", Exit::Failed),
            ErrorAction::StorageFull => ("storage_full", Exit::Failed),
            ErrorAction::Retry => ("retry", Exit::Failed),
            ErrorAction::Conflict => ("conflict", Exit::Failed),
            ErrorAction::SignIn => ("sign_in", Exit::Failed),
            ErrorAction::Internal => ("internal", Exit::Failed),
        };
        CliError {
            zh: e.message_zh,
            en: e.message_en,
            code,
            exit,
            said: false,
        }
    }
}

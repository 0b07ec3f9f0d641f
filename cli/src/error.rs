//! The shell's one error type: a message in Chinese and English and what to do about it.

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
}

impl CliError {
    /// Bad input from the command line (exit code 2).
    pub fn input(zh: impl Into<String>, en: impl Into<String>) -> Self {
        CliError {
            zh: zh.into(),
            en: en.into(),
            code: "invalid_input",
        }
    }

    /// Anything else that failed (exit code 1).
    pub fn failed(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        CliError {
            zh: zh.into(),
            en: en.into(),
            code,
        }
    }

    pub fn exit_code(&self) -> u8 {
        if self.code == "invalid_input" { 2 } else { 1 }
    }
}

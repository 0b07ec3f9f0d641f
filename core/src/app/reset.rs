//! The reset after a lost install key (the lock screen was removed, a backup was restored to a
//! new phone, the keystore was wiped): what the app offers when opening fails with
//! `KeyUnavailable`.
//!
//! Owns the order of the reset and its report. It must never reset a key that still works
//! (refused: [`nothing_to_reset`]) nor one the keystore only cannot reach right now (a locked
//! phone: the keystore's `Failed` comes back as `Retry`), and never claim to keep what it
//! cannot keep: everything sealed under the lost key is unreadable, so it goes (see
//! [`crate::store::reset`]); the records of documents already on the platform stay, and so do
//! drafts, unsent submissions without documents and the clear unsent commands.
//!
//! Order, so that a reset killed at any instant is finished by running it again:
//! 1. a new install key is made in memory;
//! 2. ONE store transaction removes what the lost key sealed, keeps the uploaded documents'
//!    records, signs the user out and records the loss (its sealed fields use the new key);
//! 3. the unreadable document files are removed;
//! 4. the new key is written (canary, then the wrapped key). Until then the old key is still
//!    "lost" and the reset runs again; after it, opening works and a reset is refused.

use super::documents::vault_error;
use super::error::{AppError, ErrorAction};
use super::{AppCore, Clock, store_error};
use crate::domain::documents::DocumentKind;
use crate::store::Store;
use crate::store::reset::LossRecord;
use crate::vault::{InstallKey, Keystore, PendingInstallKey, Vault, VaultError};
use jiff::Timestamp;
use std::path::Path;
use std::sync::Arc;

/// What the last reset after a lost key removed and kept, for the settings screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ResetView {
    /// When it ran, ms since the Unix epoch.
    pub at_ms: i64,
    /// When it ran, China time (`11月30日 09:05`).
    pub at_zh: String,
    /// Documents that were only on this phone: removed, to be taken again.
    pub documents_removed: u32,
    /// Their kinds, one per removed document.
    pub kinds_removed: Vec<DocumentKind>,
    /// Their kinds' names in Chinese, one per removed document.
    pub kinds_removed_zh: Vec<String>,
    /// The applications whose documents must be taken again.
    pub applications_affected: Vec<String>,
    /// Documents already on the platform: still counted on their checklists.
    pub documents_kept: u32,
    pub drafts_removed: u32,
    /// Drafts kept (they held no document and no personal data).
    pub drafts_kept: u32,
    /// Unsent actions removed (document uploads included).
    pub commands_removed: u32,
    /// Unsent actions kept: sent after signing in again, never twice.
    pub commands_kept: u32,
    /// Applications only this phone knew (never confirmed by the platform): removed.
    pub applications_unsent: u32,
    /// One paragraph saying all of it.
    pub summary_zh: String,
    pub summary_en: String,
}

/// A reset asked for while the install key opens: nothing is changed.
pub fn nothing_to_reset() -> AppError {
    AppError::new(
        ErrorAction::Conflict,
        "这台手机的加密密钥完好，证件都能打开，不需要重置",
        "this phone's encryption key works and the documents open: there is nothing to reset",
    )
}

impl AppCore {
    /// Replaces a lost install key, keeping what can be kept (see the module), and opens the
    /// app. Refused with [`nothing_to_reset`] when the key works. [`AppCore::last_reset`] then
    /// says what was removed and kept.
    pub fn reset_lost_key(
        data_dir: &Path,
        platform_url: Option<&str>,
        keystore: Arc<dyn Keystore>,
    ) -> Result<Arc<AppCore>, AppError> {
        AppCore::reset_lost_key_with_clock(
            data_dir,
            platform_url,
            keystore,
            Arc::new(Timestamp::now),
        )
    }

    /// [`AppCore::reset_lost_key`] with a given clock.
    pub fn reset_lost_key_with_clock(
        data_dir: &Path,
        platform_url: Option<&str>,
        keystore: Arc<dyn Keystore>,
        clock: Clock,
    ) -> Result<Arc<AppCore>, AppError> {
        if data_dir.as_os_str().is_empty() {
            return Err(AppError::invalid(
                "数据目录不能为空",
                "the data folder must not be empty",
            ));
        }
        match InstallKey::open_or_create(data_dir, keystore.as_ref()) {
            Ok(_) => return Err(nothing_to_reset()),
            Err(VaultError::KeyLost) => {}
            Err(e) => return Err(vault_error(&e)),
        }
        let pending = PendingInstallKey::generate().map_err(|e| vault_error(&e))?;
        let record = {
            let opened =
                Store::open(data_dir, pending.key(), clock()).map_err(|e| store_error(&e))?;
            opened
                .store
                .reset_after_key_loss(clock())
                .map_err(|e| store_error(&e))?
        };
        Vault::remove_unreadable(data_dir).map_err(|e| vault_error(&e))?;
        pending
            .replace(data_dir, keystore.as_ref())
            .map_err(|e| vault_error(&e))?;
        tracing::warn!(
            documents_removed = record.documents_removed,
            documents_kept = record.documents_kept,
            drafts_removed = record.drafts_removed,
            drafts_kept = record.drafts_kept,
            commands_removed = record.commands_removed,
            commands_kept = record.commands_kept,
            "install key was lost; reset done"
        );
        AppCore::open_with_clock(data_dir, platform_url, keystore, clock)
    }

    /// What the last reset after a lost key removed and kept; `None` if there was none (or
    /// another person has signed in on this phone since).
    pub fn last_reset(&self) -> Result<Option<ResetView>, AppError> {
        let Some(record) = self.store.last_reset().map_err(|e| store_error(&e))? else {
            return Ok(None);
        };
        let at = crate::store::records::ts(record.at_ms).map_err(|e| store_error(&e))?;
        Ok(Some(reset_view(&record, &self.tz, at, self.now())))
    }
}

fn reset_view(r: &LossRecord, tz: &jiff::tz::TimeZone, at: Timestamp, now: Timestamp) -> ResetView {
    let kinds = r.kinds();
    let kinds_zh: Vec<String> = kinds.iter().map(|k| k.name_zh().to_owned()).collect();
    let kinds_en: Vec<&str> = kinds.iter().map(|k| k.name_en()).collect();
    let at_zh = crate::domain::lifecycle::format_when_zh(at, tz, now);
    let summary_zh = format!(
        "{at_zh} 重置了丢失的加密密钥。已删除：{} 份只在手机上、还没上传的证件{}，需要重新拍摄；{} 份草稿；{} 项还没发送的操作；{} 份平台还没收到的申请。保留：{} 份已上传到平台的证件，不用重拍；{} 份草稿；{} 项还没发送的操作，重新登录后发送。请重新登录，平台上的申请会在同步后回到手机上。",
        r.documents_removed,
        if kinds_zh.is_empty() {
            String::new()
        } else {
            format!("（{}）", kinds_zh.join("、"))
        },
        r.drafts_removed,
        r.commands_removed,
        r.applications_unsent,
        r.documents_kept,
        r.drafts_kept,
        r.commands_kept,
    );
    let summary_en = format!(
        "The lost encryption key was reset. Removed: {} document(s) kept only on this phone and not uploaded{}, to be taken again; {} draft(s); {} unsent action(s); {} application(s) the platform never received. Kept: {} document(s) already on the platform, which need not be taken again; {} draft(s); {} unsent action(s), sent after you sign in. Sign in again; the applications on the platform come back after the next sync.",
        r.documents_removed,
        if kinds_en.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds_en.join(", "))
        },
        r.drafts_removed,
        r.commands_removed,
        r.applications_unsent,
        r.documents_kept,
        r.drafts_kept,
        r.commands_kept,
    );
    ResetView {
        at_ms: r.at_ms,
        at_zh,
        documents_removed: r.documents_removed,
        kinds_removed: kinds,
        kinds_removed_zh: kinds_zh,
        applications_affected: r.applications_affected.clone(),
        documents_kept: r.documents_kept,
        drafts_removed: r.drafts_removed,
        drafts_kept: r.drafts_kept,
        commands_removed: r.commands_removed,
        commands_kept: r.commands_kept,
        applications_unsent: r.applications_unsent,
        summary_zh,
        summary_en,
    }
}

//! Signing in by phone and one-time code, and who is signed in.
//!
//! Owns the session of the facade: the platform's profile of the user (role, name, town; a
//! manager's bank and towns; a villager's virtue points) and the bearer token, both kept sealed
//! in the store so a restart stays signed in; logout removes the token. A phone that holds
//! another person's unsent work refuses a different sign-in rather than lose or mix it. Must
//! never log a phone number, a code or a token.

use super::error::{AppError, ErrorAction};
use super::views::{CreditGrade, SessionView};
use super::{AppCore, Topic};
use crate::domain::lifecycle::{Actor, Role};
use crate::store::session::NewSession;
use crate::sync::{SyncClient, SyncError};
use crate::wire;
use jiff::Timestamp;

/// The signed-in identity an action is done as.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub actor: Actor,
    pub profile: wire::UserView,
}

/// A sync failure as a caller action.
pub(crate) fn sync_error(e: &SyncError) -> AppError {
    match e {
        SyncError::Offline => AppError::new(
            ErrorAction::Offline,
            "无法连接平台，请检查网络后再试",
            "cannot reach the platform: check the network and try again",
        ),
        SyncError::Unauthorized => AppError::new(
            ErrorAction::SignIn,
            "登录已过期，请重新登录（未发送的内容不会丢失）",
            "the sign-in has expired: sign in again (nothing waiting to be sent is lost)",
        ),
        SyncError::Refused(r) => {
            let action = match r.status {
                404 => ErrorAction::NotFound,
                409 => ErrorAction::Conflict,
                429 => ErrorAction::Retry,
                _ => ErrorAction::InvalidInput,
            };
            AppError::new(action, r.message_zh.clone(), r.message_en.clone())
        }
        SyncError::Config(_) => {
            AppError::new(ErrorAction::InvalidInput, e.message_zh(), e.message_en())
        }
        SyncError::InvalidCatalog(_) | SyncError::BadAnswer(_) => {
            AppError::new(ErrorAction::Retry, e.message_zh(), e.message_en())
        }
        SyncError::Vault(v) => super::documents::vault_error(v),
        SyncError::Store(s) => super::store_error(s),
    }
}

/// A mainland mobile number: 11 digits starting with 1.
fn check_phone(phone: &str) -> Result<(), AppError> {
    let ok =
        phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "手机号应为 11 位数字，以 1 开头",
            "the phone number must be 11 digits starting with 1",
        ))
    }
}

fn role_code(role: Role) -> &'static str {
    match role {
        Role::Villager => "villager",
        Role::Manager => "manager",
        Role::Administrator => "administrator",
        Role::System => "system",
    }
}

impl AppCore {
    pub(crate) fn platform(&self) -> Result<&SyncClient, AppError> {
        self.platform.as_ref().ok_or_else(|| {
            AppError::invalid(
                "没有设置平台地址，无法登录或同步",
                "no platform address is set, so signing in and syncing are not possible",
            )
        })
    }

    /// Asks the platform to send a one-time login code by SMS to `phone`.
    pub async fn request_code(&self, phone: &str) -> Result<(), AppError> {
        let phone = phone.trim();
        check_phone(phone)?;
        self.platform()?
            .request_code(phone)
            .await
            .map_err(|e| sync_error(&e))
    }

    /// Signs in with the code. The session comes from the platform and is kept sealed, so the
    /// phone stays signed in across restarts. Another person's unsent work on this phone is
    /// never mixed with the new user's: such a sign-in is refused with what to do.
    pub async fn login(&self, phone: &str, code: &str) -> Result<SessionView, AppError> {
        let phone = phone.trim();
        check_phone(phone)?;
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(
                "验证码是短信里的 6 位数字",
                "the code is the 6 digits in the text message",
            ));
        }
        let platform = self.platform()?;
        let session = platform
            .login(phone, code)
            .await
            .map_err(|e| sync_error(&e))?;
        let now = self.now();
        let mut switching = false;
        if let Some(previous) = self.store.session()?
            && previous.user_id != session.user.id
        {
            let counts = self.store.outbox_counts()?;
            let (pending, wedged) = (counts.pending, counts.wedged);
            let drafts = super::applications::list(&self.store)?
                .iter()
                .filter(|a| a.state == crate::domain::lifecycle::State::Draft)
                .count();
            if pending + wedged > 0 || drafts > 0 {
                // Do not leave the new session open on the platform.
                let _ = platform.logout().await;
                platform.set_token(None);
                return Err(AppError::new(
                    ErrorAction::Conflict,
                    "这部手机上还有上一位用户没有发送的申请或草稿。请先用原来的手机号登录并同步，再换人登录",
                    "this phone still holds the previous user's unsent applications or drafts: sign in with that number and sync first, then switch",
                ));
            }
            switching = true;
        }
        let profile = serde_json::to_string(&session.user).map_err(AppError::internal)?;
        let new = NewSession {
            user_id: &session.user.id,
            role: role_code(session.user.role),
            profile_json: &profile,
            token: &session.token,
            expires_at: session.expires_at,
        };
        if switching {
            self.switch_user(&new, now)?;
        } else {
            self.store.save_session(
                new.user_id,
                new.role,
                new.profile_json,
                new.token,
                new.expires_at,
                now,
            )?;
        }
        tracing::info!(role = role_code(session.user.role), "signed in");
        self.notifier.notify(Topic::Session);
        self.refresh_status();
        self.session_view(&session.user, false)
    }

    /// Signs out: the platform ends the session when it can be reached, and the token is
    /// removed from this phone either way. What waits in the outbox stays and is sent after
    /// the same user signs in again.
    pub async fn logout(&self) -> Result<(), AppError> {
        if let Some(platform) = &self.platform
            && let Err(e) = platform.logout().await
        {
            tracing::info!(error = %e, "the platform could not end the session; removing it here");
        }
        self.store.clear_token(self.now())?;
        self.stop_live();
        self.notifier.notify(Topic::Session);
        self.refresh_status();
        Ok(())
    }

    /// Who is signed in, from the store (works offline); `None` when nobody is.
    pub fn session(&self) -> Result<Option<SessionView>, AppError> {
        let Some(row) = self.store.session()? else {
            return Ok(None);
        };
        if row.token.is_none() && !row.expired {
            return Ok(None);
        }
        let profile: wire::UserView =
            serde_json::from_str(&row.profile_json).map_err(AppError::internal)?;
        Ok(Some(self.session_view(&profile, row.expired)?))
    }

    /// The identity actions are done as: the signed-in user, also while the sign-in waits to
    /// be renewed (actions are queued then).
    pub(crate) fn signed(&self) -> Result<Signed, AppError> {
        let row = self.store.session()?.ok_or_else(AppError::sign_in)?;
        if row.token.is_none() && !row.expired {
            return Err(AppError::sign_in());
        }
        let profile: wire::UserView =
            serde_json::from_str(&row.profile_json).map_err(AppError::internal)?;
        Ok(Signed {
            actor: Actor {
                role: profile.role,
                id: profile.id.clone(),
            },
            profile,
        })
    }

    /// The signed-in user, who must have `role`.
    pub(crate) fn signed_as(&self, role: Role) -> Result<Signed, AppError> {
        let signed = self.signed()?;
        if signed.actor.role != role {
            return Err(AppError::new(
                ErrorAction::Conflict,
                format!(
                    "只有{}可以这样做，您登录的身份是{}",
                    role.name_zh(),
                    signed.actor.role.name_zh()
                ),
                format!(
                    "only a {} can do this; you are signed in as a {}",
                    role.name_en(),
                    signed.actor.role.name_en()
                ),
            ));
        }
        Ok(signed)
    }

    fn session_view(
        &self,
        u: &wire::UserView,
        needs_sign_in: bool,
    ) -> Result<SessionView, AppError> {
        let catalog = self.catalog();
        let town_zh = |id: &str| catalog.town(id).map(|t| t.name_zh.clone());
        Ok(SessionView {
            user_id: u.id.clone(),
            role: u.role,
            name: u.name.clone(),
            phone: u.phone.clone(),
            town_id: u.town.clone(),
            town_zh: u.town.as_deref().and_then(town_zh),
            bank_id: u.bank_id.clone(),
            bank_zh: u
                .bank_id
                .as_deref()
                .and_then(|b| catalog.data().banks.iter().find(|x| x.id == b))
                .map(|b| b.name_zh.clone()),
            towns_zh: u.towns.iter().filter_map(|t| town_zh(t)).collect(),
            points: u.points,
            grade: u.grade.as_deref().and_then(CreditGrade::from_code),
            needs_sign_in,
        })
    }

    /// Another person signs in on this phone: the previous user's data leaves the store and
    /// the new session comes in, in one transaction (nothing of it is unsent: checked by the
    /// caller); then the previous user's document files leave the vault.
    fn switch_user(&self, new: &NewSession<'_>, now: Timestamp) -> Result<(), AppError> {
        let docs = self.store.documents(None)?;
        self.store.write(|tx| {
            self.store.wipe_user_data_in(tx)?;
            self.store.save_session_in(tx, new, now)
        })?;
        for doc in docs {
            if let Err(e) = self.vault.delete(doc.id) {
                tracing::warn!(error = %e, "a previous user's document could not be removed");
            }
        }
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Documents);
        self.notifier.notify(Topic::Tasks);
        Ok(())
    }
}

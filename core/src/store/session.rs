//! The signed-in session and the sync bookkeeping kept in the device store.
//!
//! Owns the `session` row (who is signed in, their profile as the platform sent it, and the
//! bearer token, both sealed with the install key) and the `meta` key–value rows (the live
//! stream's last event id, the status cursor, who owns the local data). It must never keep a
//! token in the clear, and never keep a token after logout: [`Store::clear_token`] removes it
//! while the rest of the row says whose data this phone holds.

use super::records::{ms, ts};
use super::{Store, StoreError};
use rusqlite::{OptionalExtension, Transaction, params};
use zeroize::Zeroizing;

/// The session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user_id: String,
    /// The role's wire code (`villager`, `manager`, `administrator`).
    pub role: String,
    /// The platform's `UserView` as JSON.
    pub profile_json: Zeroizing<String>,
    /// The bearer token; `None` after logout.
    pub token: Option<Zeroizing<String>>,
    pub expires_at: jiff::Timestamp,
    /// The platform refused the token (expired or revoked): sign in again.
    pub expired: bool,
    pub updated_at: jiff::Timestamp,
}

/// Keys of the `meta` table.
pub mod meta {
    /// The id of the last live-stream message handled (sent back as `Last-Event-ID`).
    pub const LAST_EVENT_ID: &str = "live.last_event_id";
    /// The position in the platform's feed up to which the status is pulled.
    pub const FEED_CURSOR: &str = "sync.feed_cursor";
}

/// A session the platform just gave, to be saved (no `Debug`: it holds the token).
#[derive(Clone, Copy)]
pub struct NewSession<'a> {
    pub user_id: &'a str,
    /// The role's code (`villager`, `manager` …).
    pub role: &'a str,
    /// The platform's `UserView`, as JSON.
    pub profile_json: &'a str,
    pub token: &'a str,
    pub expires_at: jiff::Timestamp,
}

impl Store {
    /// Saves a fresh session (replacing any other), token and profile sealed.
    pub fn save_session(
        &self,
        user_id: &str,
        role: &str,
        profile_json: &str,
        token: &str,
        expires_at: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let session = NewSession {
            user_id,
            role,
            profile_json,
            token,
            expires_at,
        };
        self.write(|tx| self.save_session_in(tx, &session, now))
    }

    /// [`Store::save_session`] inside the caller's transaction (signing in as another person:
    /// the previous user's data goes and the new session comes in one transaction).
    pub fn save_session_in(
        &self,
        tx: &Transaction<'_>,
        session: &NewSession<'_>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let user_id = session.user_id;
        let profile = self.seal(
            "session",
            &format!("{user_id}/profile"),
            session.profile_json.as_bytes(),
        )?;
        let sealed_token = self.seal(
            "session",
            &format!("{user_id}/token"),
            session.token.as_bytes(),
        )?;
        tx.execute(
            "INSERT INTO session (id, user_id, role, sealed_profile, sealed_token, expires_at, expired, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, 0, ?6)
             ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id, role = excluded.role,
               sealed_profile = excluded.sealed_profile, sealed_token = excluded.sealed_token,
               expires_at = excluded.expires_at, expired = 0, updated_at = excluded.updated_at",
            params![user_id, session.role, profile, sealed_token, ms(session.expires_at), ms(now)],
        )?;
        Ok(())
    }

    /// Replaces the stored profile (the platform's newer `UserView`).
    pub fn save_profile(&self, profile_json: &str, now: jiff::Timestamp) -> Result<(), StoreError> {
        let Some(current) = self.session()? else {
            return Ok(());
        };
        let profile = self.seal(
            "session",
            &format!("{}/profile", current.user_id),
            profile_json.as_bytes(),
        )?;
        self.write(|tx| {
            tx.execute(
                "UPDATE session SET sealed_profile = ?1, updated_at = ?2 WHERE id = 1",
                params![profile, ms(now)],
            )?;
            Ok(())
        })
    }

    /// The session row, if anyone ever signed in on this phone.
    pub fn session(&self) -> Result<Option<SessionRow>, StoreError> {
        type Raw = (String, String, Vec<u8>, Option<Vec<u8>>, i64, bool, i64);
        let raw: Option<Raw> = self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT user_id, role, sealed_profile, sealed_token, expires_at, expired, updated_at FROM session WHERE id = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
                )
                .optional()?)
        })?;
        let Some((user_id, role, profile, token, expires, expired, updated)) = raw else {
            return Ok(None);
        };
        let profile_json = self.open_text("session", &format!("{user_id}/profile"), &profile)?;
        let token = token
            .map(|t| self.open_text("session", &format!("{user_id}/token"), &t))
            .transpose()?;
        Ok(Some(SessionRow {
            user_id,
            role,
            profile_json,
            token,
            expires_at: ts(expires)?,
            expired,
            updated_at: ts(updated)?,
        }))
    }

    /// Logout: the token is removed; the row keeps saying whose data this phone holds.
    pub fn clear_token(&self, now: jiff::Timestamp) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE session SET sealed_token = NULL, expired = 0, updated_at = ?1 WHERE id = 1",
                [ms(now)],
            )?;
            Ok(())
        })
    }

    /// The platform refused the token: remember that the user must sign in again.
    pub fn mark_session_expired(&self, now: jiff::Timestamp) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE session SET sealed_token = NULL, expired = 1, updated_at = ?1 WHERE id = 1",
                [ms(now)],
            )?;
            Ok(())
        })
    }

    /// A bookkeeping value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?)
        })
    }

    /// Sets a bookkeeping value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| self.set_meta_in(tx, key, value))
    }

    /// [`Store::set_meta`] inside a caller's transaction.
    pub fn set_meta_in(
        &self,
        tx: &Transaction<'_>,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Removes everything that belongs to the signed-in user (applications, events, tasks,
    /// drafts, document records, the outbox, the sync bookkeeping and the session), in one
    /// transaction, before another person signs in on this phone. The vault's files are the
    /// caller's to remove. The cached catalog stays.
    pub fn wipe_user_data(&self) -> Result<(), StoreError> {
        self.write(|tx| self.wipe_user_data_in(tx))
    }

    /// [`Store::wipe_user_data`] inside the caller's transaction.
    pub fn wipe_user_data_in(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        tx.execute_batch(
            "DELETE FROM application_events; DELETE FROM applications; DELETE FROM manager_tasks;
             DELETE FROM drafts; DELETE FROM documents; DELETE FROM outbox; DELETE FROM meta;
             DELETE FROM session;",
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::vault::InstallKey;
    use std::sync::Arc;

    fn now() -> jiff::Timestamp {
        "2026-11-28T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_session_survives_reopening_and_logout_removes_only_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(InstallKey::from_bytes(&[3; 32]).unwrap());
        let token = "a".repeat(64);
        {
            let store = Store::open(dir.path(), Arc::clone(&key), now())
                .unwrap()
                .store;
            store
                .save_session(
                    "v001",
                    "villager",
                    "{\"id\":\"v001\"}",
                    &token,
                    now(),
                    now(),
                )
                .unwrap();
        }
        let store = Store::open(dir.path(), key, now()).unwrap().store;
        let row = store.session().unwrap().unwrap();
        assert_eq!(
            row.token.as_deref().map(String::as_str),
            Some(token.as_str())
        );
        assert_eq!(row.profile_json.as_str(), "{\"id\":\"v001\"}");
        let bytes = std::fs::read(dir.path().join(crate::store::FILE_NAME)).unwrap();
        let wal = std::fs::read(dir.path().join("store.db-wal")).unwrap_or_default();
        assert!(!bytes.is_empty() || !wal.is_empty());
        for b in [&bytes, &wal] {
            assert!(
                !b.windows(token.len()).any(|w| w == token.as_bytes()),
                "the token is never on disk in the clear"
            );
        }
        store.clear_token(now()).unwrap();
        let row = store.session().unwrap().unwrap();
        assert_eq!((row.user_id.as_str(), row.token.is_none()), ("v001", true));
    }

    #[test]
    fn signing_in_as_another_person_replaces_data_and_session_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(InstallKey::from_bytes(&[4; 32]).unwrap());
        let store = Store::open(dir.path(), key, now()).unwrap().store;
        let token = "b".repeat(64);
        store
            .save_session("v001", "villager", "{}", &token, now(), now())
            .unwrap();
        store.set_meta(meta::FEED_CURSOR, "41").unwrap();
        let next = NewSession {
            user_id: "v002",
            role: "villager",
            profile_json: "{}",
            token: &token,
            expires_at: now(),
        };
        // A failure after the wipe leaves the previous user's data and session as they were.
        let failed = store.write(|tx| {
            store.wipe_user_data_in(tx)?;
            store.save_session_in(tx, &next, now())?;
            Err::<(), _>(StoreError::Invalid("stop here".into()))
        });
        assert!(failed.is_err());
        assert_eq!(store.session().unwrap().unwrap().user_id, "v001");
        assert_eq!(
            store.meta(meta::FEED_CURSOR).unwrap().as_deref(),
            Some("41")
        );
        // Together, the wipe and the new session land at once.
        store
            .write(|tx| {
                store.wipe_user_data_in(tx)?;
                store.save_session_in(tx, &next, now())
            })
            .unwrap();
        assert_eq!(store.session().unwrap().unwrap().user_id, "v002");
        assert_eq!(store.meta(meta::FEED_CURSOR).unwrap(), None);
    }
}

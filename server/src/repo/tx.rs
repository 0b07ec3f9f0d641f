//! The seam's statements, written once for both engines on a [`Tx`] of `crate::db` (the
//! embedded SQLite database or PostgreSQL shared by several nodes), and [`Db`] as a
//! [`Repository`]: each closure runs in the writer's group transaction, where decisions are
//! made one after the other (SQLite's single writer; on PostgreSQL every node's writer takes
//! one advisory lock per group). Must never write outside the writer.

use super::{Accounts, BrowserSessions, UserRow};
use super::{
    CodeKey, CodeRequests, IdempotencyKeys, KeptAnswer, LoginCodes, PendingCode, Repository,
    Sessions, Store,
};
use crate::accounts::{User, role_code, role_from};
use crate::db::Db;
use crate::error::ApiError;
use crate::sql::{OptionalExtension, Tx, params};
use std::future::Future;

impl CodeRequests for &Tx<'_> {
    fn hold_code_limits(&mut self, _: &str, _: Option<&str>) -> Result<(), ApiError> {
        // The writer's group transaction already makes every decision one after the other:
        // SQLite has one writer; on PostgreSQL each node's writer first takes one advisory
        // lock that every node's writer takes (`crate::sql::pg`).
        Ok(())
    }

    fn prune_code_requests(&mut self, before_ms: i64) -> Result<(), ApiError> {
        self.prepare_cached("DELETE FROM code_requests WHERE at <= ?1")?
            .execute(params![before_ms])?;
        Ok(())
    }

    fn nth_newest_code_request(
        &mut self,
        by: CodeKey,
        key: &str,
        since_ms: i64,
        n: u32,
    ) -> Result<Option<i64>, ApiError> {
        let sql = format!(
            "SELECT at FROM code_requests WHERE {} = ?1 AND at > ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3",
            by.column()
        );
        Ok(self
            .prepare_cached(&sql)?
            .query_row(params![key, since_ms, i64::from(n) - 1], |r| r.get(0))
            .optional()?)
    }

    fn insert_code_request(
        &mut self,
        phone_mac: &str,
        client_mac: Option<&str>,
        at_ms: i64,
    ) -> Result<(), ApiError> {
        self.prepare_cached(
            "INSERT INTO code_requests (phone_mac, client_mac, at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![phone_mac, client_mac, at_ms])?;
        Ok(())
    }
}

impl IdempotencyKeys for &Tx<'_> {
    fn kept_answer(&mut self, user_id: &str, key: &str) -> Result<Option<KeptAnswer>, ApiError> {
        let row: Option<(String, i64, String)> = self
            .prepare_cached(
                "SELECT request_hash, status, response FROM idempotency WHERE user_id = ?1 AND key = ?2",
            )?
            .query_row(params![user_id, key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        Ok(row.map(|(request_hash, status, response)| KeptAnswer {
            request_hash,
            status: u16::try_from(status).unwrap_or(200),
            response,
        }))
    }

    fn keep_answer(
        &mut self,
        user_id: &str,
        key: &str,
        answer: &KeptAnswer,
        at_ms: i64,
    ) -> Result<(), ApiError> {
        self.prepare_cached(
            "INSERT INTO idempotency (user_id, key, request_hash, status, response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            user_id,
            key,
            answer.request_hash,
            answer.status,
            answer.response,
            at_ms
        ])?;
        Ok(())
    }
}

impl LoginCodes for &Tx<'_> {
    fn put_login_code(
        &mut self,
        phone_mac: &str,
        code_hash: &str,
        expires_ms: i64,
    ) -> Result<(), ApiError> {
        self.prepare_cached(
            "INSERT INTO login_codes (phone_mac, code_hash, expires_at, attempts) VALUES (?1, ?2, ?3, 0)
             ON CONFLICT (phone_mac) DO UPDATE SET code_hash = ?2, expires_at = ?3, attempts = 0",
        )?
        .execute(params![phone_mac, code_hash, expires_ms])?;
        Ok(())
    }

    fn login_code(&mut self, phone_mac: &str) -> Result<Option<PendingCode>, ApiError> {
        Ok(self
            .prepare_cached(
                "SELECT code_hash, expires_at, attempts FROM login_codes WHERE phone_mac = ?1",
            )?
            .query_row(params![phone_mac], |r| {
                Ok(PendingCode {
                    code_hash: r.get(0)?,
                    expires_ms: r.get(1)?,
                    attempts: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn count_wrong_try(&mut self, phone_mac: &str) -> Result<(), ApiError> {
        self.prepare_cached("UPDATE login_codes SET attempts = attempts + 1 WHERE phone_mac = ?1")?
            .execute(params![phone_mac])?;
        Ok(())
    }

    fn drop_login_code(&mut self, phone_mac: &str) -> Result<(), ApiError> {
        self.prepare_cached("DELETE FROM login_codes WHERE phone_mac = ?1")?
            .execute(params![phone_mac])?;
        Ok(())
    }
}

impl Sessions for &Tx<'_> {
    fn open_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        expires_ms: i64,
    ) -> Result<(), ApiError> {
        self.prepare_cached(
            "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![token_hash, user_id, expires_ms])?;
        Ok(())
    }

    fn session_user(&mut self, token_hash: &str, now_ms: i64) -> Result<Option<String>, ApiError> {
        Ok(self
            .prepare_cached(
                "SELECT user_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
            )?
            .query_row(params![token_hash, now_ms], |r| r.get(0))
            .optional()?)
    }

    fn end_session(&mut self, token_hash: &str) -> Result<(), ApiError> {
        self.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
            .execute(params![token_hash])?;
        Ok(())
    }
}

impl BrowserSessions for &Tx<'_> {
    fn open_browser_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), ApiError> {
        self.prepare_cached("DELETE FROM admin_sessions WHERE expires_at <= ?1")?
            .execute(params![now_ms])?;
        self.prepare_cached(
            "INSERT INTO admin_sessions (token_hash, user_id, csrf, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![token_hash, user_id, csrf, now_ms, expires_ms])?;
        Ok(())
    }

    fn browser_session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(String, String)>, ApiError> {
        Ok(self
            .prepare_cached(
                "SELECT user_id, csrf FROM admin_sessions WHERE token_hash = ?1 AND expires_at > ?2",
            )?
            .query_row(params![token_hash, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn end_browser_session(&mut self, token_hash: &str) -> Result<(), ApiError> {
        self.prepare_cached("DELETE FROM admin_sessions WHERE token_hash = ?1")?
            .execute(params![token_hash])?;
        Ok(())
    }
}

impl Accounts for &Tx<'_> {
    fn seed_user(&mut self, row: &UserRow) -> Result<bool, ApiError> {
        let added = self
            .prepare_cached(
                "INSERT INTO users (id, role, phone_mac, phone_masked, name, town, bank_id, points, phone_sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                row.id,
                role_code(row.role),
                row.phone_mac,
                row.phone_masked,
                row.name,
                row.town,
                row.bank_id,
                row.points,
                row.phone_sealed
            ])?;
        self.prepare_cached(
            "UPDATE users SET phone_sealed = ?2 WHERE id = ?1 AND phone_sealed IS NULL",
        )?
        .execute(params![row.id, row.phone_sealed])?;
        self.prepare_cached("UPDATE users SET points = ?2 WHERE id = ?1 AND points IS NULL")?
            .execute(params![row.id, row.points])?;
        for town in &row.towns {
            self.prepare_cached(
                "INSERT INTO manager_towns (manager_id, town) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![row.id, town])?;
        }
        Ok(added > 0)
    }

    fn user(&mut self, id: &str) -> Result<Option<User>, ApiError> {
        let found = self
            .prepare_cached(
                "SELECT id, role, name, phone_masked, town, bank_id, points FROM users WHERE id = ?1",
            )?
            .query_row(params![id], |r| {
                Ok(User {
                    id: r.get(0)?,
                    role: role_from(&r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    phone: r.get(3)?,
                    town: r.get(4)?,
                    bank_id: r.get(5)?,
                    towns: Vec::new(),
                    points: r
                        .get::<_, Option<i64>>(6)?
                        .and_then(|p| u32::try_from(p).ok()),
                })
            })
            .optional()?;
        let Some(mut user) = found else {
            return Ok(None);
        };
        if user.role == huoshui_core::domain::lifecycle::Role::Manager {
            let mut stmt = self.prepare_cached(
                "SELECT town FROM manager_towns WHERE manager_id = ?1 ORDER BY town",
            )?;
            let towns = stmt.query_map(params![id], |r| r.get::<_, String>(0))?;
            for t in towns {
                user.towns.push(t?);
            }
        }
        Ok(Some(user))
    }

    fn user_by_phone_mac(&mut self, phone_mac: &str) -> Result<Option<String>, ApiError> {
        Ok(self
            .prepare_cached("SELECT id FROM users WHERE phone_mac = ?1")?
            .query_row(params![phone_mac], |r| r.get(0))
            .optional()?)
    }
}

/// The platform's database (either engine) as a [`Repository`]: every closure runs on the
/// writer.
impl Repository for Db {
    fn transact<T, F>(&self, f: F) -> impl Future<Output = Result<T, ApiError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        async move {
            db.write(move |conn: &Tx<'_>| {
                let mut tx = conn;
                f(&mut tx)
            })
            .await
        }
    }
}

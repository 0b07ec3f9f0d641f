//! The seam on PostgreSQL (issue 13): the same statements as `super::sqlite` on a transaction
//! of the synchronous `postgres` client, and [`PgRepo`], a pool of connections (one per node)
//! that runs each closure in its own transaction on the blocking pool. Where SQLite's single
//! writer makes decisions one after the other, here transaction-scoped advisory locks do, so
//! several nodes on one database decide as one.
//! Must never keep state in the node (every row is in the database), never run on an async
//! worker thread (the client blocks), and never log a connection URL (it may hold a password).

use super::{Accounts, BrowserSessions, UserRow};
use super::{
    CodeKey, CodeRequests, IdempotencyKeys, KeptAnswer, LoginCodes, PendingCode, Repository,
    Sessions, Store,
};
use crate::accounts::{User, role_code, role_from};
use crate::error::ApiError;
use huoshui_core::domain::lifecycle::Role;
use r2d2_postgres::PostgresConnectionManager;
pub use r2d2_postgres::postgres;
use r2d2_postgres::postgres::{Config, NoTls, Transaction};
use r2d2_postgres::r2d2::Pool;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What can go wrong opening PostgreSQL; said so an operator knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL 地址无效：{0}（应为 postgres://用户@主机:端口/库名） / the PostgreSQL URL is invalid: {0} (expected postgres://user@host:port/dbname)"
    )]
    Url(postgres::Error),
    #[error("无法连接 PostgreSQL：{0} / cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error(
        "PostgreSQL 数据库版本 {found} 比本程序（{supported}）新，请升级 huoshui / the PostgreSQL schema is version {found}, newer than this build ({supported}); upgrade huoshui"
    )]
    TooNew { found: i32, supported: i32 },
    #[error(
        "PostgreSQL 模式名 {0:?} 无效：只能用字母、数字和下划线 / the PostgreSQL schema name {0:?} is invalid: use letters, digits and underscores only"
    )]
    Schema(String),
    #[error("PostgreSQL 迁移失败：{0} / migrating PostgreSQL failed: {0}")]
    Migrate(postgres::Error),
}

fn fault(e: postgres::Error) -> ApiError {
    ApiError::internal(&format!("postgres: {e}"))
}

/// A key for a transaction-scoped advisory lock: `what` and `key` hashed by the server.
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

impl CodeRequests for Transaction<'_> {
    fn hold_code_limits(
        &mut self,
        phone_mac: &str,
        client_mac: Option<&str>,
    ) -> Result<(), ApiError> {
        // Always the phone first, then the client: two requests never wait on each other in turn.
        self.execute(LOCK, &[&format!("code-phone:{phone_mac}")])
            .map_err(fault)?;
        if let Some(client) = client_mac {
            self.execute(LOCK, &[&format!("code-client:{client}")])
                .map_err(fault)?;
        }
        Ok(())
    }

    fn prune_code_requests(&mut self, before_ms: i64) -> Result<(), ApiError> {
        self.execute("DELETE FROM code_requests WHERE at <= $1", &[&before_ms])
            .map_err(fault)?;
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
            "SELECT at FROM code_requests WHERE {} = $1 AND at > $2 ORDER BY at DESC LIMIT 1 OFFSET $3",
            by.column()
        );
        let offset = i64::from(n) - 1;
        let row = self
            .query_opt(&sql, &[&key, &since_ms, &offset])
            .map_err(fault)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn insert_code_request(
        &mut self,
        phone_mac: &str,
        client_mac: Option<&str>,
        at_ms: i64,
    ) -> Result<(), ApiError> {
        self.execute(
            "INSERT INTO code_requests (phone_mac, client_mac, at) VALUES ($1, $2, $3)",
            &[&phone_mac, &client_mac, &at_ms],
        )
        .map_err(fault)?;
        Ok(())
    }
}

impl IdempotencyKeys for Transaction<'_> {
    fn kept_answer(&mut self, user_id: &str, key: &str) -> Result<Option<KeptAnswer>, ApiError> {
        self.execute(LOCK, &[&format!("idempotency:{user_id}:{key}")])
            .map_err(fault)?;
        let row = self
            .query_opt(
                "SELECT request_hash, status, response FROM idempotency WHERE user_id = $1 AND key = $2",
                &[&user_id, &key],
            )
            .map_err(fault)?;
        Ok(row.map(|r| KeptAnswer {
            request_hash: r.get(0),
            status: u16::try_from(r.get::<_, i32>(1)).unwrap_or(200),
            response: r.get(2),
        }))
    }

    fn keep_answer(
        &mut self,
        user_id: &str,
        key: &str,
        answer: &KeptAnswer,
        at_ms: i64,
    ) -> Result<(), ApiError> {
        self.execute(
            "INSERT INTO idempotency (user_id, key, request_hash, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&user_id, &key, &answer.request_hash, &i32::from(answer.status), &answer.response, &at_ms],
        )
        .map_err(fault)?;
        Ok(())
    }
}

impl LoginCodes for Transaction<'_> {
    fn put_login_code(
        &mut self,
        phone_mac: &str,
        code_hash: &str,
        expires_ms: i64,
    ) -> Result<(), ApiError> {
        self.execute(
            "INSERT INTO login_codes (phone_mac, code_hash, expires_at, attempts) VALUES ($1, $2, $3, 0)
             ON CONFLICT (phone_mac) DO UPDATE SET code_hash = $2, expires_at = $3, attempts = 0",
            &[&phone_mac, &code_hash, &expires_ms],
        )
        .map_err(fault)?;
        Ok(())
    }

    fn login_code(&mut self, phone_mac: &str) -> Result<Option<PendingCode>, ApiError> {
        let row = self
            .query_opt(
                "SELECT code_hash, expires_at, attempts FROM login_codes WHERE phone_mac = $1 FOR UPDATE",
                &[&phone_mac],
            )
            .map_err(fault)?;
        Ok(row.map(|r| PendingCode {
            code_hash: r.get(0),
            expires_ms: r.get(1),
            attempts: i64::from(r.get::<_, i32>(2)),
        }))
    }

    fn count_wrong_try(&mut self, phone_mac: &str) -> Result<(), ApiError> {
        self.execute(
            "UPDATE login_codes SET attempts = attempts + 1 WHERE phone_mac = $1",
            &[&phone_mac],
        )
        .map_err(fault)?;
        Ok(())
    }

    fn drop_login_code(&mut self, phone_mac: &str) -> Result<(), ApiError> {
        self.execute(
            "DELETE FROM login_codes WHERE phone_mac = $1",
            &[&phone_mac],
        )
        .map_err(fault)?;
        Ok(())
    }
}

impl Sessions for Transaction<'_> {
    fn open_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        expires_ms: i64,
    ) -> Result<(), ApiError> {
        self.execute(
            "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            &[&token_hash, &user_id, &expires_ms],
        )
        .map_err(fault)?;
        Ok(())
    }

    fn session_user(&mut self, token_hash: &str, now_ms: i64) -> Result<Option<String>, ApiError> {
        let row = self
            .query_opt(
                "SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
                &[&token_hash, &now_ms],
            )
            .map_err(fault)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn end_session(&mut self, token_hash: &str) -> Result<(), ApiError> {
        self.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .map_err(fault)?;
        Ok(())
    }
}

impl BrowserSessions for Transaction<'_> {
    fn open_browser_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), ApiError> {
        self.execute(
            "DELETE FROM admin_sessions WHERE expires_at <= $1",
            &[&now_ms],
        )
        .map_err(fault)?;
        self.execute(
            "INSERT INTO admin_sessions (token_hash, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&token_hash, &user_id, &csrf, &now_ms, &expires_ms],
        )
        .map_err(fault)?;
        Ok(())
    }

    fn browser_session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(String, String)>, ApiError> {
        let row = self
            .query_opt(
                "SELECT user_id, csrf FROM admin_sessions WHERE token_hash = $1 AND expires_at > $2",
                &[&token_hash, &now_ms],
            )
            .map_err(fault)?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    fn end_browser_session(&mut self, token_hash: &str) -> Result<(), ApiError> {
        self.execute(
            "DELETE FROM admin_sessions WHERE token_hash = $1",
            &[&token_hash],
        )
        .map_err(fault)?;
        Ok(())
    }
}

impl Accounts for Transaction<'_> {
    fn seed_user(&mut self, row: &UserRow) -> Result<bool, ApiError> {
        let points = row.points.map(i64::from);
        let added = self
            .execute(
                "INSERT INTO users (id, role, phone_mac, phone_masked, name, town, bank_id, points, phone_sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                &[
                    &row.id,
                    &role_code(row.role),
                    &row.phone_mac,
                    &row.phone_masked,
                    &row.name,
                    &row.town,
                    &row.bank_id,
                    &points,
                    &row.phone_sealed,
                ],
            )
            .map_err(fault)?;
        self.execute(
            "UPDATE users SET phone_sealed = $2 WHERE id = $1 AND phone_sealed IS NULL",
            &[&row.id, &row.phone_sealed],
        )
        .map_err(fault)?;
        self.execute(
            "UPDATE users SET points = $2 WHERE id = $1 AND points IS NULL",
            &[&row.id, &points],
        )
        .map_err(fault)?;
        for town in &row.towns {
            self.execute(
                "INSERT INTO manager_towns (manager_id, town) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&row.id, town],
            )
            .map_err(fault)?;
        }
        Ok(added > 0)
    }

    fn user(&mut self, id: &str) -> Result<Option<User>, ApiError> {
        let row = self
            .query_opt(
                "SELECT id, role, name, phone_masked, town, bank_id, points FROM users WHERE id = $1",
                &[&id],
            )
            .map_err(fault)?;
        let Some(r) = row else { return Ok(None) };
        let mut user = User {
            id: r.get(0),
            role: role_from(r.get(1)),
            name: r.get(2),
            phone: r.get(3),
            town: r.get(4),
            bank_id: r.get(5),
            towns: Vec::new(),
            points: r
                .get::<_, Option<i64>>(6)
                .and_then(|p| u32::try_from(p).ok()),
        };
        if user.role == Role::Manager {
            let towns = self
                .query(
                    "SELECT town FROM manager_towns WHERE manager_id = $1 ORDER BY town",
                    &[&id],
                )
                .map_err(fault)?;
            user.towns = towns.iter().map(|t| t.get(0)).collect();
        }
        Ok(Some(user))
    }

    fn user_by_phone_mac(&mut self, phone_mac: &str) -> Result<Option<String>, ApiError> {
        let row = self
            .query_opt("SELECT id FROM users WHERE phone_mac = $1", &[&phone_mac])
            .map_err(fault)?;
        Ok(row.map(|r| r.get(0)))
    }
}

type PgPool = Pool<PostgresConnectionManager<NoTls>>;

/// PostgreSQL as a [`Repository`]: a pool of connections of one node.
#[derive(Clone)]
pub struct PgRepo {
    pool: Arc<Closing>,
}

/// The pool, closed on a thread of its own: closing a connection of the synchronous client
/// blocks, which an async worker thread must never do (the last handle may be dropped there).
struct Closing(Option<PgPool>);

impl Drop for Closing {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            let closed = std::thread::Builder::new()
                .name("huoshui-pg-close".into())
                .spawn(move || drop(pool));
            if let Err(e) = closed {
                tracing::warn!(error = %e, "postgres connections left to the server's timeout");
            }
        }
    }
}

impl Closing {
    fn pool(&self) -> Result<&PgPool, ApiError> {
        self.0
            .as_ref()
            .ok_or_else(|| ApiError::internal("postgres pool closed"))
    }
}

impl PgRepo {
    /// Connects to `url` (with `search_path` set to `schema` when given), brings the schema up
    /// to date and keeps up to `connections` connections.
    pub async fn open(
        url: &str,
        schema: Option<&str>,
        connections: u32,
    ) -> Result<PgRepo, PgError> {
        let mut config: Config = url.parse().map_err(PgError::Url)?;
        if let Some(schema) = schema {
            let plain = !schema.is_empty()
                && schema
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !plain {
                return Err(PgError::Schema(schema.to_owned()));
            }
            config.options(&format!("-c search_path={schema}"));
        }
        config.connect_timeout(Duration::from_secs(10));
        tokio::task::spawn_blocking(move || {
            let manager = PostgresConnectionManager::new(config, NoTls);
            let pool = Pool::builder()
                .max_size(connections.max(1))
                .min_idle(Some(0))
                .connection_timeout(Duration::from_secs(10))
                .build(manager)
                .map_err(|e| PgError::Connect(e.to_string()))?;
            let mut client = pool.get().map_err(|e| PgError::Connect(e.to_string()))?;
            super::pg_schema::migrate(&mut client)?;
            drop(client);
            Ok(PgRepo {
                pool: Arc::new(Closing(Some(pool))),
            })
        })
        .await
        .map_err(|e| PgError::Connect(e.to_string()))?
    }
}

impl Repository for PgRepo {
    fn transact<T, F>(&self, f: F) -> impl Future<Output = Result<T, ApiError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut client = pool
                    .pool()?
                    .get()
                    .map_err(|e| ApiError::internal(&format!("postgres pool: {e}")))?;
                let mut tx = client.transaction().map_err(fault)?;
                let answer = f(&mut tx)?;
                tx.commit().map_err(fault)?;
                Ok(answer)
            })
            .await
            .map_err(|_| ApiError::internal("postgres task failed"))?
        }
    }
}

//! What opening PostgreSQL's schema can go wrong with ([`PgError`], said so an operator knows
//! what to do), and the synchronous `postgres` client re-exported for the migrations and the
//! tests. The seam's statements live once in `super::tx`, for both engines.
//! Must never log a connection URL (it may hold a password).

pub use r2d2_postgres::postgres;

/// What can go wrong migrating PostgreSQL's schema; said so an operator knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL 数据库版本 {found} 比本程序（{supported}）新，请升级 huoshui / the PostgreSQL schema is version {found}, newer than this build ({supported}); upgrade huoshui"
    )]
    TooNew { found: i32, supported: i32 },
    #[error("PostgreSQL 迁移失败：{0} / migrating PostgreSQL failed: {0}")]
    Migrate(postgres::Error),
}

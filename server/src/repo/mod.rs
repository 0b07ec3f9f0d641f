//! The storage seam (issue 13, first slice): the statements that must work the same on the
//! embedded SQLite database and on PostgreSQL shared by several nodes. Owns the traits, one per
//! area ([`CodeRequests`] for the login-code limits, [`IdempotencyKeys`] for the stored answers
//! of idempotent commands, [`LoginCodes`], [`Sessions`] and [`BrowserSessions`] for
//! signing in, [`Accounts`] for the users), [`Store`] (a transaction that has them all) and [`Repository`] (a
//! handle that runs a closure in one transaction of its backend). The decisions stay where they
//! were (`crate::code_limits`, `crate::apps`), written once over these traits.
//! Must never decide anything itself (it only reads and writes rows), never hold state in a
//! node's memory (a second node on the same database must see every row at once), and never
//! store a phone number, a code or a client address in the clear (only their keyed MACs).

use crate::accounts::User;
use crate::error::ApiError;
use huoshui_core::domain::lifecycle::Role;
use std::future::Future;

pub mod pg;
pub mod pg_schema;
pub mod tx;

/// What a login-code limit counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKey {
    /// The phone's keyed MAC.
    Phone,
    /// The client address's keyed MAC.
    Client,
}

impl CodeKey {
    /// The column of `code_requests` (the same name on both backends).
    pub(crate) fn column(self) -> &'static str {
        match self {
            CodeKey::Phone => "phone_mac",
            CodeKey::Client => "client_mac",
        }
    }
}

/// The rows of `code_requests`, inside the transaction that issues a code.
pub trait CodeRequests {
    /// Holds the phone's (and the client's) limits until the end of the transaction, so two
    /// nodes deciding for the same phone at once decide one after the other.
    fn hold_code_limits(
        &mut self,
        phone_mac: &str,
        client_mac: Option<&str>,
    ) -> Result<(), ApiError>;
    /// Forgets the requests made at or before `before_ms`.
    fn prune_code_requests(&mut self, before_ms: i64) -> Result<(), ApiError>;
    /// The time of the `n`-th newest request (1-based, `n >= 1`) with `by = key` after `since_ms`.
    fn nth_newest_code_request(
        &mut self,
        by: CodeKey,
        key: &str,
        since_ms: i64,
        n: u32,
    ) -> Result<Option<i64>, ApiError>;
    /// Counts one code issued now.
    fn insert_code_request(
        &mut self,
        phone_mac: &str,
        client_mac: Option<&str>,
        at_ms: i64,
    ) -> Result<(), ApiError>;
}

/// The answer kept for a (user, Idempotency-Key): the request it answered (a hash), the status
/// and the response's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub request_hash: String,
    pub status: u16,
    pub response: String,
}

/// The rows of `idempotency`, inside the transaction of the command they answer.
pub trait IdempotencyKeys {
    /// The answer kept for (user, key), if any. Holds the key until the end of the
    /// transaction, so the same key sent to two nodes at once runs the command once.
    fn kept_answer(&mut self, user_id: &str, key: &str) -> Result<Option<KeptAnswer>, ApiError>;
    /// Keeps the answer for (user, key), in the same transaction as the change it answers.
    fn keep_answer(
        &mut self,
        user_id: &str,
        key: &str,
        answer: &KeptAnswer,
        at_ms: i64,
    ) -> Result<(), ApiError>;
}

/// A login code waiting to be typed: the keyed hash of the code, its end and the wrong tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub code_hash: String,
    pub expires_ms: i64,
    pub attempts: i64,
}

/// The rows of `login_codes` (one code per phone; a new one replaces the old).
pub trait LoginCodes {
    /// Keeps `code_hash` as the phone's code until `expires_ms`, with no wrong tries yet.
    fn put_login_code(
        &mut self,
        phone_mac: &str,
        code_hash: &str,
        expires_ms: i64,
    ) -> Result<(), ApiError>;
    /// The phone's code, held until the end of the transaction, so a code typed on two nodes
    /// at once is used once.
    fn login_code(&mut self, phone_mac: &str) -> Result<Option<PendingCode>, ApiError>;
    /// Counts a wrong try.
    fn count_wrong_try(&mut self, phone_mac: &str) -> Result<(), ApiError>;
    /// Forgets the phone's code (used up, expired or exhausted).
    fn drop_login_code(&mut self, phone_mac: &str) -> Result<(), ApiError>;
}

/// The rows of `sessions`: a token's hash (never the token), its user and its end.
pub trait Sessions {
    /// Opens a session until `expires_ms`.
    fn open_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        expires_ms: i64,
    ) -> Result<(), ApiError>;
    /// The user of a session that has not ended by `now_ms`.
    fn session_user(&mut self, token_hash: &str, now_ms: i64) -> Result<Option<String>, ApiError>;
    /// Ends a session at once.
    fn end_session(&mut self, token_hash: &str) -> Result<(), ApiError>;
}

/// The rows of `admin_sessions`: the supervision page's browser sessions (a cookie's hash,
/// never the cookie), each with its CSRF token.
pub trait BrowserSessions {
    /// Opens a browser session from `now_ms` until `expires_ms`, forgetting the ended ones.
    fn open_browser_session(
        &mut self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), ApiError>;
    /// The user and CSRF token of a browser session that has not ended by `now_ms`.
    fn browser_session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(String, String)>, ApiError>;
    /// Ends a browser session at once.
    fn end_browser_session(&mut self, token_hash: &str) -> Result<(), ApiError>;
}

/// A user as the platform is seeded with them: every column of `users` (the phone only as its
/// keyed MAC, its masked form and sealed) and a manager's towns.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub role: Role,
    pub phone_mac: String,
    pub phone_masked: String,
    pub name: String,
    pub town: Option<String>,
    pub bank_id: Option<String>,
    pub points: Option<u32>,
    pub phone_sealed: Vec<u8>,
    pub towns: Vec<String>,
}

/// The rows of `users` and `manager_towns`.
pub trait Accounts {
    /// Adds the user unless their id is on record (answers whether it was added), fills in
    /// the sealed phone and the points an older record lacks, and adds the manager's towns.
    fn seed_user(&mut self, row: &UserRow) -> Result<bool, ApiError>;
    /// A user by id, with a manager's towns in order.
    fn user(&mut self, id: &str) -> Result<Option<User>, ApiError>;
    /// The id of the user behind a phone's keyed MAC.
    fn user_by_phone_mac(&mut self, phone_mac: &str) -> Result<Option<String>, ApiError>;
}

/// One transaction of a backend, with every area of the seam.
pub trait Store:
    CodeRequests + IdempotencyKeys + LoginCodes + Sessions + BrowserSessions + Accounts
{
}

impl<T> Store for T where
    T: CodeRequests + IdempotencyKeys + LoginCodes + Sessions + BrowserSessions + Accounts + ?Sized
{
}

/// A handle on one database (one per node); cheap to clone.
pub trait Repository: Clone + Send + Sync + 'static {
    /// Runs `f` in one transaction: committed when it answers `Ok`, rolled back on `Err`.
    fn transact<T, F>(&self, f: F) -> impl Future<Output = Result<T, ApiError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static;
}

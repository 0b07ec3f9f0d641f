//! The devices table: which push tokens each user's phones registered (`POST /v1/devices`),
//! for which vendor and app, and from which session (signing out removes the session's
//! devices). A token is personal data: the row keeps it sealed (AES-256-GCM under the server
//! key, bound to the row) and finds it again by an HMAC, never in plain text.
//! Must never log a token or store one unsealed.

use super::config::Secret;
use crate::error::ApiError;
use crate::keys::ServerKeys;
use crate::sql::{OptionalExtension, Tx, params};
use huoshui_core::wire::{DeviceApp, DeviceRequest, PushVendor};
use ring::aead::NONCE_LEN;

/// Schema version 7 (see `crate::db`): the devices. `IF NOT EXISTS`: a database taken back to
/// an older version by hand (the supervision migration test does) migrates forward again.
pub const SCHEMA_V7: &str = "
    CREATE TABLE IF NOT EXISTS push_devices (
        token_mac TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        vendor TEXT NOT NULL,
        app TEXT NOT NULL,
        token_sealed BLOB NOT NULL,
        session_hash TEXT,
        registered_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS push_devices_by_user ON push_devices (user_id, registered_at);
    CREATE INDEX IF NOT EXISTS push_devices_by_session ON push_devices (session_hash);
";

/// At most this many devices per user; registering one more forgets the oldest.
pub const MAX_PER_USER: u32 = 10;

/// One registered device, its token opened for sending.
#[derive(Debug, Clone)]
pub struct Device {
    /// The row's key (the token's HMAC), to drop the row when the vendor refuses the token.
    pub mac: String,
    pub vendor: PushVendor,
    pub app: DeviceApp,
    pub token: Secret,
}

/// The lookup HMAC of a vendor's token.
pub fn token_mac(keys: &ServerKeys, vendor: PushVendor, token: &str) -> String {
    // The server's lookup HMAC key, with a prefix of its own so no phone MAC can collide.
    keys.phone_mac(&format!("push-device:{}:{token}", vendor.code()))
}

fn aad(mac: &str) -> Vec<u8> {
    format!("huoshui-push-token:{mac}").into_bytes()
}

/// Registers (or re-registers, replacing) a device; answers how many the user has now.
pub fn register(
    conn: &Tx<'_>,
    keys: &ServerKeys,
    user_id: &str,
    session_hash: &str,
    req: &DeviceRequest,
    at: i64,
) -> Result<u32, ApiError> {
    let mac = token_mac(keys, req.vendor, &req.token);
    let (mut sealed, ct) = keys.seal(&aad(&mac), req.token.as_bytes())?;
    sealed.extend_from_slice(&ct);
    conn.execute(
        "INSERT INTO push_devices (token_mac, user_id, vendor, app, token_sealed, session_hash,
             registered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (token_mac) DO UPDATE SET user_id = excluded.user_id, app = excluded.app,
             token_sealed = excluded.token_sealed, session_hash = excluded.session_hash,
             registered_at = excluded.registered_at",
        params![
            mac,
            user_id,
            req.vendor.code(),
            req.app.code(),
            sealed,
            session_hash,
            at
        ],
    )?;
    // Keeps the newest devices, the one just registered always among them (ties in
    // `registered_at` fall to the token's MAC: both engines, no SQLite `rowid`).
    conn.execute(
        "DELETE FROM push_devices WHERE user_id = ?1 AND token_mac NOT IN (
             SELECT token_mac FROM push_devices WHERE user_id = ?1
             ORDER BY (token_mac = ?3) DESC, registered_at DESC, token_mac DESC LIMIT ?2)",
        params![user_id, MAX_PER_USER, mac],
    )?;
    count(conn, user_id)
}

/// How many devices a user has.
pub fn count(conn: &Tx<'_>, user_id: &str) -> Result<u32, ApiError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM push_devices WHERE user_id = ?1",
        params![user_id],
        |r| r.get(0),
    )?)
}

/// Removes one of the user's devices; answers whether it was there.
pub fn remove(
    conn: &Tx<'_>,
    keys: &ServerKeys,
    user_id: &str,
    vendor: PushVendor,
    token: &str,
) -> Result<bool, ApiError> {
    let mac = token_mac(keys, vendor, token);
    let n = conn.execute(
        "DELETE FROM push_devices WHERE token_mac = ?1 AND user_id = ?2",
        params![mac, user_id],
    )?;
    Ok(n > 0)
}

/// Removes the devices a session registered (on logout).
pub fn forget_session(conn: &Tx<'_>, session_hash: &str) -> Result<usize, ApiError> {
    Ok(conn.execute(
        "DELETE FROM push_devices WHERE session_hash = ?1",
        params![session_hash],
    )?)
}

/// Drops a device whose token the vendor reports invalid.
pub fn drop_token(conn: &Tx<'_>, mac: &str) -> Result<(), ApiError> {
    conn.execute(
        "DELETE FROM push_devices WHERE token_mac = ?1",
        params![mac],
    )?;
    Ok(())
}

/// Whether a device row exists (tests and checks).
pub fn exists(conn: &Tx<'_>, mac: &str) -> Result<bool, ApiError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM push_devices WHERE token_mac = ?1",
            params![mac],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A user's devices with their tokens opened. A row that fails to open is skipped.
pub fn of_user(conn: &Tx<'_>, keys: &ServerKeys, user_id: &str) -> Result<Vec<Device>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT token_mac, vendor, app, token_sealed FROM push_devices WHERE user_id = ?1
         ORDER BY registered_at",
    )?;
    let rows = stmt.query_map(params![user_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Vec<u8>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mac, vendor, app, stored) = row?;
        let (Some(vendor), Some(app)) =
            (PushVendor::from_code(&vendor), DeviceApp::from_code(&app))
        else {
            continue;
        };
        let (nonce, sealed) = stored.split_at(NONCE_LEN.min(stored.len()));
        let Ok(plain) = keys.open(&aad(&mac), nonce, sealed) else {
            tracing::warn!("a stored push token fails authentication; skipped");
            continue;
        };
        let Ok(token) = std::str::from_utf8(&plain) else {
            continue;
        };
        out.push(Device {
            mac,
            vendor,
            app,
            token: Secret::new(token),
        });
    }
    Ok(out)
}

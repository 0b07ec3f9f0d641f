//! The shared state every handler gets: database, keys, catalog lookups, clock, code provider,
//! push gateway, live-event hub and the SLA policy. Owns nothing but the wiring.

use crate::auth::CodeProvider;
use crate::clock::Clock;
use crate::db::Db;
use crate::directory::Directory;
use crate::hub::Hub;
use crate::keys::ServerKeys;
use crate::push::PushGateway;
use huoshui_core::domain::lifecycle::SlaPolicy;
use std::sync::Arc;

/// Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub db: Db,
    pub keys: Arc<ServerKeys>,
    pub dir: Directory,
    /// The SLA and event clock (may be accelerated or manual).
    pub clock: Arc<dyn Clock>,
    /// The clock for login codes and session expiry: real time even when the SLA clock is
    /// accelerated, so a demo at 60× still leaves five real minutes to type a code.
    pub auth_clock: Arc<dyn Clock>,
    pub codes: Arc<dyn CodeProvider>,
    /// The login-code limits and where the client's address comes from.
    pub sign_in: crate::code_limits::SignIn,
    pub push: Arc<dyn PushGateway>,
    pub sms: Arc<dyn crate::sms::SmsSender>,
    pub hub: Hub,
    pub policy: SlaPolicy,
    /// How long a session token lives.
    pub token_ttl: jiff::SignedDuration,
    /// Flips to true when the server shuts down (ends live streams).
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Timeouts, caps, fair shares and load shedding (issue 16).
    pub limits: crate::limits::Guards,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

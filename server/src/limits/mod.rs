//! The platform under abuse and crowds (issue 16): timeouts on every phase of a request, caps
//! (connections per address, live streams per user, body sizes per route, uploads per user),
//! fair token buckets per user and per address with the staff in their own buckets, and load
//! shedding when the database writer falls behind.
//!
//! - [`settings`]: every limit, its default and its environment variable.
//! - [`serve`]: the accept loop (per-address connection cap, header-read timeout, graceful stop).
//! - [`fair`]: the guard in front of every route (buckets, shedding, body caps, deadlines).
//! - [`streams`]: the live-stream cap per user (one too many closes the oldest).
//! - [`bucket`]: keyed token buckets and counters.
//!
//! Over a cap the answer is 429 or 503 with `Retry-After` and the usual `ErrorBody` (zh + en).
//! Must never refuse a write after acknowledging it (every refusal comes before the handler
//! runs, or is a deadline whose write, if it lands, a retry with the same `Idempotency-Key`
//! answers), never crash over a limit, and never log a token or an address with a user.

pub mod bucket;
pub mod fair;
pub mod serve;
pub mod settings;
pub mod streams;

pub use settings::{Limits, Rate};

use crate::state::AppState;
use bucket::{Buckets, Counters};
use std::net::IpAddr;
use std::sync::Arc;
use streams::LiveStreams;

/// The limits' live state, shared by every request (in [`crate::state::Inner`]).
pub struct Guards {
    pub settings: Limits,
    pub streams: Arc<LiveStreams>,
    pub uploads: Arc<Counters<String>>,
    pub anonymous: Buckets<IpAddr>,
    pub villagers_by_address: Buckets<IpAddr>,
    pub villager: Buckets<Arc<str>>,
    pub staff: Buckets<Arc<str>>,
    pub admin_pages: Buckets<IpAddr>,
    pub sessions: fair::SessionCache,
}

impl Guards {
    pub fn new(settings: Limits) -> Guards {
        Guards {
            streams: LiveStreams::new(settings.streams_per_user),
            uploads: Counters::new(settings.uploads_per_user),
            anonymous: Buckets::new(settings.anonymous_per_address),
            villagers_by_address: Buckets::new(settings.villagers_per_address),
            villager: Buckets::new(settings.per_villager),
            staff: Buckets::new(settings.per_staff),
            admin_pages: Buckets::new(settings.admin_pages_per_address),
            sessions: fair::SessionCache::default(),
            settings,
        }
    }
}

/// Puts the guards in front of every route of `app`: the fair-share guard first, then each
/// handler's deadline, then the per-chunk body timeout.
pub fn protect(app: axum::Router, state: &AppState) -> axum::Router {
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        fair::deadline,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        fair::guard,
    ))
}

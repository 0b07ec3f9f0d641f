//! The county's supervision page (DESIGN §1, §6; issue 12), served by the platform itself under
//! `/admin/`: server-rendered HTML (maud) with two small vendored scripts (htmx and its SSE
//! extension) embedded in the binary, no separate front-end build.
//!
//! What it shows: the open escalations (an administrator acknowledges or reassigns them here,
//! through the same `apps::command` path as the JSON API), what happens on the platform as it
//! happens (new applications, first contacts, escalations: from the live feed), and the
//! figures of [`figures`] with a plain table under every chart and CSV export. A desk layout at
//! `/admin/` and a big-screen layout for the county's wall display at `/admin/wall`.
//!
//! Who: administrators see the county and act; a bank's managers see their own bank,
//! read-only; villagers never ([`session`]).
//!
//! Modules: [`schema`] (tables and the triggers that keep the counters), [`figures`] (reading
//! them), [`session`] (cookies, CSRF, roles), [`handlers`] (the routes), [`pages`] (the HTML),
//! [`live`] (the page's event stream), [`export`] (CSV), [`assets`] (the embedded files).
//! Must never show a villager's name or phone number, never change an application except
//! through `apps::command`, and never serve a form without its CSRF check.

pub mod assets;
pub mod export;
pub mod figures;
pub mod handlers;
pub mod live;
pub mod pages;
pub mod schema;
pub mod session;

use crate::state::AppState;
use axum::http::HeaderName;
use std::sync::Arc;

/// When the session cookie carries `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecureCookie {
    /// When the request came over https (its own scheme, or the trusted proxy header).
    #[default]
    Auto,
    Always,
    Never,
}

/// The page's settings (from the environment in `Config::new`).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub secure_cookie: SecureCookie,
    /// A header set by a TLS-terminating proxy the operator trusts (e.g. `x-forwarded-proto`);
    /// its value `https` means the browser spoke https. `None`: no proxy header is believed.
    pub trusted_proto_header: Option<HeaderName>,
}

impl Settings {
    /// `HUOSHUI_ADMIN_SECURE_COOKIE` = `auto` (default) | `always` | `never`, and
    /// `HUOSHUI_TRUSTED_PROTO_HEADER` = the proxy's header name (unset: none trusted).
    /// An unreadable value falls back to the default and says so in the log.
    pub fn from_env() -> Settings {
        let secure_cookie = match std::env::var("HUOSHUI_ADMIN_SECURE_COOKIE")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "auto" => SecureCookie::Auto,
            "always" | "true" | "1" => SecureCookie::Always,
            "never" | "false" | "0" => SecureCookie::Never,
            other => {
                tracing::warn!(
                    value = other,
                    "HUOSHUI_ADMIN_SECURE_COOKIE is not auto, always or never; using auto"
                );
                SecureCookie::Auto
            }
        };
        let trusted_proto_header = std::env::var("HUOSHUI_TRUSTED_PROTO_HEADER")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| match HeaderName::from_bytes(v.trim().as_bytes()) {
                Ok(h) => Some(h),
                Err(_) => {
                    tracing::warn!("HUOSHUI_TRUSTED_PROTO_HEADER is not a header name; ignored");
                    None
                }
            });
        Settings {
            secure_cookie,
            trusted_proto_header,
        }
    }

    /// Whether a cookie set in answer to a request gets `Secure`.
    pub fn secure(&self, https: bool) -> bool {
        match self.secure_cookie {
            SecureCookie::Auto => https,
            SecureCookie::Always => true,
            SecureCookie::Never => false,
        }
    }
}

/// The `/admin` routes, ready to merge into the platform's router.
pub fn router(state: AppState, settings: Settings) -> axum::Router {
    handlers::routes()
        .layer(axum::Extension(Arc::new(settings)))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

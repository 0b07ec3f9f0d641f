//! The page's static files, embedded in the binary: htmx and its SSE extension (vendored, see
//! `server/assets/README.md`), the page's stylesheet and its small script. Served at
//! `/admin/assets/{name}` to anyone (they hold no data), with a content hash in the URL the
//! pages use, so a browser may keep them.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/htmx.min.js"),
    },
    Asset {
        name: "htmx-ext-sse.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/htmx-ext-sse.min.js"),
    },
    Asset {
        name: "admin.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../assets/admin.js"),
    },
    Asset {
        name: "admin.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../assets/admin.css"),
    },
];

/// A short hash of every asset together: the `?v=` of the URLs, new with every change.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut all = Vec::new();
    for a in ASSETS {
        all.extend_from_slice(a.body.as_bytes());
    }
    crate::keys::sha256_hex(&all).chars().take(12).collect()
});

/// The URL of an asset, with the version.
pub fn url(name: &str) -> String {
    format!("/admin/assets/{name}?v={}", VERSION.as_str())
}

/// `GET /admin/assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(a.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            a.body,
        )
            .into_response(),
        None => super::pages::message_page(
            StatusCode::NOT_FOUND,
            "找不到该页面",
            "Not found",
            "没有这个文件。",
            "There is no such file.",
        ),
    }
}

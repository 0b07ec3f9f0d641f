//! The county catalog by ETag: one small request when nothing changed; a new catalog is
//! validated before it replaces the cached one. Must never replace the cache with a catalog
//! that does not load.

use super::{Refusal, SyncClient, SyncError, status_transient};
use crate::domain::catalog::Catalog;
use crate::store::Store;
use crate::wire::path;
use jiff::Timestamp;
use reqwest::StatusCode;

/// The outcome of a catalog sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSync {
    /// 304: the cached catalog is current.
    Unchanged,
    /// 200: a new catalog was validated and stored.
    Updated {
        /// The catalog's own version.
        version: String,
        etag: Option<String>,
    },
}

impl SyncClient {
    /// Brings the cached catalog up to date (one request; 304 when it is current).
    pub async fn sync_catalog(
        &self,
        store: &Store,
        now: Timestamp,
    ) -> Result<CatalogSync, SyncError> {
        let cached = store.cached_catalog()?;
        let mut req = self.http.get(self.url(path::CATALOG));
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.as_deref()) {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(_) => return Err(SyncError::Offline),
        };
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(CatalogSync::Unchanged);
        }
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.map_err(|_| SyncError::Offline)?;
        if !status.is_success() {
            return Err(if status_transient(status) {
                SyncError::Offline
            } else {
                SyncError::Refused(Refusal::from_body(status, &body))
            });
        }
        let text = std::str::from_utf8(&body)
            .map_err(|_| SyncError::InvalidCatalog("not UTF-8 text".into()))?;
        let catalog =
            Catalog::from_json(text).map_err(|e| SyncError::InvalidCatalog(e.to_string()))?;
        store.save_catalog(text, etag.as_deref(), now)?;
        Ok(CatalogSync::Updated {
            version: catalog.version().to_owned(),
            etag,
        })
    }
}

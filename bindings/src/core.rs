//! The exported app core object and its calls: each one adapts one call of
//! [`huoshui_core::app::AppCore`] (types, errors, runtime), nothing more.

use crate::barrier::{guard, guard_infallible};
use crate::capture::{DocumentCapture, DocumentExport};
use crate::error::HuoshuiError;
use crate::keystore::{ForeignKeystore, PlatformKeystore};
use crate::listen::{
    ApplicationsListener, DocumentsListener, TaskHandle, TasksListener, subscribe,
};
use huoshui_core::app::views::{
    ApplicationView, CalculatorInput, CalculatorView, ChecklistItemView, ComparisonView,
    DocumentView, DraftInput, GradeScreenView, MarketInput, MarketPageView, MoneyView,
    ProductDetailView, TaskView, TimelineView,
};
use huoshui_core::app::{AppCore, AppError, ErrorAction, Topic};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::runtime::Runtime;

/// The opened app core. Open it once per process with the app's data folder, the user's id and
/// the platform keystore; close it (`close()` in Kotlin, `AutoCloseable`) when the app ends.
/// Async calls run on a tokio runtime owned by this object; blocking work (SQLite, files,
/// crypto) runs on its blocking pool, never on the caller's thread.
#[derive(uniffi::Object)]
pub struct HuoshuiCore {
    core: Arc<AppCore>,
    runtime: Option<Runtime>,
}

impl Drop for HuoshuiCore {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            // Never blocks the foreign thread that drops the last reference.
            rt.shutdown_background();
        }
    }
}

impl HuoshuiCore {
    fn runtime(&self) -> Result<&Runtime, HuoshuiError> {
        self.runtime.as_ref().ok_or_else(HuoshuiError::task_lost)
    }

    /// Runs blocking core work on the core's runtime and awaits it from any executor.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppCore) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, HuoshuiError> {
        let core = Arc::clone(&self.core);
        let handle = self
            .runtime()?
            .spawn_blocking(move || guard(|| Ok(f(&core)?)));
        match handle.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(HuoshuiError::from_panic(e.into_panic().as_ref())),
            Err(_) => Err(HuoshuiError::task_lost()),
        }
    }
}

#[uniffi::export]
impl HuoshuiCore {
    /// Opens (creating if needed) the app's data in `data_dir` for the villager `user_id`,
    /// protected by the platform `keystore`. Calls the keystore (once) before it returns.
    #[uniffi::constructor]
    pub fn open(
        data_dir: String,
        user_id: String,
        keystore: Arc<dyn PlatformKeystore>,
    ) -> Result<Arc<HuoshuiCore>, HuoshuiError> {
        guard(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .max_blocking_threads(8)
                .thread_name("huoshui-core")
                .enable_all()
                .build()
                .map_err(AppError::internal)?;
            let keystore = Arc::new(ForeignKeystore(keystore));
            let core = AppCore::open(&PathBuf::from(data_dir), &user_id, keystore)?;
            Ok(Arc::new(HuoshuiCore {
                core: Arc::new(core),
                runtime: Some(runtime),
            }))
        })
    }

    /// Where a damaged database was moved aside on open (tell the user), if one was.
    pub fn moved_aside(&self) -> Option<String> {
        guard_infallible(
            || None,
            || self.core.moved_aside().map(|p| p.display().to_string()),
        )
    }

    /// Both display forms of an amount in fen (`¥500,000.00`, `50万元`). The trivial call the
    /// benchmark measures.
    pub fn money(&self, fen: i64) -> MoneyView {
        guard_infallible(
            || MoneyView {
                fen,
                full: String::new(),
                short: String::new(),
            },
            || self.core.money(fen),
        )
    }

    // ----- market -----

    /// One market page for the villager's request.
    pub async fn market_page(&self, input: MarketInput) -> Result<MarketPageView, HuoshuiError> {
        self.run(move |core| core.market_page(&input)).await
    }

    /// The same, on the caller's thread (for a caller already on a background thread).
    pub fn market_page_blocking(&self, input: MarketInput) -> Result<MarketPageView, HuoshuiError> {
        guard(|| Ok(self.core.market_page(&input)?))
    }

    /// Two to four products side by side for the same request.
    pub async fn compare(
        &self,
        input: MarketInput,
        product_ids: Vec<String>,
    ) -> Result<ComparisonView, HuoshuiError> {
        self.run(move |core| core.compare(&input, &product_ids))
            .await
    }

    /// One product in full, with its schedule and the documents it needs.
    pub async fn product_detail(
        &self,
        input: MarketInput,
        product_id: String,
    ) -> Result<ProductDetailView, HuoshuiError> {
        self.run(move |core| core.product_detail(&input, &product_id))
            .await
    }

    /// The plain loan calculator.
    pub async fn calculate(&self, input: CalculatorInput) -> Result<CalculatorView, HuoshuiError> {
        self.run(move |core| core.calculate(&input)).await
    }

    /// What virtue points mean: the grade and what it unlocks.
    pub async fn grade(&self, points: u32) -> Result<GradeScreenView, HuoshuiError> {
        self.run(move |core| Ok(core.grade(points))).await
    }

    // ----- applications -----

    /// Starts a draft application.
    pub async fn create_draft(&self, input: DraftInput) -> Result<ApplicationView, HuoshuiError> {
        self.run(move |core| core.create_draft(&input)).await
    }

    /// Submits a draft; returns its timeline.
    pub async fn submit(&self, application_id: String) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.submit(&application_id)).await
    }

    /// Withdraws an application (any state before the money is paid out).
    pub async fn withdraw(
        &self,
        application_id: String,
        reason: Option<String>,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.withdraw(&application_id, reason))
            .await
    }

    /// Accepts the bank's offer.
    pub async fn accept_offer(&self, application_id: String) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.accept_offer(&application_id))
            .await
    }

    /// The applications on this phone, most recently changed first.
    pub async fn applications(&self) -> Result<Vec<ApplicationView>, HuoshuiError> {
        self.run(|core| core.applications()).await
    }

    /// One application's timeline, in Chinese and English.
    pub async fn timeline(&self, application_id: String) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.timeline(&application_id)).await
    }

    /// An application's events as JSON (what the outbox sends to the platform).
    pub async fn events_json(&self, application_id: String) -> Result<String, HuoshuiError> {
        self.run(move |core| core.events_json(&application_id))
            .await
    }

    /// Takes in an application's events as the platform sent them (JSON array).
    pub async fn ingest_events(
        &self,
        application_id: String,
        events_json: String,
    ) -> Result<ApplicationView, HuoshuiError> {
        self.run(move |core| core.ingest_events(&application_id, &events_json))
            .await
    }

    /// An account manager's inbox, most urgent first, with countdowns.
    pub async fn manager_tasks(&self, manager_id: String) -> Result<Vec<TaskView>, HuoshuiError> {
        self.run(move |core| core.manager_tasks(&manager_id)).await
    }

    // ----- documents -----

    /// Starts capturing a document of `kind` (e.g. `id_card_front`), optionally for an application.
    pub fn start_capture(
        &self,
        kind: String,
        application_id: Option<String>,
    ) -> Result<Arc<DocumentCapture>, HuoshuiError> {
        guard(|| {
            let capture = self.core.start_capture(&kind, application_id)?;
            Ok(DocumentCapture::new(Arc::clone(&self.core), capture))
        })
    }

    /// The documents on this phone (one application's when `application_id` is given).
    pub async fn documents(
        &self,
        application_id: Option<String>,
    ) -> Result<Vec<DocumentView>, HuoshuiError> {
        self.run(move |core| core.documents(application_id.as_deref()))
            .await
    }

    /// An application's document checklist: what its product needs, what is captured.
    pub async fn checklist(
        &self,
        application_id: String,
    ) -> Result<Vec<ChecklistItemView>, HuoshuiError> {
        self.run(move |core| core.checklist(&application_id)).await
    }

    /// The checklist for required and captured kind codes.
    pub async fn checklist_for_codes(
        &self,
        required: Vec<String>,
        captured: Vec<String>,
    ) -> Result<Vec<ChecklistItemView>, HuoshuiError> {
        self.run(move |core| core.checklist_for_codes(&required, &captured))
            .await
    }

    /// Opens a document for upload: verified plaintext chunks with size and SHA-256.
    pub fn open_export(&self, document_id: String) -> Result<Arc<DocumentExport>, HuoshuiError> {
        guard(|| Ok(DocumentExport::new(self.core.open_export(&document_id)?)))
    }

    /// Decrypts a document to a file the user chose (written whole or not at all).
    pub async fn export_to_file(
        &self,
        document_id: String,
        path: String,
    ) -> Result<DocumentView, HuoshuiError> {
        self.run(move |core| core.export_to_file(&document_id, &PathBuf::from(path)))
            .await
    }

    /// Removes a document.
    pub async fn delete_document(&self, document_id: String) -> Result<(), HuoshuiError> {
        self.run(move |core| core.delete_document(&document_id))
            .await
    }

    // ----- listeners -----

    /// The villager's applications now, then after every change.
    pub fn subscribe_applications(
        &self,
        listener: Arc<dyn ApplicationsListener>,
    ) -> Result<Arc<TaskHandle>, HuoshuiError> {
        let rt = self.runtime()?.handle().clone();
        Ok(subscribe(
            &rt,
            &self.core,
            Topic::Applications,
            |core| log_failure(core.applications()),
            move |v| {
                listener.on_update(v);
            },
        ))
    }

    /// The documents on this phone now, then after every change.
    pub fn subscribe_documents(
        &self,
        listener: Arc<dyn DocumentsListener>,
    ) -> Result<Arc<TaskHandle>, HuoshuiError> {
        let rt = self.runtime()?.handle().clone();
        Ok(subscribe(
            &rt,
            &self.core,
            Topic::Documents,
            |core| log_failure(core.documents(None)),
            move |v| {
                listener.on_update(v);
            },
        ))
    }

    /// A manager's tasks now, then after every change of the applications behind them.
    pub fn subscribe_tasks(
        &self,
        manager_id: String,
        listener: Arc<dyn TasksListener>,
    ) -> Result<Arc<TaskHandle>, HuoshuiError> {
        let rt = self.runtime()?.handle().clone();
        Ok(subscribe(
            &rt,
            &self.core,
            Topic::Tasks,
            move |core| log_failure(core.manager_tasks(&manager_id)),
            move |v| {
                listener.on_update(v);
            },
        ))
    }

    /// How many listeners are subscribed (for tests of cancellation).
    pub fn listener_count(&self) -> u32 {
        guard_infallible(
            || 0,
            || u32::try_from(self.core.notifier().len()).unwrap_or(u32::MAX),
        )
    }

    // ----- for tests of the FFI barrier (never called by the apps) -----

    /// Panics inside the core on purpose; arrives as `HuoshuiError::Internal`.
    pub fn debug_force_panic(&self) -> Result<(), HuoshuiError> {
        guard(|| {
            self.core.debug_force_panic();
            Ok(())
        })
    }

    /// The same, inside an async call on the core's runtime.
    pub async fn debug_force_panic_async(&self) -> Result<(), HuoshuiError> {
        self.run(|core| {
            core.debug_force_panic();
            Ok(())
        })
        .await
    }

    /// Fails with the out-of-storage error the vault gives on a full disk (ENOSPC), through
    /// the same conversion; a full disk cannot be made safely in a test.
    pub fn debug_storage_full(&self) -> Result<(), HuoshuiError> {
        guard(|| {
            let e = std::io::Error::from(std::io::ErrorKind::StorageFull);
            Err(
                huoshui_core::app::documents::vault_error(&huoshui_core::vault::VaultError::Io {
                    op: "write",
                    source: e,
                })
                .into(),
            )
        })
    }
}

fn log_failure<T>(result: Result<T, AppError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            if e.action != ErrorAction::NotFound {
                tracing::warn!(error = %e, "a listener's value could not be computed");
            }
            None
        }
    }
}

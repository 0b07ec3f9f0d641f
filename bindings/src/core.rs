//! The exported app core object and its calls: each one adapts one call of
//! [`huoshui_core::app::AppCore`] (types, errors, runtime), nothing more.

use crate::barrier::{guard, guard_infallible};
use crate::capture::{DocumentCapture, DocumentExport};
use crate::error::HuoshuiError;
use crate::keystore::{ForeignKeystore, PlatformKeystore};
use crate::listen::{
    ApplicationsListener, DocumentsListener, SessionListener, SyncStatusListener, TaskHandle,
    TasksListener, subscribe,
};
use huoshui_core::app::reset::ResetView;
use huoshui_core::app::views::{
    ApplicationView, AttentionView, CalculatorInput, CalculatorView, ChecklistItemView,
    ComparisonView, ContactOutcomeView, CountdownView, DocumentView, DraftInput, GradeScreenView,
    MarketInput, MarketPageView, MoneyView, ProductDetailView, SessionView, SyncReportView,
    SyncStatusView, TaskView, TimelineView,
};
use huoshui_core::app::{AppCore, AppError, ErrorAction, Topic};
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::ContactOutcome;
use std::any::Any;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use tokio::runtime::Runtime;

/// Where the core keeps its data and which platform it talks to.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CoreConfig {
    /// The app's private data folder.
    pub data_dir: String,
    /// The county platform, e.g. `https://huoshui.example.cn`; `None`: the market, the
    /// calculator and documents work, signing in and syncing do not.
    pub platform_url: Option<String>,
}

/// The opened app core. Open it once per process with the app's data folder, the user's id and
/// the platform keystore; close it (`close()` in Kotlin, `AutoCloseable`) when the app ends.
/// Async calls run on a tokio runtime owned by this object; blocking work (SQLite, files,
/// crypto) runs on its blocking pool, never on the caller's thread.
#[derive(uniffi::Object)]
pub struct HuoshuiCore {
    pub(crate) core: Arc<AppCore>,
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

/// How the core is opened: [`AppCore::open`] or [`AppCore::reset_lost_key`].
type Opener = fn(
    &std::path::Path,
    Option<&str>,
    Arc<dyn huoshui_core::vault::Keystore>,
) -> Result<Arc<AppCore>, AppError>;

impl HuoshuiCore {
    /// Builds the runtime and opens the core with `opener`.
    fn start(
        config: CoreConfig,
        keystore: Arc<dyn PlatformKeystore>,
        opener: Opener,
    ) -> Result<Arc<HuoshuiCore>, AppError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .thread_name("huoshui-core")
            .enable_all()
            .build()
            .map_err(AppError::internal)?;
        let keystore = Arc::new(ForeignKeystore(keystore));
        let core = opener(
            &PathBuf::from(config.data_dir),
            config.platform_url.as_deref(),
            keystore,
        )?;
        Ok(Arc::new(HuoshuiCore {
            core,
            runtime: Some(runtime),
        }))
    }

    fn runtime(&self) -> Result<&Runtime, HuoshuiError> {
        self.runtime.as_ref().ok_or_else(HuoshuiError::task_lost)
    }

    /// Runs blocking core work on the core's runtime and awaits it from any executor.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&AppCore) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, HuoshuiError> {
        let job: BlockingJob = Box::new(move |core| f(core).map(|v| Box::new(v) as AnyValue));
        unbox(self.run_boxed(job).await?)
    }

    /// The one non-generic body of [`HuoshuiCore::run`]: every call shares one task type on the
    /// runtime, so the shipped library holds one copy of the task machinery, not one per call.
    async fn run_boxed(&self, job: BlockingJob) -> Result<AnyValue, HuoshuiError> {
        let core = Arc::clone(&self.core);
        let handle = self
            .runtime()?
            .spawn_blocking(move || guard(|| Ok(job(&core)?)));
        match handle.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(HuoshuiError::from_panic(e.into_panic().as_ref())),
            Err(_) => Err(HuoshuiError::task_lost()),
        }
    }

    /// Runs async core work (network) on the core's runtime and awaits it from any executor;
    /// a panic inside arrives as `Internal`.
    async fn run_async<T, F, Fut>(&self, f: F) -> Result<T, HuoshuiError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<AppCore>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        let core = Arc::clone(&self.core);
        let work: AsyncJob =
            Box::pin(async move { f(core).await.map(|v| Box::new(v) as AnyValue) });
        unbox(self.run_async_boxed(work).await?)
    }

    /// The one non-generic body of [`HuoshuiCore::run_async`] (one task type, as above).
    async fn run_async_boxed(&self, work: AsyncJob) -> Result<AnyValue, HuoshuiError> {
        let handle = self.runtime()?.spawn(work);
        match handle.await {
            Ok(result) => Ok(result?),
            Err(e) if e.is_panic() => Err(HuoshuiError::from_panic(e.into_panic().as_ref())),
            Err(_) => Err(HuoshuiError::task_lost()),
        }
    }
}

/// A value of any type coming back from a task.
type AnyValue = Box<dyn Any + Send>;
/// Blocking core work, boxed so that all calls share one task type.
type BlockingJob = Box<dyn FnOnce(&AppCore) -> Result<AnyValue, AppError> + Send>;
/// Async core work, boxed likewise.
type AsyncJob = Pin<Box<dyn Future<Output = Result<AnyValue, AppError>> + Send>>;

/// The value a task gave back, as the type its caller put in.
fn unbox<T: 'static>(value: AnyValue) -> Result<T, HuoshuiError> {
    value
        .downcast::<T>()
        .map(|b| *b)
        .map_err(|_| HuoshuiError::from(AppError::internal("a task gave back another type")))
}

#[uniffi::export]
impl HuoshuiCore {
    /// Opens (creating if needed) the app's data in `config.data_dir`, protected by the
    /// platform `keystore`, as a client of `config.platform_url`. Whoever signed in last is
    /// still signed in. Calls the keystore (once) before it returns.
    #[uniffi::constructor]
    pub fn open(
        config: CoreConfig,
        keystore: Arc<dyn PlatformKeystore>,
    ) -> Result<Arc<HuoshuiCore>, HuoshuiError> {
        guard(|| Ok(HuoshuiCore::start(config, keystore, AppCore::open)?))
    }

    /// Replaces a lost encryption key (opening failed with `KeyUnavailable`) and opens the
    /// app: what only the lost key could open is removed (documents not uploaded, drafts,
    /// unsent actions, the sign-in), the records of documents already on the platform are
    /// kept, and `last_reset()` says what was lost. Refused (`Conflict`) when the key works,
    /// `Retry` when the keystore is only locked.
    #[uniffi::constructor]
    pub fn reset_lost_key(
        config: CoreConfig,
        keystore: Arc<dyn PlatformKeystore>,
    ) -> Result<Arc<HuoshuiCore>, HuoshuiError> {
        guard(|| {
            Ok(HuoshuiCore::start(
                config,
                keystore,
                AppCore::reset_lost_key,
            )?)
        })
    }

    /// What the last reset of a lost key removed and kept (for the settings screen), if any.
    pub fn last_reset(&self) -> Result<Option<ResetView>, HuoshuiError> {
        guard(|| Ok(self.core.last_reset()?))
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

    // ----- session -----

    /// Asks the platform to text a one-time login code to `phone`.
    pub async fn request_code(&self, phone: String) -> Result<(), HuoshuiError> {
        self.run_async(move |core| async move { core.request_code(&phone).await })
            .await
    }

    /// Signs in with the code; the session is kept sealed, so a restart stays signed in.
    pub async fn login(&self, phone: String, code: String) -> Result<SessionView, HuoshuiError> {
        self.run_async(move |core| async move { core.login(&phone, &code).await })
            .await
    }

    /// Signs out (what waits in the outbox stays, and is sent after the next sign-in).
    pub async fn logout(&self) -> Result<(), HuoshuiError> {
        self.run_async(|core| async move { core.logout().await })
            .await
    }

    /// Who is signed in (works offline), `None` when nobody is.
    pub async fn session(&self) -> Result<Option<SessionView>, HuoshuiError> {
        self.run(|core| core.session()).await
    }

    // ----- the villager's actions (each one through the outbox) -----

    /// Starts a draft application (kept on the phone until it is submitted).
    pub async fn create_draft(&self, input: DraftInput) -> Result<ApplicationView, HuoshuiError> {
        self.run(move |core| core.create_draft(&input)).await
    }

    /// Submits a draft (and queues its documents' uploads); works offline.
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

    /// Tells the bank the requested documents are provided.
    pub async fn provide_documents(
        &self,
        application_id: String,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.provide_documents(&application_id))
            .await
    }

    /// Discards a draft that was never submitted.
    pub async fn discard_draft(&self, application_id: String) -> Result<(), HuoshuiError> {
        self.run(move |core| core.discard_draft(&application_id))
            .await
    }

    // ----- the account manager's actions (each one through the outbox) -----

    /// Records the first call: how it went and the bank's own note.
    pub async fn record_contact(
        &self,
        application_id: String,
        outcome: ContactOutcome,
        note: Option<String>,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.record_contact(&application_id, outcome, note))
            .await
    }

    /// Opens the file for review.
    pub async fn start_review(&self, application_id: String) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.start_review(&application_id))
            .await
    }

    /// Asks the villager for documents.
    pub async fn request_documents(
        &self,
        application_id: String,
        kinds: Vec<DocumentKind>,
        note: String,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.request_documents(&application_id, kinds, note))
            .await
    }

    /// Approves with an offer: amount in fen, term in months, annual rate in ppm (1 % = 10,000).
    pub async fn approve(
        &self,
        application_id: String,
        amount_fen: i64,
        months: u32,
        annual_rate_ppm: i64,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.approve(&application_id, amount_fen, months, annual_rate_ppm))
            .await
    }

    /// Rejects with a reason the villager reads.
    pub async fn reject(
        &self,
        application_id: String,
        reason: String,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.reject(&application_id, reason))
            .await
    }

    /// Records the money paid out (fen).
    pub async fn disburse(
        &self,
        application_id: String,
        amount_fen: i64,
    ) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.disburse(&application_id, amount_fen))
            .await
    }

    /// A task's countdown for `seconds_left` (negative: late), worded like the tasks' own; the
    /// inbox ticks it every second without reloading the tasks.
    pub fn countdown(&self, seconds_left: i64) -> CountdownView {
        guard_infallible(
            || CountdownView {
                seconds_left,
                overdue: seconds_left < 0,
                text_zh: String::new(),
                text_en: String::new(),
            },
            || self.core.countdown(seconds_left),
        )
    }

    /// The ways a call can go, for the contact form.
    pub fn contact_outcomes(&self) -> Vec<ContactOutcomeView> {
        guard_infallible(Vec::new, || self.core.contact_outcomes())
    }

    // ----- what the phone holds -----

    /// The applications on this phone, most recently changed first.
    pub async fn applications(&self) -> Result<Vec<ApplicationView>, HuoshuiError> {
        self.run(|core| core.applications()).await
    }

    /// One application's timeline, in Chinese and English.
    pub async fn timeline(&self, application_id: String) -> Result<TimelineView, HuoshuiError> {
        self.run(move |core| core.timeline(&application_id)).await
    }

    /// The signed-in manager's inbox, most urgent first, with countdowns and the villager to call.
    pub async fn manager_tasks(&self) -> Result<Vec<TaskView>, HuoshuiError> {
        self.run(|core| core.manager_tasks()).await
    }

    // ----- sync -----

    /// Syncs now (catalog, outbox with uploads, status). Offline and "sign in again" come back
    /// as the report's status, not as errors. Safe from a background job and when called twice
    /// at once (the second joins the first).
    pub async fn sync_now(&self) -> Result<SyncReportView, HuoshuiError> {
        self.run_async(|core| async move { core.sync_now().await })
            .await
    }

    /// Where syncing stands (the banner).
    pub async fn sync_status(&self) -> Result<SyncStatusView, HuoshuiError> {
        self.run(|core| core.sync_status()).await
    }

    /// What the platform refused, in its words.
    pub async fn attention(&self) -> Result<Vec<AttentionView>, HuoshuiError> {
        self.run(|core| core.attention()).await
    }

    /// Tries again what gave up; answers how many.
    pub async fn retry_failed(&self) -> Result<u32, HuoshuiError> {
        self.run(|core| core.retry_failed()).await
    }

    /// A push message's data arrived: the core syncs (push data carries no personal data).
    pub async fn handle_push(&self, data: String) -> Result<SyncReportView, HuoshuiError> {
        self.run_async(move |core| async move { core.handle_push(&data).await })
            .await
    }

    /// Opens the live connection (the app came to the foreground).
    pub fn connect_live(&self) -> Result<(), HuoshuiError> {
        guard(|| {
            let _entered = self.runtime()?.enter();
            Ok(self.core.connect_live()?)
        })
    }

    /// Closes the live connection (the app went to the background).
    pub fn disconnect_live(&self) {
        guard_infallible(|| (), || self.core.disconnect_live());
    }

    /// Whether the live connection is running.
    pub fn live_connected(&self) -> bool {
        guard_infallible(|| false, || self.core.live_connected())
    }

    // ----- documents -----

    /// Starts capturing a document of `kind`, optionally for an application.
    pub fn start_capture(
        &self,
        kind: DocumentKind,
        application_id: Option<String>,
    ) -> Result<Arc<DocumentCapture>, HuoshuiError> {
        guard(|| {
            let capture = self.core.start_capture(kind, application_id)?;
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

    /// The checklist for the required and the captured kinds.
    pub async fn checklist_for_codes(
        &self,
        required: Vec<DocumentKind>,
        captured: Vec<DocumentKind>,
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

    /// The signed-in manager's tasks now, then after every change of the applications behind them.
    pub fn subscribe_tasks(
        &self,
        listener: Arc<dyn TasksListener>,
    ) -> Result<Arc<TaskHandle>, HuoshuiError> {
        let rt = self.runtime()?.handle().clone();
        Ok(subscribe(
            &rt,
            &self.core,
            Topic::Tasks,
            move |core| log_failure(core.manager_tasks()),
            move |v| {
                listener.on_update(v);
            },
        ))
    }

    /// The sync status now, then after every change (the banner).
    pub fn subscribe_sync_status(
        &self,
        listener: Arc<dyn SyncStatusListener>,
    ) -> Result<Arc<TaskHandle>, HuoshuiError> {
        let rt = self.runtime()?.handle().clone();
        Ok(subscribe(
            &rt,
            &self.core,
            Topic::Sync,
            |core| log_failure(core.sync_status()),
            move |v| {
                listener.on_update(v);
            },
        ))
    }

    /// Who is signed in now, then after every sign-in, sign-out or expiry.
    pub fn subscribe_session(
        &self,
        listener: Arc<dyn SessionListener>,
    ) -> Result<Arc<TaskHandle>, HuoshuiError> {
        let rt = self.runtime()?.handle().clone();
        Ok(subscribe(
            &rt,
            &self.core,
            Topic::Session,
            |core| log_failure(core.session()),
            move |v| {
                listener.on_update(v);
            },
        ))
    }
}

/// Test hooks, compiled only with the `test-hooks` feature (release builds leave it off).
#[cfg(feature = "test-hooks")]
#[uniffi::export]
impl HuoshuiCore {
    /// How many listeners are subscribed (for tests of cancellation).
    pub fn listener_count(&self) -> u32 {
        guard_infallible(
            || 0,
            || u32::try_from(self.core.notifier().len()).unwrap_or(u32::MAX),
        )
    }

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

//! The app facade: what the phone apps can ask of the core, one screen per call.
//!
//! Owns the opened app of one installation (data folder, install key from the platform
//! keystore, device store, document vault, catalog, change notifier) and turns the domain's
//! results into screen-ready view models ([`views`]: money as `¥500,000.00` and `50万元`, dates
//! in Chinese) and every module's error into one [`AppError`] whose variants are caller
//! actions. The FFI crate (`huoshui-ffi`) adapts this module and nothing else.
//!
//! It must never hold a business rule of its own (those live in [`crate::domain`]), never log
//! personal data, and never call a subscriber while holding a lock ([`notify`]).
//! Unlike the domain it reads the clock (the phone's "now") and touches the disk, through the
//! store and the vault.

pub mod applications;
pub mod documents;
pub mod error;
pub mod market;
pub mod notify;
pub mod views;

pub use documents::{Capture, Export};
pub use error::{AppError, ErrorAction};
pub use notify::{Notifier, Topic};

use crate::domain::catalog::Catalog;
use crate::domain::documents::checklist;
use crate::domain::lifecycle::{Actor, Command, SlaPolicy};
use crate::store::{Store, StoreError};
use crate::vault::{InstallKey, Keystore, Vault};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use views::{
    ApplicationView, CalculatorInput, CalculatorView, ChecklistItemView, ComparisonView,
    DocumentView, DraftInput, GradeScreenView, MarketInput, MarketPageView, MoneyView,
    ProductDetailView, TaskView, TimelineView,
};

/// The clock the app reads; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The opened app core of one installation.
pub struct AppCore {
    data_dir: PathBuf,
    user: Actor,
    store: Store,
    vault: Vault,
    catalog: Catalog,
    policy: SlaPolicy,
    tz: TimeZone,
    clock: Clock,
    notifier: Notifier,
    moved_aside: Option<PathBuf>,
}

impl std::fmt::Debug for AppCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCore")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// A store error as a caller action.
pub(crate) fn store_error(e: &StoreError) -> AppError {
    match e {
        StoreError::Vault(v) => documents::vault_error(v),
        StoreError::Io(io) => io_error(io),
        StoreError::Sqlite(s) => match s.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => {
                AppError::from_bilingual(ErrorAction::StorageFull, &e.to_string())
            }
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                AppError::from_bilingual(ErrorAction::Retry, &e.to_string())
            }
            _ => AppError::from_bilingual(ErrorAction::Internal, &e.to_string()),
        },
        StoreError::TooNew { .. } => {
            AppError::from_bilingual(ErrorAction::Conflict, &e.to_string())
        }
        StoreError::Poisoned => AppError::from_bilingual(ErrorAction::Retry, &e.to_string()),
        StoreError::Invalid(_) => AppError::from_bilingual(ErrorAction::Internal, &e.to_string()),
    }
}

/// China Standard Time (UTC+8, no daylight saving): the time zone every date is shown in.
pub fn china_time() -> TimeZone {
    TimeZone::fixed(Offset::constant(8))
}

impl AppCore {
    /// Opens (creating if needed) the app's data in `data_dir` for the user `user_id`
    /// (a villager), protected by the platform `keystore`.
    pub fn open(
        data_dir: &Path,
        user_id: &str,
        keystore: Arc<dyn Keystore>,
    ) -> Result<AppCore, AppError> {
        AppCore::open_with_clock(data_dir, user_id, keystore, Arc::new(Timestamp::now))
    }

    /// [`AppCore::open`] with a given clock.
    pub fn open_with_clock(
        data_dir: &Path,
        user_id: &str,
        keystore: Arc<dyn Keystore>,
        clock: Clock,
    ) -> Result<AppCore, AppError> {
        if data_dir.as_os_str().is_empty() {
            return Err(AppError::invalid(
                "数据目录不能为空",
                "the data folder must not be empty",
            ));
        }
        if user_id.trim().is_empty() {
            return Err(AppError::invalid(
                "用户编号不能为空",
                "the user id must not be empty",
            ));
        }
        std::fs::create_dir_all(data_dir).map_err(|e| io_error(&e))?;
        let install = Arc::new(
            InstallKey::open_or_create(data_dir, keystore.as_ref())
                .map_err(|e| documents::vault_error(&e))?,
        );
        let vault =
            Vault::open(data_dir, Arc::clone(&install)).map_err(|e| documents::vault_error(&e))?;
        let opened = Store::open(data_dir, install, clock()).map_err(|e| store_error(&e))?;
        let store = opened.store;
        let catalog = match store.cached_catalog().map_err(|e| store_error(&e))? {
            Some(cached) => match Catalog::from_json(&cached.json) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cached catalog does not load, using the embedded one");
                    embedded_catalog()?
                }
            },
            None => embedded_catalog()?,
        };
        let policy = SlaPolicy::new(
            catalog.data().sla.first_contact_minutes,
            catalog.data().sla.escalation_minutes,
        );
        Ok(AppCore {
            data_dir: data_dir.to_path_buf(),
            user: Actor::villager(user_id.trim()),
            store,
            vault,
            catalog,
            policy,
            tz: china_time(),
            clock,
            notifier: Notifier::default(),
            moved_aside: opened.moved_aside,
        })
    }

    /// The data folder this core was opened with.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where a damaged database was moved aside on open, if one was.
    pub fn moved_aside(&self) -> Option<&Path> {
        self.moved_aside.as_deref()
    }

    /// The change notifier (the FFI's listeners subscribe here).
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn now(&self) -> Timestamp {
        (self.clock)()
    }

    fn today(&self) -> jiff::civil::Date {
        self.tz.to_datetime(self.now()).date()
    }

    /// Both display forms of an amount.
    pub fn money(&self, fen: i64) -> MoneyView {
        MoneyView::of(fen)
    }

    // ----- market -----

    /// One market page for the villager's request.
    pub fn market_page(&self, input: &MarketInput) -> Result<MarketPageView, AppError> {
        market::market_page(&self.catalog, input, self.today())
    }

    /// Two to four products side by side for the same request.
    pub fn compare(
        &self,
        input: &MarketInput,
        product_ids: &[String],
    ) -> Result<ComparisonView, AppError> {
        market::comparison(&self.catalog, input, product_ids, self.today())
    }

    /// One product in full (its default terms when the request has no amount or term).
    pub fn product_detail(
        &self,
        input: &MarketInput,
        product_id: &str,
    ) -> Result<ProductDetailView, AppError> {
        market::product_detail(&self.catalog, input, product_id, self.today())
    }

    /// The plain loan calculator.
    pub fn calculate(&self, input: &CalculatorInput) -> Result<CalculatorView, AppError> {
        market::calculate(input)
    }

    /// What virtue points mean.
    pub fn grade(&self, points: u32) -> GradeScreenView {
        market::grade(&self.catalog, points)
    }

    // ----- applications -----

    /// Starts a draft application.
    pub fn create_draft(&self, input: &DraftInput) -> Result<ApplicationView, AppError> {
        let now = self.now();
        let app = applications::create_draft(&self.store, &self.catalog, &self.user, input, now)?;
        self.notifier.notify(Topic::Applications);
        Ok(applications::view(&self.catalog, &app, &self.tz, now))
    }

    /// Submits a draft (starts the 5-minute contact clock).
    pub fn submit(&self, application_id: &str) -> Result<TimelineView, AppError> {
        self.villager_command(application_id, Command::Submit)
    }

    /// Withdraws an application (any state before the money is paid out).
    pub fn withdraw(
        &self,
        application_id: &str,
        reason: Option<String>,
    ) -> Result<TimelineView, AppError> {
        self.villager_command(application_id, Command::Withdraw { reason })
    }

    /// Accepts the bank's offer.
    pub fn accept_offer(&self, application_id: &str) -> Result<TimelineView, AppError> {
        self.villager_command(application_id, Command::AcceptOffer)
    }

    fn villager_command(
        &self,
        application_id: &str,
        command: Command,
    ) -> Result<TimelineView, AppError> {
        let now = self.now();
        let app = applications::execute(&self.store, &self.user, application_id, command, now)?;
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Tasks);
        Ok(applications::timeline_view(
            &self.catalog,
            &app,
            &self.policy,
            &self.tz,
            now,
        ))
    }

    /// The applications on this phone, most recently changed first.
    pub fn applications(&self) -> Result<Vec<ApplicationView>, AppError> {
        let now = self.now();
        let apps = applications::list(&self.store)?;
        Ok(apps
            .iter()
            .map(|a| applications::view(&self.catalog, a, &self.tz, now))
            .collect())
    }

    /// One application's timeline.
    pub fn timeline(&self, application_id: &str) -> Result<TimelineView, AppError> {
        let app = applications::load(&self.store, application_id)?;
        Ok(applications::timeline_view(
            &self.catalog,
            &app,
            &self.policy,
            &self.tz,
            self.now(),
        ))
    }

    /// An application's events as JSON (what the outbox sends to the platform).
    pub fn events_json(&self, application_id: &str) -> Result<String, AppError> {
        let app = applications::load(&self.store, application_id)?;
        serde_json::to_string(&app.events).map_err(AppError::internal)
    }

    /// Takes in an application's events as the platform sent them (JSON array).
    pub fn ingest_events(
        &self,
        application_id: &str,
        events_json: &str,
    ) -> Result<ApplicationView, AppError> {
        let now = self.now();
        let app = applications::ingest_for(&self.store, application_id, events_json, now)?;
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Tasks);
        Ok(applications::view(&self.catalog, &app, &self.tz, now))
    }

    /// An account manager's inbox over the applications on this phone, most urgent first.
    pub fn manager_tasks(&self, manager_id: &str) -> Result<Vec<TaskView>, AppError> {
        let apps = applications::list(&self.store)?;
        Ok(applications::tasks(
            &apps,
            manager_id,
            &self.policy,
            self.now(),
        ))
    }

    // ----- documents -----

    /// Starts capturing a document of `kind` (code), optionally for an application.
    pub fn start_capture(
        &self,
        kind: &str,
        application_id: Option<String>,
    ) -> Result<Capture, AppError> {
        let kind = documents::kind_from(kind)?;
        if let Some(id) = &application_id {
            applications::load(&self.store, id)?;
        }
        let writer = self
            .vault
            .create_document(kind)
            .map_err(|e| documents::vault_error(&e))?;
        Ok(Capture {
            writer,
            application_id,
        })
    }

    /// Seals a captured document and records it.
    pub fn finish_capture(&self, capture: Capture) -> Result<DocumentView, AppError> {
        let Capture {
            writer,
            application_id,
        } = capture;
        let info = writer.finish().map_err(|e| documents::vault_error(&e))?;
        let now = self.now();
        if let Err(e) = self
            .store
            .record_document(&info, application_id.as_deref(), now)
        {
            let _ = self.vault.delete(info.id);
            return Err(store_error(&e));
        }
        self.notifier.notify(Topic::Documents);
        self.document(&info.id.to_string())
    }

    /// The documents on this phone (only one application's when `application_id` is given).
    pub fn documents(&self, application_id: Option<&str>) -> Result<Vec<DocumentView>, AppError> {
        let now = self.now();
        let rows = self
            .store
            .documents(application_id)
            .map_err(|e| store_error(&e))?;
        Ok(rows
            .iter()
            .map(|r| documents::view(r, &self.tz, now))
            .collect())
    }

    fn document(&self, id: &str) -> Result<DocumentView, AppError> {
        self.documents(None)?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| AppError::not_found("证件", "document", id))
    }

    /// The checklist of an application: what its product needs and what is captured.
    pub fn checklist(&self, application_id: &str) -> Result<Vec<ChecklistItemView>, AppError> {
        let app = applications::load(&self.store, application_id)?;
        let required = self
            .catalog
            .product(&app.product_id)
            .map(|p| p.documents.clone())
            .unwrap_or_default();
        let captured: Vec<_> = self
            .store
            .documents(Some(application_id))
            .map_err(|e| store_error(&e))?
            .into_iter()
            .map(|d| d.kind)
            .collect();
        Ok(checklist(&required, &captured)
            .into_iter()
            .map(checklist_view)
            .collect())
    }

    /// The checklist for the given required and captured kinds (codes as in `DocumentKind::code`).
    pub fn checklist_for_codes(
        &self,
        required: &[String],
        captured: &[String],
    ) -> Result<Vec<ChecklistItemView>, AppError> {
        let required = required
            .iter()
            .map(|c| documents::kind_from(c))
            .collect::<Result<Vec<_>, _>>()?;
        let captured = captured
            .iter()
            .map(|c| documents::kind_from(c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(checklist(&required, &captured)
            .into_iter()
            .map(checklist_view)
            .collect())
    }

    /// Opens a document for upload: verified plaintext chunks, with its size and SHA-256.
    pub fn open_export(&self, document_id: &str) -> Result<Export, AppError> {
        let id = parse_document_id(document_id)?;
        let view = self.document(document_id)?;
        let reader = self
            .vault
            .open_document(id)
            .map_err(|e| documents::vault_error(&e))?;
        Ok(Export { reader, view })
    }

    /// Decrypts a document to a file the user chose (written whole or not at all).
    pub fn export_to_file(&self, document_id: &str, out: &Path) -> Result<DocumentView, AppError> {
        let id = parse_document_id(document_id)?;
        self.vault
            .export(id, out)
            .map_err(|e| documents::vault_error(&e))?;
        self.document(document_id)
    }

    /// Removes a document.
    pub fn delete_document(&self, document_id: &str) -> Result<(), AppError> {
        let id = parse_document_id(document_id)?;
        self.vault
            .delete(id)
            .map_err(|e| documents::vault_error(&e))?;
        self.store
            .forget_document(id)
            .map_err(|e| store_error(&e))?;
        self.notifier.notify(Topic::Documents);
        Ok(())
    }

    // ----- for tests of the FFI barrier -----

    /// Panics on purpose, so the FFI's panic barrier can be tested from Kotlin and Swift.
    /// Never called by the apps.
    #[allow(clippy::panic)]
    pub fn debug_force_panic(&self) {
        panic!("debug_force_panic: a deliberate panic to test the FFI barrier");
    }
}

fn embedded_catalog() -> Result<Catalog, AppError> {
    Catalog::embedded().map_err(|e| AppError::internal(format!("embedded catalog: {e}")))
}

fn parse_document_id(text: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| AppError::not_found("证件", "document", text))
}

fn checklist_view(item: crate::domain::documents::ChecklistItem) -> ChecklistItemView {
    ChecklistItemView {
        kind: item.kind.code().to_owned(),
        name_zh: item.name_zh,
        name_en: item.name_en,
        captured: item.captured,
        missing: item.missing,
    }
}

/// An I/O failure as a caller action: out of space → StorageFull, else Retry.
pub(crate) fn io_error(e: &std::io::Error) -> AppError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        AppError::new(
            ErrorAction::StorageFull,
            "手机存储空间不足，请清理后重试",
            "the phone is out of storage; free some space and try again",
        )
    } else {
        AppError::new(
            ErrorAction::Retry,
            format!("读写数据失败，请重试：{e}"),
            format!("reading or writing data failed, try again: {e}"),
        )
    }
}

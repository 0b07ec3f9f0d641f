//! The app facade: what the phone apps can ask of the core, one screen per call.
//!
//! Owns the opened app of one installation (data folder, install key from the platform
//! keystore, device store, document vault, catalog, change notifier, the session and the sync
//! with the platform) and turns the domain's results into screen-ready view models ([`views`]:
//! money as `¥500,000.00` and `50万元`, dates in Chinese) and every module's error into one
//! [`AppError`] whose variants are caller actions. The FFI crate (`huoshui-ffi`) and the
//! terminal shell adapt this module and nothing else.
//!
//! - [`session`]: sign-in by phone and code; the session is the platform's and stays sealed.
//! - [`actions`]: every user action, villager or manager: decided by the domain, its events and
//!   its outbox command written in one transaction.
//! - [`syncing`]: `sync_now`, the sync state, push; [`live`]: the event stream in the foreground.
//!
//! It must never hold a business rule of its own (those live in [`crate::domain`]), never log
//! personal data, and never call a subscriber while holding a lock ([`notify`]).
//! Unlike the domain it reads the clock (the phone's "now") and touches the disk, through the
//! store and the vault.

pub mod actions;
pub mod applications;
pub mod documents;
pub mod error;
pub mod live;
pub mod market;
pub mod notify;
pub mod plan;
pub mod reset;
pub mod screens;
pub mod session;
pub mod syncing;
pub mod views;

pub use documents::{Capture, Export};
pub use error::{AppError, ErrorAction};
pub use notify::{Notifier, Topic};

use crate::domain::catalog::Catalog;
use crate::domain::documents::{DocumentKind, checklist};
use crate::domain::lifecycle::{self, ContactOutcome, Role, SlaPolicy, State};
use crate::store::{Store, StoreError};
use crate::sync::SyncClient;
use crate::vault::{DocumentInfo, InstallKey, Keystore, Vault};
use applications::Marks;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use views::{
    ApplicationView, CalculatorInput, CalculatorView, ChecklistItemView, ComparisonView,
    ContactOutcomeView, CountdownView, DocumentView, GradeScreenView, MarketInput, MarketPageView,
    MoneyView, ProductDetailView, TaskView, TimelineView,
};

/// The clock the app reads; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The opened app core of one installation.
pub struct AppCore {
    data_dir: PathBuf,
    store: Store,
    vault: Vault,
    catalog: RwLock<Arc<Catalog>>,
    policy: SlaPolicy,
    tz: TimeZone,
    clock: Clock,
    notifier: Notifier,
    moved_aside: Option<PathBuf>,
    /// The platform, when an address was given (the market and documents work without).
    platform: Option<SyncClient>,
    sync: syncing::Coordinator,
    live: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// This core itself, for the background work it starts.
    me: Weak<AppCore>,
}

impl std::fmt::Debug for AppCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCore")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        store_error(&e)
    }
}

/// A store error as a caller action.
pub(crate) fn store_error(e: &StoreError) -> AppError {
    let action = match e {
        StoreError::Vault(v) => return documents::vault_error(v),
        StoreError::Io(io) => return io_error(io),
        StoreError::Sqlite(s) => match s.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => ErrorAction::StorageFull,
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                ErrorAction::Retry
            }
            _ => ErrorAction::Internal,
        },
        StoreError::TooNew { .. } => ErrorAction::Conflict,
        StoreError::Poisoned => ErrorAction::Retry,
        StoreError::Invalid(_) => ErrorAction::Internal,
    };
    AppError::new(action, e.message_zh(), e.message_en())
}

/// China Standard Time (UTC+8, no daylight saving): the time zone every date is shown in.
pub fn china_time() -> TimeZone {
    crate::domain::china::time_zone()
}

impl AppCore {
    /// Opens (creating if needed) the app's data in `data_dir`, protected by the platform
    /// `keystore`, as a client of the platform at `platform_url` (none: the market, the
    /// calculator and documents work, signing in and syncing do not). Whoever signed in last
    /// is still signed in.
    pub fn open(
        data_dir: &Path,
        platform_url: Option<&str>,
        keystore: Arc<dyn Keystore>,
    ) -> Result<Arc<AppCore>, AppError> {
        AppCore::open_with_clock(data_dir, platform_url, keystore, Arc::new(Timestamp::now))
    }

    /// [`AppCore::open`] with a given clock.
    pub fn open_with_clock(
        data_dir: &Path,
        platform_url: Option<&str>,
        keystore: Arc<dyn Keystore>,
        clock: Clock,
    ) -> Result<Arc<AppCore>, AppError> {
        if data_dir.as_os_str().is_empty() {
            return Err(AppError::invalid(
                "数据目录不能为空",
                "the data folder must not be empty",
            ));
        }
        let platform = platform_url
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(SyncClient::new)
            .transpose()
            .map_err(|e| session::sync_error(&e))?;
        std::fs::create_dir_all(data_dir).map_err(|e| io_error(&e))?;
        let install = Arc::new(
            InstallKey::open_or_create(data_dir, keystore.as_ref())
                .map_err(|e| documents::vault_error(&e))?,
        );
        let vault =
            Vault::open(data_dir, Arc::clone(&install)).map_err(|e| documents::vault_error(&e))?;
        let opened = Store::open(data_dir, install, clock()).map_err(|e| store_error(&e))?;
        let store = opened.store;
        documents::sweep_unrecorded(&store, &vault)?;
        let catalog = load_catalog(&store)?;
        let policy = SlaPolicy::new(
            catalog.data().sla.first_contact_minutes,
            catalog.data().sla.escalation_minutes,
        );
        if let (Some(p), Some(s)) = (&platform, store.session().map_err(|e| store_error(&e))?)
            && let Some(token) = s.token
        {
            p.set_token(Some(&token));
        }
        Ok(Arc::new_cyclic(|me| AppCore {
            data_dir: data_dir.to_path_buf(),
            store,
            vault,
            catalog: RwLock::new(Arc::new(catalog)),
            policy,
            tz: china_time(),
            clock,
            notifier: Notifier::default(),
            moved_aside: opened.moved_aside,
            platform,
            sync: syncing::Coordinator::default(),
            live: Mutex::new(None),
            me: me.clone(),
        }))
    }

    /// The catalog in use (the platform's newest, else the cached one, else the embedded one).
    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes the newly cached catalog into use.
    pub(crate) fn reload_catalog(&self) -> Result<(), AppError> {
        let catalog = load_catalog(&self.store)?;
        *self.catalog.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        self.notifier.notify(Topic::Catalog);
        Ok(())
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

    pub(crate) fn today(&self) -> jiff::civil::Date {
        self.tz.to_datetime(self.now()).date()
    }

    /// Both display forms of an amount.
    pub fn money(&self, fen: i64) -> MoneyView {
        MoneyView::of(fen)
    }

    // ----- market -----

    /// The request as the market sees it: a signed-in villager's virtue points and town are
    /// the platform's record, not typed in; a visitor may try points ("what if").
    fn market_input(&self, input: &MarketInput) -> MarketInput {
        let mut input = input.clone();
        if let Ok(signed) = self.signed()
            && signed.actor.role == Role::Villager
        {
            input.points = signed.profile.points;
            input.grade = None;
            if input.town.is_none() {
                input.town = signed.profile.town.clone();
            }
        }
        input
    }

    /// One market page for the villager's request.
    pub fn market_page(&self, input: &MarketInput) -> Result<MarketPageView, AppError> {
        market::market_page(&self.catalog(), &self.market_input(input), self.today())
    }

    /// Two to four products side by side for the same request.
    pub fn compare(
        &self,
        input: &MarketInput,
        product_ids: &[String],
    ) -> Result<ComparisonView, AppError> {
        market::comparison(
            &self.catalog(),
            &self.market_input(input),
            product_ids,
            self.today(),
        )
    }

    /// One product in full (its default terms when the request has no amount or term).
    pub fn product_detail(
        &self,
        input: &MarketInput,
        product_id: &str,
    ) -> Result<ProductDetailView, AppError> {
        market::product_detail(
            &self.catalog(),
            &self.market_input(input),
            product_id,
            self.today(),
        )
    }

    /// The plain loan calculator.
    pub fn calculate(&self, input: &CalculatorInput) -> Result<CalculatorView, AppError> {
        market::calculate(input)
    }

    /// What virtue points mean.
    pub fn grade(&self, points: u32) -> GradeScreenView {
        market::grade(&self.catalog(), points)
    }

    // ----- applications -----

    /// The applications on this phone, most recently changed first: a villager's own; a
    /// manager's assigned ones and those of their bank in their towns not yet assigned.
    pub fn applications(&self) -> Result<Vec<ApplicationView>, AppError> {
        let now = self.now();
        let catalog = self.catalog();
        let marks = Marks::read(&self.store)?;
        let apps = applications::list(&self.store)?;
        Ok(apps
            .iter()
            .map(|a| applications::view(&catalog, a, &self.tz, now, &marks))
            .collect())
    }

    /// One application's timeline.
    pub fn timeline(&self, application_id: &str) -> Result<TimelineView, AppError> {
        let app = applications::load(&self.store, application_id)?;
        Ok(applications::timeline_view(
            &self.catalog(),
            &app,
            &self.policy,
            &self.tz,
            self.now(),
            &Marks::read(&self.store)?,
            &applications::unconfirmed(&self.store, app.id.as_str())?,
        ))
    }

    /// Discards a draft that was never submitted (nothing is sent: the platform never saw it).
    pub fn discard_draft(&self, application_id: &str) -> Result<(), AppError> {
        let app = applications::load(&self.store, application_id)?;
        if app.state != State::Draft || Marks::read(&self.store)?.waiting(app.id.as_str()) {
            return Err(AppError::new(
                ErrorAction::Conflict,
                "只能删除还没有提交的草稿；已提交的申请请用“撤回”",
                "only a draft that was never submitted can be discarded; withdraw a submitted application",
            ));
        }
        let docs = self.store.documents(Some(app.id.as_str()))?;
        self.store.write(|tx| {
            self.store.delete_application_in(tx, app.id.as_str())?;
            self.store.delete_draft_in(tx, app.id.as_str())?;
            for d in &docs {
                self.store.forget_document_in(tx, d.id)?;
            }
            Ok(())
        })?;
        for d in docs {
            if let Err(e) = self.vault.delete(d.id) {
                tracing::warn!(error = %e, "a discarded draft's document could not be removed");
            }
        }
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Documents);
        Ok(())
    }

    /// The signed-in account manager's inbox, most urgent first, with the villager to call.
    pub fn manager_tasks(&self) -> Result<Vec<TaskView>, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let apps = applications::list(&self.store)?;
        applications::tasks(
            &self.store,
            &self.catalog(),
            &apps,
            &signed.actor.id,
            &self.policy,
            self.now(),
        )
    }

    /// A task's countdown for `seconds_left` (negative: late), worded like the tasks' own.
    pub fn countdown(&self, seconds_left: i64) -> CountdownView {
        CountdownView {
            seconds_left,
            overdue: seconds_left < 0,
            text_zh: lifecycle::countdown_zh(seconds_left),
            text_en: lifecycle::countdown_en(seconds_left),
        }
    }

    /// The ways a call can go, for the contact form.
    pub fn contact_outcomes(&self) -> Vec<ContactOutcomeView> {
        ContactOutcome::ALL
            .iter()
            .map(|o| ContactOutcomeView {
                outcome: *o,
                name_zh: o.name_zh().to_owned(),
                name_en: o.name_en().to_owned(),
            })
            .collect()
    }

    // ----- documents -----

    /// Starts capturing a document of `kind`, optionally for an application.
    pub fn start_capture(
        &self,
        kind: DocumentKind,
        application_id: Option<String>,
    ) -> Result<Capture, AppError> {
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

    /// Seals a captured document and records it with its application in one transaction;
    /// when the application is already with the platform, its upload is queued in the same
    /// transaction.
    pub fn finish_capture(&self, capture: Capture) -> Result<DocumentView, AppError> {
        let Capture {
            writer,
            application_id,
        } = capture;
        let now = self.now();
        let id = writer.id();
        // The file gets its name inside the store's write transaction: a core that opens
        // meanwhile (and sweeps files without a record) waits for the commit, and a capture
        // killed before the commit leaves a file without a record, which that sweep removes.
        let recorded = self
            .store
            .write_with(|tx| -> Result<DocumentInfo, AppError> {
                let info = writer.finish().map_err(|e| documents::vault_error(&e))?;
                self.store
                    .record_document_in(tx, &info, application_id.as_deref(), now)?;
                if let Some(id) = &application_id {
                    let app = applications::load_in(&self.store, tx, id)?;
                    if app.state != State::Draft {
                        self.queue_uploads_in(tx, app.id.as_str(), now)?;
                    }
                }
                Ok(info)
            });
        let info = match recorded {
            Ok(info) => info,
            Err(e) => {
                let _ = self.vault.delete(id);
                return Err(e);
            }
        };
        self.notifier.notify(Topic::Documents);
        self.refresh_status();
        self.kick_sync();
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
            .catalog()
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

    /// The checklist for the given required and captured kinds.
    pub fn checklist_for_codes(
        &self,
        required: &[DocumentKind],
        captured: &[DocumentKind],
    ) -> Result<Vec<ChecklistItemView>, AppError> {
        Ok(checklist(required, captured)
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
            .map_err(|e| documents::export_error(&e, &view))?;
        Ok(Export { reader, view })
    }

    /// Decrypts a document to a file the user chose (written whole or not at all).
    pub fn export_to_file(&self, document_id: &str, out: &Path) -> Result<DocumentView, AppError> {
        let id = parse_document_id(document_id)?;
        let view = self.document(document_id);
        if let Err(e) = self.vault.export(id, out) {
            return Err(match &view {
                Ok(v) => documents::export_error(&e, v),
                Err(_) => documents::vault_error(&e),
            });
        }
        view
    }

    /// Removes a document: its record first, then its file (a kill in between leaves a file
    /// without a record, which opening removes; never a record without its file). A record
    /// kept after a key reset has no file.
    pub fn delete_document(&self, document_id: &str) -> Result<(), AppError> {
        let id = parse_document_id(document_id)?;
        let forgotten = self
            .store
            .forget_document(id)
            .map_err(|e| store_error(&e))?;
        match self.vault.delete(id) {
            Err(crate::vault::VaultError::NotFound { .. }) if forgotten => {}
            other => other.map_err(|e| documents::vault_error(&e))?,
        }
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

/// The cached catalog when it loads, else the embedded one.
fn load_catalog(store: &Store) -> Result<Catalog, AppError> {
    Ok(match store.cached_catalog().map_err(|e| store_error(&e))? {
        Some(cached) => match Catalog::from_json(&cached.json) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cached catalog does not load, using the embedded one");
                embedded_catalog()?
            }
        },
        None => embedded_catalog()?,
    })
}

fn parse_document_id(text: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(text.trim()).map_err(|_| AppError::not_found("证件", "document", text))
}

fn checklist_view(item: crate::domain::documents::ChecklistItem) -> ChecklistItemView {
    ChecklistItemView {
        kind: item.kind,
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

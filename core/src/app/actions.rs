//! What a user does to an application, villager or account manager: decided by the domain,
//! then written as ONE store transaction: the new local events (marked unconfirmed) and the
//! outbox command that carries the action to the platform under the phone's own application
//! id. So an action the phone accepted is never lost and never sent twice (the outbox keeps
//! its idempotency key), and no screen shows an effect that is not in the outbox.
//!
//! Must never send anything itself (the sync does, see [`super::syncing`]) and never decide a
//! rule of its own: transitions come from `domain::lifecycle`, product rules from
//! `domain::rules`, the same functions the platform runs.

use super::applications::{self, Marks, lifecycle_error, persist_in};
use super::error::AppError;
use super::views::{ApplicationView, DraftInput, TimelineView};
use super::{AppCore, Topic};
use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::{
    Application, ApplicationId, ContactOutcome, NewApplication, Role, State,
};
use crate::domain::rules::{self, ApplicantRecord, Terms};
use crate::store::outbox::OutboxState;
use crate::sync::OutboxCommand;
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};

/// What a draft keeps beside its `Created` event until it is submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct DraftExtras {
    #[serde(default)]
    industry: Option<String>,
    #[serde(default)]
    purpose: Option<String>,
}

/// The catalog code of a draft's purpose, chosen from the product's list (by code or Chinese
/// name): never free text, so the draft can be kept readable without the install key.
fn purpose_code(
    catalog: &crate::domain::catalog::Catalog,
    product_id: &str,
    text: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(text) = text.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let allowed = catalog
        .product(product_id)
        .map(|p| p.purposes.clone())
        .unwrap_or_default();
    catalog
        .data()
        .purposes
        .iter()
        .filter(|p| allowed.is_empty() || allowed.contains(&p.id))
        .find(|p| p.id == text || p.name_zh == text)
        .map(|p| Some(p.id.clone()))
        .ok_or_else(|| {
            AppError::invalid(
                format!("没有这个贷款用途：{text}，请从列表中选择"),
                format!("unknown loan purpose: {text}; choose one from the list"),
            )
        })
}

/// Where the uploads of an application's documents go relative to the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Uploads {
    None,
    /// Queued after the command (a submission: the application must exist first).
    After,
}

impl AppCore {
    /// Starts a draft application for the signed-in villager (kept on the phone until it is
    /// submitted).
    pub fn create_draft(&self, input: &DraftInput) -> Result<ApplicationView, AppError> {
        let signed = self.signed_as(Role::Villager)?;
        let catalog = self.catalog();
        if catalog.product(&input.product_id).is_none() {
            return Err(AppError::not_found(
                "贷款产品",
                "loan product",
                &input.product_id,
            ));
        }
        let town_text = if input.town.trim().is_empty() {
            signed.profile.town.clone().unwrap_or_default()
        } else {
            input.town.clone()
        };
        let town = catalog
            .find_town(&town_text)
            .map(|t| t.id.clone())
            .ok_or_else(|| {
                AppError::invalid(
                    format!("没有这个乡镇：{town_text}，请从列表中选择"),
                    format!("unknown town: {town_text}; choose one from the list"),
                )
            })?;
        let industry = match input
            .industry
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(text) => Some(
                catalog
                    .data()
                    .industries
                    .iter()
                    .find(|i| i.id == text || i.name_zh == text)
                    .map(|i| i.id.clone())
                    .ok_or_else(|| {
                        AppError::invalid(
                            format!("没有这个产业：{text}，请从列表中选择"),
                            format!("unknown industry: {text}; choose one from the list"),
                        )
                    })?,
            ),
        };
        let extras = DraftExtras {
            industry,
            purpose: purpose_code(&catalog, &input.product_id, input.purpose.as_deref())?,
        };
        let request = NewApplication {
            product_id: input.product_id.clone(),
            amount: input.amount_fen,
            months: input.months,
            town,
        };
        let now = self.now();
        let id = ApplicationId::from_uuid(uuid::Uuid::now_v7());
        let (app, _) =
            Application::open(id, &signed.actor, request, now).map_err(|e| lifecycle_error(&e))?;
        let extras_json = serde_json::to_string(&extras).map_err(AppError::internal)?;
        self.store.write_with(|tx| -> Result<(), AppError> {
            persist_in(&self.store, tx, &app, 0, now, true)?;
            self.store.save_draft_in(
                tx,
                app.id.as_str(),
                Some(&app.product_id),
                &extras_json,
                now,
            )?;
            Ok(())
        })?;
        self.notifier.notify(Topic::Applications);
        Ok(applications::view(
            &catalog,
            &app,
            &self.tz,
            now,
            &Marks::read(&self.store)?,
        ))
    }

    /// Submits a draft: the product's rules are checked against the villager's record (the
    /// same check the platform makes), then the submission and the uploads of the documents
    /// captured for it are queued together. Works offline.
    pub fn submit(&self, application_id: &str) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Villager)?;
        let app = applications::load(&self.store, application_id)?;
        let extras: DraftExtras = self
            .store
            .drafts()?
            .into_iter()
            .find(|d| d.id == app.id.as_str())
            .and_then(|d| serde_json::from_str(&d.payload_json).ok())
            .unwrap_or_default();
        if app.state == State::Draft {
            let catalog = self.catalog();
            let terms = Terms {
                product_id: &app.product_id,
                amount: app.amount,
                months: app.months,
                industry: extras.industry.as_deref(),
                purpose: extras.purpose.as_deref(),
            };
            let record = ApplicantRecord {
                points: signed.profile.points,
                town: Some(app.town.clone()),
                age: None,
            };
            rules::check_application(&catalog, &terms, &record)
                .map_err(|e| AppError::invalid(e.message_zh(), e.message_en()))?;
        }
        let command = OutboxCommand::Submit {
            id: Some(app.id.as_str().to_owned()),
            product_id: app.product_id.clone(),
            amount_fen: app.amount,
            months: app.months,
            industry: extras.industry,
            purpose: extras.purpose,
        };
        self.act(&signed, application_id, command, Uploads::After)
    }

    /// Withdraws an application (any state before the money is paid out).
    pub fn withdraw(
        &self,
        application_id: &str,
        reason: Option<String>,
    ) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Villager)?;
        let command = OutboxCommand::Withdraw {
            application_id: canonical(application_id)?,
            reason,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Accepts the bank's offer.
    pub fn accept_offer(&self, application_id: &str) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Villager)?;
        let command = OutboxCommand::AcceptOffer {
            application_id: canonical(application_id)?,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Tells the bank the requested documents are provided (their uploads were queued when
    /// they were captured, so they reach the platform first).
    pub fn provide_documents(&self, application_id: &str) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Villager)?;
        let command = OutboxCommand::ProvideDocuments {
            application_id: canonical(application_id)?,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Manager: records the first call (how it went, and the bank's own note).
    pub fn record_contact(
        &self,
        application_id: &str,
        outcome: ContactOutcome,
        note: Option<String>,
    ) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let command = OutboxCommand::LogContact {
            application_id: canonical(application_id)?,
            outcome,
            note: note.filter(|n| !n.trim().is_empty()),
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Manager: opens the file for review.
    pub fn start_review(&self, application_id: &str) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let command = OutboxCommand::StartReview {
            application_id: canonical(application_id)?,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Manager: asks the villager for documents.
    pub fn request_documents(
        &self,
        application_id: &str,
        kinds: Vec<DocumentKind>,
        note: String,
    ) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let command = OutboxCommand::RequestDocuments {
            application_id: canonical(application_id)?,
            kinds,
            note,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Manager: approves with an offer (amount in fen, term, annual rate in ppm).
    pub fn approve(
        &self,
        application_id: &str,
        amount_fen: i64,
        months: u32,
        annual_rate_ppm: i64,
    ) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let command = OutboxCommand::Approve {
            application_id: canonical(application_id)?,
            amount_fen,
            months,
            annual_rate_ppm,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Manager: rejects with a reason the villager reads.
    pub fn reject(&self, application_id: &str, reason: String) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let command = OutboxCommand::Reject {
            application_id: canonical(application_id)?,
            reason,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Manager: records the money paid out (fen).
    pub fn disburse(
        &self,
        application_id: &str,
        amount_fen: i64,
    ) -> Result<TimelineView, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let command = OutboxCommand::Disburse {
            application_id: canonical(application_id)?,
            amount_fen,
        };
        self.act(&signed, application_id, command, Uploads::None)
    }

    /// Decides `command` on the application as it stands in the store and writes its event
    /// and the outbox command in one transaction; then nudges the sync.
    fn act(
        &self,
        signed: &super::session::Signed,
        application_id: &str,
        command: OutboxCommand,
        uploads: Uploads,
    ) -> Result<TimelineView, AppError> {
        let Some(lifecycle) = command.lifecycle() else {
            return Err(AppError::internal("an upload is not a user action"));
        };
        let now = self.now();
        let app = self
            .store
            .write_with(|tx| -> Result<Application, AppError> {
                let mut app = applications::load_in(&self.store, tx, application_id)?;
                let before = app.last_seq;
                app.execute(&signed.actor, lifecycle, now)
                    .map_err(|e| lifecycle_error(&e))?;
                persist_in(&self.store, tx, &app, before, now, true)?;
                command.enqueue_in(&self.store, tx, now)?;
                if uploads == Uploads::After {
                    self.queue_uploads_in(tx, app.id.as_str(), now)?;
                    self.store.delete_draft_in(tx, app.id.as_str())?;
                }
                Ok(app)
            })?;
        tracing::info!(kind = command.kind(), "action queued in the outbox");
        self.notifier.notify(Topic::Applications);
        self.notifier.notify(Topic::Tasks);
        self.refresh_status();
        self.kick_sync();
        let catalog = self.catalog();
        Ok(applications::timeline_view(
            &catalog,
            &app,
            &self.policy,
            &self.tz,
            now,
            &Marks::read(&self.store)?,
            &applications::unconfirmed(&self.store, app.id.as_str())?,
        ))
    }

    /// Manager: the task is on screen. The first time for an application assigned to the
    /// signed-in manager that still waits for its first call, records the opening on this
    /// phone and queues `POST …/opened` in the same transaction (the platform's ladder then
    /// does not text the manager); answers whether it queued. Opening again queues nothing.
    pub fn task_opened(&self, application_id: &str) -> Result<bool, AppError> {
        let signed = self.signed_as(Role::Manager)?;
        let id = canonical(application_id)?;
        let app = applications::load(&self.store, &id)?;
        let mine = app.manager_id.as_deref() == Some(signed.actor.id.as_str());
        if !mine || !matches!(app.state, State::Submitted | State::Assigned) {
            return Ok(false);
        }
        let key = format!("{TASK_OPENED}{id}");
        let now = self.now();
        let queued = self.store.write_with(|tx| -> Result<bool, AppError> {
            let seen: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM meta WHERE key = ?1)",
                    [&key],
                    |r| r.get(0),
                )
                .map_err(crate::store::StoreError::from)?;
            if seen {
                return Ok(false);
            }
            self.store.set_meta_in(tx, &key, &now.to_string())?;
            OutboxCommand::OpenTask {
                application_id: id.clone(),
            }
            .enqueue_in(&self.store, tx, now)?;
            Ok(true)
        })?;
        if queued {
            tracing::info!("task opening queued in the outbox");
            self.refresh_status();
            self.kick_sync();
        }
        Ok(queued)
    }

    /// Queues an upload for every document of the application that is neither on the
    /// platform nor queued yet (inside the caller's transaction).
    pub(crate) fn queue_uploads_in(
        &self,
        tx: &Transaction<'_>,
        application_id: &str,
        now: jiff::Timestamp,
    ) -> Result<u32, AppError> {
        let queued: Vec<String> = self
            .store
            .outbox_in(tx)?
            .into_iter()
            .filter(|i| i.state != OutboxState::Done)
            .filter_map(
                |i| match OutboxCommand::from_row(&i.kind, &i.payload_json) {
                    Some(OutboxCommand::UploadDocument { document_id, .. }) => Some(document_id),
                    _ => None,
                },
            )
            .collect();
        let mut n = 0;
        for doc in self.store.documents_in(tx, Some(application_id))? {
            let id = doc.id.to_string();
            if doc.uploaded_at.is_some() || queued.contains(&id) {
                continue;
            }
            OutboxCommand::UploadDocument {
                application_id: application_id.to_owned(),
                document_id: id,
            }
            .enqueue_in(&self.store, tx, now)?;
            n += 1;
        }
        Ok(n)
    }
}

/// The `meta` key prefix recording that the manager opened a task on this phone (followed by
/// the application id; cleared with the rest of `meta` at sign-out).
const TASK_OPENED: &str = "task.opened.";

/// An application id in its stored form (lower-case hyphenated).
fn canonical(id: &str) -> Result<String, AppError> {
    ApplicationId::parse(id)
        .map(|i| i.as_str().to_owned())
        .map_err(|e| lifecycle_error(&e))
}

//! A villager's submission: product rules, routing to a manager of the product's bank in the
//! villager's town, the events and the projection in one transaction, the first push.
//! Must never write an application the lifecycle and the rules did not accept.

use super::idempotency::{Stored, prior_answer, store_answer};
use super::{announce, notice_for, view};
use super::{insert_event, lifecycle_error, save_projection};
use crate::accounts::User;
use crate::error::ApiError;
use crate::feed;
use crate::sql::{OptionalExtension, Tx, params};
use crate::state::AppState;
use huoshui_core::domain::lifecycle::{
    Actor, Application, ApplicationId, Command, LifecycleError, NewApplication, Role, State,
};
use huoshui_core::domain::rules::{self, ApplicantRecord, RuleRefusal, Terms};
use huoshui_core::wire::SubmitRequest;

/// A refusal by the product's rules: 422 with the code, the words and every reason.
pub fn rule_refusal(refusal: RuleRefusal) -> ApiError {
    let mut err =
        ApiError::unprocessable(refusal.code(), refusal.message_zh(), refusal.message_en());
    err.reasons = refusal.reasons().to_vec();
    err
}

/// Whether an application (anyone's) already has this id.
fn id_taken(conn: &Tx<'_>, id: &ApplicationId) -> Result<bool, ApiError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM applications WHERE id = ?1")?
        .query_row(params![id.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The least-loaded manager of `bank_id` who serves `town` (ties by id).
fn route(conn: &Tx<'_>, bank_id: &str, town: &str) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached(
            // From the few managers who serve the town to their users row (SQLite's CROSS JOIN
            // keeps that order: starting from `users` would scan every villager of the county).
            // The join's condition is in WHERE: PostgreSQL takes no ON after CROSS JOIN.
            "SELECT u.id FROM manager_towns t CROSS JOIN users u
             LEFT JOIN manager_load l ON l.manager_id = u.id
             WHERE u.id = t.manager_id AND u.role = 'manager' AND u.bank_id = ?1 AND t.town = ?2
             ORDER BY COALESCE(l.open, 0), u.id
             LIMIT 1",
        )?
        .query_row(params![bank_id, town], |r| r.get(0))
        .optional()?)
}

/// Submits an application idempotently: the first answer for (villager, key) is stored in the
/// same transaction as the application, and replayed for the same body; a different body
/// under the same key is refused with 422.
pub async fn submit(
    state: &AppState,
    user: &User,
    key: String,
    req: SubmitRequest,
) -> Result<Stored, ApiError> {
    if user.role != Role::Villager {
        return Err(lifecycle_error(LifecycleError::RoleCannot {
            state: State::Draft,
            action: huoshui_core::domain::lifecycle::Action::Create,
            role: user.role,
        }));
    }
    let chosen_id = match req.id.as_deref() {
        None => None,
        Some(text) => Some(ApplicationId::parse(text).map_err(|_| {
            ApiError::bad_request(
                "application_id_invalid",
                "申请编号应为 UUID（例如 0190a5c4-7b1e-7cc2-9d3f-2f4f0e6c1a55），请更新应用后重试",
                "the application id must be a UUID (e.g. 0190a5c4-7b1e-7cc2-9d3f-2f4f0e6c1a55); update the app and retry",
            )
        })?),
    };
    let request_hash = crate::keys::sha256_hex(&serde_json::to_vec(&req)?);
    let bank_id = state
        .dir
        .product(&req.product_id)
        .map(|p| p.bank_id.clone());
    // The product's rules, decided by the same function the phone runs, against the
    // villager's record (points and town as enrolled, never typed in).
    let verdict = rules::check_application(
        &state.dir.catalog,
        &Terms {
            product_id: &req.product_id,
            amount: req.amount_fen,
            months: req.months,
            industry: req.industry.as_deref(),
            purpose: req.purpose.as_deref(),
        },
        &ApplicantRecord {
            points: user.points,
            town: user.town.clone(),
            age: None,
        },
    )
    .map_err(rule_refusal);
    let town = user.town.clone().unwrap_or_default();
    let actor = user.actor();
    let user_id = user.id.clone();
    let now = state.clock.now();
    let policy = state.policy;
    let (stored, notices, new_task) = state
        .db
        .write(move |conn| {
            if let Some(stored) = prior_answer(conn, &user_id, &key, &request_hash)? {
                return Ok((stored, Vec::new(), None));
            }
            verdict?;
            let Some(bank_id) = bank_id else {
                return Err(rule_refusal(RuleRefusal::UnknownProduct { id: req.product_id }));
            };
            let id = match chosen_id {
                Some(id) => {
                    if id_taken(conn, &id)? {
                        return Err(ApiError::conflict(
                            "application_id_taken",
                            "这个申请编号已被占用，请重新创建申请草稿后再提交",
                            "this application id is already taken; create the draft again and submit it",
                        ));
                    }
                    id
                }
                None => ApplicationId::from_uuid(uuid::Uuid::now_v7()),
            };
            let request = NewApplication { product_id: req.product_id, amount: req.amount_fen, months: req.months, town };
            let (mut app, created) = Application::open(id.clone(), &actor, request, now).map_err(lifecycle_error)?;
            let mut events = vec![created];
            events.push(app.execute(&actor, Command::Submit, now).map_err(lifecycle_error)?);
            if let Some(manager_id) = route(conn, &bank_id, &app.town)? {
                let cmd = Command::Assign { manager_id, bank_id: bank_id.clone() };
                events.push(app.execute(&Actor::system(), cmd, now).map_err(lifecycle_error)?);
            }
            for e in &events {
                insert_event(conn, &id, e)?;
            }
            save_projection(conn, &app)?;
            if app.bank_id.is_none() {
                conn.execute("UPDATE applications SET bank_id = ?2 WHERE id = ?1", params![id.as_str(), bank_id])?;
            }
            let body = view(&app, Role::Villager, &policy, now, false);
            let stored = Stored { status: 201, body };
            store_answer(conn, &user_id, &key, &request_hash, &stored, now)?;
            let mut published = Vec::new();
            if let Some(e) = events.last() {
                published.push(feed::record(conn, &notice_for(&app, e, &[]), now.as_millisecond())?);
            }
            let new_task = crate::ladder::claim_new_task(conn, id.as_str(), app.manager_id.as_deref(), now.as_millisecond())?;
            Ok((stored, published, new_task))
        })
        .await?;
    announce(state, notices);
    crate::ladder::push_new_task(state, new_task);
    Ok(stored)
}

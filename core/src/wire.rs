//! The wire contract between the phones and the county platform: every JSON body of the `/v1`
//! API, request and answer, as one set of types that the server (`huoshui-server`) and the
//! phone's sync client ([`crate::sync`]) both use, so neither side hand-mirrors the other. The
//! OpenAPI document the server publishes is generated from these types (with the `openapi`
//! feature they derive `utoipa::ToSchema`).
//!
//! Names say what a type holds: `…Request` is what a client sends, `…View` what the platform
//! shows, `…Response` an answer that is neither. Money is integer fen (`…_fen`), rates parts
//! per million a year (`…_ppm`), times RFC 3339 UTC. Must never carry personal data a role may
//! not see: a villager's phone number travels only in [`VillagerContact`], which the platform
//! fills in for the assigned manager and administrators alone; a manager's work phone only in
//! [`ManagerContact`], for the villager who owns the application.

use crate::domain::credit::Reason;
use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::{
    ApprovedOffer, ContactOutcome, Event, Role, SlaView, State, TaskKind, Timeline,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The paths of the API, so that client and server spell them alike.
pub mod path {
    pub const HEALTH: &str = "/v1/health";
    pub const OPENAPI: &str = "/v1/openapi.json";
    pub const AUTH_CODE: &str = "/v1/auth/code";
    pub const AUTH_LOGIN: &str = "/v1/auth/login";
    pub const AUTH_LOGOUT: &str = "/v1/auth/logout";
    pub const ME: &str = "/v1/me";
    pub const CATALOG: &str = "/v1/catalog";
    pub const APPLICATIONS: &str = "/v1/applications";
    pub const EVENTS: &str = "/v1/events";
    pub const FEED: &str = "/v1/feed";
    pub const MANAGER_INBOX: &str = "/v1/manager/inbox";
    pub const DEVICES: &str = "/v1/devices";

    /// `/v1/applications/{id}`
    pub fn application(id: &str) -> String {
        format!("{APPLICATIONS}/{id}")
    }

    /// `/v1/applications/{id}/{action}` (e.g. `withdraw`, `contact`, `documents`).
    pub fn application_action(id: &str, action: &str) -> String {
        format!("{APPLICATIONS}/{id}/{action}")
    }

    /// `/v1/uploads/{upload}`
    pub fn upload(upload_id: &str) -> String {
        format!("/v1/uploads/{upload_id}")
    }

    /// `/v1/uploads/{upload}/chunks/{index}`
    pub fn upload_chunk(upload_id: &str, index: u32) -> String {
        format!("/v1/uploads/{upload_id}/chunks/{index}")
    }

    /// `/v1/uploads/{upload}/complete`
    pub fn upload_complete(upload_id: &str) -> String {
        format!("/v1/uploads/{upload_id}/complete")
    }

    /// `/v1/documents/{upload}/content`
    pub fn document_content(upload_id: &str) -> String {
        format!("/v1/documents/{upload_id}/content")
    }
}

/// Reads a whole number however JSON writes it (`30307` or `30307.0`: JSON has one kind of
/// number, and JSON Schema's `integer` admits both), refusing fractions and out-of-range values.
pub mod whole {
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;

    struct Whole;

    impl Visitor<'_> for Whole {
        type Value = i128;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<i128, E> {
            // Whole and within ±2^63: exactly representable as an integer.
            if v.fract() == 0.0 && v.abs() < 9.2e18 {
                #[allow(clippy::cast_possible_truncation)]
                Ok(v as i128)
            } else {
                Err(E::custom(format!("{v} is not a whole number")))
            }
        }
    }

    /// `#[serde(deserialize_with = "whole::number")]` for `u32`, `u64` or `i64` fields.
    pub fn number<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: TryFrom<i128>,
    {
        let v = d.deserialize_any(Whole)?;
        T::try_from(v).map_err(|_| D::Error::custom(format!("{v} is out of range")))
    }
}

/// The header that makes a command idempotent: the same key answers the first answer again.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

// ----- errors -----

/// Every error answer: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, in a stable code and in words that say what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `not_eligible`, `unauthorized`, `idempotency_key_reused`.
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
    /// For `not_eligible`: every product rule the application fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
}

// ----- health -----

/// `GET /v1/health`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// Always `ok` when the platform answers.
    pub status: String,
}

// ----- sign-in -----

/// `POST /v1/auth/code`: send a one-time login code to this phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A mainland mobile number: 11 digits starting with 1.
    #[cfg_attr(feature = "openapi", schema(pattern = "^1[0-9]{10}$"))]
    pub phone: String,
}

/// The answer to [`CodeRequest`] (the same whether or not the phone has an account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSentResponse {
    pub sent: bool,
    pub expires_in_seconds: i64,
}

/// `POST /v1/auth/login`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(pattern = "^1[0-9]{10}$"))]
    pub phone: String,
    /// The six-digit code.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub code: String,
}

/// A new session: the bearer token (shown once) and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub token: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    pub user: UserView,
}

/// A signed-in person as the platform records them (`GET /v1/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub role: Role,
    pub name: String,
    /// Masked, e.g. `138****0001`.
    pub phone: String,
    /// A villager's town (catalog town id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub town: Option<String>,
    /// A manager's bank (catalog bank id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<String>,
    /// The towns a manager serves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub towns: Vec<String>,
    /// A villager's virtue points on the county's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    /// The credit grade those points reach in the county's table (`AAA` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
}

// ----- applications -----

/// `POST /v1/applications` (with an `Idempotency-Key`): submit an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub product_id: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    #[serde(deserialize_with = "whole::number")]
    pub amount_fen: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 600))]
    #[serde(deserialize_with = "whole::number")]
    pub months: u32,
    /// The id the phone chose for its draft (a UUID), so both sides name the application
    /// alike; absent → the platform picks one. Taken by another submission → 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "uuid"))]
    pub id: Option<String>,
    /// The industry the loan is for (catalog industry id), checked against the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub industry: Option<String>,
    /// What the money is for (catalog purpose id), checked against the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub purpose: Option<String>,
}

/// The villager's name and full phone number: released by the platform only to the manager the
/// application is assigned to and to administrators; every release is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VillagerContact {
    pub name: String,
    /// The full number, for the call button (`tel:`).
    pub phone: String,
}

/// The assigned account manager's name and work phone: released by the platform only to the
/// villager who owns the application (staff contact data for the call button; never logged,
/// never in a push).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManagerContact {
    pub name: String,
    /// The work number, for the call button (`tel:`).
    pub phone: String,
}

/// An application as the platform shows it to one viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    pub id: String,
    pub state: State,
    pub state_zh: String,
    pub state_en: String,
    pub villager_id: String,
    pub product_id: String,
    pub bank_id: Option<String>,
    pub amount_fen: i64,
    pub months: u32,
    pub town: String,
    pub manager_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub submitted_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    pub offer: Option<ApprovedOffer>,
    pub disbursed_amount_fen: Option<i64>,
    pub rejection_reason: Option<String>,
    pub requested_documents: Vec<DocumentKind>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub escalated_at: Option<Timestamp>,
    pub sla: SlaView,
    /// The number of the last event: a client whose copy is behind fetches the detail.
    pub last_seq: u64,
    /// The villager to call (assigned manager and administrators only, detail view only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub villager: Option<VillagerContact>,
    /// The assigned manager to call (the application's villager only, detail view only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<ManagerContact>,
    /// The events, oldest first (detail view only). A villager does not see the bank's
    /// internal contact notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
    /// The events in plain Chinese and English with "what happens next" (detail view only),
    /// times in China Standard Time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
}

/// `GET /v1/applications`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationList {
    pub applications: Vec<ApplicationView>,
}

/// `POST …/{id}/withdraw`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub reason: Option<String>,
}

/// `POST …/{id}/contact`: the manager's call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// The bank's own note (not shown to the villager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
    /// How the call went (default `reached`).
    #[serde(default)]
    pub outcome: ContactOutcome,
}

/// `POST …/{id}/request-documents`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestDocumentsRequest {
    /// At least one kind.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub kinds: Vec<DocumentKind>,
    /// What the villager should know (shown in their timeline).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
}

/// `POST …/{id}/approve`: the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// At most the amount applied for.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    #[serde(deserialize_with = "whole::number")]
    pub amount_fen: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 600))]
    #[serde(deserialize_with = "whole::number")]
    pub months: u32,
    /// Annual rate, parts per million (1 % = 10,000).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    #[serde(deserialize_with = "whole::number")]
    pub annual_rate_ppm: i64,
}

/// `POST …/{id}/reject`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// The villager reads it.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

/// `POST …/{id}/disburse`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisburseRequest {
    /// At most the approved amount.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    #[serde(deserialize_with = "whole::number")]
    pub amount_fen: i64,
}

/// `POST …/{id}/repayments`: the bank received a repayment (the assigned manager or an
/// administrator records it; the platform splits it into interest and principal by the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RepaymentRequest {
    /// The day the money came in (a day in China): not before the payout, not after today.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: jiff::civil::Date,
    /// The amount received, fen.
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 10_000_000_000_000_i64)
    )]
    #[serde(deserialize_with = "whole::number")]
    pub amount_fen: i64,
}

/// `POST /v1/admin/applications/{id}/reassign`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReassignRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub manager_id: String,
}

/// `POST /v1/admin/applications/{id}/acknowledge`
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
}

// ----- documents -----

/// `POST /v1/applications/{id}/documents`: open a resumable upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartUploadRequest {
    pub kind: DocumentKind,
    /// Plaintext size in bytes.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 20971520))]
    #[serde(deserialize_with = "whole::number")]
    pub size: u64,
    /// SHA-256 of the plaintext, 64 hex digits.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{64}$"))]
    pub sha256: String,
}

/// Where an upload stands: which chunks the platform still needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadStatus {
    pub upload_id: String,
    pub application_id: String,
    pub kind: DocumentKind,
    pub size: u64,
    pub sha256: String,
    /// Every chunk but the last is exactly this long.
    pub chunk_size: u32,
    pub chunk_count: u32,
    /// Chunk indexes not yet received (empty once complete).
    pub missing_chunks: Vec<u32>,
    /// The SHA-256 was checked and the document is stored.
    pub complete: bool,
}

/// `GET /v1/applications/{id}/documents`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentList {
    pub documents: Vec<UploadStatus>,
}

// ----- the manager's inbox -----

/// One task of a manager, with its countdown at the platform's now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxTask {
    pub application_id: String,
    pub kind: TaskKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub deadline: Timestamp,
    /// Negative when late.
    pub seconds_left: i64,
    pub overdue: bool,
    pub countdown_zh: String,
    pub countdown_en: String,
    pub title_zh: String,
    pub title_en: String,
    pub product_id: String,
    pub town: String,
    pub amount_fen: i64,
    pub months: u32,
    pub escalated: bool,
    /// The application's last event number (fetch the detail when the phone's copy is behind).
    pub last_seq: u64,
    /// The villager to call.
    pub villager: Option<VillagerContact>,
}

/// `GET /v1/manager/inbox`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inbox {
    pub tasks: Vec<InboxTask>,
    /// Applications of the manager's bank in their towns that no one has yet.
    pub unassigned: Vec<ApplicationView>,
}

// ----- supervision -----

/// `GET /v1/admin/escalations`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationList {
    pub escalations: Vec<ApplicationView>,
}

/// Applications in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateCount {
    pub state: String,
    pub count: i64,
}

/// One bank's service figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BankFigures {
    pub bank_id: String,
    pub bank_name_zh: String,
    pub submitted: i64,
    pub contacted: i64,
    /// Average seconds from submission to first contact (contacted applications only).
    pub average_contact_seconds: Option<f64>,
    pub slowest_contact_seconds: Option<i64>,
    /// Applications whose first-contact deadline has passed or that were contacted.
    pub contact_due: i64,
    /// Of those, contacted by the deadline.
    pub contacted_in_time: i64,
    /// `contacted_in_time / contact_due` in per mille (absent when nothing is due yet).
    pub sla_compliance_permille: Option<i64>,
    pub escalations: i64,
}

/// `GET /v1/admin/figures`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub first_contact_minutes: u32,
    pub escalation_minutes: u32,
    pub total: i64,
    pub by_state: Vec<StateCount>,
    pub banks: Vec<BankFigures>,
}

// ----- the live stream -----

/// What a live message is about (the SSE `event:` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StreamTopic {
    /// The stream is open (first message).
    Ready,
    /// An application changed state.
    Application,
    /// Something for a manager to do (assigned, reassigned).
    Task,
    /// An escalation to the administrators.
    Escalation,
    /// Messages were missed: pull everything.
    Resync,
}

impl StreamTopic {
    /// The SSE event name.
    pub fn code(self) -> &'static str {
        match self {
            StreamTopic::Ready => "ready",
            StreamTopic::Application => "application",
            StreamTopic::Task => "task",
            StreamTopic::Escalation => "escalation",
            StreamTopic::Resync => "resync",
        }
    }

    /// The topic of an SSE event name.
    pub fn from_code(code: &str) -> Option<StreamTopic> {
        [
            StreamTopic::Ready,
            StreamTopic::Application,
            StreamTopic::Task,
            StreamTopic::Escalation,
            StreamTopic::Resync,
        ]
        .into_iter()
        .find(|t| t.code() == code)
    }
}

/// The data of one live message about an application (SSE `data:`; its `id:` is the position
/// in the viewer's feed, sent back as `Last-Event-ID` to resume). Ids and states only: never a
/// name, a phone number or an amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamMessage {
    pub topic: StreamTopic,
    pub application_id: String,
    /// The event that happened (`submitted`, `contacted`, …).
    pub event: String,
    pub seq: u64,
    /// The state after it.
    pub state: State,
}

/// One message of a user's feed with its position (the same messages the live stream sends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedItem {
    /// The position in this user's feed (the live stream's `id:`).
    pub id: u64,
    pub message: StreamMessage,
}

/// `GET /v1/feed?after=N`: what changed for this user since position `N` — the status cursor a
/// phone pulls by. Without `after`, no messages and `next` = where the feed stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedPage {
    /// Oldest first.
    pub messages: Vec<FeedItem>,
    /// The cursor to ask from next time.
    pub next: u64,
    /// More messages wait after this page: ask again from `next`.
    pub more: bool,
    /// Messages after `after` are no longer kept (older than a week): pull everything, then
    /// go on from `next`.
    pub reset: bool,
}

// ----- push devices -----

/// Whose push channel a device token belongs to (the phone maker's, Apple's or Google's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PushVendor {
    Apns,
    Huawei,
    Honor,
    Xiaomi,
    Oppo,
    Vivo,
    Fcm,
}

impl PushVendor {
    /// Every vendor, in a fixed order.
    pub const ALL: [PushVendor; 7] = [
        PushVendor::Apns,
        PushVendor::Huawei,
        PushVendor::Honor,
        PushVendor::Xiaomi,
        PushVendor::Oppo,
        PushVendor::Vivo,
        PushVendor::Fcm,
    ];

    /// The name on the wire and in the database.
    pub fn code(self) -> &'static str {
        match self {
            PushVendor::Apns => "apns",
            PushVendor::Huawei => "huawei",
            PushVendor::Honor => "honor",
            PushVendor::Xiaomi => "xiaomi",
            PushVendor::Oppo => "oppo",
            PushVendor::Vivo => "vivo",
            PushVendor::Fcm => "fcm",
        }
    }

    /// The vendor of a code.
    pub fn from_code(code: &str) -> Option<PushVendor> {
        PushVendor::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// Which face of the app registered the device: a villager's (status tickles) or a manager's
/// (task alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceApp {
    Villager,
    Manager,
}

impl DeviceApp {
    /// The name on the wire and in the database.
    pub fn code(self) -> &'static str {
        match self {
            DeviceApp::Villager => "villager",
            DeviceApp::Manager => "manager",
        }
    }

    /// The app of a code.
    pub fn from_code(code: &str) -> Option<DeviceApp> {
        match code {
            "villager" => Some(DeviceApp::Villager),
            "manager" => Some(DeviceApp::Manager),
            _ => None,
        }
    }
}

/// `POST /v1/devices` and `DELETE /v1/devices`: this phone's push token. Registering the same
/// token again replaces the earlier registration; signing out removes the session's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub vendor: PushVendor,
    /// The token the vendor's SDK gave the app (kept encrypted, never logged).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 4096, pattern = "^[!-~]+$")
    )]
    pub token: String,
    pub app: DeviceApp,
}

/// The answer to a registration: what the platform keeps (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    pub vendor: PushVendor,
    pub app: DeviceApp,
    /// How many devices this user has registered now.
    pub devices: u32,
}

#[cfg(test)]
mod tests;

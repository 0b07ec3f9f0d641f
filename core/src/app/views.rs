//! Screen-ready view models: what one screen of the phone app draws, already formatted.
//!
//! Owns the shapes and the formatting (money as `¥500,000.00` and `50万元`, rates as `4.35%`,
//! dates in Chinese). It must never decide a business rule: the numbers come from the domain.
//! With the `uniffi` feature these types cross the FFI as they are.

use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::{ContactOutcome, Role, State, TaskKind};
use crate::domain::market::SortKey;
use crate::domain::money::{Fen, format_wan, format_yuan};
use serde::{Deserialize, Serialize};

/// A credit grade of the county's virtue-points table, typed for the screens (the catalog
/// spells them `AAA`, `AA`, `A`, `B`, `C`; [`CreditGrade::code`] and [`CreditGrade::from_code`]
/// map between the two). The thresholds stay the catalog's: this names the grades, nothing more.
/// Serialized as the catalog's code (`"AAA"`), as the terminal shell's `--json` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum CreditGrade {
    #[serde(rename = "AAA")]
    Aaa,
    #[serde(rename = "AA")]
    Aa,
    #[serde(rename = "A")]
    A,
    #[serde(rename = "B")]
    B,
    #[serde(rename = "C")]
    C,
}

impl CreditGrade {
    /// Every grade, best first.
    pub const ALL: [CreditGrade; 5] = [
        CreditGrade::Aaa,
        CreditGrade::Aa,
        CreditGrade::A,
        CreditGrade::B,
        CreditGrade::C,
    ];

    /// The code the catalog's grade table uses (`AAA` …).
    pub fn code(self) -> &'static str {
        match self {
            CreditGrade::Aaa => "AAA",
            CreditGrade::Aa => "AA",
            CreditGrade::A => "A",
            CreditGrade::B => "B",
            CreditGrade::C => "C",
        }
    }

    /// The grade of a catalog code (case and surrounding spaces ignored); `None` for a code
    /// this enum does not name.
    pub fn from_code(code: &str) -> Option<CreditGrade> {
        let code = code.trim();
        CreditGrade::ALL
            .into_iter()
            .find(|g| g.code().eq_ignore_ascii_case(code))
    }
}

/// An amount in both display forms, with the exact fen for sorting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MoneyView {
    /// Exact amount in fen.
    pub fen: i64,
    /// `¥500,000.00`
    pub full: String,
    /// `50万元`
    pub short: String,
}

impl MoneyView {
    /// Both forms of `fen`.
    pub fn of(fen: Fen) -> MoneyView {
        MoneyView {
            fen,
            full: format_yuan(fen),
            short: format_wan(fen),
        }
    }
}

/// One line of a document checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChecklistItemView {
    pub kind: DocumentKind,
    pub name_zh: String,
    pub name_en: String,
    pub captured: u32,
    pub missing: bool,
}

/// What the villager asks the market for (the market screen's form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MarketInput {
    /// The amount wanted, fen.
    pub amount_fen: i64,
    /// The term wanted, months.
    pub months: u32,
    /// Industry id or name (`pear`, `酥梨`), optional.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub industry: Option<String>,
    /// Virtue points, if the villager knows them.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub points: Option<u32>,
    /// A grade already held, used when no points are given.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub grade: Option<CreditGrade>,
    /// Town id or name, optional.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub town: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub age: Option<u32>,
    /// The order of the offers; net cost when absent.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub sort: Option<SortKey>,
    /// Chinese name, pinyin (`suli`) or initials (`sld`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: Option<String>,
    /// Bank id or name.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub bank: Option<String>,
    /// Only offers the villager can have.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub eligible_only: bool,
    /// At most this many offers.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub limit: Option<u32>,
    /// The day the offers are for, `2026-11-28`; today in China when absent.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub as_of: Option<String>,
}

/// One offer as a market row or a detail header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OfferView {
    pub product_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub bank_zh: String,
    pub bank_en: String,
    pub eligible: bool,
    /// Why not (empty when eligible).
    pub reasons_zh: Vec<String>,
    pub reasons_en: Vec<String>,
    pub amount: MoneyView,
    pub months: u32,
    /// The most this villager can borrow on the product.
    pub max_amount: MoneyView,
    /// Contract rate, `3.45%` (empty when the rate is unavailable).
    pub rate_text: String,
    /// Annualized rate (IRR of the villager's cash flows) in ppm, 0 when not costed.
    pub apr_ppm: i64,
    /// `年化 3.51%`-style text without the word: `3.51%`.
    pub apr_text: String,
    /// Whether the cost below could be computed.
    pub costed: bool,
    pub first_payment: MoneyView,
    pub largest_payment: MoneyView,
    pub total_interest: MoneyView,
    pub fees: MoneyView,
    pub contract_cost: MoneyView,
    pub subsidies: MoneyView,
    pub net_cost: MoneyView,
    pub approval_zh: String,
    pub approval_en: String,
    pub badges_zh: Vec<String>,
    pub badges_en: Vec<String>,
}

/// One market page: the offers for one request, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MarketPageView {
    pub catalog_version: String,
    pub matched: u32,
    pub eligible: u32,
    /// The villager's grade, if rated.
    pub grade: Option<CreditGrade>,
    pub offers: Vec<OfferView>,
}

/// One row of a comparison: a label and one cell per offer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComparisonRowView {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub cells_zh: Vec<String>,
    pub cells_en: Vec<String>,
    /// The column with the best value, when the row has one.
    pub best: Option<u32>,
}

/// Two to four offers side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComparisonView {
    pub product_ids: Vec<String>,
    pub names_zh: Vec<String>,
    pub rows: Vec<ComparisonRowView>,
}

/// One line of a repayment schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ScheduleRowView {
    pub n: u32,
    pub due_month: u32,
    pub principal: MoneyView,
    pub interest: MoneyView,
    pub payment: MoneyView,
    pub balance: MoneyView,
}

/// A product in full, for the detail screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ProductDetailView {
    pub offer: OfferView,
    pub summary_zh: String,
    pub summary_en: String,
    pub rate_rule_zh: String,
    pub rate_rule_en: String,
    pub repayment_zh: String,
    pub repayment_en: String,
    /// The documents the bank needs.
    pub documents: Vec<ChecklistItemView>,
    pub schedule: Vec<ScheduleRowView>,
}

/// The plain loan calculator's form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CalculatorInput {
    /// `equal-installment`, `equal-principal`, `interest-first`, `bullet`.
    pub method: String,
    /// As typed: `500000`, `500,000.00`.
    pub amount_yuan: String,
    /// As typed: `4.35` (percent a year).
    pub rate_percent: String,
    pub months: u32,
    /// Interest-only months first (0: none).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub grace_months: u32,
    /// `month` (default), `quarter`, `year`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub every: Option<String>,
}

/// The calculator's result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CalculatorView {
    pub rows: Vec<ScheduleRowView>,
    pub total_interest: MoneyView,
    pub total_paid: MoneyView,
    pub first_payment: MoneyView,
    pub largest_payment: MoneyView,
    pub apr_ppm: i64,
    pub apr_text: String,
}

/// What a grade reaches on one grade-based product.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GradeProductView {
    pub product_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub min_grade: Option<CreditGrade>,
    pub unlocked: bool,
    pub max_amount: MoneyView,
    pub rate_discount_text: String,
}

/// What virtue points mean.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GradeScreenView {
    pub points: u32,
    pub table_version: String,
    pub grade: Option<CreditGrade>,
    pub next_grade: Option<CreditGrade>,
    pub points_to_next: Option<u32>,
    /// `AAA级 · 再积 0 分` style line, ready to show.
    pub headline_zh: String,
    pub headline_en: String,
    pub products: Vec<GradeProductView>,
}

/// What a villager fills in to start an application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DraftInput {
    pub product_id: String,
    pub amount_fen: i64,
    pub months: u32,
    /// Town id or name; empty: the signed-in villager's town on record.
    pub town: String,
    /// The industry the loan is for (catalog id or name), if the villager says.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub industry: Option<String>,
    /// What the money is for (catalog purpose id), if the villager says.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub purpose: Option<String>,
}

/// One application in the villager's list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApplicationView {
    pub id: String,
    pub product_id: String,
    pub product_name_zh: String,
    pub amount: MoneyView,
    pub months: u32,
    pub state: State,
    pub state_zh: String,
    pub state_en: String,
    /// `11月28日 09:05`
    pub updated_zh: String,
    /// Whether the platform has everything the phone did to it.
    pub sync_mark: SyncMark,
    /// `待发送` / `waiting to be sent` (empty when confirmed).
    pub sync_zh: String,
    pub sync_en: String,
    /// The platform's words when it refused something done to this application.
    pub attention_zh: Option<String>,
    pub attention_en: Option<String>,
}

/// Whether the platform has what the phone did to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncMark {
    /// A draft: kept on this phone only, the platform has not seen it.
    Draft,
    /// The platform has it all.
    Confirmed,
    /// Something is in the outbox, to be sent when online.
    Waiting,
    /// The platform refused something: the user must look.
    NeedsAttention,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TimelineEntryView {
    pub seq: u64,
    pub when_zh: String,
    pub when_en: String,
    pub title_zh: String,
    pub title_en: String,
    pub detail_zh: Option<String>,
    pub detail_en: Option<String>,
    /// The platform has confirmed it (false: done on this phone, waiting to be sent).
    pub confirmed: bool,
}

/// An application's timeline, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TimelineView {
    pub application: ApplicationView,
    pub next_zh: String,
    pub next_en: String,
    pub entries: Vec<TimelineEntryView>,
}

/// One task in an account manager's inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TaskView {
    pub application_id: String,
    pub kind: TaskKind,
    pub title_zh: String,
    pub title_en: String,
    pub countdown_zh: String,
    pub countdown_en: String,
    pub seconds_left: i64,
    pub overdue: bool,
    pub escalated: bool,
    pub amount: MoneyView,
    pub months: u32,
    pub product_name_zh: String,
    /// The villager to call (released by the platform to the assigned manager only).
    pub villager_name: Option<String>,
    pub villager_phone: Option<String>,
    /// `tel:13800000001`, for the call button.
    pub call_uri: Option<String>,
}

/// A task's countdown at one moment, worded as the inbox shows it (the inbox ticks it every
/// second from the task's `seconds_left` without reloading the tasks).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CountdownView {
    pub seconds_left: i64,
    pub overdue: bool,
    /// `还剩 4分59秒` / `已超时 1分00秒`
    pub text_zh: String,
    /// `4m 59s left` / `1m 00s late`
    pub text_en: String,
}

/// A captured document (metadata only: the bytes stay encrypted in the vault).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DocumentView {
    pub id: String,
    pub kind: DocumentKind,
    pub kind_zh: String,
    pub kind_en: String,
    /// `jpeg`, `png`, `heic`, `pdf`.
    pub media: String,
    pub size_bytes: u64,
    /// SHA-256 of the (metadata-stripped) plaintext, travels with the upload.
    pub sha256: String,
    pub application_id: Option<String>,
    pub captured_zh: String,
    /// The platform has the whole document (its SHA-256 checked).
    pub uploaded: bool,
}

/// Who is signed in on this phone, as the platform records them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SessionView {
    pub user_id: String,
    pub role: Role,
    pub name: String,
    /// Masked: `138****0001`.
    pub phone: String,
    /// A villager's town.
    pub town_id: Option<String>,
    pub town_zh: Option<String>,
    /// A manager's bank.
    pub bank_id: Option<String>,
    pub bank_zh: Option<String>,
    /// The towns a manager serves, in Chinese.
    pub towns_zh: Vec<String>,
    /// A villager's virtue points on the county's record.
    pub points: Option<u32>,
    /// The grade those points reach.
    pub grade: Option<CreditGrade>,
    /// The platform no longer accepts this sign-in: sign in again (nothing queued is lost).
    pub needs_sign_in: bool,
}

/// Where syncing with the platform stands (the banner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SyncState {
    /// Everything is sent and up to date.
    Idle,
    /// A sync is running.
    Syncing,
    /// The platform could not be reached; what waits is sent when the phone is online.
    Offline,
    /// The sign-in expired or was revoked: sign in again (the outbox is kept).
    SignInAgain,
    /// The platform refused something: the user must look (the platform's words are given).
    NeedsAttention,
}

/// The sync banner: the state, what waits, and what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncStatusView {
    pub state: SyncState,
    /// Commands waiting to be sent.
    pub pending: u32,
    /// Of those, the ones that failed at least once and are being retried (the platform could
    /// not be reached or could not take them yet).
    pub retrying: u32,
    /// Commands the platform refused, waiting for the user.
    pub wedged: u32,
    pub message_zh: String,
    pub message_en: String,
    /// When the phone last heard from the platform (`11月28日 09:05`).
    pub last_synced_zh: Option<String>,
}

/// Something the platform refused, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AttentionView {
    pub application_id: Option<String>,
    /// What the user did: `提交申请` / `submitting the application`.
    pub action_zh: String,
    pub action_en: String,
    /// The platform's stable code (e.g. `not_eligible`).
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncReportView {
    /// Commands the platform acknowledged.
    pub sent: u32,
    /// Events that were new on this phone.
    pub received: u32,
    /// Commands still waiting.
    pub pending: u32,
    /// Everything the platform refused, in its words.
    pub wedged: Vec<AttentionView>,
    pub catalog_updated: bool,
    /// Whether this sync reached the platform at all.
    pub reached_platform: bool,
    pub status: SyncStatusView,
}

/// One way a manager's call can go, for the contact form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContactOutcomeView {
    pub outcome: ContactOutcome,
    pub name_zh: String,
    pub name_en: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_credit_grade_maps_to_the_catalog_code_and_back() {
        for g in CreditGrade::ALL {
            assert_eq!(CreditGrade::from_code(g.code()), Some(g));
        }
        assert_eq!(CreditGrade::from_code(" aaa "), Some(CreditGrade::Aaa));
        assert_eq!(CreditGrade::from_code("AAAA"), None);
        for g in CreditGrade::ALL {
            assert_eq!(
                serde_json::to_value(g).unwrap(),
                serde_json::Value::from(g.code())
            );
        }
        let catalog = crate::domain::catalog::Catalog::embedded().unwrap();
        let codes: Vec<&str> = catalog
            .data()
            .grade_table
            .grades
            .iter()
            .map(|g| g.code.as_str())
            .collect();
        let ours: Vec<&str> = CreditGrade::ALL.iter().map(|g| g.code()).collect();
        assert_eq!(
            codes, ours,
            "the county's grade table and the enum name the same grades"
        );
    }

    #[test]
    fn money_is_shown_in_full_and_in_wan() {
        let m = MoneyView::of(50_000_000);
        assert_eq!(
            (m.fen, m.full.as_str(), m.short.as_str()),
            (50_000_000, "¥500,000.00", "50万元")
        );
    }
}

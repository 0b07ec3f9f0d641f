//! Screen models: one per screen of the villager's and the manager's apps, what to show
//! (already worded, Chinese first, amounts also in 万元), which inputs are valid (with the
//! reason in Chinese and English when not), what each action does and where it leads ([`Nav`]).
//!
//! Kotlin and Swift draw these records and forward the user's events, so one screen behaves
//! the same on both phones and its logic is tested here once. The models are plain records of
//! strings, numbers and enums (the phone library's size budget: no generics per screen).
//! This module must never decide a business rule (costs, eligibility, transitions come from
//! [`crate::domain`] through the facade) and never hold state between calls: the shells keep
//! what the user typed and pass it in again.

pub mod apply;
pub mod manager;
pub mod market;
pub mod settings;

use crate::domain::lifecycle::Role;
use crate::domain::money::{Fen, format_percent, format_wan, format_yuan, parse_yuan};

/// Where an action leads: the shells map each target to their own navigation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Nav {
    SignIn,
    Market,
    Product {
        product_id: String,
    },
    Compare {
        product_ids: Vec<String>,
    },
    Calculator,
    Grade,
    Apply {
        product_id: String,
    },
    Checklist {
        application_id: String,
    },
    Loans,
    Timeline {
        application_id: String,
    },
    Inbox,
    Task {
        application_id: String,
    },
    Settings,
    /// Back to where the user came from.
    Back,
}

/// The first screen of a role once signed in.
pub fn home_for(role: Role) -> Nav {
    match role {
        Role::Villager => Nav::Market,
        Role::Manager => Nav::Inbox,
        Role::Administrator | Role::System => Nav::Settings,
    }
}

/// Why an input is not accepted, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Problem {
    pub zh: String,
    pub en: String,
}

impl Problem {
    pub(crate) fn new(zh: impl Into<String>, en: impl Into<String>) -> Problem {
        Problem {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// One choice of a chip row, a segmented control or a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OptionView {
    /// What the shell passes back when the user picks it.
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub selected: bool,
}

impl OptionView {
    pub(crate) fn new(code: &str, zh: &str, en: &str, selected: bool) -> OptionView {
        OptionView {
            code: code.to_owned(),
            label_zh: zh.to_owned(),
            label_en: en.to_owned(),
            selected,
        }
    }
}

/// A label and its value, ready to show (`年化利率` / `3.51%`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LineView {
    pub label_zh: String,
    pub label_en: String,
    pub value: String,
}

pub(crate) fn line(zh: &str, en: &str, value: impl Into<String>) -> LineView {
    LineView {
        label_zh: zh.to_owned(),
        label_en: en.to_owned(),
        value: value.into(),
    }
}

/// What the user can do on a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ScreenAction {
    OpenChecklist,
    DiscardDraft,
    Withdraw,
    AcceptOffer,
    Call,
    RecordContact,
    StartReview,
    RequestDocuments,
    Approve,
    Reject,
    Disburse,
}

/// A button of a screen: what it does, its words, and where it leads once done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActionButton {
    pub action: ScreenAction,
    pub label_zh: String,
    pub label_en: String,
    pub next: Nav,
}

pub(crate) fn button(action: ScreenAction, zh: &str, en: &str, next: Nav) -> ActionButton {
    ActionButton {
        action,
        label_zh: zh.to_owned(),
        label_en: en.to_owned(),
        next,
    }
}

/// `¥500,000.00（50万元）`: the exact amount with the short form a villager reads at a glance.
pub fn money_both(fen: Fen) -> String {
    format!("{}（{}）", format_yuan(fen), format_wan(fen))
}

/// `50万元 · 60个月`.
pub fn amount_and_term(fen: Fen, months: u32) -> String {
    format!("{} · {months}个月", format_wan(fen))
}

/// `年化利率 3.51%` (the label a Chinese lender must show), empty when not computed.
pub fn apr_zh(ppm: i64) -> String {
    if ppm <= 0 {
        String::new()
    } else {
        format!("年化利率 {}", format_percent(ppm))
    }
}

/// `2026年11月29日`.
pub fn date_zh(date: jiff::civil::Date) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// The most a form accepts (1 亿元), so a slip of the finger is caught on the phone.
const MAX_AMOUNT_FEN: Fen = 10_000_000_000;

/// An amount as the villager types it: `500000`, `500,000.00`, `50万`, `1.5万元`.
pub fn parse_amount(text: &str) -> Result<Fen, Problem> {
    let t = text.trim().trim_end_matches('元').trim();
    if t.is_empty() {
        return Err(Problem::new("请输入金额", "enter an amount"));
    }
    let fen = match t.strip_suffix('万') {
        Some(wan) => parse_yuan(wan.trim()).and_then(|f| f.checked_mul(10_000)),
        None => parse_yuan(t),
    };
    match fen {
        Some(f) if f > 0 && f <= MAX_AMOUNT_FEN => Ok(f),
        Some(f) if f > MAX_AMOUNT_FEN => Err(Problem::new(
            "金额太大，请核对（最多 1 亿元）",
            "the amount is too large (at most 100,000,000 yuan)",
        )),
        Some(_) => Err(Problem::new("金额要大于 0", "the amount must be above 0")),
        None => Err(Problem::new(
            format!("金额格式不对：{t}，例如 50万 或 500000"),
            format!("bad amount {t}: e.g. 50万 or 500000"),
        )),
    }
}

/// A term in months as typed (1 to 360).
pub fn parse_months(text: &str) -> Result<u32, Problem> {
    let t = text
        .trim()
        .trim_end_matches("个月")
        .trim_end_matches('月')
        .trim();
    if t.is_empty() {
        return Err(Problem::new("请输入期限（月）", "enter the term in months"));
    }
    match t.parse::<u32>() {
        Ok(m) if (1..=360).contains(&m) => Ok(m),
        _ => Err(Problem::new(
            format!("期限不对：{t}，请填 1 到 360 个月"),
            format!("bad term {t}: 1 to 360 months"),
        )),
    }
}

/// A mainland mobile number: 11 digits starting with 1 (spaces and dashes ignored).
pub fn check_phone(text: &str) -> Result<String, Problem> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.is_empty() {
        return Err(Problem::new("请输入手机号", "enter your phone number"));
    }
    if digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(Problem::new(
            "手机号应为 1 开头的 11 位数字",
            "a phone number has 11 digits and starts with 1",
        ))
    }
}

/// The one-time code: 6 digits.
pub fn check_code(text: &str) -> Result<String, Problem> {
    let t = text.trim();
    if t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()) {
        Ok(t.to_owned())
    } else {
        Err(Problem::new(
            "请输入短信里的 6 位验证码",
            "enter the 6-digit code from the text message",
        ))
    }
}

pub(crate) fn problem_of<T>(r: &Result<T, Problem>) -> Option<Problem> {
    r.as_ref().err().cloned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn amounts_are_read_in_yuan_and_in_wan() {
        assert_eq!(parse_amount("500000"), Ok(50_000_000));
        assert_eq!(parse_amount("500,000.00"), Ok(50_000_000));
        assert_eq!(parse_amount("50万"), Ok(50_000_000));
        assert_eq!(parse_amount(" 1.5万元 "), Ok(1_500_000));
        assert_eq!(parse_amount("8000元"), Ok(800_000));
        assert!(parse_amount("").unwrap_err().zh.contains("请输入金额"));
        assert!(parse_amount("五十万").unwrap_err().zh.contains("格式不对"));
        assert!(parse_amount("0").unwrap_err().zh.contains("大于 0"));
        assert!(parse_amount("2亿").is_err());
        assert!(parse_amount("20000万").unwrap_err().zh.contains("太大"));
    }

    #[test]
    fn a_term_is_one_to_360_months() {
        assert_eq!(parse_months("36"), Ok(36));
        assert_eq!(parse_months("60个月"), Ok(60));
        assert!(parse_months("0").is_err());
        assert!(parse_months("361").unwrap_err().en.contains("1 to 360"));
        assert!(parse_months("").unwrap_err().zh.contains("请输入期限"));
    }

    #[test]
    fn a_phone_number_has_eleven_digits_from_one_and_a_code_six() {
        assert_eq!(check_phone("138 0000 0001").unwrap(), "13800000001");
        assert!(check_phone("2380000000").is_err());
        assert!(check_phone("1380000000x").is_err());
        assert!(check_phone("").unwrap_err().zh.contains("请输入手机号"));
        assert_eq!(check_code(" 123456 ").unwrap(), "123456");
        assert!(check_code("12345").is_err());
        assert!(check_code("12345a").is_err());
    }

    #[test]
    fn amounts_show_the_exact_yuan_and_the_wan_on_one_line() {
        assert_eq!(money_both(50_000_000), "¥500,000.00（50万元）");
        assert_eq!(amount_and_term(150_000_000, 36), "150万元 · 36个月");
        assert_eq!(apr_zh(35_100), "年化利率 3.51%");
        assert_eq!(apr_zh(0), "");
        let d: jiff::civil::Date = "2026-11-29".parse().unwrap();
        assert_eq!(date_zh(d), "2026年11月29日");
    }

    #[test]
    fn screen_text_holds_no_layout_so_any_font_scale_can_wrap_it() {
        // The shells wrap and scale the text; the core never pads or breaks lines for a size.
        for s in [
            money_both(123_456_789),
            amount_and_term(1, 1),
            apr_zh(45_000),
            parse_amount("x").unwrap_err().zh,
        ] {
            assert!(!s.contains('\n') && !s.contains("  "), "{s:?}");
        }
    }

    #[test]
    fn each_role_lands_on_its_own_home_screen() {
        assert_eq!(home_for(Role::Villager), Nav::Market);
        assert_eq!(home_for(Role::Manager), Nav::Inbox);
        assert_eq!(home_for(Role::Administrator), Nav::Settings);
    }
}

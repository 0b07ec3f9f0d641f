//! The villager's own screens as models: sign-in, apply (with the 征信授权 consent), the
//! document checklist, my loans and one loan's timeline.
//!
//! Owns the forms' validation, the consent's wording and which buttons a state offers. The
//! draft, the submission and every transition are the facade's actions, decided by the domain.

use super::{
    ActionButton, Nav, OptionView, Problem, ScreenAction, amount_and_term, button, check_code,
    check_phone, date_zh, home_for, money_both, parse_amount, parse_months, problem_of,
};
use crate::app::views::{
    ApplicationView, DraftInput, MarketInput, SessionView, SyncMark, TimelineView,
};
use crate::app::{AppCore, AppError};
use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::State;

/// Where the sign-in screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SignInStage {
    Phone,
    Code,
    SignedIn,
}

/// The sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SignInScreen {
    pub stage: SignInStage,
    pub title_zh: String,
    pub hint_zh: String,
    pub phone_problem: Option<Problem>,
    pub code_problem: Option<Problem>,
    /// The main button's words and whether it may be pressed.
    pub button_zh: String,
    pub button_enabled: bool,
    pub session: Option<SessionView>,
    /// Where to go once signed in (the role's home).
    pub next: Option<Nav>,
}

/// The apply form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApplyForm {
    pub product_id: String,
    pub amount_text: String,
    pub months_text: String,
    /// A catalog purpose id.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub purpose: Option<String>,
    /// The villager agreed to the credit check (征信授权).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub consent: bool,
}

/// The apply screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApplyScreen {
    pub product_name_zh: String,
    pub bank_zh: String,
    /// `可贷 1万元 – 50万元`, `期限 6 – 60 个月`.
    pub range_zh: String,
    pub amount_problem: Option<Problem>,
    pub months_problem: Option<Problem>,
    pub purposes: Vec<OptionView>,
    pub purpose_problem: Option<Problem>,
    /// What the amount and term cost on this product (`月供 …`), when they are valid.
    pub preview_zh: String,
    /// Why this villager cannot have it (the product's rules), empty when they can.
    pub why_not_zh: String,
    pub consent_title_zh: String,
    pub consent_text_zh: String,
    pub consent_problem: Option<Problem>,
    /// Nobody is signed in: sign in first.
    pub sign_in_first: bool,
    pub can_submit: bool,
}

/// A draft made from the apply form, and where to go next (its checklist).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ApplyDone {
    pub application: ApplicationView,
    pub next: Nav,
}

/// One line of the document checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChecklistLine {
    pub kind: DocumentKind,
    pub name_zh: String,
    pub name_en: String,
    /// `待拍摄` / `已拍 1 张` / `已上传`
    pub status_zh: String,
    /// `拍照` or `重拍`
    pub action_zh: String,
    pub done: bool,
    /// The documents captured for it (a retake deletes them, then captures again).
    pub document_ids: Vec<String>,
}

/// The document checklist of one application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ChecklistScreen {
    pub application: ApplicationView,
    pub lines: Vec<ChecklistLine>,
    pub done: u32,
    pub total: u32,
    /// `已拍 2 / 3 项`
    pub progress_zh: String,
    /// Documents may still be added or retaken.
    pub editable: bool,
    /// `提交申请` / `材料已补齐，通知银行`
    pub submit_zh: String,
    pub can_submit: bool,
    pub submit_problem: Option<Problem>,
}

/// One line of "my loans".
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LoanRow {
    pub application: ApplicationView,
    /// `50万元 · 36个月`
    pub amount_zh: String,
    pub open: Nav,
}

/// My loans.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LoansScreen {
    pub rows: Vec<LoanRow>,
    pub empty_zh: Option<String>,
}

/// One loan's timeline with the manager and what the villager can do now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TimelineScreen {
    pub view: TimelineView,
    /// `客户经理 张三` once the platform named the assigned manager, else `等待银行分配客户经理`.
    pub manager_zh: String,
    /// `tel:…`, the assigned manager's work phone (the platform gives it to the application's
    /// villager only).
    pub call_uri: Option<String>,
    pub call_note_zh: String,
    pub actions: Vec<ActionButton>,
}

fn consent_text(bank_zh: &str, product_zh: &str) -> String {
    format!(
        "本人同意{bank_zh}为办理本人申请的{product_zh}，以及贷款发放后的管理，\
         向中国人民银行征信中心金融信用信息基础数据库查询本人的信用报告，\
         并按规定报送本人的信用信息。本授权自本人勾选同意之日起，至该笔贷款全部结清之日止有效。\
         本人已阅读并理解以上内容。"
    )
}

impl AppCore {
    /// The sign-in screen for what is typed so far (`code_sent`: a code was asked for).
    pub fn sign_in_screen(
        &self,
        phone: &str,
        code: &str,
        code_sent: bool,
    ) -> Result<SignInScreen, AppError> {
        if let Some(s) = self.session()?.filter(|s| !s.needs_sign_in) {
            return Ok(SignInScreen {
                stage: SignInStage::SignedIn,
                title_zh: format!("{}，您好", s.name),
                hint_zh: format!("已登录 {}", s.phone),
                phone_problem: None,
                code_problem: None,
                button_zh: "进入".to_owned(),
                button_enabled: true,
                next: Some(home_for(s.role)),
                session: Some(s),
            });
        }
        let phone_check = check_phone(phone);
        let shown = |typed: &str, p: Option<Problem>| p.filter(|_| !typed.trim().is_empty());
        if !code_sent {
            return Ok(SignInScreen {
                stage: SignInStage::Phone,
                title_zh: "手机号登录".to_owned(),
                hint_zh: "输入手机号，我们会发送 6 位验证码".to_owned(),
                button_enabled: phone_check.is_ok(),
                phone_problem: shown(phone, problem_of(&phone_check)),
                code_problem: None,
                button_zh: "获取验证码".to_owned(),
                session: None,
                next: None,
            });
        }
        let code_check = check_code(code);
        Ok(SignInScreen {
            stage: SignInStage::Code,
            title_zh: "输入验证码".to_owned(),
            hint_zh: format!("验证码已发送到 {}", phone.trim()),
            button_enabled: phone_check.is_ok() && code_check.is_ok(),
            phone_problem: problem_of(&phone_check),
            code_problem: shown(code, problem_of(&code_check)),
            button_zh: "登录".to_owned(),
            session: None,
            next: None,
        })
    }

    /// The apply screen for the form.
    pub fn apply_screen(&self, form: &ApplyForm) -> Result<ApplyScreen, AppError> {
        let catalog = self.catalog();
        let product = catalog
            .product(&form.product_id)
            .ok_or_else(|| AppError::not_found("贷款产品", "loan product", &form.product_id))?;
        let amount = parse_amount(&form.amount_text);
        let months = parse_months(&form.months_text);
        let purposes: Vec<OptionView> = catalog
            .data()
            .purposes
            .iter()
            .filter(|p| product.purposes.is_empty() || product.purposes.contains(&p.id))
            .map(|p| {
                OptionView::new(
                    &p.id,
                    &p.name_zh,
                    &p.name_en,
                    form.purpose.as_deref() == Some(&p.id),
                )
            })
            .collect();
        let purpose_problem = match &form.purpose {
            Some(p) if purposes.iter().any(|o| &o.code == p) => None,
            _ => Some(Problem::new(
                "请选择贷款用途",
                "choose what the loan is for",
            )),
        };
        let bank_zh = catalog.bank_name_zh(&product.bank).to_owned();
        let mut screen = ApplyScreen {
            product_name_zh: product.name_zh.clone(),
            range_zh: format!(
                "可贷 {} – {}，期限 {} – {} 个月",
                crate::domain::money::format_wan(product.amount_min_fen),
                crate::domain::money::format_wan(product.amount_max_fen),
                product.months_min,
                product.months_max
            ),
            amount_problem: problem_of(&amount),
            months_problem: problem_of(&months),
            purposes,
            purpose_problem,
            preview_zh: String::new(),
            why_not_zh: String::new(),
            consent_title_zh: "个人征信查询授权书".to_owned(),
            consent_text_zh: consent_text(&bank_zh, &product.name_zh),
            consent_problem: (!form.consent).then(|| {
                Problem::new(
                    "请阅读并同意征信授权，银行才能审批",
                    "read and agree to the credit check so the bank can decide",
                )
            }),
            sign_in_first: self.session()?.is_none_or(|s| s.needs_sign_in),
            can_submit: false,
            bank_zh,
        };
        if let (Ok(amount_fen), Ok(months)) = (amount, months) {
            let input = MarketInput {
                amount_fen,
                months,
                ..MarketInput::default()
            };
            match self.product_detail(&input, &form.product_id) {
                Ok(d) => {
                    let o = &d.offer;
                    if o.costed {
                        screen.preview_zh = format!(
                            "首期还款 {} · 年化利率 {} · 申请日期 {}",
                            money_both(o.first_payment.fen),
                            o.apr_text,
                            date_zh(self.today())
                        );
                    }
                    screen.why_not_zh = o.reasons_zh.join("；");
                }
                Err(e) => screen.amount_problem = Some(Problem::new(e.message_zh, e.message_en)),
            }
        }
        screen.can_submit = screen.amount_problem.is_none()
            && screen.months_problem.is_none()
            && screen.purpose_problem.is_none()
            && screen.consent_problem.is_none()
            && screen.why_not_zh.is_empty()
            && !screen.sign_in_first;
        Ok(screen)
    }

    /// Makes the draft of the apply form (checked again here) and leads to its checklist.
    pub fn apply(&self, form: &ApplyForm) -> Result<ApplyDone, AppError> {
        let screen = self.apply_screen(form)?;
        if screen.sign_in_first {
            return Err(AppError::sign_in());
        }
        let first = [
            screen.amount_problem,
            screen.months_problem,
            screen.purpose_problem,
            screen.consent_problem,
        ]
        .into_iter()
        .flatten()
        .next();
        if let Some(p) = first {
            return Err(AppError::invalid(p.zh, p.en));
        }
        if !screen.why_not_zh.is_empty() {
            return Err(AppError::invalid(
                format!("暂时不能申请：{}", screen.why_not_zh),
                "the product's rules do not allow this application yet",
            ));
        }
        let application = self.create_draft(&DraftInput {
            product_id: form.product_id.clone(),
            amount_fen: parse_amount(&form.amount_text).unwrap_or_default(),
            months: parse_months(&form.months_text).unwrap_or_default(),
            town: String::new(),
            industry: None,
            purpose: form.purpose.clone(),
        })?;
        Ok(ApplyDone {
            next: Nav::Checklist {
                application_id: application.id.clone(),
            },
            application,
        })
    }

    /// The checklist of an application: each required document, what is captured and uploaded.
    pub fn checklist_screen(&self, application_id: &str) -> Result<ChecklistScreen, AppError> {
        let application = self
            .applications()?
            .into_iter()
            .find(|a| a.id == application_id)
            .ok_or_else(|| AppError::not_found("申请", "application", application_id))?;
        let docs = self.documents(Some(application_id))?;
        let editable = matches!(
            application.state,
            State::Draft | State::DocumentsRequested | State::Submitted | State::Assigned
        );
        let lines: Vec<ChecklistLine> = self
            .checklist(application_id)?
            .into_iter()
            .map(|item| {
                let mine: Vec<_> = docs.iter().filter(|d| d.kind == item.kind).collect();
                let uploaded = !mine.is_empty() && mine.iter().all(|d| d.uploaded);
                let status_zh = if mine.is_empty() {
                    "待拍摄".to_owned()
                } else if uploaded {
                    "已上传".to_owned()
                } else {
                    format!("已拍 {} 张", mine.len())
                };
                ChecklistLine {
                    kind: item.kind,
                    name_zh: item.name_zh,
                    name_en: item.name_en,
                    status_zh,
                    action_zh: if mine.is_empty() { "拍照" } else { "重拍" }.to_owned(),
                    done: !item.missing,
                    document_ids: mine.iter().map(|d| d.id.clone()).collect(),
                }
            })
            .collect();
        let total = u32::try_from(lines.len()).unwrap_or(u32::MAX);
        let done = u32::try_from(lines.iter().filter(|l| l.done).count()).unwrap_or(u32::MAX);
        let submittable = matches!(application.state, State::Draft | State::DocumentsRequested);
        let submit_problem = if !submittable {
            Some(Problem::new(
                format!("申请{}，不用再提交", application.state_zh),
                format!(
                    "the application is {}: nothing to submit",
                    application.state_en
                ),
            ))
        } else if done < total {
            Some(Problem::new(
                format!("还差 {} 项材料", total - done),
                format!("{} documents still missing", total - done),
            ))
        } else {
            None
        };
        Ok(ChecklistScreen {
            submit_zh: if application.state == State::DocumentsRequested {
                "材料已补齐，通知银行"
            } else {
                "提交申请"
            }
            .to_owned(),
            progress_zh: format!("已拍 {done} / {total} 项"),
            can_submit: submit_problem.is_none(),
            submit_problem,
            editable,
            done,
            total,
            lines,
            application,
        })
    }

    /// The checklist's main button: submits the draft, or tells the bank the requested
    /// documents are there; leads to the timeline.
    pub fn checklist_submit(&self, application_id: &str) -> Result<Nav, AppError> {
        let screen = self.checklist_screen(application_id)?;
        if let Some(p) = screen.submit_problem {
            return Err(AppError::invalid(p.zh, p.en));
        }
        if screen.application.state == State::DocumentsRequested {
            self.provide_documents(application_id)?;
        } else {
            self.submit(application_id)?;
        }
        Ok(Nav::Timeline {
            application_id: application_id.to_owned(),
        })
    }

    /// My loans, most recently changed first.
    pub fn loans_screen(&self) -> Result<LoansScreen, AppError> {
        let rows: Vec<LoanRow> = self
            .applications()?
            .into_iter()
            .map(|a| LoanRow {
                amount_zh: amount_and_term(a.amount.fen, a.months),
                open: if a.sync_mark == SyncMark::Draft {
                    Nav::Checklist {
                        application_id: a.id.clone(),
                    }
                } else {
                    Nav::Timeline {
                        application_id: a.id.clone(),
                    }
                },
                application: a,
            })
            .collect();
        Ok(LoansScreen {
            empty_zh: rows
                .is_empty()
                .then(|| "还没有贷款申请。去“贷款超市”挑一款吧".to_owned()),
            rows,
        })
    }

    /// One loan's timeline, with the manager and the villager's buttons for its state.
    pub fn timeline_screen(&self, application_id: &str) -> Result<TimelineScreen, AppError> {
        let view = self.timeline(application_id)?;
        let app = crate::app::applications::load(&self.store, application_id)?;
        let contact = crate::app::applications::summary(&self.store, application_id)?
            .filter(|s| s.manager_id == app.manager_id)
            .and_then(|s| s.manager);
        let manager_zh = match (&app.manager_id, &contact) {
            (Some(_), Some(c)) => format!("客户经理 {}", c.name),
            (Some(_), None) => "已分配客户经理".to_owned(),
            (None, _) if app.state == State::Draft => "提交后由银行分配客户经理".to_owned(),
            (None, _) => "等待银行分配客户经理".to_owned(),
        };
        let call_uri = contact.map(|c| format!("tel:{}", c.phone));
        let id = application_id.to_owned();
        let mut actions = Vec::new();
        let here = Nav::Timeline {
            application_id: id.clone(),
        };
        let checklist = Nav::Checklist {
            application_id: id.clone(),
        };
        match app.state {
            State::Draft => {
                actions.push(button(
                    ScreenAction::OpenChecklist,
                    "补充材料并提交",
                    "Add documents and submit",
                    checklist,
                ));
                actions.push(button(
                    ScreenAction::DiscardDraft,
                    "删除草稿",
                    "Discard draft",
                    Nav::Loans,
                ));
            }
            State::DocumentsRequested => actions.push(button(
                ScreenAction::OpenChecklist,
                "补充银行要的材料",
                "Provide the documents asked for",
                checklist,
            )),
            State::Approved => actions.push(button(
                ScreenAction::AcceptOffer,
                "接受银行的批复",
                "Accept the bank's offer",
                here.clone(),
            )),
            _ => {}
        }
        if app.state.can_withdraw() && app.state != State::Draft {
            actions.push(button(ScreenAction::Withdraw, "撤回申请", "Withdraw", here));
        }
        Ok(TimelineScreen {
            view,
            call_uri,
            call_note_zh: if app.manager_id.is_some() {
                "客户经理会打电话给您，请留意来电".to_owned()
            } else {
                String::new()
            },
            manager_zh,
            actions,
        })
    }
}

//! The villager's market screens as models: the market (form, sort, filter chips, offer
//! cards), a product's detail, the comparison of 2 to 4, the calculator and the grade.
//!
//! Owns the forms' validation and the cards' wording. Costs, eligibility and ranking come from
//! the facade's market views ([`crate::app::market`]) and the domain; nothing is computed here.

use super::{
    LineView, Nav, OptionView, Problem, amount_and_term, apr_zh, line, money_both, parse_amount,
    parse_months, problem_of,
};
use crate::app::market::{market_error, offer_view, request_from};
use crate::app::views::{
    CalculatorInput, CalculatorView, ComparisonView, GradeScreenView, MarketInput, OfferView,
    ProductDetailView,
};
use crate::app::{AppCore, AppError};
use crate::domain::catalog::{Badge, Catalog, FrequencyRule};
use crate::domain::market::{self, MarketFilter, MarketQuery, SortKey};
use crate::domain::money::parse_percent;

/// The market form as the villager left it (the shell keeps it and passes it in again).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MarketForm {
    /// As typed: `50万`, `500000`.
    pub amount_text: String,
    /// As typed: `36`.
    pub months_text: String,
    pub sort: SortKey,
    /// Chip codes (industry id, bank id, badge code); `None`: all.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub industry: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub bank: Option<String>,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub badge: Option<String>,
    /// Chinese, pinyin (`suli`) or initials (`sld`).
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub search: String,
}

/// One offer card of the market.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OfferCard {
    pub product_id: String,
    pub name_zh: String,
    pub bank_zh: String,
    pub eligible: bool,
    /// `50万元 · 36个月`
    pub amount_zh: String,
    /// `月供` / `每季还款` / `到期还款`
    pub payment_label_zh: String,
    /// `¥4,410.00（4,410元）`, with `最高 …` when later payments are larger.
    pub payment_zh: String,
    /// `净成本 ¥…（…万元）`
    pub net_cost_zh: String,
    /// `年化利率 3.51%`
    pub apr_zh: String,
    /// Why not (empty when eligible).
    pub why_not_zh: String,
    pub why_not_en: String,
    pub badges_zh: Vec<String>,
    pub approval_zh: String,
    pub open: Nav,
}

/// The market screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MarketScreen {
    pub amount_problem: Option<Problem>,
    pub months_problem: Option<Problem>,
    /// What the typed amount reads as: `= ¥500,000.00（50万元）`.
    pub amount_echo_zh: String,
    pub sorts: Vec<OptionView>,
    pub industries: Vec<OptionView>,
    pub banks: Vec<OptionView>,
    pub badges: Vec<OptionView>,
    /// `共 12 款，您可申请 8 款`
    pub summary_zh: String,
    pub summary_en: String,
    pub cards: Vec<OfferCard>,
    /// Shown instead of the cards when there are none.
    pub empty_zh: Option<String>,
}

/// The product detail screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ProductScreen {
    pub detail: ProductDetailView,
    /// The cost at a glance: amount, term, rates, interest, fees, subsidy, net cost, approval.
    pub facts: Vec<LineView>,
    pub why_not_zh: String,
    pub apply: Nav,
    pub compare: Nav,
}

/// The comparison screen (2 to 4 products, rows aligned: one cell per product in each row).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CompareScreen {
    pub problem: Option<Problem>,
    pub view: Option<ComparisonView>,
}

/// The calculator's form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CalculatorForm {
    /// `equal-installment`, `equal-principal`, `interest-first`, `bullet`.
    pub method: String,
    pub amount_text: String,
    pub rate_text: String,
    pub months_text: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub grace_text: String,
}

/// The calculator screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CalculatorScreen {
    pub methods: Vec<OptionView>,
    pub amount_problem: Option<Problem>,
    pub rate_problem: Option<Problem>,
    pub months_problem: Option<Problem>,
    pub result: Option<CalculatorView>,
    pub facts: Vec<LineView>,
}

/// The grade screen: the signed-in villager's points on record, or points tried out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct GradeScreen {
    pub view: Option<GradeScreenView>,
    /// The points are the county's record (not typed in).
    pub from_record: bool,
    pub note_zh: String,
    pub note_en: String,
}

const METHODS: [(&str, &str, &str); 4] = [
    ("equal-installment", "等额本息", "Equal installments"),
    ("equal-principal", "等额本金", "Equal principal"),
    ("interest-first", "先息后本", "Interest first"),
    ("bullet", "到期一次还本付息", "All at maturity"),
];

fn sort_options(selected: SortKey) -> Vec<OptionView> {
    [
        (SortKey::NetCost, "net_cost", "成本最低", "Lowest cost"),
        (SortKey::Payment, "payment", "月供最少", "Lowest payment"),
        (SortKey::Amount, "amount", "额度最高", "Highest amount"),
        (SortKey::Speed, "speed", "审批最快", "Fastest approval"),
    ]
    .iter()
    .map(|(k, code, zh, en)| OptionView::new(code, zh, en, *k == selected))
    .collect()
}

fn chips(catalog: &Catalog, form: &MarketForm) -> [Vec<OptionView>; 3] {
    let products = catalog.products();
    let picked = |sel: &Option<String>, code: &str| sel.as_deref() == Some(code);
    let industries = catalog
        .data()
        .industries
        .iter()
        .filter(|i| products.iter().any(|p| p.industries.contains(&i.id)))
        .map(|i| OptionView::new(&i.id, &i.name_zh, &i.name_en, picked(&form.industry, &i.id)))
        .collect();
    let banks = catalog
        .data()
        .banks
        .iter()
        .filter(|b| products.iter().any(|p| p.bank == b.id))
        .map(|b| OptionView::new(&b.id, &b.name_zh, &b.name_en, picked(&form.bank, &b.id)))
        .collect();
    let badges = Badge::ALL
        .iter()
        .filter(|b| (0..products.len()).any(|i| catalog.badges_at(i).contains(b)))
        .map(|b| {
            let code = b.code();
            OptionView::new(code, b.name_zh(), b.name_en(), picked(&form.badge, code))
        })
        .collect();
    [industries, banks, badges]
}

fn payment_label(catalog: &Catalog, product_id: &str) -> &'static str {
    match catalog.product(product_id).map(|p| p.repayment.frequency) {
        Some(FrequencyRule::Monthly) => "月供",
        Some(FrequencyRule::Quarterly) => "每季还款",
        Some(FrequencyRule::Yearly) => "每年还款",
        Some(FrequencyRule::AtMaturity) => "到期还款",
        None => "每期还款",
    }
}

/// The card of one offer.
pub(crate) fn card(catalog: &Catalog, o: &OfferView) -> OfferCard {
    let mut payment_zh = money_both(o.first_payment.fen);
    if o.largest_payment.fen > o.first_payment.fen {
        payment_zh.push_str(&format!("，最高 {}", o.largest_payment.short));
    }
    OfferCard {
        product_id: o.product_id.clone(),
        name_zh: o.name_zh.clone(),
        bank_zh: o.bank_zh.clone(),
        eligible: o.eligible,
        amount_zh: amount_and_term(o.amount.fen, o.months),
        payment_label_zh: payment_label(catalog, &o.product_id).to_owned(),
        payment_zh: if o.costed { payment_zh } else { String::new() },
        net_cost_zh: if o.costed {
            format!("净成本 {}", money_both(o.net_cost.fen))
        } else {
            String::new()
        },
        apr_zh: apr_zh(o.apr_ppm),
        why_not_zh: o.reasons_zh.join("；"),
        why_not_en: o.reasons_en.join("; "),
        badges_zh: o.badges_zh.clone(),
        approval_zh: o.approval_zh.clone(),
        open: Nav::Product {
            product_id: o.product_id.clone(),
        },
    }
}

/// The market form as the facade's market input (amount and term checked).
pub(crate) fn market_input(form: &MarketForm) -> Result<MarketInput, Problem> {
    let amount_fen = parse_amount(&form.amount_text)?;
    let months = parse_months(&form.months_text)?;
    Ok(MarketInput {
        amount_fen,
        months,
        industry: form.industry.clone(),
        sort: Some(form.sort),
        ..MarketInput::default()
    })
}

impl AppCore {
    /// The market screen for the form.
    pub fn market_screen(&self, form: &MarketForm) -> Result<MarketScreen, AppError> {
        let catalog = self.catalog();
        let amount = parse_amount(&form.amount_text);
        let months = parse_months(&form.months_text);
        let [industries, banks, badges] = chips(&catalog, form);
        let mut screen = MarketScreen {
            amount_problem: problem_of(&amount),
            months_problem: problem_of(&months),
            amount_echo_zh: amount
                .as_ref()
                .map(|f| format!("= {}", money_both(*f)))
                .unwrap_or_default(),
            sorts: sort_options(form.sort),
            industries,
            banks,
            badges,
            summary_zh: String::new(),
            summary_en: String::new(),
            cards: Vec::new(),
            empty_zh: None,
        };
        let Ok(input) = market_input(form) else {
            screen.empty_zh = Some("请先填好金额和期限".to_owned());
            return Ok(screen);
        };
        let input = self.market_input(&input);
        let req = request_from(&catalog, &input, self.today())?;
        let query = MarketQuery {
            filter: MarketFilter {
                industry: req.industry.clone(),
                bank: form.bank.clone().filter(|b| !b.is_empty()),
                collateral: None,
                badge: form.badge.as_deref().and_then(Badge::parse),
                search: Some(form.search.trim().to_owned()).filter(|s| !s.is_empty()),
                eligible_only: false,
            },
            sort: form.sort,
            limit: None,
        };
        let page = market::rank(&catalog, &req, &query).map_err(|e| market_error(&e))?;
        screen.summary_zh = format!("共 {} 款，您可申请 {} 款", page.matched, page.eligible);
        screen.summary_en = format!("{} products, {} open to you", page.matched, page.eligible);
        screen.cards = page
            .offers
            .iter()
            .map(|o| card(&catalog, &offer_view(&catalog, o)))
            .collect();
        if screen.cards.is_empty() {
            screen.empty_zh = Some("没有符合条件的贷款，换个筛选试试".to_owned());
        }
        Ok(screen)
    }

    /// A product's detail for the market form's amount and term (its default terms when the
    /// form is not filled in).
    pub fn product_screen(
        &self,
        form: &MarketForm,
        product_id: &str,
    ) -> Result<ProductScreen, AppError> {
        let input = market_input(form).unwrap_or_default();
        let detail = self.product_detail(&input, product_id)?;
        let o = &detail.offer;
        let mut facts = vec![
            line("贷款金额", "Amount", money_both(o.amount.fen)),
            line("期限", "Term", format!("{}个月", o.months)),
            line("合同利率", "Contract rate", o.rate_text.clone()),
            line("年化利率", "Annualized rate (APR)", o.apr_text.clone()),
            line("总利息", "Total interest", money_both(o.total_interest.fen)),
            line("手续费", "Fees", money_both(o.fees.fen)),
            line("政府补贴", "Subsidies", money_both(o.subsidies.fen)),
            line("合同成本", "Contract cost", money_both(o.contract_cost.fen)),
            line(
                "按时还款预计净成本",
                "Expected net cost if repaid on time",
                money_both(o.net_cost.fen),
            ),
            line("还款方式", "Repayment", detail.repayment_zh.clone()),
            line("审批时间", "Approval", o.approval_zh.clone()),
        ];
        facts.retain(|f| !f.value.is_empty());
        Ok(ProductScreen {
            why_not_zh: o.reasons_zh.join("；"),
            apply: Nav::Apply {
                product_id: o.product_id.clone(),
            },
            compare: Nav::Compare {
                product_ids: vec![o.product_id.clone()],
            },
            facts,
            detail,
        })
    }

    /// The comparison of 2 to 4 products for the market form.
    pub fn compare_screen(
        &self,
        form: &MarketForm,
        product_ids: &[String],
    ) -> Result<CompareScreen, AppError> {
        let mut ids: Vec<String> = Vec::new();
        for id in product_ids {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        if !(2..=4).contains(&ids.len()) {
            return Ok(CompareScreen {
                problem: Some(Problem::new(
                    format!("请选 2 到 4 款贷款来对比（已选 {} 款）", ids.len()),
                    format!("pick 2 to 4 loans to compare ({} picked)", ids.len()),
                )),
                view: None,
            });
        }
        let input = match market_input(form) {
            Ok(i) => i,
            Err(p) => {
                return Ok(CompareScreen {
                    problem: Some(p),
                    view: None,
                });
            }
        };
        Ok(CompareScreen {
            problem: None,
            view: Some(self.compare(&input, &ids)?),
        })
    }

    /// The calculator for the form: each field's problem, or the schedule.
    pub fn calculator_screen(&self, form: &CalculatorForm) -> Result<CalculatorScreen, AppError> {
        let amount = parse_amount(&form.amount_text);
        let months = parse_months(&form.months_text);
        let rate = match parse_percent(&form.rate_text) {
            Some(r) if r > 0 && r <= 360_000 => Ok(r),
            _ => Err(Problem::new(
                format!("年利率不对：{}，例如 4.35", form.rate_text.trim()),
                format!("bad annual rate {}: e.g. 4.35", form.rate_text.trim()),
            )),
        };
        let method = if METHODS.iter().any(|m| m.0 == form.method) {
            form.method.as_str()
        } else {
            METHODS[0].0
        };
        let mut screen = CalculatorScreen {
            methods: METHODS
                .iter()
                .map(|(c, zh, en)| OptionView::new(c, zh, en, *c == method))
                .collect(),
            amount_problem: problem_of(&amount),
            rate_problem: problem_of(&rate),
            months_problem: problem_of(&months),
            result: None,
            facts: Vec::new(),
        };
        let (Ok(fen), Ok(months), Ok(_)) = (amount, months, &rate) else {
            return Ok(screen);
        };
        let grace = form.grace_text.trim().parse::<u32>().unwrap_or(0);
        let view = self.calculate(&CalculatorInput {
            method: method.to_owned(),
            amount_yuan: format!("{}.{:02}", fen / 100, fen % 100),
            rate_percent: form.rate_text.trim().to_owned(),
            months,
            grace_months: grace,
            every: None,
        })?;
        screen.facts = vec![
            line(
                "首期还款",
                "First payment",
                money_both(view.first_payment.fen),
            ),
            line(
                "最高一期",
                "Largest payment",
                money_both(view.largest_payment.fen),
            ),
            line(
                "总利息",
                "Total interest",
                money_both(view.total_interest.fen),
            ),
            line("还款总额", "Total repaid", money_both(view.total_paid.fen)),
            line("年化利率", "Annualized rate (APR)", view.apr_text.clone()),
        ];
        screen.result = Some(view);
        Ok(screen)
    }

    /// The grade screen: `points` tried out, or (`None`) the signed-in villager's on record.
    pub fn grade_screen(&self, points: Option<u32>) -> Result<GradeScreen, AppError> {
        let recorded = self.session()?.and_then(|s| s.points);
        let (points, from_record) = match (points, recorded) {
            (Some(p), _) => (p, false),
            (None, Some(p)) => (p, true),
            (None, None) => {
                return Ok(GradeScreen {
                    view: None,
                    from_record: false,
                    note_zh: "登录后显示您在县里记录的美德积分；也可以输入积分试算".to_owned(),
                    note_en: "Sign in to see your virtue points on the county's record, or type points to try".to_owned(),
                });
            }
        };
        let (note_zh, note_en) = if from_record {
            ("积分来自县里的记录", "points from the county's record")
        } else {
            ("试算：按您输入的积分", "trying out the points you typed")
        };
        Ok(GradeScreen {
            view: Some(self.grade(points)),
            from_record,
            note_zh: note_zh.to_owned(),
            note_en: note_en.to_owned(),
        })
    }
}

//! `huoshui market | compare | product | grade`: the loan market from the embedded catalog.
//! Owns parsing these commands' arguments and printing their tables or JSON; must never
//! compute a figure or decide eligibility itself (every number and every reason comes from
//! `huoshui_core::domain::{market, credit, cost}`), and needs no data folder or network.

use super::Context;
use crate::error::CliError;
use crate::output;
use huoshui_core::domain::catalog::{Badge, Catalog, Collateral};
use huoshui_core::domain::cost::DrawingPattern;
use huoshui_core::domain::credit::CreditInput;
use huoshui_core::domain::market::{
    self, MarketError, MarketFilter, MarketQuery, MarketRequest, Offer, ProductDetail, SortKey,
    describe_hours, describe_repayment,
};
use huoshui_core::domain::money::{Fen, format_percent, format_wan, format_yuan, parse_yuan};
use jiff::civil::Date;
use serde::Serialize;

/// Who is asking: credit, town, age, and the day the offers are for.
#[derive(Debug, Clone, clap::Args)]
pub struct ApplicantArgs {
    /// Virtue points (美德积分), e.g. 1052.
    #[arg(long, conflicts_with = "grade")]
    pub points: Option<u32>,
    /// A credit grade already held (信用等级), e.g. AAA.
    #[arg(long)]
    pub grade: Option<String>,
    /// Town or street where you live (乡镇，名称或编号), e.g. 贾镇 or jiazhen.
    #[arg(long)]
    pub town: Option<String>,
    /// Your age in years (年龄).
    #[arg(long)]
    pub age: Option<u32>,
    /// Your industry (产业，名称或编号), e.g. 酥梨种植 or pear; the market then lists only the
    /// products open to it.
    #[arg(long)]
    pub industry: Option<String>,
    /// What the money is for (用途，名称或编号), e.g. 大棚建设 or greenhouse.
    #[arg(long)]
    pub purpose: Option<String>,
    /// The day the offers are for, YYYY-MM-DD (picks the LPR in force); default today in China.
    #[arg(long)]
    pub date: Option<String>,
    /// For revolving lines (随借随还): days the whole amount is drawn; default the whole term.
    #[arg(long)]
    pub draw_days: Option<u32>,
}

/// 贷款超市: every product's offer for one request.
#[derive(Debug, clap::Args)]
pub struct MarketArgs {
    /// Amount in yuan (贷款金额，元), e.g. 500000.
    #[arg(long)]
    pub amount: String,
    /// Term in months (期限，月).
    #[arg(long)]
    pub months: u32,
    #[command(flatten)]
    pub who: ApplicantArgs,
    /// Only this bank (银行，名称或编号), e.g. 润昌 or runchang.
    #[arg(long)]
    pub bank: Option<String>,
    /// Only this collateral: credit | guarantee | pledge | mortgage (or 信用/质押 …).
    #[arg(long)]
    pub collateral: Option<String>,
    /// Only products with this badge, e.g. 贴息, 免担保, 随借随还, interest_subsidy.
    #[arg(long)]
    pub badge: Option<String>,
    /// Search by Chinese name or pinyin, e.g. suli, sulidai, sld, 酥梨.
    #[arg(long)]
    pub search: Option<String>,
    /// Order: cost (net cost, default) | payment | amount | speed.
    #[arg(long, default_value = "cost")]
    pub sort: String,
    /// Show at most this many offers.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Show only the offers you can have.
    #[arg(long)]
    pub eligible_only: bool,
}

/// 对比: two to four offers side by side.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Two to four product ids (产品编号), as listed by `huoshui market`.
    #[arg(required = true, num_args = 1..)]
    pub ids: Vec<String>,
    /// Amount in yuan (贷款金额，元).
    #[arg(long)]
    pub amount: String,
    /// Term in months (期限，月).
    #[arg(long)]
    pub months: u32,
    #[command(flatten)]
    pub who: ApplicantArgs,
}

/// 产品详情: one product with its repayment schedule.
#[derive(Debug, clap::Args)]
pub struct ProductArgs {
    /// Product id (产品编号).
    pub id: String,
    /// Amount in yuan (default 100,000 or the nearest the product allows).
    #[arg(long)]
    pub amount: Option<String>,
    /// Term in months (default 12 or the nearest the product allows).
    #[arg(long)]
    pub months: Option<u32>,
    #[command(flatten)]
    pub who: ApplicantArgs,
}

/// 信用等级: the grade that virtue points reach.
#[derive(Debug, clap::Args)]
pub struct GradeArgs {
    /// Virtue points (美德积分), e.g. 1052.
    #[arg(long)]
    pub points: u32,
}

fn catalog() -> Result<Catalog, CliError> {
    Catalog::embedded().map_err(|e| CliError::failed("catalog", e.message_zh(), e.message_en()))
}

fn market_error(e: MarketError) -> CliError {
    CliError::input(e.message_zh(), e.message_en())
}

fn parse_amount(text: &str) -> Result<Fen, CliError> {
    match parse_yuan(text) {
        Some(f) if f > 0 => Ok(f),
        _ => Err(CliError::input(
            format!("金额「{text}」看不懂，请写元，例如 500000 或 500,000.00"),
            format!("cannot read the amount \"{text}\"; write yuan, e.g. 500000 or 500,000.00"),
        )),
    }
}

fn today_in_china() -> Date {
    huoshui_core::domain::china::date(jiff::Timestamp::now())
}

fn build_request(
    catalog: &Catalog,
    amount: Fen,
    months: u32,
    who: &ApplicantArgs,
) -> Result<MarketRequest, CliError> {
    let as_of = match &who.date {
        Some(d) => d.trim().parse::<Date>().map_err(|_| {
            CliError::input(
                format!("日期「{d}」看不懂，请写成 2026-11-28"),
                format!("cannot read the date \"{d}\"; write it as 2026-11-28"),
            )
        })?,
        None => today_in_china(),
    };
    let mut req = MarketRequest::new(amount, months, as_of);
    req.credit = match (&who.points, &who.grade) {
        (Some(p), _) => CreditInput::Points(*p),
        (None, Some(g)) => CreditInput::Grade(g.clone()),
        (None, None) => CreditInput::Unknown,
    };
    if let Some(t) = &who.town {
        let town = catalog.find_town(t).ok_or_else(|| {
            let names: Vec<&str> = catalog
                .data()
                .towns
                .iter()
                .map(|x| x.name_zh.as_str())
                .collect();
            CliError::input(
                format!("没有「{t}」这个乡镇，可选：{}", names.join("、")),
                format!(
                    "there is no town \"{t}\" in {}",
                    catalog.data().county.name_en
                ),
            )
        })?;
        req.town = Some(town.id.clone());
    }
    if let Some(i) = &who.industry {
        let ind = catalog.find_industry(i).ok_or_else(|| {
            unknown_choice(
                i,
                "产业",
                "industry",
                catalog
                    .data()
                    .industries
                    .iter()
                    .map(|x| (x.name_zh.as_str(), x.id.as_str())),
            )
        })?;
        req.industry = Some(ind.id.clone());
    }
    if let Some(p) = &who.purpose {
        let pur = catalog.find_purpose(p).ok_or_else(|| {
            unknown_choice(
                p,
                "用途",
                "purpose",
                catalog
                    .data()
                    .purposes
                    .iter()
                    .map(|x| (x.name_zh.as_str(), x.id.as_str())),
            )
        })?;
        req.purpose = Some(pur.id.clone());
    }
    req.age = who.age;
    req.drawing = who
        .draw_days
        .map(|days| DrawingPattern::WholeForDays { days });
    Ok(req)
}

/// An offer with the names a reader needs, for `--json`.
#[derive(Debug, Serialize)]
struct OfferJson<'a> {
    name_zh: &'a str,
    name_en: &'a str,
    bank_name_zh: &'a str,
    #[serde(flatten)]
    offer: &'a Offer,
}

#[derive(Debug, Serialize)]
struct MarketJson<'a> {
    request: &'a MarketRequest,
    catalog_version: &'a str,
    catalog_hash: &'a str,
    grade: Option<&'a str>,
    matched: usize,
    eligible: usize,
    offers: Vec<OfferJson<'a>>,
}

fn credit_words(req: &MarketRequest, grade: Option<&str>) -> String {
    match (&req.credit, grade) {
        (CreditInput::Points(p), Some(g)) => format!("{g} 级（{p} 分）"),
        (CreditInput::Points(p), None) => format!("未评级（{p} 分）"),
        (_, Some(g)) => format!("{g} 级"),
        _ => "未提供信用等级".to_owned(),
    }
}

fn payment_words(o: &Offer) -> String {
    match &o.cost {
        Some(c) if c.first_payment == c.largest_payment => format_yuan(c.first_payment),
        Some(c) => format!(
            "{}\n最高 {}",
            format_yuan(c.first_payment),
            format_yuan(c.largest_payment)
        ),
        None => "—".to_owned(),
    }
}

/// `huoshui market`.
pub fn market(ctx: &Context, args: MarketArgs) -> Result<(), CliError> {
    let catalog = catalog()?;
    let amount = parse_amount(&args.amount)?;
    let req = build_request(&catalog, amount, args.months, &args.who)?;
    let query = market_query(&catalog, &args, req.industry.clone())?;
    let sort = query.sort;
    let page = market::rank(&catalog, &req, &query).map_err(market_error)?;
    let grade = page.standing.grade.as_deref();
    if ctx.json {
        let offers = page
            .offers
            .iter()
            .filter_map(|o| {
                let p = catalog.product(&o.product_id)?;
                Some(OfferJson {
                    name_zh: &p.name_zh,
                    name_en: &p.name_en,
                    bank_name_zh: catalog.bank_name_zh(&p.bank),
                    offer: o,
                })
            })
            .collect();
        return output::print_json(&MarketJson {
            request: &req,
            catalog_version: catalog.version(),
            catalog_hash: catalog.content_hash(),
            grade,
            matched: page.matched,
            eligible: page.eligible,
            offers,
        });
    }
    println!(
        "贷款超市 · {}：{}，{} 个月，{}，{}（{}）",
        catalog.data().county.name_zh,
        format_wan(req.amount),
        req.months,
        credit_words(&req, grade),
        req.town
            .as_deref()
            .map_or("全县", |t| catalog.town_name_zh(t)),
        req.as_of,
    );
    println!(
        "共 {} 个产品，其中 {} 个可以申请；按{}排序。",
        page.matched,
        page.eligible,
        sort_words(sort)
    );
    if page.offers.is_empty() {
        println!("没有符合条件的产品，请放宽筛选条件。");
        return Ok(());
    }
    print_offers(&catalog, &page.offers);
    println!(
        "净成本 = 利息 + 费用 − 按时还款可得的补贴；年化利率按您的实际现金流计算（IRR）。详情：huoshui product 编号"
    );
    Ok(())
}

/// The filters, order and page size of `huoshui market`, checked against the catalog.
fn market_query(
    catalog: &Catalog,
    args: &MarketArgs,
    industry: Option<String>,
) -> Result<MarketQuery, CliError> {
    let sort = SortKey::parse(&args.sort).ok_or_else(|| {
        CliError::input(
            format!(
                "排序方式「{}」不支持，请用 cost、payment、amount 或 speed",
                args.sort
            ),
            format!(
                "unknown sort \"{}\"; use cost, payment, amount or speed",
                args.sort
            ),
        )
    })?;
    let bank = match &args.bank {
        Some(b) => Some(
            catalog
                .find_bank(b)
                .ok_or_else(|| {
                    let names: Vec<&str> = catalog
                        .data()
                        .banks
                        .iter()
                        .map(|x| x.name_zh.as_str())
                        .collect();
                    CliError::input(
                        format!("没有「{b}」这家银行，可选：{}", names.join("、")),
                        format!("there is no bank \"{b}\""),
                    )
                })?
                .id
                .clone(),
        ),
        None => None,
    };
    let collateral = match &args.collateral {
        Some(c) => Some(Collateral::parse(c).ok_or_else(|| {
            CliError::input(
                format!("担保方式「{c}」不支持，请用 credit、guarantee、pledge 或 mortgage（信用/保证担保/质押/抵押）"),
                format!("unknown collateral \"{c}\"; use credit, guarantee, pledge or mortgage"),
            )
        })?),
        None => None,
    };
    let badge = match &args.badge {
        Some(b) => Some(Badge::parse(b).ok_or_else(|| {
            let names: Vec<&str> = Badge::ALL.iter().map(|x| x.name_zh()).collect();
            CliError::input(
                format!("没有「{b}」这个标签，可选：{}", names.join("、")),
                format!("unknown badge \"{b}\""),
            )
        })?),
        None => None,
    };
    let query = MarketQuery {
        filter: MarketFilter {
            industry,
            bank,
            collateral,
            badge,
            search: args.search.clone(),
            eligible_only: args.eligible_only,
        },
        sort,
        limit: args.limit,
    };
    Ok(query)
}

/// The offers as a table, one row each.
fn print_offers(catalog: &Catalog, offers: &[Offer]) {
    let mut t = output::table();
    t.set_header(vec![
        "#",
        "产品（编号）",
        "银行",
        "年利率",
        "首期还款",
        "净成本",
        "年化利率",
        "审批",
        "特色",
        "能否申请",
    ]);
    for (i, o) in offers.iter().enumerate() {
        let Some(p) = catalog.product(&o.product_id) else {
            continue;
        };
        let status = if o.eligible {
            "✓ 可以申请".to_owned()
        } else {
            format!(
                "✗ {}",
                o.reasons
                    .iter()
                    .map(|r| r.zh.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            )
        };
        t.add_row(vec![
            (i + 1).to_string(),
            format!("{}\n{}", p.name_zh, p.id),
            catalog.bank_name_zh(&p.bank).to_owned(),
            o.annual_rate_ppm.map_or("—".to_owned(), format_percent),
            payment_words(o),
            o.cost.as_ref().map_or("—".to_owned(), |c| {
                if c.net_cost == c.contract_cost {
                    format_yuan(c.net_cost)
                } else {
                    format!(
                        "{}\n合同 {}",
                        format_yuan(c.net_cost),
                        format_yuan(c.contract_cost)
                    )
                }
            }),
            o.cost
                .as_ref()
                .map_or("—".to_owned(), |c| format_percent(c.apr.nominal_ppm)),
            describe_hours(o.approval_hours).0,
            o.badges.names_zh(),
            status,
        ]);
    }
    println!("{t}");
}

fn sort_words(s: SortKey) -> &'static str {
    match s {
        SortKey::NetCost => "净成本从低到高",
        SortKey::Payment => "每期还款从低到高",
        SortKey::Amount => "可贷额度从高到低",
        SortKey::Speed => "审批速度从快到慢",
    }
}

/// `huoshui compare`.
pub fn compare(ctx: &Context, args: CompareArgs) -> Result<(), CliError> {
    let catalog = catalog()?;
    let amount = parse_amount(&args.amount)?;
    let req = build_request(&catalog, amount, args.months, &args.who)?;
    let ids: Vec<&str> = args.ids.iter().map(String::as_str).collect();
    let cmp = market::compare(&catalog, &req, &ids).map_err(market_error)?;
    if ctx.json {
        return output::print_json(&cmp);
    }
    println!(
        "对比：{}，{} 个月（{}）",
        format_wan(req.amount),
        req.months,
        req.as_of
    );
    let mut t = output::table();
    let mut header = vec!["".to_owned()];
    header.extend(
        cmp.columns
            .iter()
            .map(|c| format!("{}\n{}", c.name_zh, c.product_id)),
    );
    t.set_header(header);
    for row in &cmp.rows {
        let mut cells = vec![row.label_zh.clone()];
        for (i, c) in row.cells.iter().enumerate() {
            if row.best == Some(i) && cmp.columns.len() > 1 {
                cells.push(format!("{} ★", c.zh));
            } else {
                cells.push(c.zh.clone());
            }
        }
        t.add_row(cells);
    }
    println!("{t}");
    println!("★ 为可申请产品中该项最优。");
    Ok(())
}

/// `huoshui product`.
pub fn product(ctx: &Context, args: ProductArgs) -> Result<(), CliError> {
    let catalog = catalog()?;
    let p = catalog.product(&args.id).ok_or_else(|| {
        market_error(MarketError::UnknownProduct {
            id: args.id.clone(),
        })
    })?;
    let (default_amount, default_months) = market::default_terms(p);
    let amount = match &args.amount {
        Some(a) => parse_amount(a)?,
        None => default_amount,
    };
    let months = args.months.unwrap_or(default_months);
    let req = build_request(&catalog, amount, months, &args.who)?;
    let detail = market::product_detail(&catalog, &req, &args.id).map_err(market_error)?;
    if ctx.json {
        return output::print_json(&detail);
    }
    let p = &detail.product;
    println!("{}（{}）· {}", p.name_zh, p.name_en, detail.bank_name_zh);
    if !p.summary_zh.is_empty() {
        println!("{}", p.summary_zh);
    }
    print_terms(&detail);

    let o = &detail.offer;
    println!(
        "\n按 {}、{} 个月计算（{}）：",
        format_wan(o.amount),
        o.months,
        req.as_of
    );
    if o.eligible {
        println!("✓ 您可以申请，最高可贷 {}。", format_wan(o.max_amount));
    } else {
        for r in &o.reasons {
            println!("✗ {}", r.zh);
        }
    }
    print_cost_and_schedule(&detail);
    Ok(())
}

/// A product's terms as a two-column table.
fn print_terms(detail: &ProductDetail) {
    let p = &detail.product;
    let mut t = output::table();
    t.add_row(vec!["利率".to_owned(), detail.rate_zh.clone()]);
    t.add_row(vec!["还款方式".to_owned(), detail.repayment_zh.clone()]);
    t.add_row(vec![
        "额度".to_owned(),
        format!(
            "{} – {}",
            format_wan(p.amount_min_fen),
            format_wan(p.amount_max_fen)
        ),
    ]);
    t.add_row(vec![
        "期限".to_owned(),
        format!("{} – {} 个月", p.months_min, p.months_max),
    ]);
    t.add_row(vec![
        "担保方式".to_owned(),
        p.collateral.name_zh().to_owned(),
    ]);
    if let Some(g) = &p.guarantor_zh {
        t.add_row(vec!["担保机构".to_owned(), g.clone()]);
    }
    if let Some(g) = &p.eligibility.min_grade {
        t.add_row(vec!["信用等级".to_owned(), format!("{g} 级及以上")]);
    }
    t.add_row(vec![
        "所需材料".to_owned(),
        detail
            .documents
            .iter()
            .map(|d| d.name_zh())
            .collect::<Vec<_>>()
            .join("、"),
    ]);
    t.add_row(vec![
        "审批时间".to_owned(),
        describe_hours(p.approval_hours).0,
    ]);
    t.add_row(vec!["特色".to_owned(), detail.offer.badges.names_zh()]);
    println!("{t}");
}

/// The cost of the asked terms and the repayment schedule.
fn print_cost_and_schedule(detail: &ProductDetail) {
    let o = &detail.offer;
    let p = &detail.product;
    if let Some(c) = &o.cost {
        let mut s = output::table();
        s.add_row(vec![
            "执行年利率".to_owned(),
            o.annual_rate_ppm.map_or("—".to_owned(), format_percent),
        ]);
        s.add_row(vec!["首期还款".to_owned(), format_yuan(c.first_payment)]);
        s.add_row(vec![
            "最高一期还款".to_owned(),
            format_yuan(c.largest_payment),
        ]);
        s.add_row(vec!["总利息".to_owned(), format_yuan(c.total_interest)]);
        s.add_row(vec!["费用（含担保费）".to_owned(), format_yuan(c.fees)]);
        s.add_row(vec!["合同成本".to_owned(), format_yuan(c.contract_cost)]);
        s.add_row(vec!["贴息".to_owned(), format_yuan(c.interest_subsidy)]);
        s.add_row(vec!["担保费补贴".to_owned(), format_yuan(c.fee_subsidy)]);
        s.add_row(vec!["按时还款的净成本".to_owned(), format_yuan(c.net_cost)]);
        s.add_row(vec![
            "年化利率（IRR）".to_owned(),
            format_percent(c.apr.nominal_ppm),
        ]);
        s.add_row(vec![
            "实际年利率（复利）".to_owned(),
            format_percent(c.apr.effective_ppm),
        ]);
        println!("{s}");
    }
    if let Some(b) = &detail.breakdown {
        let (how, _) = describe_repayment(&p.repayment);
        println!("\n还款计划（{how}）：");
        let mut s = output::table();
        s.set_header(vec!["期数", "还款月", "本金", "利息", "还款额", "剩余本金"]);
        for row in &b.schedule.periods {
            s.add_row(vec![
                row.n.to_string(),
                row.due_month.to_string(),
                format_yuan(row.principal),
                format_yuan(row.interest),
                format_yuan(row.payment),
                format_yuan(row.balance),
            ]);
        }
        s.add_row(vec![
            "合计".to_owned(),
            String::new(),
            format_yuan(b.schedule.total_principal),
            format_yuan(b.schedule.total_interest),
            format_yuan(b.schedule.total_paid),
            String::new(),
        ]);
        println!("{s}");
    }
}

/// `huoshui grade`.
pub fn grade(ctx: &Context, args: GradeArgs) -> Result<(), CliError> {
    let catalog = catalog()?;
    let view = market::grade_view(&catalog, args.points);
    if ctx.json {
        return output::print_json(&view);
    }
    let r = &view.report;
    match &r.grade {
        Some(g) => println!("{} 分：信用等级 {}", r.points, g.name_zh),
        None => println!("{} 分：尚未达到任何信用等级", r.points),
    }
    if let Some((next, missing)) = &r.next {
        println!(
            "再攒 {missing} 分可升到 {} 级（{} 分起）。",
            next.code, next.min_points
        );
    }
    println!("等级表版本：{}", r.table_version);
    let mut t = output::table();
    t.set_header(vec![
        "产品（编号）",
        "需要等级",
        "能否申请",
        "最高可贷",
        "利率优惠",
    ]);
    for p in &view.products {
        t.add_row(vec![
            format!("{}\n{}", p.name_zh, p.product_id),
            p.min_grade
                .as_deref()
                .map_or("不限".to_owned(), |g| format!("{g} 及以上")),
            if p.unlocked {
                "✓ 可以".to_owned()
            } else {
                "✗ 等级不够".to_owned()
            },
            if p.unlocked {
                format_wan(p.max_amount)
            } else {
                "—".to_owned()
            },
            if p.rate_discount_bp > 0 {
                format!("减 {} 个基点", p.rate_discount_bp)
            } else {
                "—".to_owned()
            },
        ]);
    }
    println!("{t}");
    Ok(())
}

/// "No such industry/purpose; the choices are …", in Chinese (names) and English (ids).
fn unknown_choice<'a>(
    text: &str,
    kind_zh: &str,
    kind_en: &str,
    choices: impl Iterator<Item = (&'a str, &'a str)>,
) -> CliError {
    let (names, ids): (Vec<&str>, Vec<&str>) = choices.unzip();
    CliError::input(
        format!("没有「{text}」这个{kind_zh}，可选：{}", names.join("、")),
        format!(
            "there is no {kind_en} \"{text}\"; known: {}",
            ids.join(", ")
        ),
    )
}

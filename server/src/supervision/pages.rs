//! The HTML of the supervision page (maud): the login form, the dashboard in its desk and wall
//! layouts, the fragments htmx swaps in (figures, escalations, one line of the live ticker),
//! the charts as inline SVG drawn here (so they paint with the page, without a chart script),
//! and the Chinese-first message pages (401, 403, 404).
//!
//! Owns presentation only: every number comes from [`super::figures`], every list from
//! [`super::handlers`]. Must never print a villager's name or phone number (applications are
//! shown by id, product, bank, town and state), and every form carries the session's token.

use super::assets;
use super::figures::{Amounts, ContactLine, DayLine, Figures, Line, Scope, Wait};
use super::session::Viewer;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Which layout: a desk (all tables, forms) or the county's wall display (big type, no forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Desk,
    Wall,
}

impl Layout {
    pub fn path(self) -> &'static str {
        match self {
            Layout::Desk => "/admin/",
            Layout::Wall => "/admin/wall",
        }
    }
    fn query(self) -> &'static str {
        match self {
            Layout::Desk => "desk",
            Layout::Wall => "wall",
        }
    }
}

/// An open escalation as the page lists it.
#[derive(Debug, Clone)]
pub struct EscalationItem {
    pub application_id: String,
    pub bank_zh: String,
    pub product_zh: String,
    pub town_zh: String,
    pub state_zh: String,
    pub submitted_at: Option<Timestamp>,
    pub escalated_at: Option<Timestamp>,
    pub manager_id: Option<String>,
    pub manager_zh: Option<String>,
    /// Managers of the same bank who serve the villager's town (the current one left out).
    pub candidates: Vec<(String, String)>,
}

/// What kind of moment a line of the ticker shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    NewApplication,
    FirstContact,
    Escalation,
    Other,
}

impl ActivityKind {
    fn class(self) -> &'static str {
        match self {
            ActivityKind::NewApplication => "act-new",
            ActivityKind::FirstContact => "act-contact",
            ActivityKind::Escalation => "act-escalation",
            ActivityKind::Other => "act-other",
        }
    }
}

/// One line of the live ticker: ids, catalog names and states only.
#[derive(Debug, Clone)]
pub struct ActivityItem {
    pub feed_id: i64,
    pub at: Timestamp,
    pub kind: ActivityKind,
    pub label_zh: String,
    pub application_id: String,
    pub bank_zh: String,
    pub product_zh: String,
    pub town_zh: String,
    pub state_zh: String,
}

fn china() -> jiff::tz::TimeZone {
    huoshui_core::domain::china::time_zone()
}

/// `12:03:05` (China time).
pub fn clock_time(t: Timestamp) -> String {
    let d = china().to_datetime(t);
    format!("{:02}:{:02}:{:02}", d.hour(), d.minute(), d.second())
}

/// `11-28 12:03` (China time).
pub fn short_time(t: Timestamp) -> String {
    let d = china().to_datetime(t);
    format!(
        "{:02}-{:02} {:02}:{:02}",
        d.month(),
        d.day(),
        d.hour(),
        d.minute()
    )
}

/// A count with thousands separators: `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Fen as 万元 with two decimals. Rounding rule, named: half-up to 0.01 万元 (100 yuan).
pub fn wan_yuan(fen: i64) -> String {
    let hundredths = (i128::from(fen) * 100 + 500_000).div_euclid(1_000_000);
    let whole = i64::try_from(hundredths / 100).unwrap_or(i64::MAX);
    format!("{}.{:02}", count(whole), hundredths.rem_euclid(100))
}

/// A wait read from the histogram: `4分05秒`, `1小时02分`, `超过1天`.
pub fn wait_text(w: Option<Wait>) -> String {
    match w {
        None => "—".to_owned(),
        Some(Wait::OverADay) => "超过1天".to_owned(),
        Some(Wait::AtMostMs(ms)) => {
            let s = ms / 1000;
            if s < 60 {
                format!("{s}秒")
            } else if s < 3600 {
                format!("{}分{:02}秒", s / 60, s % 60)
            } else {
                format!("{}小时{:02}分", s / 3600, (s % 3600) / 60)
            }
        }
    }
}

/// Per mille as a percentage with one decimal (rounded down like the per mille).
pub fn percent(permille: Option<i64>) -> String {
    match permille {
        None => "—".to_owned(),
        Some(p) => format!("{}.{}%", p / 10, p % 10),
    }
}

fn short_id(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

/// The headers every page gets: no caching, a strict content policy, no framing.
pub fn page_response(status: StatusCode, body: Markup) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ],
        body.into_string(),
    )
        .into_response()
}

fn document(title: &str, body_class: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false}"#;
                title { (title) }
                link rel="stylesheet" href=(assets::url("admin.css"));
                script src=(assets::url("htmx.min.js")) defer {}
                script src=(assets::url("htmx-ext-sse.min.js")) defer {}
                script src=(assets::url("admin.js")) defer {}
            }
            body class=(body_class) { (content) }
        }
    }
}

/// A page that only says something (errors, refusals), in Chinese with English below.
pub fn message_page(
    status: StatusCode,
    zh_title: &str,
    en_title: &str,
    zh: &str,
    en: &str,
) -> Response {
    let body = document(
        &format!("{zh_title} · 活水监管看板"),
        "message",
        html! {
            main.message-box {
                p.code { (status.as_u16()) }
                h1 { (zh_title) }
                p.en-title lang="en" { (en_title) }
                p { (zh) }
                p.en lang="en" { (en) }
                p.links {
                    a href="/admin/" { "返回监管看板" }
                    " · "
                    a href="/admin/login" { "重新登录" }
                }
            }
        },
    );
    page_response(status, body)
}

/// The login form: phone and code, the code requested from the same form.
pub fn login_page(
    login_token: &str,
    phone: &str,
    notice: Option<(&str, &str)>,
    error: Option<(&str, &str)>,
) -> Markup {
    document(
        "登录 · 活水监管看板",
        "login",
        html! {
            main.login-box {
                h1 { "活水 · 县级监管看板" }
                p.en lang="en" { "Huoshui county supervision — sign in" }
                @if let Some((zh, en)) = notice {
                    p.notice role="status" { (zh) br; span.en lang="en" { (en) } }
                }
                @if let Some((zh, en)) = error {
                    p.error role="alert" { (zh) br; span.en lang="en" { (en) } }
                }
                form method="post" action="/admin/login" {
                    input type="hidden" name="csrf" value=(login_token);
                    label for="phone" { "手机号 " span.en lang="en" { "Phone" } }
                    input #phone type="tel" name="phone" inputmode="numeric" autocomplete="tel"
                        maxlength="11" value=(phone) required;
                    button.secondary #request-code type="submit" formaction="/admin/login/code" formnovalidate {
                        "获取验证码"
                    }
                    label for="code" { "验证码 " span.en lang="en" { "One-time code" } }
                    input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6";
                    button #sign-in type="submit" { "登录" }
                }
                p.hint { "仅限县级管理员；银行客户经理可只读查看本行数据。" }
            }
        },
    )
}

/// The whole dashboard.
pub fn dashboard(
    viewer: &Viewer,
    layout: Layout,
    figures: &Figures,
    escalations: &[EscalationItem],
    activity: &[ActivityItem],
    bank_zh: Option<&str>,
) -> Markup {
    let scope_zh = match &figures.scope {
        Scope::County => "全县".to_owned(),
        Scope::Bank(_) => format!("{} · 只读", bank_zh.unwrap_or("本行")),
    };
    let body_class = match layout {
        Layout::Desk => "desk",
        Layout::Wall => "wall",
    };
    document(
        &format!("监管看板 · {scope_zh} · 活水"),
        body_class,
        html! {
            div #live hx-ext="sse" sse-connect="/admin/live" data-live="connecting" {
                header.top {
                    h1 { "冠县农村金融服务平台 · 监管看板" }
                    span.scope { (scope_zh) }
                    span #live-state.live-state { "实时连接中…" }
                    nav {
                        @match layout {
                            Layout::Desk => a #to-wall href="/admin/wall" { "大屏模式" },
                            Layout::Wall => a #to-desk href="/admin/" { "桌面模式" },
                        }
                        span.who { (viewer.user.name) }
                        form.inline method="post" action="/admin/logout" {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button.link type="submit" { "退出" }
                        }
                    }
                }
                main.grid {
                    section #figures.figures hx-get=(format!("/admin/figures?layout={}", layout.query()))
                        hx-trigger="sse:figures delay:300ms, every 15s" hx-swap="innerHTML" {
                        (figures_fragment(figures, layout))
                    }
                    section.panel.escalations {
                        h2 { "待处理督办 " span.en { "Open escalations" } }
                        div #escalations hx-get=(format!("/admin/escalations?layout={}", layout.query()))
                            hx-trigger="sse:escalation" hx-swap="innerHTML" {
                            (escalations_fragment(viewer, escalations, layout))
                        }
                    }
                    section.panel.activity {
                        h2 { "实时动态 " span.en { "Live" } }
                        ul #activity sse-swap="activity" hx-swap="afterbegin" {
                            @for item in activity { (activity_line(item)) }
                        }
                    }
                    section #charts.charts hx-get=(format!("/admin/figures?layout={}&part=charts", layout.query()))
                        hx-trigger="sse:figures delay:500ms, every 30s" hx-swap="innerHTML" {
                        (charts(figures, layout))
                    }
                }
                footer {
                    "数据更新于 " (clock_time(figures.at)) "（北京时间）。首次联系时长按 5 秒（1 小时以上按 1 分钟）分档向上取整；金额单位万元，四舍五入到 0.01 万元。"
                }
            }
        },
    )
}

fn tile(id: &str, label: &str, value: String, sub: Option<String>) -> Markup {
    html! {
        div.tile id=(id) {
            span.label { (label) }
            span.value { (value) }
            @if let Some(s) = sub { span.sub { (s) } }
        }
    }
}

/// The headline tiles (swapped in when the figures change).
pub fn figures_fragment(f: &Figures, _layout: Layout) -> Markup {
    let contacted: i64 = f.contact.iter().map(|c| c.contacted).sum();
    let within: i64 = f.contact.iter().map(|c| c.within_deadline).sum();
    let share = (contacted > 0).then(|| within * 1000 / contacted);
    html! {
        div.tiles {
            (tile("tile-today", "今日新申请", count(f.today_amounts.applied),
                Some(format!("{} 万元", wan_yuan(f.today_amounts.applied_fen)))))
            (tile("tile-applied", "累计申请", count(f.totals.applied),
                Some(format!("{} 万元", wan_yuan(f.totals.applied_fen)))))
            (tile("tile-approved", "累计批准", count(f.totals.approved),
                Some(format!("{} 万元", wan_yuan(f.totals.approved_fen)))))
            (tile("tile-disbursed", "累计放款", count(f.totals.disbursed),
                Some(format!("{} 万元", wan_yuan(f.totals.disbursed_fen)))))
            (tile("tile-sla", &format!("{} 分钟内首次联系", f.first_contact_minutes), percent(share),
                Some(format!("{} / {} 件", count(within), count(contacted)))))
            (tile("tile-escalations", "待处理督办", count(f.open_escalations),
                Some(format!("累计 {} 件", count(f.totals.escalated)))))
            @if let Some(v) = f.villagers {
                (tile("tile-villagers", "在册村民", count(v.enrolled),
                    Some(format!("近30天活跃 {}", count(v.active)))))
            }
        }
    }
}

/// The open escalations; administrators get the two actions on each (desk layout).
pub fn escalations_fragment(viewer: &Viewer, items: &[EscalationItem], layout: Layout) -> Markup {
    html! {
        @if items.is_empty() {
            p.empty #no-escalations { "暂无待处理督办" }
        } @else {
            ul.escalation-list {
                @for e in items {
                    li.escalation data-app=(e.application_id) {
                        div.what {
                            b { (e.bank_zh) } " · " (e.product_zh) " · " (e.town_zh)
                            span.state { (e.state_zh) }
                        }
                        div.when {
                            "申请 " code title=(e.application_id) { "…" (short_id(&e.application_id)) }
                            @if let Some(t) = e.submitted_at { " · 提交 " (short_time(t)) }
                            @if let Some(t) = e.escalated_at { " · 督办 " (short_time(t)) }
                            " · 客户经理 " (e.manager_zh.as_deref().unwrap_or("未分派"))
                        }
                        @if viewer.may_act() && layout == Layout::Desk {
                            div.actions {
                                form.ack method="post" action=(format!("/admin/escalations/{}/acknowledge", e.application_id)) {
                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                    input type="hidden" name="back" value=(layout.query());
                                    input type="text" name="note" maxlength="200" placeholder="备注（可选）" aria-label="备注";
                                    button type="submit" { "确认督办" }
                                }
                                @if e.manager_id.is_some() && !e.candidates.is_empty() {
                                    form.reassign method="post" action=(format!("/admin/escalations/{}/reassign", e.application_id)) {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        input type="hidden" name="back" value=(layout.query());
                                        select name="manager_id" aria-label="改派给" {
                                            @for (id, name) in &e.candidates {
                                                option value=(id) { (name) }
                                            }
                                        }
                                        button type="submit" { "改派" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One line of the live ticker (also sent as the data of an `activity` stream event).
pub fn activity_line(a: &ActivityItem) -> Markup {
    html! {
        li class=(format!("act {}", a.kind.class())) data-app=(a.application_id) data-feed=(a.feed_id) {
            time { (clock_time(a.at)) }
            b { (a.label_zh) }
            span { (a.bank_zh) " · " (a.product_zh) " · " (a.town_zh) }
            span.state { (a.state_zh) }
            code title=(a.application_id) { "…" (short_id(&a.application_id)) }
        }
    }
}

fn csv_link(name: &str) -> Markup {
    html! { a.csv href=(format!("/admin/export/{name}.csv")) download { "导出 CSV" } }
}

fn amounts_cells(a: &Amounts) -> Markup {
    html! {
        td.num { (count(a.applied)) }
        td.num { (wan_yuan(a.applied_fen)) }
        td.num { (count(a.approved)) }
        td.num { (wan_yuan(a.approved_fen)) }
        td.num { (count(a.disbursed)) }
        td.num { (wan_yuan(a.disbursed_fen)) }
    }
}

fn amounts_head(first: &str) -> Markup {
    html! {
        tr {
            th { (first) }
            th { "申请(件)" } th { "申请(万元)" }
            th { "批准(件)" } th { "批准(万元)" }
            th { "放款(件)" } th { "放款(万元)" }
        }
    }
}

fn lines_table(id: &str, first: &str, lines: &[Line]) -> Markup {
    html! {
        table.data id=(id) {
            thead { (amounts_head(first)) }
            tbody {
                @for l in lines {
                    tr data-key=(l.key) { th scope="row" { (l.name_zh) } (amounts_cells(&l.amounts)) }
                }
            }
        }
    }
}

/// Grouped horizontal bars: applied, approved and disbursed amounts of each line.
fn amounts_bars(lines: &[Line]) -> Markup {
    let max = lines
        .iter()
        .map(|l| {
            l.amounts
                .applied_fen
                .max(l.amounts.approved_fen)
                .max(l.amounts.disbursed_fen)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let row_h = 30;
    let height = 24 + row_h * lines.len().max(1);
    let label_w: i64 = 185;
    let bar_w: i64 = 320;
    let width = |fen: i64| (i128::from(fen) * i128::from(bar_w) / i128::from(max)) as i64;
    html! {
        svg.chart viewBox=(format!("0 0 600 {height}")) role="img" aria-label="金额柱状图" {
            g.legend {
                rect.s1 x="175" y="4" width="12" height="12" {}
                text x="192" y="15" { "申请" }
                rect.s2 x="240" y="4" width="12" height="12" {}
                text x="257" y="15" { "批准" }
                rect.s3 x="305" y="4" width="12" height="12" {}
                text x="322" y="15" { "放款" }
                text x="380" y="15" { "单位：万元" }
            }
            @for (i, l) in lines.iter().enumerate() {
                @let y = 24 + row_h * i;
                text.label x=(label_w - 8) y=(y + 19) text-anchor="end" { (l.name_zh) }
                rect.s1 x=(label_w) y=(y + 3) width=(width(l.amounts.applied_fen)) height="8" {}
                rect.s2 x=(label_w) y=(y + 11) width=(width(l.amounts.approved_fen)) height="8" {}
                rect.s3 x=(label_w) y=(y + 19) width=(width(l.amounts.disbursed_fen)) height="8" {}
                text.value x=(label_w + width(l.amounts.applied_fen) + 6) y=(y + 13) { (wan_yuan(l.amounts.applied_fen)) }
            }
        }
    }
}

/// Columns of applications per day, with the disbursed count as a second column.
fn day_columns(days: &[DayLine]) -> Markup {
    let max = days
        .iter()
        .map(|d| d.amounts.applied.max(d.amounts.disbursed))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_h: i64 = 180;
    let col_w: i64 = 18;
    let left: i64 = 40;
    let h = |n: i64| n * plot_h / max;
    html! {
        svg.chart viewBox=(format!("0 0 {} {}", left + col_w * days.len() as i64 + 10, plot_h + 60)) role="img" aria-label="近30天每日申请与放款件数" {
            g.legend {
                rect.s1 x=(left) y="4" width="12" height="12" {}
                text x=(left + 18) y="15" { "申请件数" }
                rect.s3 x=(left + 100) y="4" width="12" height="12" {}
                text x=(left + 118) y="15" { "放款件数" }
                text x=(left + 220) y="15" { "最高 " (count(max)) }
            }
            line.axis x1=(left) y1=(plot_h + 24) x2=(left + col_w * days.len() as i64) y2=(plot_h + 24) {}
            @for (i, d) in days.iter().enumerate() {
                @let x = left + col_w * i as i64;
                rect.s1 x=(x + 2) y=(plot_h + 24 - h(d.amounts.applied)) width="7" height=(h(d.amounts.applied)) {}
                rect.s3 x=(x + 9) y=(plot_h + 24 - h(d.amounts.disbursed)) width="7" height=(h(d.amounts.disbursed)) {}
                @if i % 5 == 4 || i + 1 == days.len() {
                    text.tick x=(x + 9) y=(plot_h + 44) text-anchor="middle" { (format!("{:02}-{:02}", d.date.month(), d.date.day())) }
                }
            }
        }
    }
}

/// Median and 90th percentile of the first-contact wait per bank, with the deadline marked.
fn contact_bars(lines: &[ContactLine], deadline_minutes: u32) -> Markup {
    let ms = |w: Option<Wait>| match w {
        Some(Wait::AtMostMs(ms)) => ms,
        Some(Wait::OverADay) => 86_400_000,
        None => 0,
    };
    let deadline = i64::from(deadline_minutes) * 60_000;
    let max = lines
        .iter()
        .map(|l| ms(l.p90))
        .max()
        .unwrap_or(0)
        .max(deadline * 2)
        .max(1);
    let row_h = 26;
    let height = 24 + row_h * lines.len().max(1) + 8;
    let label_w: i64 = 185;
    let bar_w: i64 = 270;
    let width = |v: i64| v.min(max) * bar_w / max;
    html! {
        svg.chart viewBox=(format!("0 0 600 {height}")) role="img" aria-label="首次联系时长" {
            g.legend {
                rect.s1 x="175" y="4" width="12" height="12" {}
                text x="192" y="15" { "中位数" }
                rect.s4 x="250" y="4" width="12" height="12" {}
                text x="267" y="15" { "90% 分位" }
                text x="345" y="15" { "虚线：" (deadline_minutes) " 分钟时限" }
            }
            @for (i, l) in lines.iter().enumerate() {
                @let y = 24 + row_h as i64 * i as i64;
                text.label x=(label_w - 8) y=(y + 17) text-anchor="end" { (l.name_zh) }
                rect.s4 x=(label_w) y=(y + 3) width=(width(ms(l.p90))) height="18" {}
                rect.s1 x=(label_w) y=(y + 7) width=(width(ms(l.median))) height="10" {}
                text.value x=(label_w + width(ms(l.p90)) + 6) y=(y + 17) { (wait_text(l.median)) " / " (wait_text(l.p90)) }
            }
            line.deadline x1=(label_w + width(deadline)) y1="20" x2=(label_w + width(deadline)) y2=(height) {}
        }
    }
}

/// The charts, each with its table (swapped in when the figures change).
pub fn charts(f: &Figures, layout: Layout) -> Markup {
    html! {
        section.panel.chart-panel #by-bank {
            h2 { "各银行申请、批准与放款（累计）" (csv_link("by-bank")) }
            (amounts_bars(&f.by_bank))
            (lines_table("table-by-bank", "银行", &f.by_bank))
        }
        section.panel.chart-panel #contact {
            h2 { "首次联系时长与督办（各银行）" (csv_link("contact")) }
            (contact_bars(&f.contact, f.first_contact_minutes))
            table.data #table-contact {
                thead { tr {
                    th { "银行" } th { "已联系件数" } th { "中位数" } th { "90% 分位" }
                    th { (f.first_contact_minutes) " 分钟内" } th { "督办件数" }
                } }
                tbody {
                    @for c in &f.contact {
                        tr data-key=(c.bank_id) {
                            th scope="row" { (c.name_zh) }
                            td.num { (count(c.contacted)) }
                            td.num { (wait_text(c.median)) }
                            td.num { (wait_text(c.p90)) }
                            td.num { (percent(c.within_permille)) }
                            td.num { (count(c.escalated)) }
                        }
                    }
                }
            }
        }
        section.panel.chart-panel #by-day {
            h2 { "近30天每日（按北京时间）" (csv_link("by-day")) }
            (day_columns(&f.by_day))
            div.scroll {
                table.data #table-by-day {
                    thead { (amounts_head("日期")) }
                    tbody {
                        @for d in f.by_day.iter().rev() {
                            tr data-key=(d.date.to_string()) { th scope="row" { (d.date.to_string()) } (amounts_cells(&d.amounts)) }
                        }
                    }
                }
            }
        }
        @if layout == Layout::Desk {
            section.panel.chart-panel #by-town {
                h2 { "各乡镇（街道）（累计）" (csv_link("by-town")) }
                (amounts_bars(&f.by_town))
                (lines_table("table-by-town", "乡镇（街道）", &f.by_town))
            }
            section.panel.chart-panel #by-product {
                h2 { "各产品（累计）" (csv_link("by-product")) }
                (amounts_bars(&f.by_product))
                (lines_table("table-by-product", "产品", &f.by_product))
            }
            @if let Some(v) = f.villagers {
                section.panel #villagers {
                    h2 { "村民" (csv_link("villagers")) }
                    table.data #table-villagers {
                        thead { tr { th { "在册村民" } th { "近30天提交过申请（活跃）" } } }
                        tbody { tr { td.num { (count(v.enrolled)) } td.num { (count(v.active)) } } }
                    }
                }
            }
        }
    }
}

/// Raw HTML of a fragment, for the stream.
pub fn fragment_string(m: Markup) -> String {
    let PreEscaped(s) = m;
    s
}

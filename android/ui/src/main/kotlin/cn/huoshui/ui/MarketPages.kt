package cn.huoshui.ui

import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.rememberScrollState
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import uniffi.huoshui_core.CalculatorForm
import uniffi.huoshui_core.CalculatorScreen
import uniffi.huoshui_core.CompareScreen
import uniffi.huoshui_core.GradeScreen
import uniffi.huoshui_core.MarketForm
import uniffi.huoshui_core.MarketScreen
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.OfferCard
import uniffi.huoshui_core.ProductScreen
import uniffi.huoshui_core.ScheduleRowView
import uniffi.huoshui_core.SortKey

private fun sortOf(code: String): SortKey = when (code) {
    "payment" -> SortKey.PAYMENT
    "amount" -> SortKey.AMOUNT
    "speed" -> SortKey.SPEED
    else -> SortKey.NET_COST
}

private fun toggle(current: String?, code: String): String? = if (current == code) null else code

/** 贷款超市: amount and term, sort, filter chips, search, and one card per offer. */
@Composable
fun MarketPage(
    model: MarketScreen,
    form: MarketForm,
    onForm: (MarketForm) -> Unit,
    onNav: (Nav) -> Unit,
    picked: List<String> = emptyList(),
    onPick: (String) -> Unit = {},
) {
    Page("贷款超市", "market") {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Column(Modifier.weight(1f)) {
                Field("金额（元，可写“50万”）", form.amountText, { onForm(form.copy(amountText = it)) }, model.amountProblem, "amount", hint = model.amountEchoZh)
            }
            Column(Modifier.weight(0.6f)) {
                Field("期限（月）", form.monthsText, { onForm(form.copy(monthsText = it)) }, model.monthsProblem, "months", number = true)
            }
        }
        Field("搜索（名称或拼音，如 suli）", form.search, { onForm(form.copy(search = it)) }, null, "search")
        ChipRow("排序", model.sorts, "sort") { onForm(form.copy(sort = sortOf(it.code))) }
        ChipRow("产业", model.industries, "industry") { onForm(form.copy(industry = toggle(form.industry, it.code))) }
        ChipRow("银行", model.banks, "bank") { onForm(form.copy(bank = toggle(form.bank, it.code))) }
        ChipRow("特色", model.badges, "badge") { onForm(form.copy(badge = toggle(form.badge, it.code))) }
        Body(model.summaryZh, HuoshuiColors.Muted, tag = "summary")
        if (picked.size >= 2) BigButton("对比已选的 ${picked.size} 款", { onNav(Nav.Compare(picked)) }, tag = "compare-picked")
        model.emptyZh?.let { Body(it, HuoshuiColors.Muted, tag = "empty") }
        model.cards.forEach { card -> OfferCardView(card, card.productId in picked, onNav, onPick) }
    }
}

@Composable
private fun OfferCardView(card: OfferCard, picked: Boolean, onNav: (Nav) -> Unit, onPick: (String) -> Unit) {
    Block(Modifier.testTag("card-${card.productId}"), color = if (card.eligible) HuoshuiColors.Card else HuoshuiColors.Paper) {
        Text(card.nameZh, style = MaterialTheme.typography.titleMedium, color = HuoshuiColors.Green)
        Body("${card.bankZh} · ${card.amountZh}", HuoshuiColors.Muted)
        if (card.paymentZh.isNotEmpty()) Body("${card.paymentLabelZh} ${card.paymentZh}")
        Body(card.netCostZh)
        Text(card.aprZh, style = MaterialTheme.typography.titleSmall)
        if (card.badgesZh.isNotEmpty()) Body(card.badgesZh.joinToString(" · "), HuoshuiColors.Green)
        Body(card.approvalZh, HuoshuiColors.Muted)
        if (!card.eligible) Text("暂不能申请：${card.whyNotZh}", style = MaterialTheme.typography.bodyLarge, color = HuoshuiColors.Danger)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            SecondButton("看详情", { onNav(card.open) }, tag = "open-${card.productId}")
            SecondButton(if (picked) "取消对比" else "加入对比", { onPick(card.productId) }, tag = "pick-${card.productId}")
        }
    }
}

/** A product in full: the cost facts, what the bank needs, the schedule. */
@Composable
fun ProductPage(model: ProductScreen, onNav: (Nav) -> Unit) {
    val offer = model.detail.offer
    Page(offer.nameZh, "product") {
        Body(offer.bankZh, HuoshuiColors.Muted)
        Body(model.detail.summaryZh)
        if (model.whyNotZh.isNotEmpty()) Text("暂不能申请：${model.whyNotZh}", style = MaterialTheme.typography.bodyLarge, color = HuoshuiColors.Danger)
        Block { Facts(model.facts) }
        Heading("利率与还款")
        Body(model.detail.rateRuleZh)
        Body(model.detail.repaymentZh)
        Heading("需要准备的材料")
        model.detail.documents.forEach { Body("· ${it.nameZh}") }
        BigButton("申请这款贷款", { onNav(model.apply) }, enabled = offer.eligible, tag = "apply")
        Heading("还款计划")
        ScheduleTable(model.detail.schedule)
    }
}

/** A repayment schedule: one row per period (first 24 rows, then the last one). */
@Composable
fun ScheduleTable(rows: List<ScheduleRowView>) {
    val shown = if (rows.size > 25) rows.take(24) + rows.last() else rows
    Column(Modifier.testTag("schedule")) {
        Row(Modifier.fillMaxWidth()) {
            listOf("期数", "还款", "其中本金", "利息").forEach {
                Text(it, style = MaterialTheme.typography.bodyMedium, color = HuoshuiColors.Muted, modifier = Modifier.weight(1f))
            }
        }
        shown.forEach { r ->
            Row(Modifier.fillMaxWidth().padding(vertical = 2.dp)) {
                Text("第${r.n}期", style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
                Text(r.payment.short, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
                Text(r.principal.short, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
                Text(r.interest.short, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(1f))
            }
        }
    }
}

/** 2 to 4 products side by side: one row per fact, one column per product, the best marked. */
@Composable
fun ComparePage(model: CompareScreen, onNav: (Nav) -> Unit) {
    Page("对比", "compare") {
        ProblemText(model.problem)
        val view = model.view ?: return@Page
        val cell = Modifier.width(150.dp)
        Row(Modifier.horizontalScroll(rememberScrollState())) {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Row {
                    Text("", modifier = Modifier.width(120.dp))
                    view.namesZh.forEachIndexed { i, n ->
                        Text(n, style = MaterialTheme.typography.titleSmall, color = HuoshuiColors.Green, modifier = cell.testTag("col-$i"))
                    }
                }
                view.rows.forEach { row ->
                    Row(Modifier.testTag("row-${row.key}")) {
                        Text(row.labelZh, style = MaterialTheme.typography.bodyMedium, color = HuoshuiColors.Muted, modifier = Modifier.width(120.dp))
                        row.cellsZh.forEachIndexed { i, c ->
                            val best = row.best?.toInt() == i
                            Text(
                                if (best) "$c ★" else c,
                                style = MaterialTheme.typography.bodyLarge,
                                fontWeight = if (best) FontWeight.Bold else FontWeight.Normal,
                                color = if (best) HuoshuiColors.Green else HuoshuiColors.Ink,
                                modifier = cell,
                            )
                        }
                    }
                }
            }
        }
        view.productIds.forEach { id -> SecondButton("看详情：${view.namesZh[view.productIds.indexOf(id)]}", { onNav(Nav.Product(id)) }, Modifier.fillMaxWidth(), tag = "open-$id") }
    }
}

/** The plain loan calculator. */
@Composable
fun CalculatorPage(model: CalculatorScreen, form: CalculatorForm, onForm: (CalculatorForm) -> Unit) {
    Page("贷款计算器", "calculator") {
        ChipRow("还款方式", model.methods, "method") { onForm(form.copy(method = it.code)) }
        Field("金额（元，可写“10万”）", form.amountText, { onForm(form.copy(amountText = it)) }, model.amountProblem, "amount")
        Field("年利率（%）", form.rateText, { onForm(form.copy(rateText = it)) }, model.rateProblem, "rate")
        Field("期限（月）", form.monthsText, { onForm(form.copy(monthsText = it)) }, model.monthsProblem, "months", number = true)
        val result = model.result ?: return@Page
        Block { Facts(model.facts) }
        Heading("还款计划")
        ScheduleTable(result.rows)
    }
}

/** The virtue-points grade and what it unlocks. */
@Composable
fun GradePage(model: GradeScreen, pointsText: String, onPoints: (String) -> Unit) {
    Page("我的信用等级", "grade") {
        Body(model.noteZh, HuoshuiColors.Muted)
        Field("试算积分", pointsText, onPoints, null, "points", number = true)
        val view = model.view ?: return@Page
        Text(view.headlineZh, style = MaterialTheme.typography.titleLarge, color = HuoshuiColors.Green, modifier = Modifier.testTag("headline"))
        Heading("等级能贷的产品")
        view.products.forEach { p ->
            Block(color = if (p.unlocked) HuoshuiColors.Tint else HuoshuiColors.Card) {
                Text(p.nameZh, style = MaterialTheme.typography.titleSmall)
                Body(if (p.unlocked) "已解锁 · 最高 ${p.maxAmount.short} · 利率优惠 ${p.rateDiscountText}" else "需要 ${p.minGrade?.name ?: ""} 级", if (p.unlocked) HuoshuiColors.Ink else HuoshuiColors.Muted)
            }
        }
    }
}

package cn.huoshui.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import uniffi.huoshui_core.ActionButton
import uniffi.huoshui_core.ContactOutcome
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.InboxScreen
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.OptionView
import uniffi.huoshui_core.Problem
import uniffi.huoshui_core.ReviewForm
import uniffi.huoshui_core.ScreenAction
import uniffi.huoshui_core.SettingsScreen
import uniffi.huoshui_core.SyncBanner
import uniffi.huoshui_core.TaskScreen

/**
 * 待办: most urgent first; [countdownZh] gives each row's countdown now (the host ticks it every
 * second through the core's wording); overdue rows are red.
 */
@Composable
fun InboxPage(model: InboxScreen, countdownZh: (String) -> Pair<String, Boolean>, onNav: (Nav) -> Unit) {
    Page("待办任务", "inbox") {
        Text(model.summaryZh, style = MaterialTheme.typography.titleSmall, modifier = Modifier.testTag("summary"))
        model.emptyZh?.let { Body(it, HuoshuiColors.Muted, tag = "empty") }
        model.rows.forEach { row ->
            val t = row.task
            val (text, overdue) = countdownZh(t.applicationId)
            Block(Modifier.testTag("task-${t.applicationId}"), color = if (overdue) HuoshuiColors.Attention else HuoshuiColors.Card) {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(t.titleZh, style = MaterialTheme.typography.titleSmall, modifier = Modifier.weight(1f))
                    Text(
                        text,
                        style = MaterialTheme.typography.titleSmall,
                        color = if (overdue) HuoshuiColors.Danger else HuoshuiColors.Green,
                        modifier = Modifier.testTag("countdown-${t.applicationId}"),
                    )
                }
                Body(row.lineZh)
                if (t.escalated) Body("已上报县里", HuoshuiColors.Danger)
                SecondButton("处理", { onNav(row.open) }, Modifier.fillMaxWidth(), tag = "open-${t.applicationId}")
            }
        }
    }
}

/** The form a review button opens (or `null` for none). */
private fun formTitle(action: ScreenAction): String? = when (action) {
    ScreenAction.RECORD_CONTACT -> "记录通话"
    ScreenAction.REQUEST_DOCUMENTS -> "要求补材料"
    ScreenAction.APPROVE -> "批准"
    ScreenAction.REJECT -> "不批准"
    ScreenAction.DISBURSE -> "记录放款"
    else -> null
}

/** 任务详情: the villager, the loan, the documents, the call, and the review actions. */
@Composable
fun TaskPage(
    model: TaskScreen,
    form: ReviewForm?,
    problem: Problem?,
    onAction: (ActionButton) -> Unit,
    onForm: (ReviewForm) -> Unit,
    onSubmit: () -> Unit,
    onCall: (String) -> Unit,
    busy: Boolean,
    errorZh: String?,
) {
    Page("任务详情", "task") {
        model.task?.let { Text(it.countdownZh, style = MaterialTheme.typography.titleSmall, color = if (it.overdue) HuoshuiColors.Danger else HuoshuiColors.Green) }
        Block { Facts(model.facts) }
        Heading("材料")
        model.documents.forEach { d -> Body("· ${d.nameZh}" + if (d.missing) "（本机未存）" else "（已存 ${d.captured} 份）") }
        ErrorCard(errorZh)
        model.actions.forEach { a ->
            if (a.action == ScreenAction.CALL) {
                model.callUri?.let { uri -> BigButton("打电话", { onCall(uri) }, tag = "call") }
            } else {
                SecondButton(a.labelZh, { onAction(a) }, Modifier.fillMaxWidth(), enabled = !busy, tag = "action-${a.action.name}")
            }
        }
        if (form != null) ReviewFormBlock(model, form, problem, onForm, onSubmit, busy)
    }
}

@Composable
private fun ReviewFormBlock(model: TaskScreen, form: ReviewForm, problem: Problem?, onForm: (ReviewForm) -> Unit, onSubmit: () -> Unit, busy: Boolean) {
    val title = formTitle(form.action) ?: return
    Block(Modifier.testTag("form"), color = HuoshuiColors.Tint) {
        Heading(title)
        when (form.action) {
            ScreenAction.RECORD_CONTACT -> {
                val options = model.outcomes.map { OptionView(it.outcome.name, it.nameZh, it.nameEn, it.outcome == form.outcome) }
                ChipRow("通话结果", options, "outcome") { o -> onForm(form.copy(outcome = ContactOutcome.valueOf(o.code))) }
                Field("备注（银行内部）", form.note, { onForm(form.copy(note = it)) }, null, "note")
            }
            ScreenAction.REQUEST_DOCUMENTS -> {
                val options = model.documentKinds.map { OptionView(it.kind.name, it.nameZh, it.nameEn, it.kind in form.kinds) }
                ChipRow("要补的材料", options, "kind") { o ->
                    val k = DocumentKind.valueOf(o.code)
                    onForm(form.copy(kinds = if (k in form.kinds) form.kinds - k else form.kinds + k))
                }
                Field("给村民的说明", form.note, { onForm(form.copy(note = it)) }, null, "note")
            }
            ScreenAction.APPROVE -> {
                Field("批准金额（元）", form.amountText, { onForm(form.copy(amountText = it)) }, null, "amount")
                Field("期限（月）", form.monthsText, { onForm(form.copy(monthsText = it)) }, null, "months", number = true)
                Field("年利率（%）", form.rateText, { onForm(form.copy(rateText = it)) }, null, "rate")
            }
            ScreenAction.REJECT -> Field("不批准的原因（村民会看到）", form.note, { onForm(form.copy(note = it)) }, null, "note")
            ScreenAction.DISBURSE -> Field("放款金额（元）", form.amountText, { onForm(form.copy(amountText = it)) }, null, "amount")
            else -> {}
        }
        ProblemText(problem)
        BigButton(if (busy) "请稍候…" else "确定", onSubmit, enabled = problem == null && !busy, tag = "confirm")
    }
}

/** 设置: who I am, the damaged-store notice, about, sign in or out. */
@Composable
fun SettingsPage(model: SettingsScreen, onSignOut: () -> Unit, onNav: (Nav) -> Unit) {
    Page("设置", "settings") {
        Text(model.whoZh, style = MaterialTheme.typography.titleLarge, modifier = Modifier.testTag("who"))
        Block { Facts(model.me) }
        model.damagedStoreZh?.let { Block(color = HuoshuiColors.Attention) { Body(it, HuoshuiColors.Ink, tag = "damaged") } }
        Heading("关于")
        Block { Facts(model.about) }
        if (model.signedIn) BigButton("退出登录", onSignOut, tag = "sign-out") else BigButton("登录", { onNav(model.signIn) }, tag = "sign-in")
    }
}

/** The sync banner over every screen (nothing when all is sent). */
@Composable
fun SyncBannerBar(banner: SyncBanner?, onRetry: () -> Unit, onSignIn: () -> Unit) {
    if (banner == null || !banner.visible) return
    Column(
        Modifier.fillMaxWidth()
            .background(if (banner.urgent) HuoshuiColors.Attention else HuoshuiColors.Warn)
            .padding(12.dp)
            .testTag("sync-banner"),
        verticalArrangement = Arrangement.spacedBy(6.dp),
    ) {
        Text(banner.textZh, style = MaterialTheme.typography.bodyLarge, color = if (banner.urgent) HuoshuiColors.Danger else HuoshuiColors.OnWarn)
        if (banner.canRetry) SecondButton("重试", onRetry, tag = "retry")
        if (banner.signInAgain) SecondButton("重新登录", onSignIn, tag = "sign-in-again")
    }
}

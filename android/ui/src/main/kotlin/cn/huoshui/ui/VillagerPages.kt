package cn.huoshui.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.Checkbox
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import uniffi.huoshui_core.ActionButton
import uniffi.huoshui_core.ApplyForm
import uniffi.huoshui_core.ApplyScreen
import uniffi.huoshui_core.ChecklistLine
import uniffi.huoshui_core.ChecklistScreen
import uniffi.huoshui_core.LoansScreen
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.SignInScreen
import uniffi.huoshui_core.SignInStage
import uniffi.huoshui_core.TimelineScreen

/** 登录: phone, then the texted code. */
@Composable
fun SignInPage(
    model: SignInScreen,
    phone: String,
    code: String,
    busy: Boolean,
    errorZh: String?,
    onPhone: (String) -> Unit,
    onCode: (String) -> Unit,
    onPrimary: () -> Unit,
    onChangePhone: () -> Unit,
) {
    Page(model.titleZh, "signin") {
        Body(model.hintZh, HuoshuiColors.Muted)
        if (model.stage != SignInStage.SIGNED_IN) {
            Field("手机号", phone, onPhone, model.phoneProblem, "phone", number = true)
        }
        if (model.stage == SignInStage.CODE) {
            Field("验证码", code, onCode, model.codeProblem, "code", number = true)
        }
        ErrorCard(errorZh)
        BigButton(if (busy) "请稍候…" else model.buttonZh, onPrimary, enabled = model.buttonEnabled && !busy, tag = "primary")
        if (model.stage == SignInStage.CODE) SecondButton("换个手机号", onChangePhone, Modifier.fillMaxWidth(), tag = "change-phone")
    }
}

/** 申请: amount, term, purpose and the credit-check consent. */
@Composable
fun ApplyPage(model: ApplyScreen, form: ApplyForm, onForm: (ApplyForm) -> Unit, onSubmit: () -> Unit, busy: Boolean, errorZh: String?) {
    Page("申请 ${model.productNameZh}", "apply") {
        Body(model.bankZh, HuoshuiColors.Muted)
        Body(model.rangeZh, HuoshuiColors.Muted)
        Field("金额（元，可写“10万”）", form.amountText, { onForm(form.copy(amountText = it)) }, model.amountProblem, "amount")
        Field("期限（月）", form.monthsText, { onForm(form.copy(monthsText = it)) }, model.monthsProblem, "months", number = true)
        ChipRow("贷款用途", model.purposes, "purpose") { onForm(form.copy(purpose = it.code)) }
        ProblemText(model.purposeProblem)
        Body(model.previewZh, tag = "preview")
        if (model.whyNotZh.isNotEmpty()) Text("暂不能申请：${model.whyNotZh}", style = MaterialTheme.typography.bodyLarge, color = HuoshuiColors.Danger)
        Block {
            Heading(model.consentTitleZh)
            Body(model.consentTextZh, tag = "consent-text")
            Row(
                Modifier.fillMaxWidth().heightIn(min = MinTouch).testTag("consent")
                    .toggleable(value = form.consent, role = Role.Checkbox, onValueChange = { onForm(form.copy(consent = it)) }),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Checkbox(checked = form.consent, onCheckedChange = null)
                Text("我已阅读并同意上述授权", style = MaterialTheme.typography.bodyLarge)
            }
            ProblemText(model.consentProblem)
        }
        if (model.signInFirst) Body("请先登录再申请", HuoshuiColors.Danger)
        ErrorCard(errorZh)
        BigButton(if (busy) "请稍候…" else "下一步：拍材料", onSubmit, enabled = model.canSubmit && !busy, tag = "submit")
    }
}

/** 材料清单: each document with capture or retake, progress, and submit. */
@Composable
fun ChecklistPage(
    model: ChecklistScreen,
    onCapture: (ChecklistLine) -> Unit,
    onSubmit: () -> Unit,
    busy: Boolean,
    errorZh: String?,
) {
    Page("材料清单", "checklist") {
        Body("${model.application.productNameZh} · ${model.application.amount.short} · ${model.application.stateZh}", HuoshuiColors.Muted)
        Text(model.progressZh, style = MaterialTheme.typography.titleSmall, modifier = Modifier.testTag("progress"))
        LinearProgressIndicator(
            progress = { if (model.total == 0u) 1f else model.done.toFloat() / model.total.toFloat() },
            modifier = Modifier.fillMaxWidth(),
            color = HuoshuiColors.Green,
        )
        model.lines.forEach { line ->
            Block(Modifier.testTag("doc-${line.kind.name}"), color = if (line.done) HuoshuiColors.Tint else HuoshuiColors.Card) {
                Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(line.nameZh, style = MaterialTheme.typography.titleSmall, modifier = Modifier.weight(1f))
                    Text(line.statusZh, style = MaterialTheme.typography.bodyMedium, color = if (line.done) HuoshuiColors.Green else HuoshuiColors.Danger)
                }
                if (model.editable) SecondButton(line.actionZh, { onCapture(line) }, Modifier.fillMaxWidth(), tag = "capture-${line.kind.name}")
            }
        }
        ProblemText(model.submitProblem)
        ErrorCard(errorZh)
        BigButton(if (busy) "请稍候…" else model.submitZh, onSubmit, enabled = model.canSubmit && !busy, tag = "submit")
    }
}

/** 我的贷款. */
@Composable
fun LoansPage(model: LoansScreen, onNav: (Nav) -> Unit) {
    Page("我的贷款", "loans") {
        model.emptyZh?.let { Body(it, HuoshuiColors.Muted, tag = "empty") }
        model.rows.forEach { row ->
            val a = row.application
            Block(Modifier.testTag("loan-${a.id}")) {
                Text(a.productNameZh, style = MaterialTheme.typography.titleMedium, color = HuoshuiColors.Green)
                Body(row.amountZh)
                Body("${a.stateZh} · ${a.updatedZh}", HuoshuiColors.Muted)
                if (a.syncZh.isNotEmpty()) Body(a.syncZh, HuoshuiColors.OnWarn)
                a.attentionZh?.let { Body(it, HuoshuiColors.Danger) }
                SecondButton("查看进度", { onNav(row.open) }, Modifier.fillMaxWidth(), tag = "open-${a.id}")
            }
        }
    }
}

/** 进度: what happens next, the manager, the buttons of this state, every step. */
@Composable
fun TimelinePage(model: TimelineScreen, onAction: (ActionButton) -> Unit, onCall: (String) -> Unit, busy: Boolean, errorZh: String?) {
    val v = model.view
    Page("${v.application.productNameZh} · 进度", "timeline") {
        Body("${v.application.amount.short} · ${v.application.months}个月 · ${v.application.stateZh}")
        Block(color = HuoshuiColors.Tint) {
            Heading("下一步")
            Body(v.nextZh, tag = "next")
        }
        Body(model.managerZh, tag = "manager")
        Body(model.callNoteZh, HuoshuiColors.Muted)
        model.callUri?.let { uri -> BigButton("打电话给客户经理", { onCall(uri) }, tag = "call") }
        ErrorCard(errorZh)
        model.actions.forEach { a -> SecondButton(a.labelZh, { onAction(a) }, Modifier.fillMaxWidth(), enabled = !busy, tag = "action-${a.action.name}") }
        Heading("办理记录")
        v.entries.reversed().forEach { e ->
            Block {
                Text(e.titleZh, style = MaterialTheme.typography.titleSmall)
                Body(e.whenZh + if (e.confirmed) "" else " · 待发送", HuoshuiColors.Muted)
                e.detailZh?.let { Body(it) }
            }
        }
    }
}

package cn.huoshui.ui

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.assertHeightIsAtLeast
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.performClick
import androidx.compose.ui.unit.dp
import huoshui.Phone
import huoshui.SharedPlatform
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.State

/**
 * A villager's journey through the real screens against a real platform (`huoshui serve` on
 * loopback): sign in by phone and texted code (a wrong code first), find the pear loan by pinyin,
 * apply with the credit-check consent, photograph every document (one retaken), submit, follow
 * it in my loans and its timeline, then the grade from the county's record and the settings.
 */
@OptIn(ExperimentalTestApi::class)
class VillagerJourneyUiTest {
    companion object {
        private val platform = SharedPlatform.platform
        private val phone = Phone(platformUrl = platform.url)

        @JvmStatic
        @AfterClass
        fun close() = phone.close()
    }

    @Test
    fun a_villager_signs_in_applies_captures_submits_and_follows_the_loan() = uiTest {
        val core = phone.core
        val shell = TestShell()
        val number = platform.phoneOf("v001")
        showApp(core, shell, start = Nav.SignIn)
        awaitText("手机号登录")
        shoot("signin-phone")
        type("phone", number)
        val mark = platform.logMark()
        // the screen model is recomputed off the UI thread: wait for the typed number to count
        waitFor("get-code enabled", 20) { runCatching { onNode(hasTestTag("primary")).assertIsEnabled() }.isSuccess }
        tagged("primary").performClick()
        awaitTag("code")
        val code = platform.awaitCode(number, mark)
        type("code", if (code == "000000") "111111" else "000000")
        tagged("primary").performClick()
        awaitText("验证码错误或已过期")
        shoot("signin-wrong-code")
        // five attempts per code: the right one still works
        type("code", code)
        shoot("signin-code")
        tagged("primary").performClick()
        // signed in: the villager's home is the market
        awaitTag("market", seconds = 30)
        awaitTag("tab-我的贷款")

        // the pear loan runs from 4 years: 10万元 over 48 months
        type("months", "48")
        awaitText("10万元 · 48个月")
        type("search", "suli")
        tagged("open-runchang-suli").performClick()
        awaitText("按时还款预计净成本")
        tagged("apply").performClick()

        awaitText("个人征信查询授权书")
        awaitText("中国人民银行征信中心")
        type("amount", "10万")
        type("months", "48")
        awaitText("首期还款")
        tagged("submit").assertIsNotEnabled()
        shoot("apply-form")
        val purpose = core.applyScreen(uniffi.huoshui_core.ApplyForm("runchang-suli", "10万", "48", null, false)).purposes.first()
        tagged("purpose-${purpose.code}").performClick()
        tagged("consent").performClick()
        waitFor("submit enabled", 20) { runCatching { onNode(hasTestTag("submit")).assertIsEnabled() }.isSuccess }
        shoot("apply-ready")
        tagged("submit").performClick()

        awaitTag("checklist", seconds = 30)
        awaitText("已拍 0 / ")
        shoot("checklist-empty")
        val app = runBlocking { core.applications() }.single()
        val kinds = core.checklistScreen(app.id).lines.map { it.kind }
        tagged("capture-${kinds.first().name}").performClick()
        awaitText("已拍 1 / ${kinds.size} 项")
        shoot("checklist-progress")
        // a retake replaces the photo: still one document of that kind
        tagged("capture-${kinds.first().name}").performClick()
        waitFor("the retake", 20) { shell.captures.size == 2 && core.checklistScreen(app.id).lines.first().documentIds.size == 1 }
        kinds.drop(1).forEach { k ->
            tagged("capture-${k.name}").performClick()
            awaitText("已拍 ${kinds.indexOf(k) + 1} / ${kinds.size} 项")
        }
        assertEquals(kinds.size, runBlocking { core.documents(app.id) }.size)
        shoot("checklist-complete")
        tagged("submit").performClick()

        awaitTag("timeline", seconds = 30)
        awaitText("办理记录")
        shoot("timeline-submitted")
        assertTrue(runBlocking { core.applications() }.single().state != State.DRAFT)
        tagged("tab-我的贷款").performClick()
        awaitTag("loan-${app.id}")
        awaitText("酥梨贷")
        shoot("loans-list")
        tagged("open-${app.id}").performClick()
        awaitTag("timeline")
        awaitText("客户经理", seconds = 30)
        shoot("timeline-opened")
        // the assigned manager by name, with a call to their work phone (48 dp, 18 sp at least)
        val managerId = platform.get("/v1/applications/${app.id}", platform.tokenFor("admin")).second!!["manager_id"].asText()
        val manager = platform.demoAccounts.first { it["id"].asText() == managerId }
        awaitText("客户经理 ${manager["name"].asText()}", substring = false)
        val call = tagged("call")
        call.assertHeightIsAtLeast(48.dp)
        assertTrue("the call button's text is ${textSpIn("call")} sp", textSpIn("call") >= 18f)
        call.performClick()
        assertEquals(listOf("tel:${manager["phone"].asText()}"), shell.calls.toList())
        shoot("timeline-manager")

        tagged("tab-信用").performClick()
        awaitText("积分来自县里的记录")
        awaitText("AAA级")
        shoot("grade-from-record")
        tagged("tab-设置").performClick()
        awaitText("村民")
        awaitText("美德积分")
        shoot("settings-villager")
        assertTouchTargets()
    }
}

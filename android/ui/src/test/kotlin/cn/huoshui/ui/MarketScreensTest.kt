package cn.huoshui.ui

import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.assertIsNotEnabled
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performTextClearance
import androidx.compose.ui.test.performTextInput
import huoshui.Phone
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import uniffi.huoshui_core.MarketForm
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.SortKey

/** Types [text] into the field tagged [tag] (replacing what was there). */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.type(tag: String, text: String) {
    val field = tagged(tag)
    field.performTextClearance()
    field.performTextInput(text)
}

/**
 * The screens a villager sees before signing in, drawn from the real core (the embedded county
 * catalog) with no platform: the market, a product, the comparison, the calculator, the grade,
 * the settings. Each state tested is saved as a PNG under target/screens/.
 */
@OptIn(ExperimentalTestApi::class)
class MarketScreensTest {
    companion object {
        private val phone = Phone()

        @JvmStatic
        @AfterClass
        fun close() = phone.close()
    }

    private val core get() = phone.core

    @Test
    fun market_shows_cards_with_payment_net_cost_and_apr_and_filters_by_chip_and_pinyin() = uiTest {
        showApp(core, start = Nav.Market)
        awaitText("年化利率")
        awaitText("共 ")
        shoot("market-default")
        assertTouchTargets()
        type("amount", "50万")
        type("months", "60")
        awaitText("= ¥500,000.00（50万元）")
        type("search", "suli")
        awaitTag("card-runchang-suli")
        shoot("market-search-pinyin")
        type("search", "")
        tagged("bank-ccb").performClick()
        awaitText("中国建设银行", seconds = 20)
        waitFor("only ccb cards", 20) { onAllNodes(hasTestTag("card-runchang-suli")).fetchSemanticsNodes().isEmpty() }
        shoot("market-filter-bank")
        tagged("bank-ccb").performClick()
        tagged("badge-interest_subsidy").performClick()
        awaitText("贴息")
        shoot("market-filter-badge")
        tagged("badge-interest_subsidy").performClick()
        tagged("sort-payment").performClick()
        awaitText("月供最少")
        shoot("market-sort-payment")
    }

    @Test
    fun an_offer_the_villager_cannot_have_says_why_and_a_bad_amount_is_named() = uiTest {
        showApp(core, start = Nav.Market)
        awaitText("年化利率")
        type("amount", "100万")
        type("search", "meide")
        awaitTag("card-runchang-meide")
        awaitText("暂不能申请：")
        shoot("market-why-not")
        type("amount", "五十万")
        awaitText("金额格式不对")
        awaitText("请先填好金额和期限")
        shoot("market-invalid-amount")
    }

    @Test
    fun market_at_font_scale_one_and_a_half_still_shows_every_part() = uiTest {
        showApp(core, start = Nav.Market, fontScale = 1.5f)
        awaitText("年化利率")
        shoot("market-font-1.5")
        assertTouchTargets()
        // the text really is bigger: the same title takes more height than at scale 1
        val big = onNode(hasText("贷款超市")).fetchSemanticsNode().size.height
        assertTrue("title height at 1.5: $big", big >= 30 * 1.5 * 0.9)
    }

    @Test
    fun product_detail_shows_the_facts_the_documents_and_the_schedule() = uiTest {
        showApp(core, start = Nav.Product("runchang-suli"), form = MarketForm("50万", "60", SortKey.NET_COST, null, null, null, ""))
        awaitText("按时还款预计净成本")
        awaitText("¥500,000.00（50万元）")
        awaitText("需要准备的材料")
        shoot("product-suli")
        tagged("schedule")
        awaitText("第1期")
        shoot("product-suli-schedule")
    }

    @Test
    fun three_products_picked_in_the_market_are_compared_row_by_row() = uiTest {
        showApp(core, start = Nav.Market)
        awaitText("年化利率")
        type("amount", "50万")
        type("months", "60")
        awaitText("= ¥500,000.00（50万元）")
        for (id in listOf("runchang-suli", "ccb-jiagong", "abc-nongji")) {
            type("search", id)
            tagged("pick-$id").performClick()
            awaitText("取消对比")
        }
        tagged("compare-picked").performClick()
        awaitTag("compare")
        awaitTag("col-2")
        assertEquals(0, onAllNodes(hasTestTag("col-3")).fetchSemanticsNodes().size)
        shoot("compare-three")
        assertTouchTargets()
    }

    @Test
    fun compare_with_one_product_says_to_pick_two_to_four() = uiTest {
        showApp(core, start = Nav.Compare(listOf("runchang-suli")))
        awaitText("请选 2 到 4 款贷款来对比")
        shoot("compare-too-few")
    }

    @Test
    fun calculator_gives_the_annuity_and_names_a_bad_rate() = uiTest {
        showApp(core, start = Nav.Calculator)
        awaitText("¥8,530.99（8,531元）")
        shoot("calculator-default")
        tagged("method-equal-principal").performClick()
        awaitText("最高一期")
        shoot("calculator-equal-principal")
        type("rate", "abc")
        awaitText("年利率不对")
        shoot("calculator-invalid-rate")
    }

    @Test
    fun grade_tries_typed_points_and_shows_what_they_unlock() = uiTest {
        showApp(core, start = Nav.Grade)
        awaitText("登录后显示")
        shoot("grade-signed-out")
        type("points", "1052")
        awaitText("AAA级")
        awaitText("已解锁")
        shoot("grade-what-if-1052")
    }

    @Test
    fun settings_before_sign_in_offer_the_sign_in_and_about() = uiTest {
        showApp(core, start = Nav.Settings)
        awaitText("未登录")
        awaitText("产品目录")
        shoot("settings-signed-out")
        tagged("sign-in").performClick()
        awaitTag("signin")
        awaitText("手机号登录")
        tagged("primary").assertIsNotEnabled()
        type("phone", "1380000")
        awaitText("手机号应为 1 开头的 11 位数字")
        shoot("signin-bad-phone")
        assertEquals(1, onAllNodesWithText("获取验证码").fetchSemanticsNodes().size)
    }
}

package cn.huoshui.ui

import org.junit.Assert.assertEquals
import org.junit.Test
import uniffi.huoshui_core.MarketForm
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.SortKey

class NavStateTest {
    private val id = "0192f5a0-0000-7000-8000-000000000001"

    @Test
    fun every_screen_of_a_back_stack_survives_being_saved_and_restored() {
        val screens = listOf(
            Nav.SignIn, Nav.Market, Nav.Product("runchang-suli"), Nav.Compare(listOf("a", "b", "c")),
            Nav.Calculator, Nav.Grade, Nav.Apply("runchang-suli"), Nav.Checklist(id), Nav.Loans,
            Nav.Timeline(id), Nav.Inbox, Nav.Task(id), Nav.Settings,
        )
        val navigator = Navigator(screens.first())
        screens.drop(1).forEach { navigator.stack.add(it) }
        val restored = restoreNavigator(navigator.save(), Nav.SignIn)
        assertEquals(screens, restored.stack.toList())
        assertEquals(Nav.Settings, restored.current)
    }

    @Test
    fun nothing_usable_saved_starts_at_the_given_screen() {
        assertEquals(listOf(Nav.SignIn), restoreNavigator(null, Nav.SignIn).stack.toList())
        assertEquals(listOf(Nav.Inbox), restoreNavigator(listOf("Nope", "Task:", "Compare:a"), Nav.Inbox).stack.toList())
    }

    @Test
    fun the_market_form_as_typed_survives_being_saved_and_restored() {
        val typed = MarketForm(
            amountText = "50万", monthsText = "36", sort = SortKey.entries.last(),
            industry = "pear", bank = "runchang", badge = null, search = "suli",
        )
        assertEquals(typed, decodeMarketForm(typed.encode()))
        assertEquals(null, decodeMarketForm(null))
        assertEquals(DefaultMarketForm.sort, decodeMarketForm(mapOf("amount" to "1万", "months" to "12", "sort" to "GONE"))!!.sort)
    }
}

package huoshui

import cn.huoshui.core.HuoshuiFailure
import cn.huoshui.core.MarketScreenState
import cn.huoshui.core.MarketUiState
import cn.huoshui.core.MyLoansState
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.DraftInput

/** The screen state holders the Compose screens observe, over the real core. */
class StateHoldersTest {
    private val f = Fixture()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    @AfterEach
    fun close() {
        scope.cancel()
        f.close()
    }

    @Test
    fun `the market screen state goes from loading to the page, and shows a failure as its Chinese message`() = runBlocking {
        val market = MarketScreenState(f.app, scope)
        assertEquals(MarketUiState.Idle, market.state.value)
        market.request(marketInput(50_000_000L, 36u, limit = 20u)).join()
        val ready = market.state.value
        assertTrue(ready is MarketUiState.Ready, ready.toString())
        assertEquals(20, (ready as MarketUiState.Ready).page.offers.size)

        market.request(marketInput(0L, 36u)).join()
        val failed = market.state.value
        assertTrue(failed is MarketUiState.Failed, failed.toString())
        assertTrue((failed as MarketUiState.Failed).failure is HuoshuiFailure.InvalidInput)
        assertTrue(failed.failure.messageZh.isNotBlank())
    }

    @Test
    fun `my loans state follows the applications through the listener`() = runBlocking {
        val loans = MyLoansState(f.app, scope)
        assertEquals(emptyList<Any>(), loans.applications.value)
        val collector = scope.launch { loans.applications.collect {} }
        val draft = f.app.createDraft(DraftInput("runchang-suli", 50_000_000L, 60u, "jiazhen"))
        val seen = loans.applications.first { list -> list.any { it.id == draft.id } }
        assertEquals("draft", seen.single().state)
        collector.cancel()
    }
}

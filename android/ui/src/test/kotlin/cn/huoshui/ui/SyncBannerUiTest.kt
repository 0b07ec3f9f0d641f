package cn.huoshui.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.performTouchInput
import huoshui.Phone
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import uniffi.huoshui_core.SyncState
import uniffi.huoshui_core.SyncStatusView

/**
 * The sync banner over every screen, drawn in the app's frame from the core's rule: the page
 * under the user's finger never jumps because a sync started (the lost taps of issue 11's
 * manager walk-through), while the states that last still show.
 */
@OptIn(ExperimentalTestApi::class)
class SyncBannerUiTest {
    companion object {
        private val phone = Phone()

        @JvmStatic
        @AfterClass
        fun close() = phone.close()
    }

    private fun status(state: SyncState, pending: UInt, zh: String) =
        SyncStatusView(state, pending, 0u, 0u, zh, zh, null)

    @Test
    fun a_tap_is_not_lost_when_the_sync_after_the_last_action_starts_under_the_finger() = uiTest {
        val taps = mutableListOf<String>()
        var now by mutableStateOf(status(SyncState.IDLE, 0u, "已是最新"))
        setContent {
            HuoshuiTheme {
                AppFrame(phone.core.syncBannerFor(now), {}, {}) {
                    SecondButton("批准", { taps += "approve" }, tag = "approve")
                }
            }
        }
        onNodeWithTag("approve").performTouchInput { down(center) }
        // the previous action's command is queued, then its sync starts, while the finger is down
        runOnIdle { now = status(SyncState.IDLE, 1u, "1 项等待发送") }
        waitForIdle()
        runOnIdle { now = status(SyncState.SYNCING, 1u, "正在与平台同步…") }
        waitForIdle()
        // as a tap does (`click()`: down, move, up), the finger reports where it is before lifting
        onNodeWithTag("approve").performTouchInput {
            move()
            up()
        }
        waitForIdle()
        assertEquals(listOf("approve"), taps)
    }

    @Test
    fun offline_with_what_waits_shows_the_banner_over_the_page() = uiTest {
        setContent {
            HuoshuiTheme {
                AppFrame(phone.core.syncBannerFor(status(SyncState.OFFLINE, 2u, "没有网络。2 项已保存在手机上，联网后自动发送")), {}, {}) {
                    SecondButton("批准", {}, tag = "approve")
                }
            }
        }
        awaitTag("sync-banner")
        awaitText("2 项已保存在手机上")
        assertTrue(onAllNodes(hasTestTag("approve")).fetchSemanticsNodes().isNotEmpty())
    }
}

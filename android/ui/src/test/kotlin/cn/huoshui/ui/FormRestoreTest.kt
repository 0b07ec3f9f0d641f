package cn.huoshui.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.LocalSaveableStateRegistry
import androidx.compose.runtime.saveable.SaveableStateRegistry
import androidx.compose.runtime.setValue
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertTextContains
import huoshui.Phone
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Test
import uniffi.huoshui_core.ApplyForm
import uniffi.huoshui_core.ContactOutcome
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.ReviewForm
import uniffi.huoshui_core.ScreenAction

/**
 * What a villager typed into a form is still there after the system ended the app in the
 * background and it came back (Android's saved instance state: here a saveable-state registry
 * is saved, the screen is thrown away and drawn anew from what was saved): the calculator's rate,
 * the grade's points, the application's amount. The manager's review form is saved whole.
 */
@OptIn(ExperimentalTestApi::class)
class FormRestoreTest {
    companion object {
        private val phone = Phone()

        @JvmStatic
        @AfterClass
        fun close() = phone.close()
    }

    private val core get() = phone.core

    @Test
    fun the_calculators_typed_rate_survives_the_app_being_ended_in_the_background() = uiTest {
        val restore = Restorer(this)
        restore.setContent { HuoshuiTheme { CalculatorRoute(core) } }
        type("rate", "3.85")
        awaitText("3.85")
        restore.saveAndRestore()
        tagged("rate").assertTextContains("3.85")
    }

    @Test
    fun the_grades_typed_points_survive_too() = uiTest {
        val restore = Restorer(this)
        restore.setContent { HuoshuiTheme { GradeRoute(core) } }
        type("points", "1052")
        awaitText("AAA级")
        restore.saveAndRestore()
        tagged("points").assertTextContains("1052")
        awaitText("AAA级")
    }

    @Test
    fun the_application_forms_amount_and_purpose_survive_too() = uiTest {
        val productId = "runchang-suli"
        val restore = Restorer(this)
        restore.setContent { HuoshuiTheme { ApplyRoute(core, productId) {} } }
        type("amount", "15万")
        awaitText("15万")
        restore.saveAndRestore()
        tagged("amount").assertTextContains("15万")
    }

    @Test
    fun every_field_of_the_saved_forms_comes_back_as_it_was() {
        val apply = ApplyForm("runchang-suli", "20万", "48", "planting", true)
        assertEquals(apply, restored(ApplyFormSaver, apply))
        assertEquals(apply.copy(purpose = null, consent = false), restored(ApplyFormSaver, apply.copy(purpose = null, consent = false)))
        val review = ReviewForm(
            applicationId = "a-1",
            action = ScreenAction.entries.last(),
            outcome = ContactOutcome.entries.first(),
            note = "周三再来，带上土地合同",
            amountText = "8万",
            monthsText = "24",
            rateText = "4.2",
            kinds = DocumentKind.entries.take(2),
        )
        assertEquals(review, restored(ReviewFormSaver, review))
        assertEquals(null, restored(ReviewFormSaver, null))
    }
}

/**
 * The app's screen under a saveable-state registry, as Android's Activity gives one:
 * [saveAndRestore] saves it, throws the screen away and draws it again from what was saved.
 */
@OptIn(ExperimentalTestApi::class)
private class Restorer(private val test: ComposeUiTest) {
    private var saved: Map<String, List<Any?>>? = null
    private var registry: SaveableStateRegistry? = null
    private var shown by mutableStateOf(true)

    // The screen leaves and comes back at the same place, so its saveable keys are the same.
    fun setContent(content: @Composable () -> Unit) = test.setContent {
        if (shown) {
            val fresh = remember { SaveableStateRegistry(saved) { true } }
            registry = fresh
            CompositionLocalProvider(LocalSaveableStateRegistry provides fresh) { content() }
        }
    }

    fun saveAndRestore() {
        test.runOnIdle {
            saved = registry?.performSave()
            shown = false
        }
        test.waitForIdle()
        test.runOnIdle { shown = true }
        test.waitForIdle()
    }
}

private fun <T> restored(saver: androidx.compose.runtime.saveable.Saver<T, Any>, value: T): T? {
    val scope = androidx.compose.runtime.saveable.SaverScope { true }
    val saved = with(saver) { scope.save(value) } ?: return null
    return saver.restore(saved)
}

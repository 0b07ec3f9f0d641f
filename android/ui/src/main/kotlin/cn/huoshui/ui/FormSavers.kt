package cn.huoshui.ui

import androidx.compose.runtime.saveable.Saver
import androidx.compose.runtime.saveable.listSaver
import uniffi.huoshui_core.ApplyForm
import uniffi.huoshui_core.CalculatorForm
import uniffi.huoshui_core.ContactOutcome
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.ReviewForm
import uniffi.huoshui_core.ScreenAction

/*
 * What a user has typed into a form survives the system ending the app in the background
 * (Android keeps it in the saved instance state, as it keeps an EditText's text): each form the
 * core defines is saved as a list of strings. The sign-in's phone and code are not saved (they
 * are typed again, and a code expires anyway).
 */

/** The calculator's five fields. */
val CalculatorFormSaver: Saver<CalculatorForm, Any> = listSaver(
    save = { listOf(it.method, it.amountText, it.rateText, it.monthsText, it.graceText) },
    restore = { CalculatorForm(it[0], it[1], it[2], it[3], it[4]) },
)

/** The application form: product, amount, term, purpose (empty: none) and the consent. */
val ApplyFormSaver: Saver<ApplyForm, Any> = listSaver(
    save = { listOf(it.productId, it.amountText, it.monthsText, it.purpose ?: "", if (it.consent) "1" else "0") },
    restore = { ApplyForm(it[0], it[1], it[2], it[3].ifEmpty { null }, it[4] == "1") },
)

/** A review action's form on the task screen, or none open (saved as an empty list). */
val ReviewFormSaver: Saver<ReviewForm?, Any> = listSaver(
    save = { form ->
        if (form == null) {
            emptyList()
        } else {
            listOf(
                form.applicationId,
                form.action.name,
                form.outcome?.name ?: "",
                form.note,
                form.amountText,
                form.monthsText,
                form.rateText,
                form.kinds.joinToString(",") { it.name },
            )
        }
    },
    restore = { saved ->
        if (saved.size < 8) {
            null
        } else {
            ReviewForm(
                applicationId = saved[0],
                action = ScreenAction.valueOf(saved[1]),
                outcome = saved[2].takeIf { it.isNotEmpty() }?.let { ContactOutcome.valueOf(it) },
                note = saved[3],
                amountText = saved[4],
                monthsText = saved[5],
                rateText = saved[6],
                kinds = saved[7].split(",").filter { it.isNotEmpty() }.map { DocumentKind.valueOf(it) },
            )
        }
    },
)

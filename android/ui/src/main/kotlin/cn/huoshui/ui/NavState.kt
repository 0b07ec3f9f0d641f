package cn.huoshui.ui

import uniffi.huoshui_core.MarketForm
import uniffi.huoshui_core.Nav
import uniffi.huoshui_core.SortKey

/*
 * The back stack and the market form as plain strings, so a host can keep them where the system
 * saves state (the Android app keeps them in its ViewModel's SavedStateHandle, which outlives
 * rotation and process death). One string per screen: its name, then its ids after a colon,
 * comma-separated. Never a login code, a token or a document.
 */

/** One screen as a string: `Market`, `Timeline:<id>`, `Compare:<a>,<b>`. */
fun Nav.encode(): String = when (this) {
    Nav.SignIn -> "SignIn"
    Nav.Market -> "Market"
    is Nav.Product -> "Product:$productId"
    is Nav.Compare -> "Compare:" + productIds.joinToString(",")
    Nav.Calculator -> "Calculator"
    Nav.Grade -> "Grade"
    is Nav.Apply -> "Apply:$productId"
    is Nav.Checklist -> "Checklist:$applicationId"
    Nav.Loans -> "Loans"
    is Nav.Timeline -> "Timeline:$applicationId"
    Nav.Inbox -> "Inbox"
    is Nav.Task -> "Task:$applicationId"
    Nav.Settings -> "Settings"
    Nav.Back -> "Back"
}

/** The screen [text] names ([encode]'s inverse); `null` for anything else. */
fun decodeNav(text: String): Nav? {
    val name = text.substringBefore(':')
    val arg = text.substringAfter(':', "")
    return when (name) {
        "SignIn" -> Nav.SignIn
        "Market" -> Nav.Market
        "Product" -> arg.ifEmpty { null }?.let { Nav.Product(it) }
        "Compare" -> arg.split(',').filter { it.isNotEmpty() }.takeIf { it.size >= 2 }?.let { Nav.Compare(it) }
        "Calculator" -> Nav.Calculator
        "Grade" -> Nav.Grade
        "Apply" -> arg.ifEmpty { null }?.let { Nav.Apply(it) }
        "Checklist" -> arg.ifEmpty { null }?.let { Nav.Checklist(it) }
        "Loans" -> Nav.Loans
        "Timeline" -> arg.ifEmpty { null }?.let { Nav.Timeline(it) }
        "Inbox" -> Nav.Inbox
        "Task" -> arg.ifEmpty { null }?.let { Nav.Task(it) }
        "Settings" -> Nav.Settings
        else -> null
    }
}

/** The back stack, oldest first, for the host to save. */
fun Navigator.save(): ArrayList<String> = ArrayList(stack.map { it.encode() })

/** A navigator at the saved back stack ([save]), or at [start] when nothing usable was saved. */
fun restoreNavigator(saved: List<String>?, start: Nav): Navigator {
    val screens = saved.orEmpty().mapNotNull(::decodeNav)
    val navigator = Navigator(screens.firstOrNull() ?: start)
    screens.drop(1).forEach { navigator.stack.add(it) }
    return navigator
}

/** The market form as typed (amount, term, sort, chips, search), for the host to save. */
fun MarketForm.encode(): HashMap<String, String> = hashMapOf(
    "amount" to amountText,
    "months" to monthsText,
    "sort" to sort.name,
    "search" to search,
).apply {
    industry?.let { put("industry", it) }
    bank?.let { put("bank", it) }
    badge?.let { put("badge", it) }
}

/** The market form [encode] saved; `null` when nothing usable was saved. */
fun decodeMarketForm(saved: Map<String, String>?): MarketForm? {
    val amount = saved?.get("amount") ?: return null
    val months = saved["months"] ?: return null
    return MarketForm(
        amountText = amount,
        monthsText = months,
        sort = SortKey.entries.firstOrNull { it.name == saved["sort"] } ?: DefaultMarketForm.sort,
        industry = saved["industry"],
        bank = saved["bank"],
        badge = saved["badge"],
        search = saved["search"].orEmpty(),
    )
}

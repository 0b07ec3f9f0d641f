package cn.huoshui.ui

import uniffi.huoshui_core.Nav

/*
 * The back stack as plain strings, so a host can keep it where the system saves state (the
 * Android app keeps it in its ViewModel's SavedStateHandle, which outlives rotation and process
 * death). One string per screen: its name, then its ids after a colon, comma-separated.
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

package cn.huoshui.core

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import uniffi.huoshui_core.SessionView
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException

/** Where the sign-in screen is. */
enum class SignInStep {
    /** Type the phone number. */
    PHONE,
    /** A code was sent: type it. */
    CODE,
    /** Signed in: the screen shows who, and a sign-out button. */
    SIGNED_IN,
}

/** What the sign-in screen draws. */
data class SignInUi(
    val step: SignInStep = SignInStep.PHONE,
    /** The phone number as typed. */
    val phone: String = "",
    /** A request is running: disable the buttons. */
    val busy: Boolean = false,
    /** The last failure, in the core's (or the platform's) words. */
    val error: ErrorText? = null,
    /** Who is signed in (at [SignInStep.SIGNED_IN]). */
    val session: SessionView? = null,
    /** The platform no longer accepts the last sign-in: say "sign in again" (nothing queued is lost). */
    val signInAgain: Boolean = false,
)

/**
 * The sign-in screen: phone → code → signed in, and sign-out. Follows the core's session, so an
 * expired sign-in brings the screen back to the phone step with "sign in again", and a restart
 * opens signed in. Saves the step and the phone number being typed (never the code).
 */
class SignInState(
    private val core: HuoshuiCore,
    private val scope: CoroutineScope,
    restored: Map<String, String> = emptyMap(),
) : SavesState {
    private val _state = MutableStateFlow(
        SignInUi(
            step = if (restored[KEY_STEP] == SignInStep.CODE.name) SignInStep.CODE else SignInStep.PHONE,
            phone = restored[KEY_PHONE].orEmpty(),
        ),
    )
    val state: StateFlow<SignInUi> = _state.asStateFlow()

    init {
        scope.launch {
            core.sessionFlow().collect { session -> _state.update { follow(it, session) } }
        }
    }

    private fun follow(ui: SignInUi, session: SessionView?): SignInUi = when {
        session != null && !session.needsSignIn ->
            ui.copy(step = SignInStep.SIGNED_IN, session = session, signInAgain = false, busy = false, error = null)
        session != null ->
            ui.copy(step = SignInStep.PHONE, session = null, signInAgain = true, busy = false)
        ui.step == SignInStep.SIGNED_IN ->
            ui.copy(step = SignInStep.PHONE, session = null, busy = false)
        else -> ui
    }

    /** The phone field changed. */
    fun phoneChanged(phone: String) = _state.update { it.copy(phone = phone.trim(), error = null) }

    /** Asks the platform to text a code to [phone]; on success the screen asks for the code. */
    fun requestCode(phone: String = state.value.phone): Job = act(phone) {
        core.requestCode(phone)
        _state.update { it.copy(step = SignInStep.CODE, busy = false) }
    }

    /** Signs in with the [code] that was texted; the session then comes through the core. */
    fun signIn(code: String): Job = act(state.value.phone) { phone ->
        val session = core.login(phone, code.trim())
        _state.update { follow(it, session) }
    }

    /** Back to the phone step (a wrong number was typed). */
    fun changePhone() = _state.update { it.copy(step = SignInStep.PHONE, error = null) }

    /** Signs out: the token is wiped; what waits in the outbox stays for the next sign-in. */
    fun signOut(): Job = act(state.value.phone) {
        core.logout()
        _state.update { it.copy(step = SignInStep.PHONE, session = null, busy = false) }
    }

    private fun act(phone: String, block: suspend (String) -> Unit): Job {
        _state.update { it.copy(phone = phone, busy = true, error = null) }
        return scope.launch {
            try {
                block(phone)
            } catch (e: HuoshuiException) {
                _state.update { it.copy(busy = false, error = ErrorText.of(e)) }
            }
        }
    }

    override fun saveState(): Map<String, String> {
        val ui = state.value
        // Signed in needs no saving: the core keeps the session.
        val step = if (ui.step == SignInStep.CODE) SignInStep.CODE else SignInStep.PHONE
        return mapOf(KEY_STEP to step.name, KEY_PHONE to ui.phone)
    }

    private companion object {
        const val KEY_STEP = "signIn.step"
        const val KEY_PHONE = "signIn.phone"
    }
}

package cn.huoshui.core

import uniffi.huoshui_ffi.CoreConfig
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.HuoshuiException
import uniffi.huoshui_ffi.PlatformKeystore

/*
 * The Kotlin layer over the generated bindings (uniffi.huoshui_ffi / uniffi.huoshui_core).
 *
 * It owns what the generated API does not give by itself: opening the core in one call, Flows
 * over the listeners (Flows.kt), the document stream helpers over java.io streams
 * (Documents.kt), the message of any HuoshuiException (below), and the screen state holders
 * the Android ViewModels wrap. It never re-declares a call of the core: the generated
 * HuoshuiCore already has suspend functions (run on the core's own runtime) and is
 * AutoCloseable, and the apps call it directly. Plain Kotlin: no android.* here, so the JVM
 * tests in tests/kotlin run exactly this code.
 */

/**
 * Opens (creating if needed) the app's data in [dataDir], protected by the platform [keystore]
 * (called once before this returns), as a client of the county platform at [platformUrl]
 * (`null`: the market, the calculator and documents work; signing in and syncing do not).
 * Whoever signed in last is still signed in. Open it once per process; `close()` it at the end.
 *
 * @throws HuoshuiException.KeyUnavailable when the keystore lost the key of this folder.
 */
fun HuoshuiCore.Companion.open(dataDir: String, platformUrl: String?, keystore: PlatformKeystore): HuoshuiCore =
    open(CoreConfig(dataDir = dataDir, platformUrl = platformUrl), keystore)

/**
 * Replaces the lost encryption key of [dataDir] (after [open] threw KeyUnavailable) and opens
 * the app: what only the lost key could open is removed, the records of documents already on
 * the platform stay, the user signs in again; `lastReset()` says what was lost.
 *
 * @throws HuoshuiException.Conflict when the key works (nothing to reset).
 */
fun HuoshuiCore.Companion.resetLostKey(dataDir: String, platformUrl: String?, keystore: PlatformKeystore): HuoshuiCore =
    resetLostKey(CoreConfig(dataDir = dataDir, platformUrl = platformUrl), keystore)

/** Chunk size the stream helpers hand to the vault and read back. */
const val CHUNK_BYTES: Int = 256 * 1024

package cn.huoshui.core

import java.io.InputStream
import java.io.OutputStream
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext
import uniffi.huoshui_core.ApplicationView
import uniffi.huoshui_core.CalculatorInput
import uniffi.huoshui_core.CalculatorView
import uniffi.huoshui_core.ChecklistItemView
import uniffi.huoshui_core.ComparisonView
import uniffi.huoshui_core.DocumentView
import uniffi.huoshui_core.DraftInput
import uniffi.huoshui_core.GradeScreenView
import uniffi.huoshui_core.MarketInput
import uniffi.huoshui_core.MarketPageView
import uniffi.huoshui_core.MoneyView
import uniffi.huoshui_core.ProductDetailView
import uniffi.huoshui_core.TaskView
import uniffi.huoshui_core.TimelineView
import uniffi.huoshui_ffi.ApplicationsListener
import uniffi.huoshui_ffi.DocumentsListener
import uniffi.huoshui_ffi.HuoshuiCore
import uniffi.huoshui_ffi.PlatformKeystore
import uniffi.huoshui_ffi.TasksListener

/**
 * The Huoshui core for Kotlin: open it once with the app's data folder, the user's id and the
 * platform keystore; call it from coroutines; close it when the app ends.
 *
 * Plain Kotlin (no android.*), so the JVM tests in tests/kotlin exercise exactly what the
 * Android app runs. Every failure arrives as a [HuoshuiFailure]. Suspend functions run their
 * work on the core's own runtime; the stream helpers ([capture], [exportTo]) read and write the
 * Java streams on [Dispatchers.IO].
 */
class Huoshui private constructor(internal val core: HuoshuiCore) : AutoCloseable {
    companion object {
        /** Chunk size used to hand documents to the vault and read them back. */
        const val CHUNK_BYTES: Int = 256 * 1024

        /** Opens (creating if needed) the app's data in [dataDir]; calls [keystore] once. */
        fun open(dataDir: String, userId: String, keystore: PlatformKeystore): Huoshui =
            translated { Huoshui(HuoshuiCore.open(dataDir, userId, keystore)) }
    }

    /** Where a damaged database was moved aside on open (tell the user), if one was. */
    val movedAside: String? get() = core.movedAside()

    /** `¥500,000.00` and `50万元` for an amount in fen. */
    fun money(fen: Long): MoneyView = core.money(fen)

    // ----- market -----

    suspend fun marketPage(input: MarketInput): MarketPageView = translated { core.marketPage(input) }

    /** One market page on the calling thread (for callers already off the main thread). */
    fun marketPageBlocking(input: MarketInput): MarketPageView = translated { core.marketPageBlocking(input) }

    suspend fun compare(input: MarketInput, productIds: List<String>): ComparisonView =
        translated { core.compare(input, productIds) }

    suspend fun productDetail(input: MarketInput, productId: String): ProductDetailView =
        translated { core.productDetail(input, productId) }

    suspend fun calculate(input: CalculatorInput): CalculatorView = translated { core.calculate(input) }

    suspend fun grade(points: UInt): GradeScreenView = translated { core.grade(points) }

    // ----- applications -----

    suspend fun createDraft(input: DraftInput): ApplicationView = translated { core.createDraft(input) }

    suspend fun submit(applicationId: String): TimelineView = translated { core.submit(applicationId) }

    suspend fun withdraw(applicationId: String, reason: String? = null): TimelineView =
        translated { core.withdraw(applicationId, reason) }

    suspend fun acceptOffer(applicationId: String): TimelineView = translated { core.acceptOffer(applicationId) }

    suspend fun applications(): List<ApplicationView> = translated { core.applications() }

    suspend fun timeline(applicationId: String): TimelineView = translated { core.timeline(applicationId) }

    suspend fun eventsJson(applicationId: String): String = translated { core.eventsJson(applicationId) }

    suspend fun ingestEvents(applicationId: String, eventsJson: String): ApplicationView =
        translated { core.ingestEvents(applicationId, eventsJson) }

    suspend fun managerTasks(managerId: String): List<TaskView> = translated { core.managerTasks(managerId) }

    // ----- documents -----

    /**
     * Captures a document from [input] in chunks of [chunkBytes] (memory stays bounded however
     * large the photo); nothing is kept if anything fails.
     */
    suspend fun capture(
        kind: String,
        input: InputStream,
        applicationId: String? = null,
        chunkBytes: Int = CHUNK_BYTES,
    ): DocumentView = withContext(Dispatchers.IO) {
        translated {
            val capture = core.startCapture(kind, applicationId)
            capture.use {
                try {
                    val buffer = ByteArray(chunkBytes)
                    while (true) {
                        val n = input.read(buffer)
                        if (n < 0) break
                        if (n > 0) it.writeChunk(if (n == buffer.size) buffer else buffer.copyOf(n))
                    }
                    it.finish()
                } catch (e: Throwable) {
                    it.cancel()
                    throw e
                }
            }
        }
    }

    /** Captures a document handed over as chunks already in memory. */
    suspend fun capture(kind: String, chunks: Sequence<ByteArray>, applicationId: String? = null): DocumentView =
        withContext(Dispatchers.IO) {
            translated {
                core.startCapture(kind, applicationId).use { capture ->
                    try {
                        chunks.forEach { capture.writeChunk(it) }
                        capture.finish()
                    } catch (e: Throwable) {
                        capture.cancel()
                        throw e
                    }
                }
            }
        }

    suspend fun documents(applicationId: String? = null): List<DocumentView> =
        translated { core.documents(applicationId) }

    suspend fun checklist(applicationId: String): List<ChecklistItemView> = translated { core.checklist(applicationId) }

    suspend fun checklist(required: List<String>, captured: List<String>): List<ChecklistItemView> =
        translated { core.checklistForCodes(required, captured) }

    /** Writes a document's verified plaintext to [out] for upload; returns its size and SHA-256. */
    suspend fun exportTo(documentId: String, out: OutputStream): DocumentView = withContext(Dispatchers.IO) {
        translated {
            core.openExport(documentId).use { export ->
                while (true) {
                    val chunk = export.nextChunk() ?: break
                    out.write(chunk)
                }
                export.document()
            }
        }
    }

    suspend fun exportToFile(documentId: String, path: String): DocumentView =
        translated { core.exportToFile(documentId, path) }

    suspend fun deleteDocument(documentId: String) = translated { core.deleteDocument(documentId) }

    // ----- flows over the core's listeners -----

    /** The villager's applications now, then after every change. Cancelling the flow closes the listener. */
    fun applicationsFlow(): Flow<List<ApplicationView>> = callbackFlow {
        val handle = translated {
            core.subscribeApplications(object : ApplicationsListener {
                override fun onUpdate(applications: List<ApplicationView>) {
                    trySend(applications)
                }
            })
        }
        awaitClose { handle.close() }
    }

    /** The documents on this phone now, then after every change. */
    fun documentsFlow(): Flow<List<DocumentView>> = callbackFlow {
        val handle = translated {
            core.subscribeDocuments(object : DocumentsListener {
                override fun onUpdate(documents: List<DocumentView>) {
                    trySend(documents)
                }
            })
        }
        awaitClose { handle.close() }
    }

    /** A manager's tasks now, then after every change. */
    fun tasksFlow(managerId: String): Flow<List<TaskView>> = callbackFlow {
        val handle = translated {
            core.subscribeTasks(managerId, object : TasksListener {
                override fun onUpdate(tasks: List<TaskView>) {
                    trySend(tasks)
                }
            })
        }
        awaitClose { handle.close() }
    }

    /** How many listeners are subscribed in the core (tests of cancellation). */
    val listenerCount: UInt get() = core.listenerCount()

    // ----- tests of the FFI barrier -----

    /** Panics inside the core on purpose (tests only): arrives as [HuoshuiFailure.Internal]. */
    fun debugForcePanic() = translated { core.debugForcePanic() }

    /** The same inside an async call. */
    suspend fun debugForcePanicAsync() = translated { core.debugForcePanicAsync() }

    /** The vault's out-of-storage error through the real conversion (tests only). */
    fun debugStorageFull() = translated { core.debugStorageFull() }

    override fun close() = core.close()
}

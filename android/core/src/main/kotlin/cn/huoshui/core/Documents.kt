package cn.huoshui.core

import java.io.InputStream
import java.io.OutputStream
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.DocumentView
import uniffi.huoshui_ffi.DocumentCapture
import uniffi.huoshui_ffi.HuoshuiCore

/*
 * Documents as streams: a photo or PDF goes into the vault in chunks (memory stays bounded
 * however large the file) and comes back out as verified chunks. The Java streams are read and
 * written on Dispatchers.IO; the core seals and verifies. Nothing is kept if a capture fails.
 */

/**
 * Captures a document of [kind] from [input] in chunks of [chunkBytes], for [applicationId]
 * if given (when that application is already submitted, its upload is queued too).
 */
suspend fun HuoshuiCore.capture(
    kind: DocumentKind,
    input: InputStream,
    applicationId: String? = null,
    chunkBytes: Int = CHUNK_BYTES,
): DocumentView = withContext(Dispatchers.IO) {
    val buffer = ByteArray(chunkBytes)
    captureWith(startCapture(kind, applicationId)) { capture ->
        while (true) {
            val n = input.read(buffer)
            if (n < 0) break
            if (n > 0) capture.writeChunk(if (n == buffer.size) buffer else buffer.copyOf(n))
        }
    }
}

/** Captures a document handed over as chunks already in memory (a camera's buffers). */
suspend fun HuoshuiCore.capture(
    kind: DocumentKind,
    chunks: Sequence<ByteArray>,
    applicationId: String? = null,
): DocumentView = withContext(Dispatchers.IO) {
    captureWith(startCapture(kind, applicationId)) { capture -> chunks.forEach { capture.writeChunk(it) } }
}

private inline fun captureWith(capture: DocumentCapture, write: (DocumentCapture) -> Unit): DocumentView =
    capture.use {
        try {
            write(it)
            it.finish()
        } catch (e: Throwable) {
            it.cancel()
            throw e
        }
    }

/** Writes a document's verified plaintext to [out] (for an upload or a share); returns its size and SHA-256. */
suspend fun HuoshuiCore.exportTo(documentId: String, out: OutputStream): DocumentView = withContext(Dispatchers.IO) {
    openExport(documentId).use { export ->
        while (true) {
            val chunk = export.nextChunk() ?: break
            out.write(chunk)
        }
        export.document()
    }
}

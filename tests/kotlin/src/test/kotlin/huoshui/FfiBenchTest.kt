package huoshui

import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.nio.file.Paths
import javax.imageio.IIOImage
import javax.imageio.ImageIO
import javax.imageio.ImageWriteParam
import kotlin.random.Random
import cn.huoshui.core.capture
import kotlinx.coroutines.runBlocking
import uniffi.huoshui_core.DocumentKind
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

/**
 * The FFI benchmark from Kotlin on the JVM (tag "bench": excluded from the normal test run;
 * `scripts/bench-kotlin.sh` runs it against the release-mobile library). Prints one line per
 * figure and writes them to target/bench-ffi.txt. Nothing here asserts a time.
 */
@Tag("bench")
class FfiBenchTest {
    private val lines = mutableListOf<String>()

    private fun report(line: String) {
        println(line)
        lines += line
    }

    private inline fun timeNanos(block: () -> Unit): Long {
        val t0 = System.nanoTime()
        block()
        return System.nanoTime() - t0
    }

    private fun percentile(sorted: LongArray, p: Double): Long = sorted[((sorted.size - 1) * p).toInt()]

    @Test
    fun `ffi figures`() {
        Phone().use { f -> figures(f) }
    }

    private fun figures(f: Phone) {
        val app = f.core
        report("library: ${System.getProperty("huoshui.lib.dir")}")

        // 1. a trivial call: money formatting, one record back
        repeat(50_000) { app.money(it.toLong()) }
        val calls = 300_000
        val trivial = timeNanos { for (i in 0 until calls) app.money(i.toLong()) }
        report("trivial call money(fen): %.0f calls/s (%.2f µs/call, %d calls)".format(calls / (trivial / 1e9), trivial / 1e3 / calls, calls))

        // 1b. the smallest call: a u32 back, no buffer (listener count)
        repeat(50_000) { app.listenerCount() }
        val small = timeNanos { for (i in 0 until calls) app.listenerCount() }
        report("smallest call listenerCount(): %.0f calls/s (%.2f µs/call, %d calls)".format(calls / (small / 1e9), small / 1e3 / calls, calls))

        // 2. one market page of 20 offers (the whole catalog ranked, 20 returned and formatted)
        val input = marketInput(50_000_000L, 36u, points = 1052u, limit = 20u)
        assertEquals(20, app.marketPageBlocking(input).offers.size)
        repeat(500) { app.marketPageBlocking(input) }
        val n = 3_000
        val blocking = LongArray(n) { timeNanos { app.marketPageBlocking(input) } }.also { it.sort() }
        report("market page, 20 offers, blocking call: median %.3f ms, p95 %.3f ms, p99 %.3f ms (%d runs)".format(
            percentile(blocking, 0.5) / 1e6, percentile(blocking, 0.95) / 1e6, percentile(blocking, 0.99) / 1e6, n))
        val suspended = runBlocking {
            repeat(500) { app.marketPage(input) }
            LongArray(n) { timeNanos { app.marketPage(input) } }.also { it.sort() }
        }
        report("market page, 20 offers, suspend call (core runtime + coroutine resume): median %.3f ms, p95 %.3f ms, p99 %.3f ms (%d runs)".format(
            percentile(suspended, 0.5) / 1e6, percentile(suspended, 0.95) / 1e6, percentile(suspended, 0.99) / 1e6, n))

        // 3. handing a 5 MB photo (JPEG, metadata stripped, sealed) to the vault in 256 KiB chunks
        val photo = noisyJpeg(targetBytes = 5_000_000)
        val captures = 10
        val times = runBlocking {
            app.capture(DocumentKind.ID_CARD_FRONT, ByteArrayInputStream(photo)) // warm-up
            LongArray(captures) { timeNanos { app.capture(DocumentKind.ID_CARD_FRONT, ByteArrayInputStream(photo)) } }.also { it.sort() }
        }
        report("5 MB photo to the vault (%d bytes JPEG, 256 KiB chunks): median %.1f ms (%.0f MB/s), min %.1f ms (%d runs)".format(
            photo.size, percentile(times, 0.5) / 1e6, photo.size / (percentile(times, 0.5) / 1e9) / 1e6, times.first() / 1e6, captures))

        val out = Paths.get("target", "bench-ffi.txt")
        Files.createDirectories(out.parent)
        Files.write(out, lines)
    }

    /** A JPEG of random noise (incompressible) of about [targetBytes]. */
    private fun noisyJpeg(targetBytes: Int): ByteArray {
        val rnd = Random(7)
        var side = 1200
        while (true) {
            val img = BufferedImage(side, side, BufferedImage.TYPE_INT_RGB)
            for (y in 0 until side) for (x in 0 until side) img.setRGB(x, y, rnd.nextInt(0x1000000))
            val bytes = ByteArrayOutputStream()
            val writer = ImageIO.getImageWritersByFormatName("jpeg").next()
            ImageIO.createImageOutputStream(bytes).use { ios ->
                writer.output = ios
                val param = writer.defaultWriteParam.apply {
                    compressionMode = ImageWriteParam.MODE_EXPLICIT
                    compressionQuality = 0.95f
                }
                writer.write(null, IIOImage(img, null, null), param)
            }
            writer.dispose()
            if (bytes.size() >= targetBytes) return bytes.toByteArray()
            side = (side * Math.sqrt(targetBytes.toDouble() / bytes.size()) * 1.02).toInt() + 1
        }
    }
}

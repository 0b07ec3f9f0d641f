package huoshui

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.ObjectMapper
import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.InetAddress
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Duration
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock
import uniffi.huoshui_core.SessionView
import uniffi.huoshui_ffi.HuoshuiCore

/** A free TCP port on loopback (the OS picks it; closed again at once). */
fun freeLoopbackPort(): Int = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }

/**
 * The real county platform: a `huoshui serve` process (the binary cargo built beside the
 * library, `${huoshui.lib.dir}/huoshui`) on a free loopback port with its own temp data folder.
 * [stop] and [start] again keep the port and the folder (the platform going away and coming
 * back). One-time codes are read from its stderr (the development code provider's
 * `DEV ONLY one-time code … phone=138****0001 code=NNNNNN` line). [close] stops the process
 * (SIGTERM, then SIGKILL after a grace period) and removes the folder.
 */
class Platform private constructor(val port: Int, val dataDir: Path) : AutoCloseable {
    private var process: Process? = null
    private val log = ArrayList<String>()
    private val logLock = ReentrantLock()
    private val logGrew = logLock.newCondition()
    private val json = ObjectMapper()
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    /** The demo accounts the platform printed on its first start (id → phone, role, town, bank). */
    lateinit var demoAccounts: List<JsonNode>
        private set

    val url: String get() = "http://127.0.0.1:$port"

    val running: Boolean get() = process?.isAlive == true

    /** Starts the process and waits (bounded) until it says it is listening. */
    fun start() {
        check(process == null) { "already running" }
        val bin = Paths.get(System.getProperty("huoshui.lib.dir") ?: "../../target/debug", "huoshui")
        check(Files.isExecutable(bin)) { "no huoshui binary at $bin: run cargo build -p huoshui (scripts/test.sh does)" }
        val builder = ProcessBuilder(
            bin.toString(), "--json", "--data-dir", dataDir.toString(), "serve", "--listen", "127.0.0.1:$port",
        )
        // only what this test says: no developer's HUOSHUI_* settings
        builder.environment().keys.removeIf { it.startsWith("HUOSHUI_") }
        // the tests sign the same demo account in again within a minute: no login-code limits here
        builder.environment()["HUOSHUI_SERVER__CODES__PER_PHONE_INTERVAL_SECONDS"] = "0"
        builder.environment()["HUOSHUI_SERVER__CODES__PER_PHONE_PER_DAY"] = "100000"
        builder.environment()["HUOSHUI_SERVER__CODES__PER_CLIENT_PER_HOUR"] = "100000"
        val p = builder.start()
        process = p
        val stdout = LinkedBlockingQueue<String>()
        daemon("platform-stdout") {
            BufferedReader(InputStreamReader(p.inputStream, StandardCharsets.UTF_8)).forEachLine { stdout.put(it) }
        }
        daemon("platform-stderr") {
            BufferedReader(InputStreamReader(p.errorStream, StandardCharsets.UTF_8)).forEachLine { line ->
                logLock.withLock {
                    log.add(line)
                    logGrew.signalAll()
                }
            }
        }
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
        while (true) {
            val line = stdout.poll(200, TimeUnit.MILLISECONDS)
            if (line != null && line.contains("\"listening\"")) {
                val banner = json.readTree(line)
                check(banner["listening"].asText() == url) { "listening on ${banner["listening"]}, expected $url" }
                if (!this::demoAccounts.isInitialized) demoAccounts = banner["demo_accounts"].toList()
                return
            }
            if (!p.isAlive || System.nanoTime() > deadline) {
                stop()
                error("the platform did not start (exit ${runCatching { p.exitValue() }.getOrNull()}):\n${logTail()}")
            }
        }
    }

    /** Stops the process: SIGTERM (requests in flight finish), SIGKILL if it has not ended in 10 s. */
    fun stop() {
        val p = process ?: return
        process = null
        p.destroy()
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly()
            p.waitFor(10, TimeUnit.SECONDS)
        }
    }

    override fun close() {
        try {
            stop()
        } finally {
            deleteTree(dataDir)
        }
    }

    /** The phone number of demo account [id] (`v001`, `m-runchang-1` …). */
    fun phoneOf(id: String): String =
        demoAccounts.firstOrNull { it["id"].asText() == id }?.get("phone")?.asText()
            ?: error("no demo account $id")

    /** How many stderr lines the platform wrote so far (a mark for [awaitCode]). */
    fun logMark(): Int = logLock.withLock { log.size }

    /** The one-time code sent to [phone] after [mark], read from the platform's log (bounded wait). */
    fun awaitCode(phone: String, mark: Int, seconds: Long = 30): String {
        val masked = phone.take(3) + "****" + phone.takeLast(4)
        val pattern = Regex("""code=(\d{6})""")
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds)
        logLock.withLock {
            while (true) {
                for (i in mark until log.size) {
                    val line = log[i]
                    if (line.contains("DEV ONLY one-time code") && line.contains("phone=$masked")) {
                        pattern.find(line)?.let { return it.groupValues[1] }
                    }
                }
                val left = deadline - System.nanoTime()
                if (left <= 0) error("no one-time code for $masked in the platform's log:\n${logTailLocked()}")
                logGrew.awaitNanos(left)
            }
        }
    }

    /** Signs [core] in as the demo account [id], with the code from the log. */
    suspend fun signIn(core: HuoshuiCore, id: String): SessionView {
        val phone = phoneOf(id)
        val mark = logMark()
        core.requestCode(phone)
        return core.login(phone, awaitCode(phone, mark))
    }

    /** A token for demo account [id] over plain HTTP (to look at the platform as that user). */
    fun tokenFor(id: String): String {
        val phone = phoneOf(id)
        val mark = logMark()
        val (asked, answer) = post("/v1/auth/code", """{"phone":"$phone"}""")
        check(asked in 200..299) { "code for $id: $asked $answer" }
        val (status, body) = post("/v1/auth/login", """{"phone":"$phone","code":"${awaitCode(phone, mark)}"}""")
        check(status == 200) { "login of $id: $status $body" }
        return body!!["token"].asText()
    }

    /** GET [path] as the holder of [token]: the status and the JSON body (if any). */
    fun get(path: String, token: String? = null): Pair<Int, JsonNode?> =
        send(HttpRequest.newBuilder(URI.create(url + path)).GET(), token)

    /** POST [body] (JSON) to [path]. */
    fun post(path: String, body: String, token: String? = null): Pair<Int, JsonNode?> = send(
        HttpRequest.newBuilder(URI.create(url + path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        token,
    )

    private fun send(builder: HttpRequest.Builder, token: String?): Pair<Int, JsonNode?> {
        token?.let { builder.header("authorization", "Bearer $it") }
        val response = http.send(builder.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString())
        val body = response.body().takeIf { it.isNotBlank() }?.let { runCatching { json.readTree(it) }.getOrNull() }
        return response.statusCode() to body
    }

    private fun logTail(): String = logLock.withLock { logTailLocked() }

    private fun logTailLocked(): String = log.takeLast(40).joinToString("\n")

    private fun daemon(name: String, body: () -> Unit) {
        Thread({ runCatching(body) }, name).apply { isDaemon = true }.start()
    }

    companion object {
        /** A new platform on a free loopback port with its own temp folder, started. */
        fun start(): Platform {
            val platform = Platform(freeLoopbackPort(), Files.createTempDirectory("huoshui-platform"))
            try {
                platform.start()
            } catch (e: Throwable) {
                platform.close()
                throw e
            }
            return platform
        }
    }
}

/**
 * One platform shared by the test classes that only need someone signed in (each class signs
 * in its own demo villager, so their applications do not meet). Started on first use; stopped
 * when the test JVM ends (shutdown hook: SIGTERM, then SIGKILL after the grace period). The
 * journey test starts its own, since it stops and restarts it.
 */
object SharedPlatform {
    val platform: Platform by lazy {
        Platform.start().also { p -> Runtime.getRuntime().addShutdownHook(Thread { p.close() }) }
    }
}

package cn.huoshui.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.graphics.toAwtImage
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.text.TextLayoutResult
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.SemanticsNodeInteraction
import androidx.compose.ui.test.captureToImage
import androidx.compose.ui.test.hasClickAction
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onRoot
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.runDesktopComposeUiTest
import androidx.compose.ui.unit.Density
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.util.concurrent.CopyOnWriteArrayList
import javax.imageio.ImageIO
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.MarketForm
import uniffi.huoshui_core.Nav
import uniffi.huoshui_ffi.HuoshuiCore

/** Where the screenshots go: `target/screens/` in the repository root. */
val screensDir: File = File(System.getProperty("huoshui.screens.dir") ?: "../../target/screens").also { it.mkdirs() }

/** The test window: a tall phone (px at density 1, so dp = px). */
const val WIDTH = 480
const val HEIGHT = 1400

/** Runs a Compose UI test in a headless desktop window the size of a tall phone. */
@OptIn(ExperimentalTestApi::class)
fun uiTest(block: ComposeUiTest.() -> Unit) = runDesktopComposeUiTest(WIDTH, HEIGHT) { block() }

/** The app at [start] over [core], at [fontScale] (the system font scale the pages must honour). */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.showApp(
    core: HuoshuiCore,
    shell: Shell = TestShell(),
    start: Nav,
    fontScale: Float = 1f,
    form: MarketForm = DefaultMarketForm,
): Navigator {
    MarketFormHolder.form = form
    val navigator = Navigator(start)
    setContent { Scaled(fontScale) { HuoshuiApp(core, shell, navigator) } }
    return navigator
}

/** Goes to [to] as a tap on a link would. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.go(navigator: Navigator, to: Nav) {
    runOnUiThread { navigator.go(to) }
    waitForIdle()
}

@Composable
fun Scaled(fontScale: Float, content: @Composable () -> Unit) {
    val d = LocalDensity.current
    CompositionLocalProvider(LocalDensity provides Density(d.density, fontScale), content = content)
}

/** Saves the window as `target/screens/<name>.png`. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.shoot(name: String) {
    waitForIdle()
    val image: BufferedImage = onRoot().captureToImage().toAwtImage()
    val out = ByteArrayOutputStream()
    ImageIO.write(image, "png", out)
    File(screensDir, "$name.png").writeBytes(out.toByteArray())
}

/** Waits (bounded, so a broken build fails instead of hanging) until a node with [text] exists. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.awaitText(text: String, substring: Boolean = true, seconds: Long = 20) {
    waitFor("text \"$text\"", seconds) { onAllNodes(hasText(text, substring = substring)).fetchSemanticsNodes().isNotEmpty() }
}

/** Waits until a node tagged [tag] exists. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.awaitTag(tag: String, seconds: Long = 20) {
    waitFor("tag $tag", seconds) { onAllNodes(hasTestTag(tag)).fetchSemanticsNodes().isNotEmpty() }
}

@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.waitFor(what: String, seconds: Long, condition: () -> Boolean) {
    try {
        waitUntil(timeoutMillis = seconds * 1000, condition = condition)
    } catch (e: Throwable) {
        throw AssertionError("waited $seconds s for $what", e)
    }
}

/** The node tagged [tag], scrolled into view. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.tagged(tag: String): SemanticsNodeInteraction {
    awaitTag(tag)
    return onNode(hasTestTag(tag)).also { runCatching { it.performScrollTo() } }
}

/**
 * Taps the node tagged [tag] once it takes taps. A screen's buttons stay disabled while the
 * previous action is still being written, and a tap on a disabled button is simply lost.
 */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.tap(tag: String, seconds: Long = 20) {
    awaitTag(tag, seconds)
    waitFor("$tag to take taps", seconds) {
        onNode(hasTestTag(tag)).fetchSemanticsNode().config.getOrNull(SemanticsProperties.Disabled) == null
    }
    tagged(tag).performClick()
}

/**
 * Taps [tag] and waits until what it opens ([opens]: a tag or a text) is shown; [state] says
 * what the core holds, for the failure's message.
 */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.tapAndAwait(tag: String, opens: String, state: () -> String = { "" }) {
    tap(tag)
    try {
        waitFor(opens, 20) {
            onAllNodes(hasTestTag(opens)).fetchSemanticsNodes().isNotEmpty() ||
                onAllNodes(hasText(opens, substring = true)).fetchSemanticsNodes().isNotEmpty()
        }
    } catch (e: AssertionError) {
        // the tags on screen, not its text: the page holds the villager's name and phone
        val tags = onAllNodes(SemanticsMatcher.keyIsDefined(SemanticsProperties.TestTag)).fetchSemanticsNodes()
            .map { it.config[SemanticsProperties.TestTag] }
        throw AssertionError("${e.message}; core: ${state()}; tags on screen: $tags", e)
    }
}

/** Every clickable node on screen is at least 48 dp in both directions. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.assertTouchTargets() {
    waitForIdle()
    val small = onAllNodes(hasClickAction()).fetchSemanticsNodes().filter { node ->
        val density = 1f // the test window's density: 1 px = 1 dp
        node.size.width / density < 47.5f || node.size.height / density < 47.5f
    }.map { n ->
        val label = n.config.getOrNull(SemanticsProperties.TestTag) ?: n.config.getOrNull(SemanticsProperties.Text)?.joinToString()
        "$label ${n.size}"
    }
    check(small.isEmpty()) { "touch targets under 48 dp: $small" }
}

/** The font size in sp (before the font scale) of the first text drawn inside the node tagged [tag]. */
@OptIn(ExperimentalTestApi::class)
fun ComposeUiTest.textSpIn(tag: String): Float {
    val root = onNode(hasTestTag(tag), useUnmergedTree = true).fetchSemanticsNode()
    val queue = ArrayDeque(listOf(root))
    while (queue.isNotEmpty()) {
        val node = queue.removeFirst()
        node.config.getOrNull(SemanticsActions.GetTextLayoutResult)?.action?.let { get ->
            val results = mutableListOf<TextLayoutResult>()
            get(results)
            results.firstOrNull()?.let { return it.layoutInput.style.fontSize.value }
        }
        queue.addAll(node.children)
    }
    error("no text inside $tag")
}

/** The platform side of the tests: records calls, hands over a real JPEG for every capture. */
class TestShell : Shell {
    val calls = CopyOnWriteArrayList<String>()
    val captures = CopyOnWriteArrayList<DocumentKind>()

    override fun call(telUri: String) {
        calls += telUri
    }

    override suspend fun takeDocument(kind: DocumentKind): ByteArray {
        captures += kind
        return jpeg(captures.size)
    }
}

/** A small real JPEG (ImageIO), different for each [seed]. */
fun jpeg(seed: Int): ByteArray {
    val img = BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until 64) for (y in 0 until 48) img.setRGB(x, y, (x * 4 + seed * 31) shl 16 or (y * 5 shl 8) or (seed * 17 and 0xff))
    val out = ByteArrayOutputStream()
    ImageIO.write(img, "jpg", out)
    return out.toByteArray()
}

package cn.huoshui.ui

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.luminance
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/*
 * The apps' look, age-friendly (适老化): body text at least 18 sp (scaled by the system font
 * scale, since every size is in sp), touch targets at least 48 dp (MinTouch), and every text
 * colour at least 4.5:1 against the background it is drawn on (TextPairs, checked by a test).
 */

/** The smallest touch target of any button, chip or row (WCAG / Android: 48 dp). */
val MinTouch = 48.dp

/** The smallest body text (sp, so it grows with the system font scale). */
val MinBodySp = 18.sp

object HuoshuiColors {
    val Green = Color(0xFF1B5E20) // 活水 green: buttons and headings
    val OnGreen = Color.White
    val Paper = Color(0xFFFFFDF7)
    val Ink = Color(0xFF1A1A1A)
    val Muted = Color(0xFF4A4A4A)
    val Card = Color(0xFFFFFFFF)
    val Tint = Color(0xFFE8F3E8) // chips selected, eligible cards
    val Danger = Color(0xFFB3261E) // problems, overdue
    val Warn = Color(0xFFFFF3CD)
    val OnWarn = Color(0xFF4D3800)
    val Attention = Color(0xFFFDE7E7)
}

/** Every text colour with the background it is drawn on (name, text, background). */
val TextPairs: List<Triple<String, Color, Color>> = listOf(
    Triple("ink on paper", HuoshuiColors.Ink, HuoshuiColors.Paper),
    Triple("ink on card", HuoshuiColors.Ink, HuoshuiColors.Card),
    Triple("muted on paper", HuoshuiColors.Muted, HuoshuiColors.Paper),
    Triple("muted on card", HuoshuiColors.Muted, HuoshuiColors.Card),
    Triple("button text", HuoshuiColors.OnGreen, HuoshuiColors.Green),
    Triple("green on paper", HuoshuiColors.Green, HuoshuiColors.Paper),
    Triple("green on tint", HuoshuiColors.Green, HuoshuiColors.Tint),
    Triple("ink on tint", HuoshuiColors.Ink, HuoshuiColors.Tint),
    Triple("danger on paper", HuoshuiColors.Danger, HuoshuiColors.Paper),
    Triple("danger on card", HuoshuiColors.Danger, HuoshuiColors.Card),
    Triple("danger on attention", HuoshuiColors.Danger, HuoshuiColors.Attention),
    Triple("ink on attention", HuoshuiColors.Ink, HuoshuiColors.Attention),
    Triple("banner text", HuoshuiColors.OnWarn, HuoshuiColors.Warn),
)

/** WCAG 2 contrast ratio of two colours (1 to 21). */
fun contrast(a: Color, b: Color): Double {
    val la = a.luminance().toDouble()
    val lb = b.luminance().toDouble()
    return (maxOf(la, lb) + 0.05) / (minOf(la, lb) + 0.05)
}

private val base = TextStyle(color = HuoshuiColors.Ink)

/** Sizes: body 20 sp, the smallest text 18 sp, headings up to 30 sp. */
val HuoshuiTypography = Typography(
    displaySmall = base.copy(fontSize = 30.sp, lineHeight = 38.sp, fontWeight = FontWeight.Bold),
    headlineSmall = base.copy(fontSize = 26.sp, lineHeight = 34.sp, fontWeight = FontWeight.Bold),
    titleLarge = base.copy(fontSize = 24.sp, lineHeight = 32.sp, fontWeight = FontWeight.Bold),
    titleMedium = base.copy(fontSize = 22.sp, lineHeight = 30.sp, fontWeight = FontWeight.Bold),
    titleSmall = base.copy(fontSize = 20.sp, lineHeight = 28.sp, fontWeight = FontWeight.Bold),
    bodyLarge = base.copy(fontSize = 20.sp, lineHeight = 28.sp),
    bodyMedium = base.copy(fontSize = 18.sp, lineHeight = 26.sp),
    bodySmall = base.copy(fontSize = 18.sp, lineHeight = 26.sp),
    labelLarge = base.copy(fontSize = 20.sp, lineHeight = 28.sp, fontWeight = FontWeight.Bold),
    labelMedium = base.copy(fontSize = 18.sp, lineHeight = 26.sp),
    labelSmall = base.copy(fontSize = 18.sp, lineHeight = 26.sp),
)

/** The body text styles of the theme (all must be at least [MinBodySp]). */
val BodyStyles: List<Pair<String, TextStyle>> = listOf(
    "bodyLarge" to HuoshuiTypography.bodyLarge,
    "bodyMedium" to HuoshuiTypography.bodyMedium,
    "bodySmall" to HuoshuiTypography.bodySmall,
    "labelLarge" to HuoshuiTypography.labelLarge,
    "labelMedium" to HuoshuiTypography.labelMedium,
    "labelSmall" to HuoshuiTypography.labelSmall,
)

@Composable
fun HuoshuiTheme(content: @Composable () -> Unit) {
    MaterialTheme(
        colorScheme = lightColorScheme(
            primary = HuoshuiColors.Green,
            onPrimary = HuoshuiColors.OnGreen,
            primaryContainer = HuoshuiColors.Tint,
            onPrimaryContainer = HuoshuiColors.Ink,
            secondaryContainer = HuoshuiColors.Tint,
            onSecondaryContainer = HuoshuiColors.Ink,
            background = HuoshuiColors.Paper,
            onBackground = HuoshuiColors.Ink,
            surface = HuoshuiColors.Paper,
            onSurface = HuoshuiColors.Ink,
            surfaceVariant = HuoshuiColors.Card,
            onSurfaceVariant = HuoshuiColors.Muted,
            error = HuoshuiColors.Danger,
        ),
        typography = HuoshuiTypography,
        content = content,
    )
}

package cn.huoshui.ui

import androidx.compose.ui.graphics.Color
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class ThemeTest {
    @Test
    fun every_text_colour_stands_at_least_4_5_to_1_against_its_background() {
        val weak = TextPairs.map { (name, fg, bg) -> Triple(name, contrast(fg, bg), 4.5) }.filter { it.second < it.third }
        assertTrue("pairs under 4.5:1: $weak", weak.isEmpty())
    }

    @Test
    fun the_contrast_formula_gives_21_for_black_on_white_and_1_for_equal_colours() {
        assertEquals(21.0, contrast(Color.Black, Color.White), 0.01)
        assertEquals(1.0, contrast(HuoshuiColors.Green, HuoshuiColors.Green), 0.0001)
        // a light grey on white fails, as it should
        assertTrue(contrast(Color(0xFFAAAAAA), Color.White) < 4.5)
    }

    @Test
    fun body_text_is_never_under_18_sp() {
        BodyStyles.forEach { (name, style) ->
            assertTrue("$name is ${style.fontSize}", style.fontSize.value >= MinBodySp.value)
        }
    }
}

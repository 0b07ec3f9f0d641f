package cn.huoshui.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.FilterChip
import androidx.compose.material3.FilterChipDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import uniffi.huoshui_core.LineView
import uniffi.huoshui_core.OptionView
import uniffi.huoshui_core.Problem

/** A whole screen: a scrolling column on the paper background with a title. */
@Composable
fun Page(title: String, tag: String, content: @Composable ColumnScope.() -> Unit) {
    Column(
        Modifier
            .fillMaxSize()
            .background(HuoshuiColors.Paper)
            .verticalScroll(rememberScrollState())
            .padding(16.dp)
            .testTag(tag),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(title, style = MaterialTheme.typography.headlineSmall, color = HuoshuiColors.Green)
        content()
    }
}

/** The main action of a screen: full width, at least [MinTouch] high. */
@Composable
fun BigButton(text: String, onClick: () -> Unit, enabled: Boolean = true, tag: String = text) {
    Button(
        onClick = onClick,
        enabled = enabled,
        modifier = Modifier.fillMaxWidth().heightIn(min = 56.dp).testTag(tag),
        colors = ButtonDefaults.buttonColors(containerColor = HuoshuiColors.Green, contentColor = HuoshuiColors.OnGreen),
    ) { Text(text, style = MaterialTheme.typography.labelLarge, color = if (enabled) HuoshuiColors.OnGreen else HuoshuiColors.Muted) }
}

/** A second action: outlined, at least [MinTouch] high. */
@Composable
fun SecondButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier, enabled: Boolean = true, tag: String = text) {
    OutlinedButton(
        onClick = onClick,
        enabled = enabled,
        modifier = modifier.heightIn(min = MinTouch).testTag(tag),
    ) { Text(text, style = MaterialTheme.typography.labelLarge, color = if (enabled) HuoshuiColors.Green else HuoshuiColors.Muted) }
}

/** A field with its label and, under it, what is wrong with it (Chinese, then English). */
@Composable
fun Field(
    label: String,
    value: String,
    onChange: (String) -> Unit,
    problem: Problem?,
    tag: String,
    number: Boolean = false,
    hint: String? = null,
) {
    Column {
        OutlinedTextField(
            value = value,
            onValueChange = onChange,
            label = { Text(label, style = MaterialTheme.typography.bodyMedium) },
            textStyle = MaterialTheme.typography.bodyLarge,
            singleLine = true,
            isError = problem != null,
            keyboardOptions = if (number) KeyboardOptions(keyboardType = KeyboardType.Number) else KeyboardOptions.Default,
            modifier = Modifier.fillMaxWidth().heightIn(min = 64.dp).testTag(tag),
        )
        if (hint != null && hint.isNotEmpty()) Text(hint, style = MaterialTheme.typography.bodyMedium, color = HuoshuiColors.Muted)
        ProblemText(problem)
    }
}

/** What is wrong, in red, Chinese first. */
@Composable
fun ProblemText(problem: Problem?) {
    if (problem == null) return
    Text(problem.zh, style = MaterialTheme.typography.bodyMedium, color = HuoshuiColors.Danger)
}

/** A row of chips (sort, filters, choices); tapping the selected one again clears it. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun ChipRow(title: String?, options: List<OptionView>, tagPrefix: String, onPick: (OptionView) -> Unit) {
    Column {
        if (title != null) Text(title, style = MaterialTheme.typography.titleSmall)
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            options.forEach { o ->
                FilterChip(
                    selected = o.selected,
                    onClick = { onPick(o) },
                    label = { Text(o.labelZh, style = MaterialTheme.typography.bodyMedium) },
                    modifier = Modifier.heightIn(min = MinTouch).testTag("$tagPrefix-${o.code}"),
                    colors = FilterChipDefaults.filterChipColors(selectedContainerColor = HuoshuiColors.Tint),
                )
            }
        }
    }
}

/** Label / value lines, the value on the right. */
@Composable
fun Facts(lines: List<LineView>) {
    Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
        lines.forEach { l ->
            Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.Top) {
                Text(l.labelZh, style = MaterialTheme.typography.bodyMedium, color = HuoshuiColors.Muted, modifier = Modifier.weight(0.4f))
                Spacer(Modifier.width(8.dp))
                Text(l.value, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.weight(0.6f))
            }
        }
    }
}

/** A white card. */
@Composable
fun Block(modifier: Modifier = Modifier, color: Color = HuoshuiColors.Card, content: @Composable ColumnScope.() -> Unit) {
    Card(
        modifier = modifier.fillMaxWidth(),
        colors = CardDefaults.cardColors(containerColor = color),
        elevation = CardDefaults.cardElevation(defaultElevation = 1.dp),
    ) { Column(Modifier.padding(14.dp), verticalArrangement = Arrangement.spacedBy(6.dp), content = content) }
}

/** A heading inside a page. */
@Composable
fun Heading(text: String) {
    Text(text, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold)
}

/** Body text. */
@Composable
fun Body(text: String, color: Color = HuoshuiColors.Ink, tag: String? = null) {
    if (text.isEmpty()) return
    Text(text, style = MaterialTheme.typography.bodyLarge, color = color, modifier = if (tag != null) Modifier.testTag(tag) else Modifier)
}

/** An error from the core, as a red card. */
@Composable
fun ErrorCard(zh: String?) {
    if (zh.isNullOrEmpty()) return
    Block(color = HuoshuiColors.Attention) { Text(zh, style = MaterialTheme.typography.bodyLarge, color = HuoshuiColors.Danger, modifier = Modifier.testTag("error")) }
}

package cn.huoshui.app

import android.app.Application
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.huoshui.core.MarketScreenState
import cn.huoshui.core.MarketUiState
import cn.huoshui.core.open
import uniffi.huoshui_core.MarketInput
import uniffi.huoshui_core.OfferView
import uniffi.huoshui_ffi.HuoshuiCore

/** The county platform this build talks to (a build setting in a real release). */
const val PLATFORM_URL = "https://huoshui.example.cn"

/** The process-wide core: opened once, on first use, for the app's whole life. */
class HuoshuiApplication : Application() {
    val core: HuoshuiCore by lazy {
        HuoshuiCore.open(filesDir.resolve("huoshui").path, PLATFORM_URL, AndroidKeystoreImpl())
    }
}

/** Shows the market. Everything on screen comes formatted from the core. */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent { MaterialTheme { MarketScreen(viewModel<MarketViewModel>().state) } }
    }

    override fun onStart() {
        super.onStart()
        // live updates while the app is in the foreground
        runCatching { (application as HuoshuiApplication).core.connectLive() }
    }

    override fun onStop() {
        (application as HuoshuiApplication).core.disconnectLive()
        super.onStop()
    }
}

@Composable
fun MarketScreen(market: MarketScreenState) {
    LaunchedEffect(Unit) {
        // a restored form was asked for again by the holder itself
        if (market.state.value == MarketUiState.Idle) {
            market.request(MarketInput(amountFen = 50_000_000L, months = 36u, limit = 20u))
        }
    }
    val state by market.state.collectAsStateWithLifecycle()
    when (val s = state) {
        is MarketUiState.Idle, is MarketUiState.Loading -> CircularProgressIndicator(Modifier.padding(24.dp))
        is MarketUiState.Failed -> Text(s.error.zh, Modifier.padding(24.dp), style = MaterialTheme.typography.titleLarge)
        is MarketUiState.Ready -> LazyColumn { items(s.page.offers, key = { it.productId }) { OfferCard(it) } }
    }
}

@Composable
fun OfferCard(offer: OfferView) {
    Card(Modifier.fillMaxWidth().padding(8.dp)) {
        Column(Modifier.padding(16.dp)) {
            Text(offer.nameZh, style = MaterialTheme.typography.headlineSmall)
            Text(offer.bankZh, style = MaterialTheme.typography.bodyLarge)
            Row {
                Text("年化 ${offer.aprText}  ", style = MaterialTheme.typography.titleMedium)
                Text("最高 ${offer.maxAmount.short}", style = MaterialTheme.typography.titleMedium)
            }
            Text("贴息后净成本 ${offer.netCost.full}", style = MaterialTheme.typography.bodyLarge)
            if (!offer.eligible) offer.reasonsZh.forEach { Text(it, color = MaterialTheme.colorScheme.error) }
        }
    }
}

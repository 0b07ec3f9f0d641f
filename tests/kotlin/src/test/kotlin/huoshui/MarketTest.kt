package huoshui

import kotlin.math.pow
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import uniffi.huoshui_core.CalculatorInput
import uniffi.huoshui_core.CreditGrade
import uniffi.huoshui_core.DocumentKind
import uniffi.huoshui_core.SortKey
import uniffi.huoshui_ffi.HuoshuiException

/** The market, comparison, product detail, calculator and grade, through the real library (no platform needed). */
class MarketTest {
    private val f = Phone()

    @AfterEach
    fun close() = f.close()

    @Test
    fun `the pear loan pays no principal for three years and then repays all of it`() = runBlocking {
        val detail = f.core.productDetail(marketInput(50_000_000L, 60u), "runchang-suli")
        assertEquals("酥梨贷", detail.offer.nameZh)
        assertEquals("50万元", detail.offer.amount.short)
        assertEquals("¥500,000.00", detail.offer.amount.full)
        val firstThreeYears = detail.schedule.filter { it.dueMonth <= 36u }
        assertTrue(firstThreeYears.isNotEmpty())
        assertTrue(firstThreeYears.all { it.principal.fen == 0L }, "principal in years 1-3")
        assertTrue(firstThreeYears.all { it.interest.fen > 0L }, "interest is paid meanwhile")
        assertEquals(50_000_000L, detail.schedule.sumOf { it.principal.fen })
        assertEquals(0L, detail.schedule.last().balance.fen)
        assertTrue(detail.documents.any { it.kind == DocumentKind.LAND_CONTRACT && it.missing })
    }

    @Test
    fun `a market page lists eligible offers first, cheapest net cost first, formatted for display`() = runBlocking {
        val page = f.core.marketPage(marketInput(50_000_000L, 36u, points = 1052u))
        assertEquals(CreditGrade.AAA, page.grade)
        assertTrue(page.offers.size >= 20, "offers: ${page.offers.size}")
        val eligible = page.offers.takeWhile { it.eligible }
        assertEquals(page.eligible.toInt(), eligible.size)
        assertTrue(page.offers.drop(eligible.size).all { !it.eligible && it.reasonsZh.isNotEmpty() })
        val costs = eligible.filter { it.costed }.map { it.netCost.fen }
        assertEquals(costs.sorted(), costs)
        for (o in eligible.filter { it.costed }) {
            assertTrue(o.netCost.full.startsWith("¥"), o.netCost.full)
            assertTrue(o.aprText.endsWith("%"), o.aprText)
            assertTrue(o.netCost.fen <= o.contractCost.fen, "subsidies only lower the net cost")
        }
    }

    @Test
    fun `AAA with 1052 points reaches one million on the virtue loan while grade A does not`() = runBlocking {
        val aaa = f.core.marketPage(marketInput(100_000_000L, 24u, points = 1052u, search = "meide"))
        val a = f.core.marketPage(marketInput(100_000_000L, 24u, grade = CreditGrade.A, search = "meide"))
        val aaaOffer = aaa.offers.first { it.productId == "runchang-meide" }
        val aOffer = a.offers.first { it.productId == "runchang-meide" }
        assertTrue(aaaOffer.eligible, aaaOffer.reasonsEn.toString())
        assertEquals("100万元", aaaOffer.maxAmount.short)
        assertFalse(aOffer.eligible)
        assertTrue(aOffer.maxAmount.fen < 100_000_000L)
        assertTrue(aOffer.reasonsZh.isNotEmpty())

        val grade = f.core.grade(1052u)
        assertEquals(CreditGrade.AAA, grade.grade)
        assertEquals(null, grade.nextGrade)
        assertTrue(grade.headlineZh.contains("AAA"), grade.headlineZh)
        assertTrue(grade.products.first { it.productId == "runchang-meide" }.unlocked)
    }

    @Test
    fun `sorting by payment puts the smallest largest payment first`() = runBlocking {
        val page = f.core.marketPage(marketInput(50_000_000L, 36u).copy(sort = SortKey.PAYMENT, eligibleOnly = true))
        val payments = page.offers.filter { it.costed }.map { it.largestPayment.fen }
        assertTrue(payments.size >= 5, "offers: ${payments.size}")
        assertEquals(payments.sorted(), payments)
        val byCost = f.core.marketPage(marketInput(50_000_000L, 36u).copy(eligibleOnly = true))
        assertTrue(byCost.offers.map { it.productId } != page.offers.map { it.productId }, "the order changed")
    }

    @Test
    fun `the revolving inventory line never costs more than 4,5 percent a year`() = runBlocking {
        for (months in listOf(1u, 3u, 6u, 12u)) {
            val page = f.core.marketPage(marketInput(100_000_000L, months, search = "guanzhilian"))
            val line = page.offers.first { it.productId == "runchang-guanzhilian" }
            assertTrue(line.costed)
            assertTrue(line.aprPpm <= 45_000L, "APR ${line.aprText} for $months months")
        }
    }

    @Test
    fun `a comparison lays two to four offers side by side row by row`() = runBlocking {
        val ids = listOf("runchang-suli", "runchang-yingtao", "psbc-jiating-nongchang")
        val cmp = f.core.compare(marketInput(50_000_000L, 36u), ids)
        assertEquals(ids, cmp.productIds)
        assertTrue(cmp.rows.isNotEmpty())
        for (row in cmp.rows) {
            assertEquals(3, row.cellsZh.size, row.key)
            assertEquals(3, row.cellsEn.size, row.key)
            row.best?.let { assertTrue(it < 3u) }
        }
        val e = runCatching { f.core.compare(marketInput(50_000_000L, 36u), listOf("runchang-suli")) }.exceptionOrNull()
        assertTrue(e is HuoshuiException.InvalidInput, e.toString())
    }

    @Test
    fun `the calculator's equal installment equals the closed-form annuity`() = runBlocking {
        val view = f.core.calculate(
            CalculatorInput(method = "equal-installment", amountYuan = "500,000", ratePercent = "4.35", months = 36u),
        )
        val r = 0.0435 / 12
        val annuityFen = Math.round(50_000_000.0 * r / (1 - (1 + r).pow(-36)))
        assertEquals(36, view.rows.size)
        assertEquals(annuityFen, view.firstPayment.fen)
        assertEquals(50_000_000L, view.rows.sumOf { it.principal.fen })
        assertEquals(view.rows.sumOf { it.interest.fen }, view.totalInterest.fen)
        assertEquals("4.35%", view.aprText)
        assertNotNull(view.totalPaid.full)
    }
}

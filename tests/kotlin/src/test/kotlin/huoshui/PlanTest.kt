package huoshui

import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import cn.huoshui.core.messageZh
import uniffi.huoshui_core.LineEventInput
import uniffi.huoshui_core.LineEventKind
import uniffi.huoshui_core.LineInput
import uniffi.huoshui_core.OverdueStage
import uniffi.huoshui_core.PlanInput
import uniffi.huoshui_core.PrepayChoice
import uniffi.huoshui_core.PrepayInput
import uniffi.huoshui_core.ReminderKind
import uniffi.huoshui_core.RepaymentInput
import uniffi.huoshui_core.RowKind
import uniffi.huoshui_core.RowStatus
import uniffi.huoshui_ffi.HuoshuiException

/**
 * The loan screens after the payout (issue 14) through the real library: the plan's screen
 * model (what is due, paid and late, Chinese dates, the pear loan's interest-only years), the
 * reminders the app schedules as local notifications, early repayment and the 冠之链 statement.
 */
class PlanTest {
    private val f = Phone()

    @AfterEach
    fun close() = f.close()

    /** 酥梨贷: 100,000 yuan, 60 months at 4.2 %, paid out 28 November 2026; rows of 1,050 yuan interest. */
    private fun pear(today: String, vararg paid: Pair<String, Long>) = PlanInput(
        productId = "runchang-suli",
        amountFen = 10_000_000L,
        months = 60u,
        annualRatePpm = 42_000L,
        disbursedOn = "2026-11-28",
        repayments = paid.map { RepaymentInput(it.first, it.second) },
        today = today,
    )

    @Test
    fun `the pear loan's plan says its three interest-only years and shows what is paid and what is late`() = runBlocking {
        val plan = f.core.planPreview(pear("2027-06-01", "2027-02-28" to 105_000L))
        assertEquals("酥梨贷", plan.productZh)
        assertEquals(20, plan.rows.size)
        assertTrue(plan.rows.take(12).all { it.kind == RowKind.INTEREST_ONLY && it.principal.fen == 0L })
        assertTrue(plan.rows.drop(12).all { it.kind == RowKind.INSTALLMENT && it.principal.fen > 0L })
        assertEquals("只付利息", plan.rows[0].kindZh)
        val note = plan.interestOnlyZh!!
        assertTrue(note.startsWith("前3年（12期）只付利息") && note.contains("2029年11月28日"), note)
        assertEquals("2027年2月28日", plan.rows[0].dueDateZh)
        assertEquals(RowStatus.PAID, plan.rows[0].status)
        assertEquals("已还", plan.rows[0].statusZh)
        // The second row fell due on 28 May and is unpaid on 1 June: 4 days late.
        assertEquals("2027-05-28", plan.rows[1].dueDate)
        assertEquals(RowStatus.LATE, plan.rows[1].status)
        assertEquals("逾期4天", plan.rows[1].statusZh)
        assertEquals(OverdueStage.LATE1, plan.stage)
        assertEquals(105_000L, plan.late.fen)
        assertEquals("¥1,050.00", plan.late.full)
        assertTrue(plan.summaryZh.contains("已逾期4天"), plan.summaryZh)
        assertEquals(105_000L, plan.repayments.single().interest.fen)
        assertEquals(0L, plan.repayments.single().principal.fen)
        assertEquals(10_000_000L, plan.principalOutstanding.fen)
        assertTrue(!plan.closed)
    }

    @Test
    fun `a loan paid on time shows its next payment and a loan paid in full is closed`() = runBlocking {
        val onTime = f.core.planPreview(pear("2027-02-20"))
        assertNull(onTime.stage)
        val next = onTime.nextDue!!
        assertEquals("2027年2月28日", next.dueDateZh)
        assertEquals(8L, next.daysLeft)
        assertTrue(onTime.summaryZh.contains("还有8天"), onTime.summaryZh)
        val total = onTime.totalPayment.fen
        val closed = f.core.planPreview(pear("2027-03-01", "2027-03-01" to total))
        assertTrue(closed.closed)
        assertEquals("贷款已全部还清", closed.summaryZh)
        assertTrue(closed.rows.all { it.status == RowStatus.PAID })
    }

    @Test
    fun `a monthly loan paid out on 31 January falls due on the last day of each shorter month`() = runBlocking {
        val input = PlanInput("runchang-lingzhi", 10_000_000L, 12u, 43_500L, "2027-01-31", emptyList(), "2027-01-31")
        val dates = f.core.planPreview(input).rows.map { it.dueDate }
        assertEquals(listOf("2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"), dates.take(4))
        val leap = f.core.planPreview(input.copy(disbursedOn = "2028-01-31", today = "2028-01-31"))
        assertEquals("2028年2月29日", leap.rows[0].dueDateZh)
        assertNull(leap.interestOnlyZh, "an ordinary loan has no interest-only years")
    }

    @Test
    fun `reminders come a week before, the day before and on the day, never in the past, at nine in the county`() = runBlocking {
        val list = f.core.remindersPreview(pear("2027-02-22"))
        // 21 February (a week before) is past: the day before and the day itself remain.
        assertEquals(ReminderKind.DAY_BEFORE, list[0].kind)
        assertEquals("2027-02-27", list[0].fireOn)
        assertEquals(Instant.parse("2027-02-27T01:00:00Z").toEpochMilli(), list[0].fireAtMs)
        assertEquals("明天（2月28日）应还 ¥1,050.00", list[0].textZh)
        assertEquals(ReminderKind.DUE_DAY, list[1].kind)
        assertEquals(ReminderKind.WEEK_BEFORE, list[2].kind)
        assertEquals("2027-05-21", list[2].fireOn)
        assertEquals("5月28日应还 ¥1,050.00，还有7天", list[2].textZh)
        assertEquals(list.size, list.map { it.key }.toSet().size, "keys are unique")
        assertTrue(list.size <= 60)
        assertTrue(list.zipWithNext().all { (a, b) -> a.fireAtMs <= b.fireAtMs })
        // A row paid ahead loses its reminders.
        val paid = f.core.remindersPreview(pear("2027-02-22", "2027-02-22" to 105_000L))
        assertTrue(paid.none { it.dueDate == "2027-02-28" })
        assertEquals("2027-05-21", paid[0].fireOn)
    }

    @Test
    fun `repaying part early offers a shorter term or a lower payment and both save interest`() = runBlocking {
        val screen = f.core.prepayPreview(pear("2027-01-15"), PrepayInput("2027-01-15", 5_000_000L))
        assertEquals("2027年1月15日", screen.onZh)
        assertEquals(listOf(PrepayChoice.SHORTER_TERM, PrepayChoice.LOWER_PAYMENT), screen.options.map { it.choice })
        for (o in screen.options) {
            assertTrue(o.interestSaved.fen > 0L, o.summaryZh)
            assertEquals(5_000_000L + o.accruedInterest.fen, o.payOnTheDay.fen)
            assertEquals(48u, o.accruedDays)
        }
        val shorter = screen.options[0]
        assertTrue(shorter.rowsLeftAfter < shorter.rowsLeftBefore, shorter.summaryZh)
        val lower = screen.options[1]
        assertEquals(lower.rowsLeftBefore, lower.rowsLeftAfter)
        assertTrue(lower.nextPaymentAfter!!.fen < lower.nextPaymentBefore!!.fen, lower.summaryZh)
        assertTrue(lower.rows.take(11).all { it.kind == RowKind.INTEREST_ONLY }, "the grace years stay")

        val all = f.core.prepayPreview(pear("2027-01-15"), PrepayInput("2027-01-15", null)).options.single()
        assertNull(all.choice)
        assertEquals("全部结清", all.choiceZh)
        assertEquals(0u, all.rowsLeftAfter)
        assertTrue(all.summaryZh.contains("节省利息"), all.summaryZh)
    }

    @Test
    fun `the guanzhilian line charges ninety days of daily interest to the fen`() = runBlocking {
        val input = LineInput(
            productId = "runchang-guanzhilian",
            limitFen = 100_000_000L,
            annualRatePpm = 42_000L,
            openedOn = "2026-05-01",
            months = 12u,
            events = listOf(
                LineEventInput("2026-05-01", LineEventKind.DRAW, 100_000_000L),
                LineEventInput("2026-07-30", LineEventKind.REPAY, 101_049_940L),
            ),
            from = "2026-05-01",
            to = "2026-07-31",
        )
        val s = f.core.lineStatement(input)
        assertEquals(1_049_940L, s.interestAccrued.fen)
        assertEquals(0L, s.closingOwed.fen)
        assertEquals(100_000_000L, s.available.fen)
        assertEquals("4.20%", s.rate)
        assertEquals(listOf("用款", "还款"), s.entries.map { it.kindZh })
        // A contract rate above the 4.5 % cap is charged at the cap, and says so.
        val capped = f.core.lineStatement(input.copy(annualRatePpm = 60_000L, events = input.events.take(1)))
        assertTrue(capped.capped)
        assertEquals("4.50%", capped.rate)
        assertTrue(capped.rateNoteZh.contains("上限"), capped.rateNoteZh)
    }

    @Test
    fun `a loan that is not on this phone or not paid out has no plan, and bad dates say how to write them`() = runBlocking {
        assertThrows<HuoshuiException.NotFound> {
            runBlocking { f.core.loanPlan("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f00") }
        }
        assertTrue(f.core.repaymentReminders().isEmpty())
        val e = assertThrows<HuoshuiException.InvalidInput> {
            runBlocking { f.core.planPreview(pear("2027-02-30")) }
        }
        assertTrue(e.messageZh.contains("2027-02-28"), e.messageZh)
    }
}

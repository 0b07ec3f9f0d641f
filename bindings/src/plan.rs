//! The loan screens after the payout, adapted 1:1 from [`huoshui_core::app::plan`]: the plan
//! of a loan on this phone (what is due, paid and late), the local notifications to schedule,
//! early repayment, and the same screens for a loan described by hand (the calculator's
//! "after payout" and the JVM tests), plus the revolving line's statement. Nothing more.

use crate::core::HuoshuiCore;
use crate::error::HuoshuiError;
use huoshui_core::app::plan::{
    LineInput, LineStatementView, PlanInput, PlanScreenView, PrepayInput, PrepayScreenView,
    ReminderView,
};

#[uniffi::export]
impl HuoshuiCore {
    /// The plan of a paid-out loan on this phone (works offline, from what was synced).
    pub async fn loan_plan(&self, application_id: String) -> Result<PlanScreenView, HuoshuiError> {
        self.run(move |core| core.loan_plan(&application_id)).await
    }

    /// Every repayment reminder to schedule as a local notification, the soonest first;
    /// replace what was scheduled before (by `key`) after each sync and when the app opens.
    pub async fn repayment_reminders(&self) -> Result<Vec<ReminderView>, HuoshuiError> {
        self.run(|core| core.repayment_reminders()).await
    }

    /// Early repayment of a loan on this phone: every choice its method allows.
    pub async fn prepay_options(
        &self,
        application_id: String,
        input: PrepayInput,
    ) -> Result<PrepayScreenView, HuoshuiError> {
        self.run(move |core| core.prepay_options(&application_id, &input))
            .await
    }

    /// The plan screen of a loan described by hand.
    pub async fn plan_preview(&self, input: PlanInput) -> Result<PlanScreenView, HuoshuiError> {
        self.run(move |core| core.plan_preview(&input)).await
    }

    /// The reminders of a loan described by hand.
    pub async fn reminders_preview(
        &self,
        input: PlanInput,
    ) -> Result<Vec<ReminderView>, HuoshuiError> {
        self.run(move |core| core.reminders_preview(&input)).await
    }

    /// Early repayment of a loan described by hand.
    pub async fn prepay_preview(
        &self,
        input: PlanInput,
        prepay: PrepayInput,
    ) -> Result<PrepayScreenView, HuoshuiError> {
        self.run(move |core| core.prepay_preview(&input, &prepay))
            .await
    }

    /// A revolving line's statement (冠之链).
    pub async fn line_statement(
        &self,
        input: LineInput,
    ) -> Result<LineStatementView, HuoshuiError> {
        self.run(move |core| core.line_statement(&input)).await
    }
}

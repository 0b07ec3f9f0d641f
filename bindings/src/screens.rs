//! The screen models across the FFI: one call per screen of the two apps, each adapting one
//! call of [`huoshui_core::app::screens`] (what to show, what is valid, where an action leads).
//!
//! The screens are read on the caller's thread (quick reads of the device store and the
//! catalog: the shells call them from a background dispatcher); the three that act (apply,
//! the checklist's submit, a review action) run on the core's runtime like the other actions,
//! so the sync they start has a runtime to run on. Nothing here decides anything.

use crate::barrier::guard;
use crate::core::HuoshuiCore;
use crate::error::HuoshuiError;
use huoshui_core::app::screens::apply::{
    ApplyDone, ApplyForm, ApplyScreen, ChecklistScreen, LoansScreen, SignInScreen, TimelineScreen,
};
use huoshui_core::app::screens::manager::{
    InboxScreen, ReviewDone, ReviewForm, TaskScreen, check_review,
};
use huoshui_core::app::screens::market::{
    CalculatorForm, CalculatorScreen, CompareScreen, GradeScreen, MarketForm, MarketScreen,
    ProductScreen,
};
use huoshui_core::app::screens::settings::{SettingsScreen, SyncBanner, sync_banner_for};
use huoshui_core::app::screens::{Nav, Problem};
use huoshui_core::app::views::SyncStatusView;

#[uniffi::export]
impl HuoshuiCore {
    /// The sign-in screen for what is typed (`code_sent`: a code was asked for).
    pub fn sign_in_screen(
        &self,
        phone: String,
        code: String,
        code_sent: bool,
    ) -> Result<SignInScreen, HuoshuiError> {
        guard(|| Ok(self.core.sign_in_screen(&phone, &code, code_sent)?))
    }

    /// The market screen for the form (chips, sorts, cards; the amount and term checked).
    pub fn market_screen(&self, form: MarketForm) -> Result<MarketScreen, HuoshuiError> {
        guard(|| Ok(self.core.market_screen(&form)?))
    }

    /// A product's detail for the market form's amount and term.
    pub fn product_screen(
        &self,
        form: MarketForm,
        product_id: String,
    ) -> Result<ProductScreen, HuoshuiError> {
        guard(|| Ok(self.core.product_screen(&form, &product_id)?))
    }

    /// The comparison of 2 to 4 products.
    pub fn compare_screen(
        &self,
        form: MarketForm,
        product_ids: Vec<String>,
    ) -> Result<CompareScreen, HuoshuiError> {
        guard(|| Ok(self.core.compare_screen(&form, &product_ids)?))
    }

    /// The calculator for the form.
    pub fn calculator_screen(
        &self,
        form: CalculatorForm,
    ) -> Result<CalculatorScreen, HuoshuiError> {
        guard(|| Ok(self.core.calculator_screen(&form)?))
    }

    /// The grade screen: `points` tried out, or the signed-in villager's on record.
    pub fn grade_screen(&self, points: Option<u32>) -> Result<GradeScreen, HuoshuiError> {
        guard(|| Ok(self.core.grade_screen(points)?))
    }

    /// The apply screen for the form (each field's problem, the consent's text).
    pub fn apply_screen(&self, form: ApplyForm) -> Result<ApplyScreen, HuoshuiError> {
        guard(|| Ok(self.core.apply_screen(&form)?))
    }

    /// Makes the draft of the apply form; leads to its checklist.
    pub async fn apply(&self, form: ApplyForm) -> Result<ApplyDone, HuoshuiError> {
        self.run(move |core| core.apply(&form)).await
    }

    /// An application's document checklist with progress.
    pub fn checklist_screen(
        &self,
        application_id: String,
    ) -> Result<ChecklistScreen, HuoshuiError> {
        guard(|| Ok(self.core.checklist_screen(&application_id)?))
    }

    /// The checklist's main button (submit, or documents provided); leads to the timeline.
    pub async fn checklist_submit(&self, application_id: String) -> Result<Nav, HuoshuiError> {
        self.run(move |core| core.checklist_submit(&application_id))
            .await
    }

    /// My loans.
    pub fn loans_screen(&self) -> Result<LoansScreen, HuoshuiError> {
        guard(|| Ok(self.core.loans_screen()?))
    }

    /// One loan's timeline with the manager and the villager's buttons.
    pub fn timeline_screen(&self, application_id: String) -> Result<TimelineScreen, HuoshuiError> {
        guard(|| Ok(self.core.timeline_screen(&application_id)?))
    }

    /// The manager's inbox, most urgent first.
    pub fn inbox_screen(&self) -> Result<InboxScreen, HuoshuiError> {
        guard(|| Ok(self.core.inbox_screen()?))
    }

    /// One task in full.
    pub fn task_screen(&self, application_id: String) -> Result<TaskScreen, HuoshuiError> {
        guard(|| Ok(self.core.task_screen(&application_id)?))
    }

    /// What is wrong with a review form, if anything (before the button is pressed).
    pub fn review_problem(&self, form: ReviewForm) -> Option<Problem> {
        check_review(&form)
    }

    /// Does a review action; leads back to the inbox.
    pub async fn review(&self, form: ReviewForm) -> Result<ReviewDone, HuoshuiError> {
        self.run(move |core| core.review(&form)).await
    }

    /// The settings screen.
    pub fn settings_screen(&self) -> Result<SettingsScreen, HuoshuiError> {
        guard(|| Ok(self.core.settings_screen()?))
    }

    /// The sync banner now.
    pub fn sync_banner(&self) -> Result<SyncBanner, HuoshuiError> {
        guard(|| Ok(self.core.sync_banner()?))
    }

    /// The banner for a status the shell already has (from its sync status listener).
    pub fn sync_banner_for(&self, status: SyncStatusView) -> SyncBanner {
        sync_banner_for(status)
    }
}

//! Listeners: `subscribe_…(listener) -> TaskHandle`. The current value is delivered at once,
//! then again after every change (rapid changes may be folded into one delivery of the latest
//! value). The handle cancels on `close()` or when dropped.
//!
//! Owns the subscription tasks on the core's runtime. A listener is called on a blocking-pool
//! thread of that runtime with no lock held, so it may call back into the core. After `close()`
//! returns no new delivery starts; one already running when `close()` was called finishes.

use huoshui_core::app::views::{
    ApplicationView, DocumentView, SessionView, SyncStatusView, TaskView,
};
use huoshui_core::app::{AppCore, Topic};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Receives the villager's applications.
#[uniffi::export(with_foreign)]
pub trait ApplicationsListener: Send + Sync {
    fn on_update(&self, applications: Vec<ApplicationView>);
}

/// Receives the documents on this phone.
#[uniffi::export(with_foreign)]
pub trait DocumentsListener: Send + Sync {
    fn on_update(&self, documents: Vec<DocumentView>);
}

/// Receives an account manager's tasks.
#[uniffi::export(with_foreign)]
pub trait TasksListener: Send + Sync {
    fn on_update(&self, tasks: Vec<TaskView>);
}

/// Receives the sync status (the banner).
#[uniffi::export(with_foreign)]
pub trait SyncStatusListener: Send + Sync {
    fn on_update(&self, status: SyncStatusView);
}

/// Receives who is signed in (`None` after sign-out).
#[uniffi::export(with_foreign)]
pub trait SessionListener: Send + Sync {
    fn on_update(&self, session: Option<SessionView>);
}

/// A running subscription. `close()` (Kotlin `AutoCloseable`) or dropping it stops it.
#[derive(uniffi::Object)]
pub struct TaskHandle {
    active: Arc<AtomicBool>,
    task: Mutex<Option<JoinHandle<()>>>,
    core: Arc<AppCore>,
    subscriber: u64,
}

impl TaskHandle {
    fn stop(&self) {
        self.active.store(false, Ordering::SeqCst);
        self.core.notifier().unsubscribe(self.subscriber);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.abort();
        }
    }
}

#[uniffi::export]
impl TaskHandle {
    /// Stops the subscription; no new delivery starts after this returns.
    pub fn cancel(&self) {
        crate::barrier::guard_infallible(|| (), || self.stop());
    }

    /// Whether the subscription is still running.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts a subscription: `compute` makes the current value (on the blocking pool), `deliver`
/// hands it to the foreign listener. Runs once at once, then after every change of `topic`.
pub(crate) fn subscribe<T: Send + 'static>(
    runtime: &Handle,
    core: &Arc<AppCore>,
    topic: Topic,
    compute: impl Fn(&AppCore) -> Option<T> + Send + Sync + 'static,
    deliver: impl Fn(T) + Send + Sync + 'static,
) -> Arc<TaskHandle> {
    let (tx, mut rx) = watch::channel(0u64);
    let subscriber = core.notifier().subscribe(Arc::new(move |t| {
        if t == topic {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }));
    let active = Arc::new(AtomicBool::new(true));
    let work = Arc::new((compute, deliver));
    let task = {
        let core = Arc::clone(core);
        let active = Arc::clone(&active);
        runtime.spawn(async move {
            loop {
                rx.mark_unchanged();
                let core = Arc::clone(&core);
                let active = Arc::clone(&active);
                let work = Arc::clone(&work);
                let delivered = tokio::task::spawn_blocking(move || {
                    crate::barrier::guard_infallible(
                        || (),
                        || {
                            let (compute, deliver) = &*work;
                            if let Some(value) = compute(&core)
                                && active.load(Ordering::SeqCst)
                            {
                                deliver(value);
                            }
                        },
                    );
                })
                .await;
                if delivered.is_err() || rx.changed().await.is_err() {
                    break;
                }
            }
        })
    };
    Arc::new(TaskHandle {
        active,
        task: Mutex::new(Some(task)),
        core: Arc::clone(core),
        subscriber,
    })
}

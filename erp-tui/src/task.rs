//! Work that runs off the render loop: every database call is a [`Task`] the update step returns;
//! the driver spawns it and feeds its result back as a [`Msg`](crate::msg::Msg).

use std::future::Future;
use std::pin::Pin;

use erp_core::Erp;

use crate::msg::Msg;

type Job = Box<dyn FnOnce(Erp) -> Pin<Box<dyn Future<Output = Msg> + Send>> + Send>;

/// One unit of background work.
pub struct Task {
    /// What it does, for the busy indicator and tests.
    pub label: &'static str,
    job: Job,
}

impl Task {
    /// A task running `f` with the ERP handle.
    pub fn new<F, Fut>(label: &'static str, f: F) -> Task
    where
        F: FnOnce(Erp) -> Fut + Send + 'static,
        Fut: Future<Output = Msg> + Send + 'static,
    {
        Task {
            label,
            job: Box::new(move |erp| Box::pin(f(erp))),
        }
    }

    /// Runs the task to its message.
    pub async fn run(self, erp: Erp) -> Msg {
        (self.job)(erp).await
    }
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Task({})", self.label)
    }
}

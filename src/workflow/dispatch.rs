//! The one dispatch: a trigger's job run by its workflow, its metrics written, and its answer.

use aws_lambda_events::sqs::SqsBatchResponse;
use serde::Serialize;

use crate::app::App;
use crate::domain::Account;
use crate::error::Error;
use crate::event::Trigger;
use crate::preflight::CheckReport;
use crate::report::metrics;
use crate::report::summary::Summary;
use crate::workflow::adopt::adopt_members;
use crate::workflow::check::run_check;
use crate::workflow::clock::now_millis;
use crate::workflow::job::{Job, job_of, run_works};
use crate::workflow::retry::retry_batch;
use crate::workflow::scope::{Invocation, Scope};
use crate::workflow::steps::settle::finish;

/// The summary of an invocation, or for messages of the retry queue the batch response that
/// names the messages to deliver again.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// What became of each subject, bounded.
    Summary(Box<Summary>),
    /// The messages of the retry queue to deliver again.
    Batch(SqsBatchResponse),
    /// What the preflight, `{"action": "check"}`, found.
    Check(Box<CheckReport>),
}

/// Answers a trigger: its job, run by its workflow.
pub(crate) async fn answer(
    app: &App,
    trigger: Trigger,
    invocation: &Invocation,
) -> Result<Response, Error> {
    let scope = invocation.scope(app);
    let mut known = None;
    let job = job_of(scope, trigger, None, &mut known).await?;
    run_job(scope, job, known, invocation).await
}

async fn run_job(
    scope: Scope<'_>,
    job: Job,
    known: Option<Vec<Account>>,
    invocation: &Invocation,
) -> Result<Response, Error> {
    let summary = match job {
        Job::Work(works) => {
            let (run, reconcile) = run_works(scope, works, known.as_deref()).await?;
            let finished = finish(scope, &run, reconcile).await;
            if !finished.unsent.is_empty() {
                let unfinished = finished.unsent.into_iter().map(|unsent| unsent.what);
                return Err(Error::RetryLater {
                    unfinished: unfinished.collect(),
                });
            }
            finished.summary
        }
        Job::Nothing(ignored) => {
            ignored.log();
            Summary::of_ignored(ignored)
        }
        // For messages of the retry queue, the function answers the batch response.
        Job::Batch(deliveries) => {
            let (summary, batch) = retry_batch(scope, deliveries).await;
            write_metrics(scope, &summary, invocation);
            return Ok(Response::Batch(batch));
        }
        Job::Adopt(regions) => adopt_members(scope, &regions).await?,
        Job::Check(accounts) => {
            let report = run_check(scope, &accounts).await;
            return Ok(Response::Check(Box::new(report)));
        }
        Job::DryRun(job) => {
            let planner = scope.app.planning();
            let planning = scope.with_app(&planner);
            return Box::pin(run_job(planning, *job, known, invocation)).await;
        }
    };
    write_metrics(scope, &summary, invocation);
    Ok(Response::Summary(Box::new(summary.bounded())))
}

/// Writes the invocation's metrics, as Embedded Metric Format lines.
fn write_metrics(scope: Scope<'_>, summary: &Summary, invocation: &Invocation) {
    let app = scope.app;
    let namespace = &app.config.metrics_namespace;
    let lines = metrics::format_lines(summary, namespace, &invocation.function_name, now_millis());
    app.metrics.write(&lines);
}

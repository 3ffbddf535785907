//! The Lambda handler: the event decoded, answered by the one dispatch.

use lambda_runtime::LambdaEvent;
use serde_json::Value;

use crate::app::App;
use crate::error::Error;
use crate::event;
use crate::workflow::dispatch;
pub use crate::workflow::dispatch::Response;
use crate::workflow::scope::Invocation;

/// Answers one invocation: for the retry queue, the batch response; for a check, its report; else
/// the summary of what became of each account.
///
/// # Errors
/// An event that cannot be read or acted on, a setting it breaks, or work that could be neither
/// done nor kept on a queue: the error names what is wrong and what to do.
pub async fn handle(event: LambdaEvent<Value>, app: &App) -> Result<Response, Error> {
    let invocation = Invocation::of(app, &event.context).await;
    let trigger = event::decode(event.payload)?;
    dispatch::answer(app, trigger, &invocation).await
}

//! The floor for the benchmarks: an empty lambda_runtime function that returns its event, built with
//! the same profile and runtime setup as macie-invite.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, lambda_runtime::Error>(event.payload)
    }))
    .await
}

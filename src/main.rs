//! Wires the function: tracing, settings, the SDK configuration and the adapters, then the runtime loop.

use aws_config::BehaviorVersion;
use lambda_runtime::service_fn;
use lambda_runtime::tracing;
use macie_invite::{App, Config, handle};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    macie_invite::logging::init();
    let config = Config::from_env().inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(macie_invite::sdk::https_client())
        .load()
        .await;
    let app = App::new(config, &sdk_config);
    lambda_runtime::run(service_fn(|event| handle(event, &app))).await
}

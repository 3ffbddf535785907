//! Wires the function: tracing, settings, the SDK configuration and the adapters, then the runtime loop.

use aws_config::BehaviorVersion;
use lambda_runtime::service_fn;
use lambda_runtime::tracing;
use macie_invite::{App, Config, handle};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    #[cfg(target_env = "gnu")]
    fix_mmap_threshold();
    macie_invite::logging::init();
    let config = Config::from_env().inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    let sdk_config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(macie_invite::sdk::https_client())
        .load()
        .await;
    let app = App::new(config, &sdk_config);
    lambda_runtime::run(service_fn(|event| handle(event, &app))).await
}

/// Large blocks (128 KiB and more: a reconcile's member listing of each region, its tasks) are
/// mapped on their own and go back to the system whole when freed. Left to itself, glibc raises
/// that threshold to the size of each large block freed, so that after the first region the
/// listings grow inside the heap, copied as they grow, and leave holes the next region's do not
/// fill: peak memory grew with the regions. A fixed threshold ends the raising (mallopt(3)).
#[cfg(target_env = "gnu")]
fn fix_mmap_threshold() {
    // SAFETY: mallopt sets one of malloc's parameters, under malloc's own lock; nothing else is
    // running yet.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) };
}

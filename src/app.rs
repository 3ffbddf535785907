//! The application context: the settings and one adapter per service, built once at init and
//! shared by every invocation.

use crate::aws::macie::Macie;
use crate::aws::organizations::Organizations;
use crate::aws::queue::Queue;
use crate::aws::sdk;
use crate::aws::sts::Sts;
use crate::config::Config;
use crate::report::metrics::MetricsOut;

/// What every invocation shares: the settings and one adapter per service, built once at init.
/// Cloning it clones handles: the SDK clients and the metrics' writer are shared.
#[derive(Clone)]
pub struct App {
    /// The settings, read and checked at init.
    pub config: Config,
    /// Organizations: the accounts and their creations.
    pub organizations: Organizations,
    /// Macie, in each region of MACIE_REGIONS, and in member accounts.
    pub macie: Macie,
    /// SQS: the retry and dead-letter queues.
    pub queue: Queue,
    /// Who the function is, where its ARN does not say (a local emulator's).
    pub sts: Sts,
    /// Where the invocations' metric lines go (standard output).
    pub metrics: MetricsOut,
}

impl App {
    /// Builds every adapter from one SDK configuration.
    pub fn new(config: Config, sdk_config: &aws_config::SdkConfig) -> Self {
        App {
            organizations: Organizations::new(aws_sdk_organizations::Client::from_conf(
                sdk::organizations_config(sdk_config),
            )),
            macie: Macie::new(sdk_config, sdk_config, &config.regions),
            queue: Queue::new(aws_sdk_sqs::Client::from_conf(sdk::sqs_config(sdk_config))),
            sts: Sts::new(aws_sdk_sts::Client::from_conf(sdk::sts_config(sdk_config))),
            metrics: MetricsOut::stdout(),
            config,
        }
    }

    /// The same application under DRY_RUN: for an invocation that asks for a dry run
    /// (`"dryRun": true`), and for what the reconcile only plans (BACKFILL off).
    pub(crate) fn planning(&self) -> App {
        App {
            config: Config {
                dry_run: true,
                ..self.config.clone()
            },
            ..self.clone()
        }
    }
}

//! The SQS adapter: messages sent in batches, and which of them could not be sent.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};

use crate::aws::sdk;
use crate::domain::QueueDepth;
use crate::error::Error;

const SERVICE: &str = "SQS";

/// SendMessageBatch takes at most 10 messages a call.
const MESSAGES_PER_BATCH: usize = 10;

#[derive(Clone)]
/// SQS: the function's own queues.
pub struct Queue {
    client: Client,
}

/// One message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The message body.
    pub body: String,
    /// How long SQS keeps it hidden.
    pub delay_seconds: u32,
}

impl Queue {
    /// The adapter around a client.
    pub fn new(client: Client) -> Self {
        Queue { client }
    }

    /// When the queue was created (its `CreatedTimestamp`, "the time when the queue was created in
    /// seconds (epoch time)": SQS API reference, GetQueueAttributes), in seconds since the epoch.
    pub async fn created_at(&self, queue_url: &str) -> Result<Option<i64>, Error> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::CreatedTimestamp)
            .send()
            .await
            .map_err(|error| sdk::read_sdk_error(SERVICE, "GetQueueAttributes", error))?;
        Ok(output
            .attributes()
            .and_then(|attributes| attributes.get(&QueueAttributeName::CreatedTimestamp))
            // Whole seconds in SQS's answer; a fraction (as moto gives) is dropped.
            .and_then(|seconds| seconds.parse::<f64>().ok())
            .map(|seconds| seconds as i64))
    }

    /// How many messages the queue holds: waiting, delayed (retries before their time) and in flight.
    pub async fn depth(&self, queue_url: &str) -> Result<QueueDepth, Error> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|error| sdk::read_sdk_error(SERVICE, "GetQueueAttributes", error))?;
        let count = |name: QueueAttributeName| {
            output
                .attributes()
                .and_then(|attributes| attributes.get(&name))
                .and_then(|count| count.parse().ok())
                .unwrap_or(0)
        };
        Ok(QueueDepth {
            waiting: count(QueueAttributeName::ApproximateNumberOfMessages),
            delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        })
    }

    /// Sends the messages, 10 a call; returns the index of each message that could not be sent, with why.
    pub async fn send(&self, queue_url: &str, messages: &[Outgoing]) -> Vec<(usize, String)> {
        let mut unsent = Vec::new();
        for (batch_number, batch) in messages.chunks(MESSAGES_PER_BATCH).enumerate() {
            let first = batch_number * MESSAGES_PER_BATCH;
            let entries: Result<Vec<_>, _> = batch
                .iter()
                .enumerate()
                .map(|(offset, message)| {
                    SendMessageBatchRequestEntry::builder()
                        .id((first + offset).to_string())
                        .message_body(&message.body)
                        .delay_seconds(message.delay_seconds as i32)
                        .build()
                })
                .collect();
            let sent = match entries {
                Ok(entries) => self
                    .client
                    .send_message_batch()
                    .queue_url(queue_url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|error| {
                        sdk::read_sdk_error(SERVICE, "SendMessageBatch", error).to_string()
                    }),
                Err(error) => Err(error.to_string()),
            };
            match sent {
                Ok(output) => unsent.extend(output.failed().iter().filter_map(|failure| {
                    let index = failure.id().parse::<usize>().ok()?;
                    Some((
                        index,
                        format!(
                            "SQS SendMessageBatch entry failed: {}: {}",
                            failure.code(),
                            failure.message().unwrap_or("")
                        ),
                    ))
                })),
                Err(reason) => {
                    unsent.extend((first..first + batch.len()).map(|index| (index, reason.clone())))
                }
            }
        }
        unsent
    }
}

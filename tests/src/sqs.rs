//! SQS and SNS fixtures on moto's server ([`crate::aws`]): a task queue with its dead-letter
//! queue and redrive policy, a result topic with a queue subscribed to it (raw delivery, so
//! SNS message attributes arrive as SQS message attributes), and helpers to send and collect
//! messages.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{
    Message, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
};
use serde_json::{Value, json};

use crate::aws::{sdk_config, unique_name};

/// A task queue and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct TaskQueues {
    /// A client on the test server.
    pub client: aws_sdk_sqs::Client,
    /// The queue's URL.
    pub url: String,
    /// The dead-letter queue's URL.
    pub dead_letter_url: String,
}

/// Creates `<prefix>-…` and `<prefix>-…-dlq`, the first redriving to the second after
/// `max_receive` receives, with `visibility_secs` as the default visibility.
pub async fn task_queues(prefix: &str, max_receive: u32, visibility_secs: u32) -> TaskQueues {
    let client = aws_sdk_sqs::Client::new(&sdk_config().await);
    let name = unique_name(prefix);
    let dead_letter_url = create_queue(&client, &format!("{name}-dlq"), HashMap::new()).await;
    let arn = queue_arn(&client, &dead_letter_url).await;
    let policy = json!({ "deadLetterTargetArn": arn, "maxReceiveCount": max_receive });
    let url = create_queue(
        &client,
        &name,
        HashMap::from([
            (QueueAttributeName::RedrivePolicy, policy.to_string()),
            (
                QueueAttributeName::VisibilityTimeout,
                visibility_secs.to_string(),
            ),
        ]),
    )
    .await;
    TaskQueues {
        client,
        url,
        dead_letter_url,
    }
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> String {
    client
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating queue {name}: {e:?}"))
        .queue_url()
        .expect("a queue URL")
        .to_owned()
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> String {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .expect("a queue ARN")
        .clone()
}

/// A topic and a queue subscribed to it with raw message delivery.
#[derive(Debug, Clone)]
pub struct ResultTopic {
    /// The topic's ARN.
    pub arn: String,
    /// The subscribed queue's URL.
    pub queue_url: String,
    /// A client on the test server.
    pub sqs: aws_sdk_sqs::Client,
}

/// Creates a topic `<prefix>-…` and a queue subscribed to it.
pub async fn result_topic(prefix: &str) -> ResultTopic {
    let config = sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let name = unique_name(prefix);
    let arn = sns
        .create_topic()
        .name(&name)
        .send()
        .await
        .expect("a topic")
        .topic_arn()
        .expect("a topic ARN")
        .to_owned();
    let queue_url = create_queue(&sqs, &format!("{name}-out"), HashMap::new()).await;
    let queue = queue_arn(&sqs, &queue_url).await;
    sns.subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(queue)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("subscribed");
    ResultTopic {
        arn,
        queue_url,
        sqs,
    }
}

/// Sends `body` with String message attributes.
pub async fn send(
    client: &aws_sdk_sqs::Client,
    url: &str,
    body: &str,
    attributes: &[(&str, &str)],
) {
    let mut request = client.send_message().queue_url(url).message_body(body);
    for (name, value) in attributes {
        request = request.message_attributes(
            *name,
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .expect("an attribute"),
        );
    }
    request.send().await.expect("sent");
}

/// Receives (and deletes) messages from `url` until `count` have come or `within` has passed.
pub async fn collect(
    client: &aws_sdk_sqs::Client,
    url: &str,
    count: usize,
    within: Duration,
) -> Vec<Message> {
    let deadline = Instant::now() + within;
    let mut messages = Vec::new();
    while messages.len() < count && Instant::now() < deadline {
        let answer = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("received");
        for message in answer.messages() {
            if let Some(handle) = message.receipt_handle() {
                client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("deleted");
            }
            messages.push(message.clone());
        }
    }
    messages
}

/// A message attribute's text (String or Number).
pub fn attribute(message: &Message, name: &str) -> Option<String> {
    message
        .message_attributes()?
        .get(name)?
        .string_value()
        .map(str::to_owned)
}

/// The receive count SQS reported with a message.
pub fn receive_count(message: &Message) -> u32 {
    message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The body as JSON, or a panic showing it.
pub fn json_body(message: &Message) -> Value {
    let body = message.body().unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// The approximate numbers of visible and in-flight messages of a queue.
pub async fn depth(client: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    let answer = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("queue attributes");
    let number = |name| {
        answer
            .attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        number(QueueAttributeName::ApproximateNumberOfMessages),
        number(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

//! Which `--queue` values name an SQS queue, and what an SQS queue's attributes say about it:
//! its redrive policy (dead-letter queue and `maxReceiveCount`) and whether it is FIFO.

use serde::Deserialize;

/// An SQS queue as `--queue` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqsAddress {
    /// A queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`, or the same shape on
    /// a local server).
    Url(String),
    /// `sqs://<name>`: the URL is looked up (`GetQueueUrl`) on the configured endpoint.
    Name(String),
}

impl SqsAddress {
    /// Parses a `--queue` value; `None` when it does not name an SQS queue.
    ///
    /// A URL names SQS when its host is an SQS endpoint (`sqs.<region>.amazonaws.com`,
    /// `<region>.queue.amazonaws.com`, also under `.amazonaws.com.cn`) or when its path is
    /// exactly `/<12-digit account>/<queue name>` (the shape every SQS-compatible server uses).
    /// Other `http(s)://` URLs are another host's API (a remote worker).
    pub fn parse(value: &str) -> Option<Self> {
        if let Some(name) = value.strip_prefix("sqs://") {
            return Some(Self::Name(name.trim_end_matches('/').to_owned()));
        }
        let url = url::Url::parse(value).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let host = url.host_str().unwrap_or_default();
        let aws_host = [".amazonaws.com", ".amazonaws.com.cn"]
            .iter()
            .any(|suffix| host.ends_with(suffix))
            && (host.starts_with("sqs.") || host.contains(".queue."));
        let segments: Vec<&str> = url.path().trim_matches('/').split('/').collect();
        let queue_path = matches!(segments.as_slice(),
            [account, name] if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && is_queue_name(name));
        (aws_host || queue_path).then(|| Self::Url(value.to_owned()))
    }

    /// The queue's name (the last segment of its URL).
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) => name,
            Self::Url(url) => url.trim_end_matches('/').rsplit('/').next().unwrap_or(url),
        }
    }
}

/// SQS's rule for queue names: 1-80 of `A-Z a-z 0-9 - _`, plus `.fifo` for FIFO queues.
pub fn is_queue_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !base.is_empty()
        && name.len() <= 80
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The `RedrivePolicy` attribute of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivePolicy {
    /// The dead-letter queue's ARN.
    pub dead_letter_target_arn: String,
    /// Receives before SQS moves a message to the dead-letter queue.
    #[serde(deserialize_with = "number_or_text")]
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// Parses the attribute's JSON text.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("RedrivePolicy {text:?}: {e}"))
    }
}

/// `maxReceiveCount` is a number in AWS's answers and a string in some servers'.
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u32),
        Text(String),
    }
    match Count::deserialize(d)? {
        Count::Number(n) => Ok(n),
        Count::Text(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// The parts of a queue ARN, `arn:<partition>:sqs:<region>:<account>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueArn {
    /// The owning account.
    pub account: String,
    /// The queue's name.
    pub name: String,
}

impl QueueArn {
    /// Parses an SQS queue ARN.
    pub fn parse(arn: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "sqs", _, account, name] if is_queue_name(name) => Ok(Self {
                account: (*account).to_owned(),
                name: (*name).to_owned(),
            }),
            _ => Err(format!("{arn:?} is not an SQS queue ARN")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_urls_and_names_are_told_from_remote_worker_urls() {
        let aws = "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks";
        assert_eq!(SqsAddress::parse(aws), Some(SqsAddress::Url(aws.into())));
        let legacy = "https://eu-west-1.queue.amazonaws.com/123456789012/tasks.fifo";
        assert_eq!(SqsAddress::parse(legacy).unwrap().name(), "tasks.fifo");
        let local = "http://127.0.0.1:5000/123456789012/work-queue";
        assert_eq!(SqsAddress::parse(local).unwrap().name(), "work-queue");
        assert_eq!(
            SqsAddress::parse("sqs://jobs"),
            Some(SqsAddress::Name("jobs".into()))
        );
        for remote in [
            "http://127.0.0.1:8080",
            "https://host-a:8080/",
            "http://host/v1/leases",
            "http://host/12345/q",
            "sqlite://./q.db",
            "postgres://db/tasks",
        ] {
            assert_eq!(SqsAddress::parse(remote), None, "{remote}");
        }
    }

    #[test]
    fn queue_names_follow_sqs_rules() {
        assert!(is_queue_name("a-b_C9"));
        assert!(is_queue_name("orders.fifo"));
        for bad in ["", ".fifo", "a.b", "a b", &"x".repeat(81)] {
            assert!(!is_queue_name(bad), "{bad}");
        }
    }

    #[test]
    fn redrive_policies_parse_with_either_count_type() {
        let aws = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":5}"#;
        let moto = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":"3"}"#;
        assert_eq!(RedrivePolicy::parse(aws).unwrap().max_receive_count, 5);
        assert_eq!(RedrivePolicy::parse(moto).unwrap().max_receive_count, 3);
        assert!(RedrivePolicy::parse("{}").is_err());
        let arn = QueueArn::parse(&RedrivePolicy::parse(aws).unwrap().dead_letter_target_arn);
        assert_eq!(
            arn,
            Ok(QueueArn {
                account: "123456789012".into(),
                name: "dlq".into()
            })
        );
        assert!(QueueArn::parse("arn:aws:sns:us-east-1:1:topic").is_err());
    }
}

//! The messages this process has received and not yet settled, by receipt handle.
//!
//! A lease's token is the message's receipt handle (SQS gives a new one at every receive).
//! Settling needs more than the handle: a dead-letter copy needs the body, the attributes and
//! the FIFO group. And the handle is the fence: once a message is settled (or its visibility
//! was lost), its handle leaves this map and every later call with it is `LeaseLost`, even
//! where SQS itself would still accept an old handle.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};

/// What is kept of a received message until it is settled.
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    /// The message's id.
    pub(crate) message_id: String,
    /// The body, as received.
    pub(crate) body: String,
    /// Its message attributes.
    pub(crate) attributes: HashMap<String, MessageAttributeValue>,
    /// FIFO only: the message group.
    pub(crate) group_id: Option<String>,
    /// The receive count of this delivery (from 1).
    pub(crate) attempt: u32,
    /// When the first receive of the message happened (SQS's 12-hour visibility limit counts
    /// from there), Unix milliseconds.
    pub(crate) first_received_ms: Option<i64>,
}

impl InFlight {
    /// The parts of a received message the settlement needs.
    pub(crate) fn of(message: &Message) -> Self {
        let system = message.attributes();
        let system_value = |name: MessageSystemAttributeName| {
            system.and_then(|attributes| attributes.get(&name)).cloned()
        };
        Self {
            message_id: message.message_id().unwrap_or_default().to_owned(),
            body: message.body().unwrap_or_default().to_owned(),
            attributes: message.message_attributes().cloned().unwrap_or_default(),
            group_id: system_value(MessageSystemAttributeName::MessageGroupId),
            attempt: system_value(MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|count| count.parse().ok())
                .unwrap_or(1),
            first_received_ms: system_value(
                MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
            )
            .and_then(|ms| ms.parse().ok()),
        }
    }
}

/// The unsettled messages of one queue.
#[derive(Debug, Default)]
pub(crate) struct InFlightMessages {
    by_handle: Mutex<HashMap<String, InFlight>>,
}

impl InFlightMessages {
    /// Records a received message.
    pub(crate) fn insert(&self, handle: String, message: InFlight) {
        self.lock().insert(handle, message);
    }

    /// The message of `handle`, if it is still held.
    pub(crate) fn get(&self, handle: &str) -> Option<InFlight> {
        self.lock().get(handle).cloned()
    }

    /// Forgets `handle` (settled or lost); returns what was held.
    pub(crate) fn remove(&self, handle: &str) -> Option<InFlight> {
        self.lock().remove(handle)
    }

    /// How many messages are held.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, InFlight>> {
        // A panic while holding the lock cannot leave the map half-changed (each call is one
        // map operation), so a poisoned lock is still usable.
        self.by_handle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

//! Checks a finished topic or client id (after placeholders were filled in) against what the MQTT broker accepts.

/// MQTT strings carry a 16-bit length prefix.
const MAX_MQTT_STRING_BYTES: usize = 65_535;

/// Why an expanded topic cannot be published to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("the topic is empty; a device needs a topic to publish to")]
    Empty,
    #[error("the topic is {bytes} bytes long; MQTT allows at most 65535")]
    TooLong { bytes: usize },
    #[error(
        "wildcards + and # are for subscribing; a device publishes to one exact topic: remove the {character}"
    )]
    Wildcard { character: char },
    #[error("the topic contains a NUL character, which MQTT forbids")]
    Nul,
}

/// Why an expanded client id would be refused by the embedded broker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientIdError {
    #[error("the client id is empty; every device needs its own id")]
    Empty,
    #[error("the client id is {bytes} bytes long; MQTT allows at most 65535")]
    TooLong { bytes: usize },
    #[error(
        "a client id must not contain \"{character}\" (the embedded broker refuses +, $, # and /)"
    )]
    ForbiddenCharacter { character: char },
    #[error("the client id contains a NUL character, which MQTT forbids")]
    Nul,
}

/// Checks a topic a device is about to publish to.
pub fn check_expanded_topic(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.len() > MAX_MQTT_STRING_BYTES {
        return Err(TopicError::TooLong { bytes: topic.len() });
    }
    if let Some(character) = topic
        .chars()
        .find(|character| matches!(character, '+' | '#'))
    {
        return Err(TopicError::Wildcard { character });
    }
    if topic.contains('\0') {
        return Err(TopicError::Nul);
    }
    Ok(())
}

/// Checks a client id a device is about to connect with.
pub fn check_expanded_client_id(client_id: &str) -> Result<(), ClientIdError> {
    if client_id.is_empty() {
        return Err(ClientIdError::Empty);
    }
    if client_id.len() > MAX_MQTT_STRING_BYTES {
        return Err(ClientIdError::TooLong {
            bytes: client_id.len(),
        });
    }
    if let Some(character) = client_id
        .chars()
        .find(|character| is_forbidden_in_client_id(*character))
    {
        return Err(ClientIdError::ForbiddenCharacter { character });
    }
    if client_id.contains('\0') {
        return Err(ClientIdError::Nul);
    }
    Ok(())
}

pub(super) fn is_forbidden_in_client_id(character: char) -> bool {
    matches!(character, '+' | '$' | '#' | '/')
}

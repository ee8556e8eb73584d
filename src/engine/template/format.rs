//! Whether a payload is free text or must be JSON.

use serde::{Deserialize, Serialize};

/// Payload kind: JSON templates are checked for validity when parsed, and strings inserted into them are escaped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadFormat {
    #[default]
    Text,
    Json,
}

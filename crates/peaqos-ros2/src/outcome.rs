//! The uniform shape of every response: `success`, `error_code`, `error_field`, `error`
//! (the wallet services have `success` and `error` only), and the mapping of SDK errors to it.

use peaqos_sdk::PeaqosError;

/// A response type with the uniform error fields (implemented by the generated types).
pub trait Outcome: Default {
    /// A failed response: `success=false` and the error fields the type has.
    fn failed(code: &str, field: &str, message: &str) -> Self;
    /// The same response with `success=true`.
    fn succeeded(self) -> Self;
    /// Whether `success` is set.
    fn is_success(&self) -> bool;
}

/// Why a request failed: the code (the SDK's, or the node's own), the invalid field or `""`, and
/// the message. Never holds a secret: messages come from the SDK's errors (which never carry
/// keys) or from the node's validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Failure {
    /// `error_code`.
    pub code: String,
    /// `error_field`.
    pub field: String,
    /// `error`.
    pub message: String,
}

/// `error_code` of the node's own refusals.
pub mod codes {
    /// `peaq_os.enabled=false`.
    pub const DISABLED: &str = "DISABLED";
    /// A chain service without its configuration (`missing peaqOS config: ...`).
    pub const CONFIG_ERROR: &str = "CONFIG_ERROR";
    /// A request field failed validation.
    pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";
    /// The signer is not in the wallet registry.
    pub const WALLET_NOT_FOUND: &str = "WALLET_NOT_FOUND";
    /// The wallet registry or vault could not be read or written.
    pub const WALLET_ERROR: &str = "WALLET_ERROR";
    /// A query answered something else than a JSON object.
    pub const BAD_RESPONSE: &str = "BAD_RESPONSE";
}

impl Failure {
    /// A failure with its three parts.
    pub fn new(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A validation failure of `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(codes::VALIDATION_ERROR, field, message)
    }

    /// Renames the field (the SDK names `machineId`; the request field is `machine_id`).
    pub fn on_field(mut self, field: &str) -> Self {
        if !self.field.is_empty() || self.code == codes::VALIDATION_ERROR {
            self.field = field.to_string();
        }
        self
    }

    /// The response of this failure.
    pub fn respond<R: Outcome>(&self) -> R {
        R::failed(&self.code, &self.field, &self.message)
    }
}

/// The SDK's request field names (camelCase, as its messages say) to the ROS field names.
fn ros_field(sdk_field: &str) -> String {
    let mut out = String::new();
    for c in sdk_field.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    match out.as_str() {
        "raw_data" => "raw_data_hex".into(),
        "metadata" => "metadata_hex".into(),
        _ => out,
    }
}

impl From<PeaqosError> for Failure {
    fn from(e: PeaqosError) -> Self {
        let field = e
            .as_validation()
            .map(|v| ros_field(&v.field))
            .unwrap_or_default();
        let code = match e.code_str() {
            Some(c) => c.to_string(),
            // No documented code: the SDK error's class, as peaq's node reports it.
            None => match e {
                PeaqosError::Rpc { .. } => "RpcError".into(),
                PeaqosError::Api { .. } => "ApiError".into(),
                _ => "PeaqosError".into(),
            },
        };
        Self {
            code,
            field,
            message: e.to_string(),
        }
    }
}

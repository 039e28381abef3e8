//! An AWS failure in words: the service's error code read as advice, never
//! the response body nor `Debug` of the SDK error.

use std::fmt;

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};

use super::AwsFetchSettings;

/// What went wrong with an AWS call, in words: never the response body, nor
/// `Debug` of the SDK error.
pub(super) fn describe<E, R>(
    error: &SdkError<E, R>,
    permission: &str,
    settings: &AwsFetchSettings,
) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("unknown error");
            match code {
                "ResourceNotFoundException" | "ParameterNotFound" | "ParameterVersionNotFound" => {
                    "not found (check the name and the region)".to_owned()
                }
                "AccessDeniedException" | "AccessDenied" => {
                    format!("access denied ({code}): the function's role needs {permission}")
                }
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "InvalidClientTokenId" => {
                    format!("AWS rejected the caller's credentials ({code})")
                }
                "DecryptionFailure" | "InvalidKeyId" | "KMSAccessDeniedException" => format!(
                    "cannot be decrypted ({code}): the role needs kms:Decrypt on its KMS key"
                ),
                "ThrottlingException" | "ThrottledException" => {
                    format!(
                        "throttled by AWS after {} attempts",
                        settings.max_attempts.max(1)
                    )
                }
                _ => {
                    // AWS error messages name resources and actions, never
                    // secret values; keep them short anyway.
                    let message: String = err.message().unwrap_or("").chars().take(200).collect();
                    format!("AWS refused the request ({code}): {message}")
                }
            }
        }
        SdkError::TimeoutError(_) => format!("timed out ({})", settings.limits()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            format!("timed out ({})", settings.limits())
        }
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(cause) => format!("cannot reach AWS: {}", causes(cause)),
            None => "cannot reach AWS".to_owned(),
        },
        SdkError::ConstructionFailure(_) => match std::error::Error::source(error) {
            Some(cause) => format!(
                "the request could not be made (AWS credentials or configuration): {}",
                causes(cause)
            ),
            None => "the request could not be made (AWS credentials or configuration)".to_owned(),
        },
        SdkError::ResponseError(_) => {
            "the response from AWS could not be read (cut off or not the expected format)"
                .to_owned()
        }
        _ => "the AWS call failed".to_owned(),
    }
}

/// `error` and its sources, `Display` only (`DisplayErrorContext` appends a
/// `Debug` dump).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let shown = cause.to_string();
        if !text.ends_with(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        next = cause.source();
    }
    text
}

//! gateway mode: the identity an API Gateway authorizer already checked,
//! read from the lambda_http request context (a [`RequestContext`] in the
//! request's extensions, where lambda_http puts it).

use lambda_http::http::Extensions;
use lambda_http::request::RequestContext;
use serde_json::Value;

use super::caller::{AuthError, Claims, VerifiedUser};

/// The user an authorizer vouches for, from the request context.
pub(super) fn gateway_user(
    extensions: &Extensions,
    user_id_claim: &str,
) -> Result<VerifiedUser, AuthError> {
    match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            let Some(authorizer) = &ctx.authorizer else {
                return Err(AuthError::Missing);
            };
            if let Some(jwt) = &authorizer.jwt
                && !jwt.claims.is_empty()
            {
                return Claims::Strings(&jwt.claims).user(user_id_claim);
            }
            // `fields` is the Lambda authorizer's context (JSON key "lambda").
            if !authorizer.fields.is_empty() {
                return Claims::Fields(&authorizer.fields).user(user_id_claim);
            }
            // IAM authorization names an AWS principal, not a user.
            Err(AuthError::Missing)
        }
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            let fields = &ctx.authorizer.fields;
            if let Some(Value::Object(claims)) = fields.get("claims") {
                // Cognito user pool authorizer. (A Lambda authorizer's context
                // cannot hold objects, so this cannot be one.)
                return Claims::Object(claims).user(user_id_claim);
            }
            if fields.is_empty() {
                return Err(AuthError::Missing);
            }
            Claims::Fields(fields).user(user_id_claim)
        }
        _ => Err(AuthError::Missing),
    }
}

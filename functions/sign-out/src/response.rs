//! The answers, in the proxy-integration shape both REST (1.0) and HTTP API
//! (2.0) accept: `statusCode`, `headers`, `body`, `isBase64Encoded`. Bodies
//! are short and safe; the details are in the logs.

use serde_json::{Value, json};

/// What the caller is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 204: signed out.
    SignedOut,
    /// 400: the request (body, or the event itself) is malformed.
    BadRequest(&'static str),
    /// 401: no valid token.
    Unauthorized,
    /// 409: the token cannot be signed out in the scope asked for.
    Conflict(&'static str),
    /// 502: the store or Cognito failed.
    BadGateway,
}

/// 409 for a session sign-out of a token without `origin_jti`.
pub const NO_ORIGIN_JTI: &str = "This token names no session (no origin_jti): turn on token \
     revocation for the app client, or sign out everywhere.";

/// 409 for a machine client's token.
pub const NOT_A_USER: &str = "This token belongs to an app client, not a user: there is no \
     session to sign out.";

/// 502's message.
pub const FAILED: &str = "Sign-out could not be completed. Please try again.";

impl Answer {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Answer::SignedOut => 204,
            Answer::BadRequest(_) => 400,
            Answer::Unauthorized => 401,
            Answer::Conflict(_) => 409,
            Answer::BadGateway => 502,
        }
    }

    /// The proxy response.
    pub fn to_value(self) -> Value {
        let message = match self {
            Answer::SignedOut => None,
            Answer::BadRequest(message) | Answer::Conflict(message) => Some(message),
            Answer::Unauthorized => Some("Unauthorized"),
            Answer::BadGateway => Some(FAILED),
        };
        let mut headers = json!({"cache-control": "no-store"});
        if self == Answer::Unauthorized {
            headers["www-authenticate"] = json!("Bearer");
        }
        let body = match message {
            Some(message) => {
                headers["content-type"] = json!("application/json");
                json!({"message": message}).to_string()
            }
            None => String::new(),
        };
        json!({
            "statusCode": self.status(),
            "headers": headers,
            "body": body,
            "isBase64Encoded": false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let done = Answer::SignedOut.to_value();
        assert_eq!(done["statusCode"], 204);
        assert_eq!(done["body"], "");
        let refused = Answer::Unauthorized.to_value();
        assert_eq!(refused["headers"]["www-authenticate"], "Bearer");
        let conflict = Answer::Conflict(NO_ORIGIN_JTI).to_value();
        let body: Value = serde_json::from_str(conflict["body"].as_str().unwrap()).unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("token revocation")
        );
    }
}

//! Which authorizer event arrived, and what the handler needs from it.
//!
//! One binary serves every kind, told apart by the payload:
//!
//! | kind | how it is recognised | where the credential is | answer |
//! |---|---|---|---|
//! | REST `TOKEN` | `"type": "TOKEN"` | `authorizationToken` | IAM policy |
//! | REST `REQUEST` | `"type": "REQUEST"`, no `version` | the `TOKEN_HEADER` header | IAM policy |
//! | HTTP API, payload 1.0 | `"type": "REQUEST"`, `"version": "1.0"` | the `TOKEN_HEADER` header | IAM policy |
//! | HTTP API, payload 2.0 | `"type": "REQUEST"`, `"version": "2.0"` | `identitySource[0]`, else the `TOKEN_HEADER` header | simple response |
//! | WebSocket `$connect` | `"type": "REQUEST"`, no `version`, `requestContext.eventType` `CONNECT` | the `TOKEN_QUERY_PARAMETER` query parameter (when set), else the `TOKEN_HEADER` header | IAM policy for the `$connect` ARN |
//!
//! Browsers cannot set headers on a WebSocket, so its token usually comes
//! in the query string, which API Gateway writes to access logs: the query
//! string is never logged here, and docs/authorizer.md says what it costs. A token
//! in both places, or a parameter given twice, is refused as ambiguous.
//!
//! The events are read with `aws_lambda_events`' `apigw` types, which parse
//! the events API Gateway sends (see `events/authorizer/`). Header lookups
//! are case-insensitive. A credential header that appears more than once
//! (two `headers` keys differing in case, or several `multiValueHeaders`
//! values) is refused: which copy API Gateway's cache keyed on is unknown.

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV1Request, ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::http::{HeaderMap, HeaderName};
use cognito_auth_core::policy::{ArnError, MethodArn};
use serde_json::Value;

/// The kind of authorizer event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// REST API, TOKEN authorizer.
    Token,
    /// REST API, REQUEST authorizer.
    Request,
    /// HTTP API, payload format 1.0 (REQUEST-shaped, IAM policy answer).
    HttpV1,
    /// HTTP API, payload format 2.0 (simple answer).
    HttpV2,
    /// WebSocket API, `$connect` (REQUEST-shaped, IAM policy answer).
    WebSocket,
}

impl Kind {
    /// Tells the kind from the payload; `None` when it is no authorizer event.
    pub fn detect(event: &Value) -> Option<Kind> {
        let field = |name: &str| event.get(name).and_then(Value::as_str);
        // Only the event type: a REST path may end in `/$connect` too.
        let connect = event
            .pointer("/requestContext/eventType")
            .and_then(Value::as_str)
            == Some("CONNECT");
        match (field("type"), field("version")) {
            (Some("TOKEN"), _) => Some(Kind::Token),
            (Some("REQUEST"), None) if connect => Some(Kind::WebSocket),
            (Some("REQUEST"), None) => Some(Kind::Request),
            (Some("REQUEST"), Some("1.0")) => Some(Kind::HttpV1),
            (Some("REQUEST"), Some("2.0")) => Some(Kind::HttpV2),
            _ => None,
        }
    }

    /// A stable name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::Request => "request",
            Kind::HttpV1 => "http_v1",
            Kind::HttpV2 => "http_v2",
            Kind::WebSocket => "websocket",
        }
    }

    /// Whether API Gateway expects an IAM policy (and a failed invocation
    /// with `Unauthorized` for a 401), rather than a simple response.
    pub fn answers_with_policy(self) -> bool {
        self != Kind::HttpV2
    }
}

/// The credential value the caller sent, before the token is taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// One value.
    Value(String),
    /// None was sent.
    Missing,
    /// The credential header came more than once.
    Ambiguous,
    /// The header value is not visible ASCII.
    NotText,
}

impl Credential {
    /// The reason code for a credential that cannot hold a token.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Credential::Value(_) => None,
            Credential::Missing => Some("missing_token"),
            Credential::Ambiguous => Some("ambiguous_token_header"),
            Credential::NotText => Some("malformed_authorization"),
        }
    }
}

/// What is being called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// REST and HTTP API 1.0: the method ARN, whose parts frame the policy.
    Arn {
        /// The method ARN: the real verb and request path.
        arn: MethodArn,
        /// The resource template (`/pets/{id}`) of a REST REQUEST event,
        /// for the `route` scope; `None` for kinds that name none.
        resource: Option<String>,
    },
    /// WebSocket `$connect`: the method ARN
    /// (`arn:…:{apiId}/{stage}/$connect`), checked to hold no wildcard and
    /// no path.
    Connect {
        /// The method ARN: verb `$connect`, path `/`.
        arn: MethodArn,
    },
    /// HTTP API 2.0: the real verb and the route key.
    Route {
        /// `requestContext.http.method`, for logs only: the decision, cached
        /// per route key, must not depend on it.
        verb: String,
        /// `routeKey`, such as `GET /pets/{id}` or `$default`.
        route_key: String,
        /// Every `identitySource` value, for the cache-key check.
        identity_source: Vec<String>,
        /// Whether the caller sent the route key's text themselves, as a
        /// header, query parameter or cookie value: then an `identitySource`
        /// value equal to it may be theirs, not `$context.routeKey`, and
        /// proves nothing about the cache key.
        caller_sent_route_key: bool,
    },
}

impl Target {
    /// The route for logs: `GET /pets/42` or the route key.
    pub fn describe(&self) -> String {
        match self {
            Target::Arn { arn, .. } => format!("{} {}", arn.verb(), arn.path()),
            Target::Route { route_key, .. } => route_key.clone(),
            Target::Connect { .. } => "$connect".to_owned(),
        }
    }
}

/// An authorizer event, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Which kind.
    pub kind: Kind,
    /// The credential sent.
    pub credential: Credential,
    /// What is being called.
    pub target: Target,
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Not an authorizer event (no known `type`/`version`).
    #[error("not an API Gateway authorizer event (unknown `type` or `version`)")]
    Unknown,
    /// A known kind, but its fields do not parse. The parser's message is
    /// kept out of `Display` because it can quote a header value.
    #[error("the {kind} event does not parse", kind = .0.as_str())]
    Unparseable(Kind, #[source] serde_json::Error),
    /// The method ARN is absent or not an execute-api method ARN.
    #[error("the {kind} event's method ARN is unusable: {1}", kind = .0.as_str())]
    BadArn(Kind, #[source] ArnError),
    /// The method ARN's stage is no name API Gateway allows: 1 to 128
    /// letters, digits, `-` and `_`, or an HTTP API's `$default`. Every
    /// policy is written under the stage, so it must hold nothing IAM could
    /// read as a wildcard or a separator.
    #[error("the {kind} event's method ARN has a stage name API Gateway does not allow", kind = .0.as_str())]
    BadStage(Kind),
    /// A WebSocket event whose method ARN is not a `$connect` ARN.
    #[error("the websocket event's method ARN is not a $connect ARN")]
    NotConnect,
}

/// Where the credential may come from.
#[derive(Debug, Clone)]
pub struct CredentialSources {
    /// The header of REQUEST-shaped events (lookups ignore case).
    pub header: HeaderName,
    /// The query-string parameter of WebSocket `$connect` events, if any.
    pub query_parameter: Option<String>,
}

impl Incoming {
    /// Reads `event`, taking the credential from `sources`.
    pub fn read(event: Value, sources: &CredentialSources) -> Result<Self, EventError> {
        let token_header = &sources.header;
        let kind = Kind::detect(&event).ok_or(EventError::Unknown)?;
        // The typed `headers` map keeps one of several keys that differ only
        // in case, so repeats are counted on the raw event.
        let repeated_header =
            event
                .get("headers")
                .and_then(Value::as_object)
                .is_some_and(|headers| {
                    headers
                        .keys()
                        .filter(|key| key.eq_ignore_ascii_case(token_header.as_str()))
                        .count()
                        > 1
                });
        let unparseable = |err| EventError::Unparseable(kind, err);
        let arn = |arn: Option<&str>| {
            let parsed = MethodArn::parse(arn.unwrap_or_default())
                .map_err(|err| EventError::BadArn(kind, err))?;
            if is_stage_name(parsed.stage()) {
                Ok(parsed)
            } else {
                Err(EventError::BadStage(kind))
            }
        };
        let (credential, target) = match kind {
            Kind::Token => {
                let event: ApiGatewayCustomAuthorizerRequest =
                    serde_json::from_value(event).map_err(unparseable)?;
                let credential = match event.authorization_token {
                    Some(value) => Credential::Value(value),
                    None => Credential::Missing,
                };
                let target = Target::Arn {
                    arn: arn(event.method_arn.as_deref())?,
                    resource: None,
                };
                (credential, target)
            }
            Kind::Request => {
                let event: ApiGatewayCustomAuthorizerRequestTypeRequest =
                    serde_json::from_value(event).map_err(unparseable)?;
                let credential = rest_header(
                    &event.headers,
                    &event.multi_value_headers,
                    repeated_header,
                    token_header,
                );
                let target = Target::Arn {
                    arn: arn(event.method_arn.as_deref())?,
                    resource: event.resource,
                };
                (credential, target)
            }
            Kind::HttpV1 => {
                let event: ApiGatewayV2CustomAuthorizerV1Request =
                    serde_json::from_value(event).map_err(unparseable)?;
                let credential = if repeated_header {
                    Credential::Ambiguous
                } else {
                    header(&event.headers, token_header)
                };
                // Payload 1.0 carries no route key, so whether API Gateway
                // caches per route cannot be told: no resource, and `route`
                // scope answers for this call only.
                let target = Target::Arn {
                    arn: arn(event.method_arn.as_deref())?,
                    resource: None,
                };
                (credential, target)
            }
            Kind::HttpV2 => {
                let event: ApiGatewayV2CustomAuthorizerV2Request =
                    serde_json::from_value(event).map_err(unparseable)?;
                let identity_source = event.identity_source.unwrap_or_default();
                let credential = match identity_source.first() {
                    Some(value) => Credential::Value(value.clone()),
                    None => header(&event.headers, token_header),
                };
                let route_key = event.route_key.unwrap_or_default();
                let caller_sent_route_key = {
                    let headers = event.headers.values().map(|value| value.as_bytes());
                    let query = event
                        .query_string_parameters
                        .iter()
                        .flat_map(|(name, value)| [name.as_bytes(), value.as_bytes()]);
                    let raw_query = event.raw_query_string.as_deref().map(str::as_bytes);
                    let cookies = event.cookies.iter().map(String::as_bytes);
                    headers
                        .chain(query)
                        .chain(raw_query)
                        .chain(cookies)
                        .any(|sent| holds_under_any_decoding(sent, route_key.as_bytes()))
                };
                let target = Target::Route {
                    verb: event.request_context.http.method.as_str().to_owned(),
                    route_key,
                    identity_source,
                    caller_sent_route_key,
                };
                (credential, target)
            }
            Kind::WebSocket => {
                let event: ApiGatewayCustomAuthorizerRequestTypeRequest =
                    serde_json::from_value(event).map_err(unparseable)?;
                let raw_arn = event.method_arn.clone().unwrap_or_default();
                let parsed = arn(Some(&raw_arn))?;
                if parsed.verb() != "$connect" || parsed.path() != "/" || raw_arn.ends_with('/') {
                    return Err(EventError::NotConnect);
                }
                let from_header = rest_header(
                    &event.headers,
                    &event.multi_value_headers,
                    repeated_header,
                    token_header,
                );
                let from_query = match &sources.query_parameter {
                    None => Credential::Missing,
                    Some(name) => {
                        let repeated = event
                            .multi_value_query_string_parameters
                            .all(name)
                            .is_some_and(|values| values.len() > 1);
                        match event.query_string_parameters.first(name) {
                            _ if repeated => Credential::Ambiguous,
                            Some(value) => Credential::Value(value.to_owned()),
                            None => Credential::Missing,
                        }
                    }
                };
                let credential = match (from_query, from_header) {
                    (Credential::Missing, header) => header,
                    (query, Credential::Missing) => query,
                    _ => Credential::Ambiguous,
                };
                (credential, Target::Connect { arn: parsed })
            }
        };
        Ok(Incoming {
            kind,
            credential,
            target,
        })
    }
}

/// An HTTP API route key, read: `GET /pets/{id}`, `ANY /{proxy+}` or
/// `$default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteKey<'a> {
    /// The route's verb; `None` for `ANY` and `$default`, which take every
    /// verb.
    pub verb: Option<&'a str>,
    /// The route's path template; `$default`, which catches every path,
    /// counts as `/{proxy+}`.
    pub path: &'a str,
}

impl<'a> RouteKey<'a> {
    /// Reads a route key; `None` when it is neither `$default` nor
    /// `{VERB} {path}`.
    pub fn parse(route_key: &'a str) -> Option<Self> {
        if route_key == "$default" {
            return Some(Self {
                verb: None,
                path: "/{proxy+}",
            });
        }
        let (verb, path) = route_key.split_once(' ')?;
        if verb.is_empty() {
            return None;
        }
        let verb = (!verb.eq_ignore_ascii_case("ANY")).then_some(verb);
        Some(Self { verb, path })
    }
}

/// Whether `name` is a stage name API Gateway allows: 1 to 128 ASCII
/// letters, digits, `-` and `_` (CreateStage's `stageName`), or `$default`,
/// the stage an HTTP API serves without a stage in its URL.
pub fn is_stage_name(name: &str) -> bool {
    name == "$default"
        || (!name.is_empty()
            && name.len() <= 128
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Whether a value the caller sent holds `wanted` (an HTTP API route key)
/// as it is, percent-decoded, or percent-decoded with `+` read as a space:
/// API Gateway may give an identity source a query value decoded either
/// way (AWS does not document which), and joins repeated headers and query
/// parameters with commas, so a containing value counts too. Holding it
/// by mistake only costs the per-route answer, never grants one.
pub fn holds_under_any_decoding(sent: &[u8], wanted: &[u8]) -> bool {
    let holds = |text: &[u8]| wanted.is_empty() || text.windows(wanted.len()).any(|w| w == wanted);
    holds(sent)
        || (sent.contains(&b'%') && holds(&percent_decode(sent, false)))
        || ((sent.contains(&b'+') || sent.contains(&b'%')) && holds(&percent_decode(sent, true)))
}

/// `%XX` decoded once (an invalid escape is kept as it is), and `+` read as
/// a space when `plus_is_space`.
fn percent_decode(text: &[u8], plus_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let byte = text[at];
        let escaped = (byte == b'%')
            .then(|| Some((hex(*text.get(at + 1)?)?, hex(*text.get(at + 2)?)?)))
            .flatten();
        match escaped {
            Some((high, low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(byte));
                at += 3;
            }
            None => {
                out.push(if plus_is_space && byte == b'+' {
                    b' '
                } else {
                    byte
                });
                at += 1;
            }
        }
    }
    out
}

/// The credential header of a REST-shaped event (REQUEST, WebSocket), which
/// also carries `multiValueHeaders`: ambiguous when it came more than once
/// there, or under two casings (`repeated`, counted on the raw event).
fn rest_header(
    headers: &HeaderMap,
    multi_value_headers: &HeaderMap,
    repeated: bool,
    name: &HeaderName,
) -> Credential {
    if repeated || multi_value_headers.get_all(name).iter().count() > 1 {
        Credential::Ambiguous
    } else {
        header(headers, name)
    }
}

fn header(headers: &HeaderMap, name: &HeaderName) -> Credential {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Credential::Missing,
        (Some(_), Some(_)) => Credential::Ambiguous,
        (Some(value), None) => match value.to_str() {
            Ok(value) => Credential::Value(value.to_owned()),
            Err(_) => Credential::NotText,
        },
    }
}

#[cfg(test)]
mod tests;

//! The calls to Cognito that link a federated sign-in to a native user:
//! `ListUsers` (by email), then `AdminLinkProviderForUser`.
//!
//! The client is built once, at init, with the call budget every function
//! that calls AWS shares (`AWS_CALL_TIMEOUT_MS`, `AWS_ATTEMPT_TIMEOUT_MS`,
//! `AWS_MAX_ATTEMPTS`; see `cognito_auth_core::aws`), and the whole linking
//! step (up to three lookups and the link) has [`LINK_BUDGET`], inside
//! Cognito's 5 s for the trigger. `AWS_ENDPOINT_URL` (read by `aws-config`)
//! points it at another endpoint, which is how the tests reach a local
//! server.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{ProviderUserIdentifierType, UserType};
use cognito_auth_core::aws::{AwsLimits, CallError, sdk_config};

use crate::email::Email;
use crate::federation::{
    FederatedIdentity, LinkTarget, NATIVE_PROVIDER, PoolUser, ProviderNames, SUBJECT_ATTRIBUTE,
    choose_link_target, email_filter,
};

/// The longest the whole linking step may take. Cognito gives the trigger
/// 5 s in all; the rest is left for start-up and the response.
pub const LINK_BUDGET: Duration = Duration::from_secs(4);
/// `ListUsers` page size. More users than this with one email is ambiguous
/// anyway.
const PAGE_SIZE: i32 = 60;
/// The longest `Filter` `ListUsers` takes (its API reference: 256
/// characters). A longer one would fail the call, and with it the sign-up,
/// for an address that no user of the pool can have been found by anyway.
const MAX_FILTER_CHARS: usize = 256;

/// What an AWS error may say in a log line, classified as every function
/// classifies them: for a call that got no answer, the timeout with its
/// budget or the unreachable endpoint (neither holds request data); for a
/// refused one, the service's error code alone, because its message may
/// quote the request, and so the email.
fn loggable<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    operation: &'static str,
    error: &SdkError<E, R>,
    limits: &AwsLimits,
) -> String {
    match CallError::classify(operation, error, limits) {
        CallError::Failed { code, .. } => code,
        unanswered => unanswered.to_string(),
    }
}

/// Why linking could not be done. The sign-up is then refused: letting it go
/// on would create a second, unlinked account for the same person, which
/// cannot be linked later without deleting it. Cognito shows the user a
/// retryable message, and the next attempt starts afresh.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// `ListUsers` failed.
    #[error("ListUsers failed: {0}")]
    ListUsers(String),
    /// `AdminLinkProviderForUser` failed.
    #[error("AdminLinkProviderForUser failed: {0}")]
    Link(String),
    /// The whole step took longer than [`LINK_BUDGET`].
    #[error("linking took longer than {} ms", .0.as_millis())]
    Timeout(Duration),
}

impl LinkError {
    /// A stable snake_case code for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            LinkError::ListUsers(_) => "list_users_failed",
            LinkError::Link(_) => "link_failed",
            LinkError::Timeout(_) => "link_timeout",
        }
    }
}

/// Links federated sign-ins to native users through the Cognito API.
#[derive(Debug, Clone)]
pub struct Linker {
    client: Client,
    limits: AwsLimits,
}

impl Linker {
    /// Builds the client from the environment (region, credentials,
    /// `AWS_ENDPOINT_URL`) with the shared call budget `limits`.
    pub async fn new(limits: &AwsLimits) -> Linker {
        Linker {
            client: Client::new(&sdk_config(limits).await),
            limits: *limits,
        }
    }

    /// A linker whose every call fails to connect (nothing listens at
    /// `endpoint`), for unit tests that must tell whether a call was made.
    #[cfg(test)]
    pub(crate) fn unreachable(endpoint: &str) -> Linker {
        use aws_config::BehaviorVersion;
        use aws_config::retry::RetryConfig;
        use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .endpoint_url(endpoint)
            .retry_config(RetryConfig::disabled())
            .build();
        Linker {
            client: Client::from_conf(config),
            limits: AwsLimits::default(),
        }
    }

    /// Finds the native user for `email` in `pool_id` and links `identity` to
    /// it. Returns what was found: [`LinkTarget::Native`] means the link was
    /// made now.
    ///
    /// `raw_email` is the address as the provider sent it. `ListUsers`
    /// matches the stored string, not a mailbox, so every way a canonical
    /// address may be stored is looked up: the normalised form (ASCII
    /// domain), the same with the domain's U-labels, and the address as
    /// sent (different only in the domain's ASCII case). Each is a spelling
    /// of the same mailbox, never a fold of a look-alike: [`Email::parse`]
    /// refused those before any lookup, and [`choose_link_target`] checks
    /// every result again rather than trust the filter's matching.
    pub async fn link(
        &self,
        pool_id: &str,
        email: &Email,
        raw_email: &str,
        identity: &FederatedIdentity,
        providers: &ProviderNames,
    ) -> Result<LinkTarget, LinkError> {
        tokio::time::timeout(
            LINK_BUDGET,
            self.link_within_budget(pool_id, email, raw_email, identity, providers),
        )
        .await
        .unwrap_or(Err(LinkError::Timeout(LINK_BUDGET)))
    }

    async fn link_within_budget(
        &self,
        pool_id: &str,
        email: &Email,
        raw_email: &str,
        identity: &FederatedIdentity,
        providers: &ProviderNames,
    ) -> Result<LinkTarget, LinkError> {
        let normalised = email.to_string();
        let unicode = email.to_unicode_string();
        let mut lookups: Vec<&str> = Vec::with_capacity(3);
        for address in [normalised.as_str(), unicode.as_str(), raw_email] {
            if !lookups.contains(&address) {
                lookups.push(address);
            }
        }
        let mut users: Vec<PoolUser> = Vec::new();
        for address in lookups {
            let (found, more) = self.users_with_email(pool_id, address).await?;
            if more {
                return Ok(LinkTarget::Ambiguous {
                    count: PAGE_SIZE as usize,
                });
            }
            for user in found {
                if !users.iter().any(|known| known.username == user.username) {
                    users.push(user);
                }
            }
        }
        let target = choose_link_target(&users, email, identity, providers);
        if let LinkTarget::Native { username } = &target {
            self.client
                .admin_link_provider_for_user()
                .user_pool_id(pool_id)
                .destination_user(
                    ProviderUserIdentifierType::builder()
                        .provider_name(NATIVE_PROVIDER)
                        .provider_attribute_value(username)
                        .build(),
                )
                .source_user(
                    ProviderUserIdentifierType::builder()
                        .provider_name(&identity.provider)
                        .provider_attribute_name(SUBJECT_ATTRIBUTE)
                        .provider_attribute_value(&identity.subject)
                        .build(),
                )
                .send()
                .await
                .map_err(|error| {
                    LinkError::Link(loggable("AdminLinkProviderForUser", &error, &self.limits))
                })?;
        }
        Ok(target)
    }

    /// The users whose email is `address`, and whether there are more pages.
    async fn users_with_email(
        &self,
        pool_id: &str,
        address: &str,
    ) -> Result<(Vec<PoolUser>, bool), LinkError> {
        let filter = email_filter(address);
        if filter.chars().count() > MAX_FILTER_CHARS {
            return Ok((Vec::new(), false));
        }
        let output = self
            .client
            .list_users()
            .user_pool_id(pool_id)
            .filter(filter)
            .limit(PAGE_SIZE)
            .send()
            .await
            .map_err(|error| LinkError::ListUsers(loggable("ListUsers", &error, &self.limits)))?;
        let more = output
            .pagination_token()
            .is_some_and(|token| !token.is_empty());
        Ok((output.users().iter().map(pool_user).collect(), more))
    }
}

fn pool_user(user: &UserType) -> PoolUser {
    PoolUser {
        username: user.username().unwrap_or_default().to_owned(),
        status: user.user_status().map(|status| status.as_str().to_owned()),
        attributes: user
            .attributes()
            .iter()
            .filter_map(|attribute| {
                Some((attribute.name().to_owned(), attribute.value()?.to_owned()))
            })
            .collect(),
    }
}

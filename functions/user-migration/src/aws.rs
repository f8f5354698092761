//! The AWS side: the legacy source built once per sandbox (the DynamoDB
//! client and the dummy hash, or the endpoint with its secret, read from
//! Secrets Manager at init when given by ARN), and the two table calls
//! (`GetItem` of the legacy record, the optional `UpdateItem` that marks it
//! migrated).
//!
//! Every call runs within the shared budget (`AWS_CALL_TIMEOUT_MS`,
//! `AWS_ATTEMPT_TIMEOUT_MS`, `AWS_MAX_ATTEMPTS`; see
//! `cognito_auth_core::aws`), which together with `MAX_HASH_MS` keeps an
//! invocation inside Cognito's 5 s.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use cognito_auth_core::aws::{CallError, TableName, sdk_config};
use cognito_auth_core::config::ConfigError;

use crate::config::{
    Config, LEGACY_ENDPOINT_SECRET_ARN, LEGACY_ENDPOINT_URL, Legacy, Secret, SecretSource,
};
use crate::endpoint::Endpoint;
use crate::error::FnError;
use crate::hash::StoredHash;

/// The configuration, the legacy source and the metrics, shared by every
/// invocation of a sandbox.
pub struct State {
    pub(crate) config: Config,
    pub(crate) backend: Backend,
    pub(crate) metrics: cognito_auth_core::metrics::Metrics,
}

/// The legacy source, ready to use.
pub(crate) enum Backend {
    /// The table: its client and the dummy hash.
    Table {
        table: TableName,
        dynamodb: aws_sdk_dynamodb::Client,
        dummy: StoredHash,
    },
    /// The endpoint, which verifies passwords itself: no dummy hash.
    Endpoint(Box<Endpoint>),
}

impl State {
    /// With the table: makes the dummy hash (one hash of
    /// `LEGACY_HASH_DEFAULT`'s cost, checked against `MAX_HASH_MS` first)
    /// and the client, touching no network. With the endpoint: reads the
    /// secret from Secrets Manager when given by ARN (one
    /// `GetSecretValue`, within the shared AWS call budget; a failure fails
    /// init naming `LEGACY_ENDPOINT_SECRET_ARN`) and builds the HTTP client.
    pub async fn new(config: Config) -> Result<Self, ConfigError> {
        let metrics = cognito_auth_core::metrics::Metrics::new(
            config.metrics_namespace.clone(),
            crate::FUNCTION_NAME,
        );
        let backend = match &config.legacy {
            Legacy::Table(table) => {
                let dummy = config.dummy_hash()?;
                let sdk = sdk_config(&config.aws).await;
                Backend::Table {
                    table: table.clone(),
                    dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
                    dummy,
                }
            }
            Legacy::Endpoint(endpoint) => {
                let secret = match &endpoint.secret {
                    SecretSource::Value(secret) => secret.clone(),
                    SecretSource::Arn(arn) => read_secret(&config, arn).await?,
                };
                let built = Endpoint::new(endpoint.url.clone(), &secret, endpoint.timeout)
                    .map_err(|error| ConfigError::new(LEGACY_ENDPOINT_URL, error.to_string()))?;
                Backend::Endpoint(Box::new(built))
            }
        };
        Ok(Self {
            config,
            backend,
            metrics,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The endpoint's shared secret: `GetSecretValue` of `arn`, its
/// `SecretString` (or, for a binary secret, its bytes) used whole as the
/// HMAC key. Errors name the variable and the service's message, never a
/// value.
async fn read_secret(config: &Config, arn: &str) -> Result<Secret, ConfigError> {
    let sdk = sdk_config(&config.aws).await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|error| {
            let call = CallError::classify("GetSecretValue", &error, &config.aws);
            ConfigError::new(
                LEGACY_ENDPOINT_SECRET_ARN,
                format!("cannot read the secret: {call}"),
            )
        })?;
    let bytes = if let Some(text) = output.secret_string() {
        text.as_bytes().to_vec()
    } else if let Some(blob) = output.secret_binary() {
        blob.as_ref().to_vec()
    } else {
        Vec::new()
    };
    Secret::new(bytes).map_err(|reason| {
        ConfigError::new(LEGACY_ENDPOINT_SECRET_ARN, format!("the secret {reason}"))
    })
}

/// An item as DynamoDB returns it.
pub type Item = HashMap<String, AttributeValue>;

/// `GetItem` of `user_name`'s legacy record: the key, the hash and the
/// attributes to copy only. Eventually consistent: the legacy table is
/// written by the export, long before anyone signs in.
pub(crate) async fn get_record(
    client: &aws_sdk_dynamodb::Client,
    table: &TableName,
    config: &Config,
    user_name: &str,
) -> Result<Option<Item>, FnError> {
    const OPERATION: &str = "GetItem";
    let mut names: Vec<&str> = vec![&config.key_attribute, &config.hash_attribute];
    for copied in &config.attributes {
        if !names.contains(&copied.item.as_str()) {
            names.push(&copied.item);
        }
    }
    let mut request = client.get_item().table_name(table.as_str()).key(
        config.key_attribute.as_str(),
        AttributeValue::S(user_name.to_owned()),
    );
    let mut projection = Vec::with_capacity(names.len());
    for (index, name) in names.iter().enumerate() {
        let placeholder = format!("#a{index}");
        request = request.expression_attribute_names(&placeholder, *name);
        projection.push(placeholder);
    }
    let result = request
        .projection_expression(projection.join(","))
        .send()
        .await;
    match result {
        Ok(output) => Ok(output.item),
        Err(error) => Err(match error.as_service_error() {
            Some(GetItemError::ResourceNotFoundException(_)) => FnError::TableNotFound {
                table: table.clone(),
                detail: service_message(&error),
            },
            _ => FnError::Aws(CallError::classify(OPERATION, &error, &config.aws)),
        }),
    }
}

/// How marking a record ended.
#[derive(Debug)]
pub(crate) enum Mark {
    /// Written.
    Written,
    /// The record was gone (deleted between the read and the write):
    /// nothing to mark, and no item created.
    Gone,
}

/// `UpdateItem` setting `attribute` to `when` (Unix seconds, a number) on `user_name`'s record, only
/// if the record still exists (never creating one).
pub(crate) async fn mark_migrated(
    client: &aws_sdk_dynamodb::Client,
    table: &TableName,
    config: &Config,
    attribute: &str,
    user_name: &str,
    when: &str,
) -> Result<Mark, FnError> {
    const OPERATION: &str = "UpdateItem";
    let result = client
        .update_item()
        .table_name(table.as_str())
        .key(
            config.key_attribute.as_str(),
            AttributeValue::S(user_name.to_owned()),
        )
        .update_expression("SET #m = :when")
        .condition_expression("attribute_exists(#k)")
        .expression_attribute_names("#m", attribute)
        .expression_attribute_names("#k", config.key_attribute.as_str())
        .expression_attribute_values(":when", AttributeValue::N(when.to_owned()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(Mark::Written),
        Err(error) => match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(Mark::Gone),
            Some(UpdateItemError::ResourceNotFoundException(_)) => Err(FnError::TableNotFound {
                table: table.clone(),
                detail: service_message(&error),
            }),
            _ => Err(FnError::Aws(CallError::classify(
                OPERATION,
                &error,
                &config.aws,
            ))),
        },
    }
}

/// The service's own message, or the whole error chain when it sent none.
fn service_message<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.message() {
        Some(message) => message.to_owned(),
        None => DisplayErrorContext(error).to_string(),
    }
}

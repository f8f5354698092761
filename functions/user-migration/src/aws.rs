//! The AWS side: the DynamoDB client and the dummy hash, built once per
//! sandbox, and the two calls (`GetItem` of the legacy record, the optional
//! `UpdateItem` that marks it migrated).
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
use cognito_auth_core::aws::{CallError, sdk_config};
use cognito_auth_core::config::ConfigError;

use crate::config::Config;
use crate::error::FnError;
use crate::hash::StoredHash;

/// The configuration, the client and the dummy hash, shared by every
/// invocation of a sandbox.
pub struct State {
    pub(crate) config: Config,
    pub(crate) dynamodb: aws_sdk_dynamodb::Client,
    pub(crate) dummy: StoredHash,
    pub(crate) metrics: cognito_auth_core::metrics::Metrics,
}

impl State {
    /// Makes the dummy hash (one hash of `LEGACY_HASH_DEFAULT`'s cost,
    /// checked against `MAX_HASH_MS` first) and the client. Nothing here
    /// touches the network.
    pub async fn new(config: Config) -> Result<Self, ConfigError> {
        let dummy = config.dummy_hash()?;
        let sdk = sdk_config(&config.aws).await;
        let metrics = cognito_auth_core::metrics::Metrics::new(
            config.metrics_namespace.clone(),
            crate::FUNCTION_NAME,
        );
        Ok(Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            dummy,
            metrics,
            config,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// An item as DynamoDB returns it.
pub type Item = HashMap<String, AttributeValue>;

/// `GetItem` of `user_name`'s legacy record: the key, the hash and the
/// attributes to copy only. Eventually consistent: the legacy table is
/// written by the export, long before anyone signs in.
pub(crate) async fn get_record(
    client: &aws_sdk_dynamodb::Client,
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
    let mut request = client.get_item().table_name(config.table.as_str()).key(
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
                table: config.table.clone(),
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
    config: &Config,
    attribute: &str,
    user_name: &str,
    when: &str,
) -> Result<Mark, FnError> {
    const OPERATION: &str = "UpdateItem";
    let result = client
        .update_item()
        .table_name(config.table.as_str())
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
                table: config.table.clone(),
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

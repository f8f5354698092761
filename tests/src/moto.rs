//! A moto server on 127.0.0.1: the real protocol peer for DynamoDB and the
//! Cognito user-pool API in tests.
//!
//! `moto_server` comes from the `moto[server]` package that `make test`
//! installs. If it is missing, the test fails with a message saying so: a
//! skipped test would hide the missing dependency.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The region every test resource lives in.
pub const REGION: &str = "us-east-1";

/// A running `moto_server`, killed when dropped.
pub struct Moto {
    child: Option<Child>,
    port: u16,
}

impl Moto {
    /// Starts `moto_server` on a free port and waits until it answers.
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start moto_server ({err}). It comes from `pip install 'moto[server]'`; \
                     `make test` installs it into .venv and puts .venv/bin on PATH."
                )
            });
        let moto = Moto {
            child: Some(child),
            port,
        };
        moto.wait_until_ready();
        moto
    }

    fn wait_until_ready(&self) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_err() {
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "moto_server did not listen on {address} within {READY_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server, for tests of an endpoint that goes away.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The environment a function binary needs to reach this server through
    /// the standard SDK variables.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("AWS_ENDPOINT_URL".to_owned(), self.endpoint())]
    }

    /// An SDK configuration for test set-up and assertions, with dummy
    /// credentials and this server as the endpoint.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }

    /// A Cognito user-pool client for this server.
    pub async fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk_config().await)
    }

    /// A DynamoDB client for this server.
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("find a free port on 127.0.0.1")
}

/// Creates the profile table that post-confirmation writes and
/// pre-token-generation reads: partition key `sub` (a string), on demand.
pub async fn create_profile_table(dynamodb: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    dynamodb
        .create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sub")
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sub")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|err| panic!("create the profile table {name} in moto: {err}"));
}

/// Creates the revocation store as the template does: partition key `pk` (a
/// string, see `cognito_auth_core::revocation`), on demand, TTL on
/// `expires_at`.
pub async fn create_revocation_table(dynamodb: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    use cognito_auth_core::revocation::{EXPIRES_AT, PARTITION_KEY};
    dynamodb
        .create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(PARTITION_KEY)
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(PARTITION_KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|err| panic!("create the revocation table {name} in moto: {err}"));
    dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(EXPIRES_AT)
                .enabled(true)
                .build()
                .expect("TTL specification"),
        )
        .send()
        .await
        .unwrap_or_else(|err| panic!("turn on TTL for {name} in moto: {err}"));
}

// ---- Seeding ----------------------------------------------------------------------
//
// The few moto calls most tests make to set up a pool or a profile, written
// once so that each test shows only what it seeds.

/// Creates a user pool named `name`; its id.
pub async fn create_user_pool(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    name: &str,
) -> String {
    cognito
        .create_user_pool()
        .pool_name(name)
        .send()
        .await
        .unwrap_or_else(|err| panic!("create the user pool {name} in moto: {err}"))
        .user_pool()
        .and_then(|pool| pool.id())
        .expect("the pool has an id")
        .to_owned()
}

/// Creates the group `group` in `pool_id`.
pub async fn create_group(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool_id: &str,
    group: &str,
) {
    cognito
        .create_group()
        .user_pool_id(pool_id)
        .group_name(group)
        .send()
        .await
        .unwrap_or_else(|err| panic!("create the group {group} in moto: {err}"));
}

/// A user attribute, as the SDK takes it.
pub fn user_attribute(
    name: &str,
    value: impl Into<String>,
) -> aws_sdk_cognitoidentityprovider::types::AttributeType {
    aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("a user attribute has a name")
}

/// Sets a permanent password for `username`, which confirms the user, as a
/// real native user is.
pub async fn set_permanent_password(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool_id: &str,
    username: &str,
    password: &str,
) {
    cognito
        .admin_set_user_password()
        .user_pool_id(pool_id)
        .username(username)
        .password(password)
        .permanent(true)
        .send()
        .await
        .unwrap_or_else(|err| panic!("confirm {username} in moto: {err}"));
}

/// Puts the profile of `sub` into `table` (see [`create_profile_table`])
/// with these string attributes.
pub async fn put_profile(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    sub: &str,
    attributes: &[(&str, &str)],
) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut put = dynamodb
        .put_item()
        .table_name(table)
        .item("sub", AttributeValue::S(sub.to_owned()));
    for (name, value) in attributes {
        put = put.item(*name, AttributeValue::S((*value).to_owned()));
    }
    put.send()
        .await
        .unwrap_or_else(|err| panic!("put the profile of {sub} into {table}: {err}"));
}

/// Creates `username` as a native user with `email` (verified or not),
/// confirmed with a permanent password, no invitation sent: the user a
/// federated sign-up may be linked to.
pub async fn create_native_user(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool_id: &str,
    username: &str,
    email: &str,
    verified: bool,
) {
    use aws_sdk_cognitoidentityprovider::types::MessageActionType;
    cognito
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(username)
        .user_attributes(user_attribute("email", email))
        .user_attributes(user_attribute(
            "email_verified",
            if verified { "true" } else { "false" },
        ))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap_or_else(|err| panic!("create the native user {username} in moto: {err}"));
    // The password never reaches a function (the log audit checks that).
    set_permanent_password(cognito, pool_id, username, "Correct-Horse-9-Battery").await;
}

//! What the custom sender needs in moto, and what moto recorded it sending:
//! a KMS key and codes encrypted under it as Cognito encrypts them, the
//! idempotency table, the SES v2 sender identity, and moto's own record of
//! the emails and SMS sent (`/moto-api/data.json`).
//!
//! Here, in the harness library, so that `bench-functions` (tools/dev)
//! sets up and checks the function as the end-to-end tests do rather than
//! with a copy. The codes are encrypted by `scripts/encrypt_code.py` (the
//! AWS Encryption SDK for Python, run with `.venv/bin/python`), so that
//! aws-esdk stays out of this workspace (docs/custom-sender.md, "Supply
//! chain").

use std::process::Stdio;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

use crate::moto::Moto;
use crate::runtime_api::workspace_root;

/// Creates the idempotency table as the template does: partition key `id`
/// (a string), on demand.
pub async fn create_idempotency_table(dynamodb: &aws_sdk_dynamodb::Client, name: &str) {
    dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .send()
        .await
        .unwrap_or_else(|err| panic!("create the idempotency table {name} in moto: {err}"));
}

/// Verifies `address` as a sender identity in moto's SES v2, which refuses
/// to send from an unverified one, as SES does.
pub async fn verify_sender(moto: &Moto, address: &str) {
    aws_sdk_sesv2::Client::new(&moto.sdk_config().await)
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .unwrap_or_else(|err| panic!("verify {address} in moto's SES: {err}"));
}

/// A new symmetric key in moto's KMS (and `alias` for it): its ARN.
pub async fn new_key(moto: &Moto, alias: Option<&str>) -> String {
    let mut args = vec!["create-key".to_owned()];
    if let Some(alias) = alias {
        args.extend(["--alias".to_owned(), alias.to_owned()]);
    }
    let arn = encrypt_code_py(moto, &args, "").await.trim().to_owned();
    assert!(arn.starts_with("arn:aws:kms:"), "{arn}");
    arn
}

/// Each of `plaintexts` encrypted under `key_arn` with `context`, base64,
/// as Cognito puts it in `request.code`: one Python process for them all
/// (its start is most of the cost of one code).
pub async fn encrypt_codes(
    moto: &Moto,
    key_arn: &str,
    context: &[(&str, &str)],
    plaintexts: &[String],
) -> Vec<String> {
    assert!(
        plaintexts.iter().all(|text| !text.contains('\n')),
        "one code per line"
    );
    let mut args = vec![
        "encrypt".to_owned(),
        "--key-arn".to_owned(),
        key_arn.to_owned(),
    ];
    for (name, value) in context {
        args.extend(["--context".to_owned(), format!("{name}={value}")]);
    }
    let output = encrypt_code_py(moto, &args, &plaintexts.join("\n")).await;
    let codes: Vec<String> = output.lines().map(str::to_owned).collect();
    assert_eq!(
        codes.len(),
        plaintexts.len(),
        "scripts/encrypt_code.py: one message per line of input"
    );
    codes
}

/// Runs `scripts/encrypt_code.py` against moto with `.venv/bin/python`
/// (the AWS Encryption SDK for Python and boto3, from requirements-dev.txt),
/// `stdin` as its input; its output. A missing interpreter or package fails,
/// naming what to install.
pub async fn encrypt_code_py(moto: &Moto, args: &[String], stdin: &str) -> String {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "no {}: scripts/setup.sh installs requirements-dev.txt (aws-encryption-sdk) into .venv",
        python.display()
    );
    let mut child = tokio::process::Command::new(&python)
        .arg(root.join("scripts/encrypt_code.py"))
        .args(["--endpoint", &moto.endpoint()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scripts/encrypt_code.py");
    let mut input = child.stdin.take().expect("its stdin");
    input
        .write_all(stdin.as_bytes())
        .await
        .expect("write its stdin");
    drop(input);
    let output = child.wait_with_output().await.expect("its output");
    assert!(
        output.status.success(),
        "scripts/encrypt_code.py {args:?} failed (is requirements-dev.txt installed in .venv?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("its output is text")
}

/// Everything moto holds, as its `/moto-api/data.json` gives it.
pub async fn moto_data(moto: &Moto) -> Value {
    let body = reqwest::get(format!("{}/moto-api/data.json", moto.endpoint()))
        .await
        .expect("moto's data")
        .bytes()
        .await
        .expect("moto's data, read");
    serde_json::from_slice(&body).expect("moto's data as JSON")
}

/// Every email moto's SES recorded as sent (its `Message` model).
pub async fn sent_emails(moto: &Moto) -> Vec<Value> {
    let data = moto_data(moto).await;
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Every SMS moto's SNS recorded as sent (its `SMS` model).
pub async fn sent_sms(moto: &Moto) -> Vec<Value> {
    let data = moto_data(moto).await;
    data["sns"]["SMS"].as_array().cloned().unwrap_or_default()
}

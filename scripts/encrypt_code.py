#!/usr/bin/env python3
"""Codes encrypted as Cognito encrypts them for the custom sender triggers.

Test fixtures only: the end-to-end tests (tests/tests/e2e/custom_sender.rs)
run this with .venv/bin/python against moto's KMS on 127.0.0.1. Cognito
encrypts `request.code` with the AWS Encryption SDK under the pool's KMS
key (LambdaConfig.KMSKeyID); this does the same with the official AWS
Encryption SDK for Python (PyPI `aws-encryption-sdk`, pinned in
requirements-dev.txt), so the Rust workspace needs no Encryption SDK of
its own (docs/custom-sender.md, "Supply chain").

  encrypt_code.py --endpoint URL create-key [--alias alias/NAME]
      Creates a symmetric KMS key (and an alias to it); prints its ARN.
  encrypt_code.py --endpoint URL encrypt --key-arn ARN [--context K=V ...]
      Encrypts each line of stdin under that key alone, with that
      encryption context; prints one base64 message per line.
"""

import argparse
import base64
import os
import sys

import boto3


def kms_client(endpoint):
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_key(kms, alias):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=arn)
    print(arn)


def encrypt(kms, key_arn, context, lines):
    # Imported here: `create-key` needs only boto3.
    import aws_encryption_sdk
    from aws_encryption_sdk.key_providers.kms import KMSMasterKey

    # The SDK's default commitment policy and algorithm suite (committing,
    # ECDSA P-384 signed), which current Encryption SDKs write.
    client = aws_encryption_sdk.EncryptionSDKClient()
    # One KMS key, with the client above: moto's endpoint, and no other key.
    master_key = KMSMasterKey(key_id=key_arn, client=kms)
    for line in lines:
        ciphertext, _header = client.encrypt(
            source=line.encode("utf-8"),
            key_provider=master_key,
            encryption_context=context,
        )
        print(base64.b64encode(ciphertext).decode("ascii"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="moto's URL")
    commands = parser.add_subparsers(dest="command", required=True)
    key = commands.add_parser("create-key")
    key.add_argument("--alias")
    enc = commands.add_parser("encrypt")
    enc.add_argument("--key-arn", required=True)
    enc.add_argument("--context", action="append", default=[], metavar="K=V")
    args = parser.parse_args()

    kms = kms_client(args.endpoint)
    if args.command == "create-key":
        create_key(kms, args.alias)
        return
    context = {}
    for pair in args.context:
        name, sep, value = pair.partition("=")
        if not sep:
            parser.error(f"--context {pair!r} is not K=V")
        context[name] = value
    lines = sys.stdin.read().splitlines()
    if not lines:
        parser.error("nothing to encrypt on stdin")
    encrypt(kms, args.key_arn, context, lines)


if __name__ == "__main__":
    main()

"""Prepares the local AWS peer for `make demo`.

Against a moto server (DynamoDB and the Cognito user-pool API on 127.0.0.1),
this creates what the deployed stack would have: a user pool with the
`users` and `admins` groups, the users that the sample events talk about,
and the profile table. It then copies the Cognito trigger events into the
demo folder with `userPoolId` pointing at that pool, so the functions' calls
back into Cognito land somewhere real.

Usage: demo_moto.py ENDPOINT EVENTS_DIR OUT_DIR
Prints `POOL_ID=...` and `USERS_TABLE=...` for the demo's environment.
Run with `report` as the first argument to print what the functions wrote.
"""

import base64
import hashlib
import json
import pathlib
import sys

import boto3

REGION = "us-east-1"
TABLE = "user-profiles"
GROUPS = ("users", "admins")
TRIGGER_FOLDERS = (
    "pre-sign-up",
    "post-confirmation",
    "custom-message",
    "pre-authentication",
    "post-authentication",
    "user-migration",
)
# The profile of the user events/pre-authentication/suspended-user.json signs
# in as: marked suspended, so pre-authentication refuses the sign-in.
SUSPENDED_PROFILE = {
    "sub": {"S": "e5f6a7b8-1234-90ab-cdef-EXAMPLE22222"},
    "username": {"S": "mallory"},
    "status": {"S": "suspended"},
}
# The legacy users table user-migration reads, and its one user: the one the
# sample events sign in as, with the samples' password, hashed with scrypt
# by hashlib (OpenSSL) as a PHC string.
LEGACY_TABLE = "legacy-users"
LEGACY_USER = "legacy.maria"
LEGACY_PASSWORD = b"Legacy-Passw0rd!"
# Native users that exist before the demo runs: the post-confirmation events
# confirm them, and the federated sign-up event links to jane.doe.
NATIVE_USERS = {
    "alice": "alice@example.com",
    "jane.doe@example.com": "jane.doe@example.com",
}


def clients(endpoint):
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=REGION,
    )
    return (
        session.client("cognito-idp", endpoint_url=endpoint),
        session.client("dynamodb", endpoint_url=endpoint),
    )


def set_up(endpoint, events_dir, out_dir):
    cognito, dynamodb = clients(endpoint)
    pool_id = cognito.create_user_pool(PoolName="demo-pool")["UserPool"]["Id"]
    for group in GROUPS:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    for username, email in NATIVE_USERS.items():
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
    # The federated user that post-confirmation provisions on first sign-in.
    federated = json.loads(
        (events_dir / "post-confirmation" / "confirm-sign-up-federated.json").read_text()
    )
    cognito.admin_create_user(
        UserPoolId=pool_id, Username=federated["userName"], MessageAction="SUPPRESS"
    )
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "sub", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sub", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item=SUSPENDED_PROFILE)

    dynamodb.create_table(
        TableName=LEGACY_TABLE,
        KeySchema=[{"AttributeName": "username", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "username", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    salt = b"demo-legacy-salt"
    digest = hashlib.scrypt(LEGACY_PASSWORD, salt=salt, n=2**14, r=8, p=1, dklen=32)
    b64 = lambda raw: base64.b64encode(raw).decode().rstrip("=")
    dynamodb.put_item(
        TableName=LEGACY_TABLE,
        Item={
            "username": {"S": LEGACY_USER},
            "password_hash": {"S": f"$scrypt$ln=14,r=8,p=1${b64(salt)}${b64(digest)}"},
            "email": {"S": "maria@example.com"},
            "email_verified": {"BOOL": True},
        },
    )

    for folder in TRIGGER_FOLDERS:
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
        for path in sorted((events_dir / folder).glob("*.json")):
            event = json.loads(path.read_text())
            if isinstance(event, dict) and "userPoolId" in event:
                event["userPoolId"] = pool_id
            (out_dir / folder / path.name).write_text(json.dumps(event, indent=2))
    print(f"POOL_ID={pool_id}")
    print(f"USERS_TABLE={TABLE}")
    print(f"LEGACY_USERS_TABLE={LEGACY_TABLE}")


def report(endpoint, pool_id):
    cognito, dynamodb = clients(endpoint)
    print("Profile items in DynamoDB table", TABLE)
    for item in dynamodb.scan(TableName=TABLE)["Items"]:
        flat = {key: next(iter(value.values())) for key, value in item.items()}
        print("  " + json.dumps(flat, sort_keys=True))
    for group in GROUPS:
        members = cognito.list_users_in_group(UserPoolId=pool_id, GroupName=group)["Users"]
        print(f"Members of group {group}: {sorted(user['Username'] for user in members)}")
    print("Legacy users (user-migration marks a migrated one with migrated_at; the hash is not shown)")
    for item in dynamodb.scan(TableName=LEGACY_TABLE)["Items"]:
        shown = {key: next(iter(value.values())) for key, value in item.items() if key != "password_hash"}
        print("  " + json.dumps(shown, sort_keys=True))


def main(argv):
    if len(argv) == 4 and argv[1] == "report":
        report(argv[2], argv[3])
    elif len(argv) == 4:
        set_up(argv[1], pathlib.Path(argv[2]), pathlib.Path(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

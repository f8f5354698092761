#!/usr/bin/env python3
"""Writes the seed corpus, fuzz/corpus/<target>/<name>, from events/ and from
tokens minted with the committed development key (target/debug/mint-dev-token,
built with `cargo build -p dev-tools --bin mint-dev-token`; CARGO_TARGET_DIR,
when set, is where it is built and looked for).

Run it from anywhere: `python3 fuzz/make_seeds.py`. It rewrites the seeds it
owns and leaves any other file in corpus/ alone. Seed tokens live until 2100
and verify only against tests/fixtures/keys/dev-rsa-1.jwks.json, a key no
deployed pool publishes.
"""

import base64
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
# Cargo's target folder: CARGO_TARGET_DIR (relative to the workspace root, as
# cargo, run there, reads it), else target/.
TARGET = ROOT / (os.environ.get("CARGO_TARGET_DIR") or "target")
MINT = TARGET / "debug" / "mint-dev-token"
POOL = "eu-west-1_FuzzPool1"
CLIENT = "fuzzclient1"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
UNTIL_2100 = str(4_102_444_800 - 1_800_000_000)  # lifetime from about now


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(*args: str) -> str:
    command = [str(MINT), "--pool-id", POOL, "--client-id", CLIENT, *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def write(target: str, name: str, data) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    (folder / name).write_bytes(data)


def events(kind: str):
    for path in sorted((ROOT / "events" / kind).glob("*.json")):
        yield path.stem, json.loads(path.read_text())


def tokens() -> dict:
    return {
        "access-admin": mint("--lifetime", UNTIL_2100, "--groups", "admins", "--scopes", "pets/write,openid"),
        "access-user": mint("--lifetime", UNTIL_2100, "--groups", "users"),
        "id": mint("--lifetime", UNTIL_2100, "--token-use", "id"),
        "expired": mint("--lifetime", "-3600"),
        "client": mint("--lifetime", UNTIL_2100, "--token-use", "client", "--client-id", CLIENT, "--scopes", "pets/write"),
    }


def token_verify(minted: dict) -> None:
    for name, token in minted.items():
        write("token_verify", f"{name}.jwt", token)
    header, payload, signature = minted["access-user"].split(".")

    def raw(head: dict, sig: str = signature) -> str:
        return f"{b64(json.dumps(head).encode())}.{payload}.{sig}"

    write("token_verify", "unknown-kid.jwt", raw({"kid": "nobody", "alg": "RS256"}))
    write("token_verify", "alg-none.jwt", raw({"kid": "dev-key-1", "alg": "none"}, ""))
    write("token_verify", "alg-hs256.jwt", raw({"kid": "dev-key-1", "alg": "HS256"}))
    write("token_verify", "jku.jwt", raw({"kid": "dev-key-1", "alg": "RS256", "jku": "https://x.example/k"}))
    write("token_verify", "crit.jwt", raw({"kid": "dev-key-1", "alg": "RS256", "crit": ["exp"]}))
    duplicate = b64(b'{"kid":"dev-key-1","alg":"RS256","alg":"none"}')
    write("token_verify", "duplicate-alg.jwt", f"{duplicate}.{payload}.{signature}")
    deep = b64(b'{"kid":"dev-key-1","alg":"RS256","x":' + b"[" * 200 + b"]" * 200 + b"}")
    write("token_verify", "deep-header.jwt", f"{deep}.{payload}.{signature}")
    write("token_verify", "tampered.jwt", f"{header}.{b64(b'{}')}.{signature}")
    write("token_verify", "padded.jwt", f"{header}=.{payload}.{signature}")
    write("token_verify", "four-parts.jwt", f"{header}.{payload}.{signature}.x")


def token_signed() -> None:
    header = {"kid": "dev-key-1", "alg": "RS256"}
    access = {
        "sub": "0f6b7a4e-1111-4222-8333-444455556666", "iss": ISSUER, "client_id": CLIENT,
        "token_use": "access", "scope": "openid pets/write", "username": "alice",
        "cognito:groups": ["admins"], "iat": 1_700_000_000, "auth_time": 1_700_000_000,
        "exp": 4_102_444_800, "jti": "j", "origin_jti": "o", "event_id": "e", "version": 2,
    }
    id_token = {k: v for k, v in access.items() if k not in ("client_id", "scope", "username", "version")}
    id_token.update({"aud": CLIENT, "token_use": "id", "cognito:username": "alice",
                     "email": "alice@example.com", "email_verified": True})

    def pair(head, body) -> str:
        head = head if isinstance(head, str) else json.dumps(head)
        body = body if isinstance(body, str) else json.dumps(body)
        return f"{head}\n{body}"

    def variant(base: dict, **changes) -> dict:
        claims = dict(base)
        for key, value in changes.items():
            key = key.replace("__", ":")
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    seeds = {
        "access": pair(header, access),
        "id": pair(header, id_token),
        "nbf-future": pair(header, variant(access, nbf=4_000_000_000)),
        "iat-future": pair(header, variant(access, iat=4_000_000_000)),
        "exp-float": pair(header, variant(access, exp=1e300)),
        "exp-negative": pair(header, variant(access, exp=-1)),
        "exp-string": pair(header, variant(access, exp="4102444800")),
        "exp-u64-max": pair(header, variant(access, exp=18446744073709551615)),
        "aud-array": pair(header, variant(id_token, aud=[CLIENT])),
        "token-use-refresh": pair(header, variant(access, token_use="refresh")),
        "no-username": pair(header, variant(access, username=None)),
        "groups-not-strings": pair(header, variant(access, cognito__groups=[1, None])),
        "other-issuer": pair(header, variant(access, iss=ISSUER + "x")),
        "other-client": pair(header, variant(access, client_id="someone")),
        "duplicate-claim": pair(header, '{"token_use":"id","token_use":"access"}'),
        "kid-unknown": pair({"kid": "k2", "alg": "RS256"}, access),
    }
    for name, data in seeds.items():
        write("token_signed", name, data)


def jwks_parse() -> None:
    keys = ROOT / "tests" / "fixtures" / "keys"
    one = json.loads((keys / "dev-rsa-1.jwks.json").read_text())
    two = json.loads((keys / "dev-rsa-2.jwks.json").read_text())
    weak = json.loads((keys / "weak-rsa-1024.jwks.json").read_text())
    k1, k2, kw = one["keys"][0], two["keys"][0], weak["keys"][0]
    ec = {"kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "alg": "ES256",
          "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
          "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
    seeds = {
        "dev-1": one,
        "two-keys": {"keys": [k1, k2]},
        "weak": weak,
        "mixed": {"keys": [k1, kw, ec, "x", None]},
        "duplicate-kid": {"keys": [k1, dict(k2, kid=k1["kid"]), k2]},
        "key-ops": {"keys": [dict(k1, key_ops=["verify"]), dict(k2, key_ops=["sign"])]},
        "even-exponent": {"keys": [dict(k1, e="AAAC")]},
        "leading-zeros": {"keys": [dict(k1, n="AAAA" + k1["n"])]},
        "keys-object": {"keys": {}},
        "empty": {"keys": []},
    }
    for name, data in seeds.items():
        write("jwks_parse", f"{name}.json", data)


def authorizer_event(minted: dict) -> None:
    for name, event in events("authorizer"):
        token = minted["access-admin" if "forbidden" not in name else "access-user"]
        text = json.dumps(event, separators=(",", ":")).replace("{{TOKEN}}", token)
        write("authorizer_event", f"{name}.json", text)
    _, token_event = next(e for e in events("authorizer") if e[0] == "token-allow")
    token_event["authorizationToken"] = "Bearer " + minted["access-admin"]
    write("authorizer_event", "token-admin-path.json",
          dict(token_event, methodArn=token_event["methodArn"].replace("/GET/pets/42", "/DELETE/admin/users/7")))
    write("authorizer_event", "token-expired.json",
          dict(token_event, authorizationToken="Bearer " + minted["expired"]))
    _, request = next(e for e in events("authorizer") if e[0] == "request-allow")
    request = json.loads(json.dumps(request).replace("{{TOKEN}}", minted["access-user"]))
    request["headers"]["authorization"] = request["headers"]["Authorization"]
    write("authorizer_event", "request-two-headers.json", request)
    write("authorizer_event", "token-machine-client.json",
          dict(token_event, authorizationToken="Bearer " + minted["client"]))
    nested = dict(token_event, authorizationToken="Bearer " + minted["id"])
    nested["extra"] = json.loads("[" * 100 + "]" * 100)
    write("authorizer_event", "token-id-deep-extra.json", nested)


def authorizer_rules() -> None:
    example = (ROOT / "functions" / "authorizer" / "rules.example.json").read_text()
    seeds = {
        "example": example,
        "pets": [
            {"method": "GET", "path": "/pets"}, {"method": "GET", "path": "/pets/{id}"},
            {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
            {"method": "*", "path": "/admin/{proxy+}", "anyGroups": ["admins"]},
            {"path": "/pets/{id}/secrets", "anyGroups": ["admins"]},
        ],
        "root-and-proxy": [{"path": "/"}, {"method": "ANY", "path": "/{proxy+}", "anyGroups": ["users"]}],
        "stars": [{"path": "/a/*/b"}, {"method": "delete", "path": "/*"}, {"path": "/a/{x}/b/{y+}", "allScopes": ["s"]}],
        "overlap": [{"path": "/pets/{id}", "anyGroups": ["users", "admins"]}, {"path": "/pets/{id}/secrets", "anyGroups": ["admins"]}],
        "unknown-field": '[{"path": "/x", "anyGroup": ["admins"]}]',
        "empty-groups": '[{"path": "/x", "anyGroups": []}]',
        "bad-method": '[{"method": "TRACE", "path": "/x"}]',
        "not-array": '{"path": "/x"}',
        "empty": "[]",
        "duplicate-path": '[{"path": "/a", "path": "/b"}]',
        "no-slash": '[{"path": "pets"}]',
        "greedy-middle": '[{"path": "/{p+}/x"}]',
        "question-mark": '[{"path": "/pets?x"}, {"path": "/pets"}]',
        "paywall": [{"method": "GET", "path": "/articles/{id}"},
                    {"method": "GET", "path": "/premium/{id}", "claims": {"custom:plan": ["premium", "enterprise"]}}],
        "machines": [{"path": "/orders", "allScopes": ["pets/write"], "principalTypes": ["client"]},
                     {"path": "/me", "principalTypes": ["user"]}],
        "connect": [{"path": "$connect", "anyGroups": ["admins"]}, {"path": "/me"}],
        "claims-twice": '[{"path": "/x", "claims": {"a": ["1"], "a": ["2"]}}]',
        "claims-not-a-list": '[{"path": "/x", "claims": {"a": "1"}}]',
        "connect-with-method": '[{"method": "GET", "path": "$connect"}]',
        "encoded-separator": '[{"path": "/a%2Fb"}]',
    }
    for name, data in seeds.items():
        write("authorizer_rules", f"{name}.json", data)


def pre_sign_up_event() -> None:
    for name, event in events("pre-sign-up"):
        write("pre_sign_up_event", f"{name}.json", event)
    _, sign_up = next(e for e in events("pre-sign-up") if e[0] == "sign-up")
    for name, attributes in {
        "quoted-local": {"email": '"a b"@example.com', "given_name": "A"},
        "unicode-domain": {"email": "x@BÜCHER.example", "given_name": "B", "custom:tenant": "t"},
        "blocked-subdomain": {"email": "x@deep.bad.example"},
        "numbers": {"email": "x@example.com", "email_verified": True, "custom:age": 42},
        "null-attributes": None,
    }.items():
        event = json.loads(json.dumps(sign_up))
        event["request"]["userAttributes"] = attributes
        write("pre_sign_up_event", f"{name}.json", event)


def post_confirmation_event() -> None:
    for name, event in events("post-confirmation"):
        write("post_confirmation_event", f"{name}.json", event)
    _, confirm = next(e for e in events("post-confirmation") if e[0] == "confirm-sign-up")
    for name, change in {
        "no-sub": lambda e: e["request"]["userAttributes"].pop("sub", None),
        "numeric-attributes": lambda e: e["request"]["userAttributes"].update(
            {"email_verified": True, "custom:tenant": 7, "locale": None}),
        "null-user-name": lambda e: e.update({"userName": None}),
        "response-null": lambda e: e.update({"response": None}),
    }.items():
        event = json.loads(json.dumps(confirm))
        change(event)
        write("post_confirmation_event", f"{name}.json", event)


def custom_message_event() -> None:
    for name, event in events("custom-message"):
        write("custom_message_event", f"{name}.json", event)


def custom_message_attributes() -> None:
    marker = "<x-fz onload=alert(1)>"
    seeds = {
        "hostile": {"given_name": f"{marker}Ana", "name": "Security team: visit https://evil.example",
                    "family_name": f'<a href="https://evil.example">{marker}</a>', "locale": "es",
                    "email": f"{marker}@example.com"},
        "placeholders": {"given_name": "{####}", "name": "{username}", "locale": "pt-BR",
                         "custom:x": "{##Click Here##}"},
        "long-name": {"given_name": "A" * 64, "locale": "en-GB"},
        "too-long-name": {"given_name": "A" * 65, "name": "B" * 300},
        "bidi": {"given_name": "Ana\u202egnp.exe", "name": "zero\u200bwidth"},
        "types": {"given_name": 7, "name": True, "locale": None, "email_verified": False},
        "client-locale": {"given_name": "Zoë", "clientMetadata": {"locale": "es_MX"}},
        "dotted": {"given_name": "evil.example", "name": "Dr. Who"},
        "huge-value": {"given_name": "Ana", "custom:blob": marker * 150},
    }
    for name, data in seeds.items():
        write("custom_message_attributes", f"{name}.json", data)


def user_migration_hash() -> None:
    """Hash texts: scrypt and PBKDF2 made by hashlib (OpenSSL), their
    corrupt and costly variants, and the shapes of the other kinds (the
    fuzzer needs their prefixes, not a verifiable hash)."""
    import hashlib

    pw, salt = b"fuzz-password", b"fuzz-salt-012345"
    enc = lambda raw: base64.b64encode(raw).decode().rstrip("=")
    scrypt = "$scrypt$ln=4,r=8,p=1$%s$%s" % (enc(salt), enc(hashlib.scrypt(pw, salt=salt, n=16, r=8, p=1, dklen=32)))
    pbkdf2 = "$pbkdf2-sha256$i=1000,l=32$%s$%s" % (enc(salt), enc(hashlib.pbkdf2_hmac("sha256", pw, salt, 1000, 32)))
    seeds = {
        "scrypt": scrypt,
        "pbkdf2-sha256": pbkdf2,
        "scrypt-huge-n": scrypt.replace("ln=4", "ln=40"),
        "pbkdf2-no-l": pbkdf2.replace(",l=32", ""),
        "pbkdf2-cut": pbkdf2[: pbkdf2.rfind("$")],
        "argon2id-shape": "$argon2id$v=19$m=64,t=1,p=1$%s$%s" % (enc(salt), enc(b"0" * 32)),
        "argon2id-huge-m": "$argon2id$v=19$m=4194304,t=1,p=1$%s$%s" % (enc(salt), enc(b"0" * 32)),
        "bcrypt-shape": "$2b$04$" + "a" * 53,
        "bcrypt-cost-99": "$2y$99$" + "a" * 53,
        "django": "pbkdf2_sha256$1000$%s$%s" % (salt.decode(), base64.b64encode(b"0" * 32).decode()),
        "md5-crypt": "$1$saltsalt$" + "a" * 22,
        "empty": "",
    }
    for name, data in seeds.items():
        write("user_migration_hash", f"{name}.txt", data)


def user_migration_event() -> None:
    for name, event in events("user-migration"):
        write("user_migration_event", f"{name}.json", event)
    attributes = {
        "all-flags": {"email": "a@example.com", "email_verified": "TRUE", "phone_number": "+1555",
                      "phone_number_verified": 1, "sub": "x", "password_hash": "$2b$04$x"},
        "types": {"email": 7, "email_verified": "yes", "given_name": None, "custom:plan": [1]},
        "huge": {"email": "a" * 3000, "given_name": "B" * 2048},
    }
    for name, item in attributes.items():
        event = dict(next(iter(events("user-migration")))[1])
        event["legacyItem"] = item
        write("user_migration_event", f"item-{name}.json", event)


def main() -> None:
    if not MINT.exists():
        subprocess.run(["cargo", "build", "-p", "dev-tools", "--bin", "mint-dev-token"], cwd=ROOT, check=True)
    minted = tokens()
    token_verify(minted)
    token_signed()
    jwks_parse()
    authorizer_event(minted)
    authorizer_rules()
    pre_sign_up_event()
    post_confirmation_event()
    custom_message_event()
    custom_message_attributes()
    user_migration_hash()
    user_migration_event()


if __name__ == "__main__":
    main()

"""Prints one demo invocation readably.

Usage: demo_show.py FUNCTION EVENT_FILE EXIT_CODE OUTPUT_FILE
Exits 1 when the invocation did not reach the function's handler (an init
error, or cargo-lambda could not reach the function): the demo stops there.
A handler error is an answer, not a failure: refused sign-ups and 401s are
part of the show.
"""

import fnmatch
import json
import sys

LONG = 300


def shorten(value):
    if isinstance(value, str) and len(value) > LONG:
        return value[:LONG] + f"... [{len(value)} characters]"
    if isinstance(value, dict):
        return {key: shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shorten(item) for item in value]
    return value


def iam_allows(policy, arn):
    """Evaluates a policy for one ARN the way IAM does: an explicit Deny wins,
    then any Allow; `*` matches any run of characters, `/` included."""

    def matching(effect):
        for statement in policy.get("Statement", []):
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            if statement.get("Effect") == effect and any(
                fnmatch.fnmatchcase(arn, pattern) for pattern in resources
            ):
                return True
        return False

    return not matching("Deny") and matching("Allow")


def route_of(event):
    if "methodArn" in event:
        return event["methodArn"]
    return event.get("routeArn") or event.get("routeKey", "")


def verdict(event, answer):
    """What API Gateway would do with the authorizer's answer."""
    if "isAuthorized" in answer:
        return "200 (authorized)" if answer["isAuthorized"] else "403 (isAuthorized: false)"
    if "policyDocument" in answer:
        allowed = iam_allows(answer["policyDocument"], event.get("methodArn", ""))
        return "200 (the policy allows this route)" if allowed else "403 (the policy does not allow this route)"
    return None


def main(function, event_file, exit_code, output_file):
    output = open(output_file, encoding="utf-8").read().strip()
    event = json.load(open(event_file, encoding="utf-8"))
    label = event.get("triggerSource") or event.get("type") or ""
    if "version" in event and "triggerSource" not in event:
        label = f"HTTP API payload {event['version']}"
    elif label in ("TOKEN", "REQUEST"):
        label = f"REST API {label}"
    print(f"--- {function} <- {event_file.split('/')[-1]} ({label})")
    if exit_code != "0":
        # cargo-lambda prints a handler error as "Error: <type>" and the message.
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        if not lines or not lines[0].startswith("Error: ") or "connect" in output.lower():
            print(output)
            return 1
        message = next((line for line in lines[1:] if line.startswith("×")), "× ?")
        error_type = lines[0][len("Error: "):]
        print(f"    error {error_type}: {message[1:].strip()}")
        if function == "authorizer" and error_type == "Unauthorized":
            print(f"    route {route_of(event)} -> API Gateway answers 401")
        return 0
    try:
        answer = json.loads(output)
    except ValueError:
        print(output)
        return 1
    if isinstance(answer, dict) and "errorType" in answer:
        # cargo-lambda reports an init error this way, with exit code 0.
        print(f"    INIT ERROR {answer['errorType']}: {answer.get('errorMessage')}")
        return 1
    if function == "authorizer":
        print(f"    route {route_of(event)} -> API Gateway answers {verdict(event, answer)}")
    shown = answer.get("response", answer) if "triggerSource" in answer else answer
    text = json.dumps(shorten(shown), indent=2, ensure_ascii=False)
    print("\n".join("    " + line for line in text.splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

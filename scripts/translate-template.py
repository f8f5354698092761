#!/usr/bin/env python3
"""Translates template.yaml to plain CloudFormation with SAM's own translator.

The translator is the one `sam validate` and CloudFormation's
AWS::Serverless-2016-10-31 transform run (PyPI `aws-sam-translator`, pinned in
requirements-dev.txt), here offline: no AWS call, no credentials. So the
template tests (tests/tests/template/) read the resources SAM generates, such
as the REST API's stages, the functions' versions and aliases, and the
CodeDeploy resources of a deployment preference, not only what template.yaml
spells out.

    translate-template.py OUT.json [Name=Value ...]   (OUT "-": stdout)

Parameters not given keep their defaults. Any error (an unreadable template, a
translation error, a parameter the template does not declare) exits non-zero
with the reason: a caller must never test an old or partial translation.
"""

import json
import sys
from pathlib import Path

import boto3

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent

# The pseudo parameters `sam validate` fills in (samcli's
# IntrinsicsSymbolTable.DEFAULT_PSEUDO_PARAM_VALUES), so that SAM can resolve
# what it must at translation time.
PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "local",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123",
    "AWS::URLSuffix": "localhost",
}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    template = yaml_parse((ROOT / "template.yaml").read_text())
    declared = template.get("Parameters", {})
    parameters = dict(PSEUDO_PARAMETERS)
    for name, spec in declared.items():
        if "Default" in spec:
            parameters[name] = spec["Default"]
    for pair in argv[2:]:
        name, sep, value = pair.partition("=")
        if not sep or name not in declared:
            print(f"translate-template: {pair!r} is not Name=Value of a declared parameter", file=sys.stderr)
            return 2
        parameters[name] = value

    # The functions' code is a local folder until `sam package` uploads it;
    # the translator accepts only an S3 location (as `sam validate` does, put
    # a placeholder one in its place).
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.setdefault("Properties", {})
            if "InlineCode" not in properties:
                properties["CodeUri"] = "s3://bucket/code.zip"

    # A session with a region and no credentials: the translator reads the
    # region from it and calls nothing.
    session = boto3.session.Session(region_name=PSEUDO_PARAMETERS["AWS::Region"])
    translator = Translator(managed_policy_map=None, sam_parser=Parser(), boto_session=session)
    try:
        translated = translator.translate(
            sam_template=template,
            parameter_values=parameters,
            # The template names managed policies by ARN only; a policy named
            # by its short name would need AWS's list, which this offline run
            # refuses rather than guesses.
            get_managed_policy_map=lambda: {},
        )
    except InvalidDocumentException as error:
        causes = "\n  ".join(str(cause) for cause in error.causes)
        print(f"translate-template: {error}\n  {causes}", file=sys.stderr)
        return 1
    # The translation as deployed with these parameters: the overrides become
    # the defaults, so that a tool reading it alone (checkov) evaluates the
    # conditions they turn on.
    for pair in argv[2:]:
        name, _, value = pair.partition("=")
        translated["Parameters"][name]["Default"] = value
    text = json.dumps({"Parameters": parameters, "Template": translated}, indent=1, sort_keys=True)
    if argv[1] == "-":
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

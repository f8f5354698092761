#!/usr/bin/env python3
"""Regenerates disposable-domains.txt from a wheel of the PyPI package
`disposable-email-domains`.

Usage:
    pip download --no-deps disposable-email-domains -d /tmp/ded
    python3 functions/pre-sign-up/data/update-disposable-domains.py /tmp/ded/disposable_email_domains-*.whl

The wheel is read as a zip file and its `blocklist` set is parsed as a literal,
so nothing from the package is imported or executed.
"""

import ast
import pathlib
import re
import sys
import zipfile

HEADER = """\
# Disposable (throwaway) email domains, one per line, lowercase ASCII
# (internationalised names in punycode). Lines starting with `#` and blank
# lines are ignored. Read once at init when BLOCK_DISPOSABLE_EMAILS=true; a
# listed domain also blocks its subdomains.
#
# Source: the PyPI package `disposable-email-domains` {version} (MIT, (c) 2016
# Dustin Ingram), a mirror of the blocklist of the disposable-email-domains
# project (github.com/disposable-email-domains/disposable-email-domains,
# CC0-1.0). {count} domains, copied verbatim and sorted.
#
# To update: download the newest wheel with
#   pip download --no-deps disposable-email-domains -d /tmp/ded
# then regenerate this file with
#   functions/pre-sign-up/data/update-disposable-domains.py /tmp/ded/disposable_email_domains-*.whl
# and run `cargo test -p pre-sign-up` (a test checks that every entry is a
# valid domain name). Review the diff before committing: a domain wrongly
# listed here refuses real users.
"""


def main(wheel_path: str) -> None:
    match = re.search(r"disposable_email_domains-([0-9.]+)-", pathlib.Path(wheel_path).name)
    if not match:
        sys.exit(f"not a disposable_email_domains wheel: {wheel_path}")
    version = match.group(1)
    with zipfile.ZipFile(wheel_path) as wheel:
        source = wheel.read("disposable_email_domains/__init__.py").decode("utf-8")
    tree = ast.parse(source)
    domains = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "blocklist" for target in node.targets
        ):
            domains = ast.literal_eval(node.value)
    if not domains:
        sys.exit("no `blocklist` literal found in the wheel")
    domains = sorted({domain.strip().lower() for domain in domains if domain.strip()})
    output = pathlib.Path(__file__).with_name("disposable-domains.txt")
    output.write_text(
        HEADER.format(version=version, count=len(domains)) + "\n".join(domains) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(domains)} domains from version {version} to {output}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

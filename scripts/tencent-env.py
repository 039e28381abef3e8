#!/usr/bin/env python3
"""The console's tcb_custom_login.json as the split TCB_CUSTOM_LOGIN_* variables, one a line.

    (umask 077 && scripts/tencent-env.py tcb_custom_login.json > .env)

Prints NAME='value' lines for the project's top .env (docs/deploy-tencent.md), which the dotenv
parsers of serverless-cloud-framework and of the CloudBase CLI (and bash) read the same way: the
private key on one line, its line breaks written as a literal \\n (which the functions turn back
into line breaks). cloudbaserc.json and deploy/tencent/*/serverless.yml refer to these names.
Exit 2 when the file is not the console's JSON.
"""

from __future__ import annotations

import json
import sys

FIELDS = {
    "TCB_CUSTOM_LOGIN_PRIVATE_KEY_ID": "private_key_id",
    "TCB_CUSTOM_LOGIN_PRIVATE_KEY": "private_key",
    "TCB_CUSTOM_LOGIN_ENV_ID": "env_id",
}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: scripts/tencent-env.py tcb_custom_login.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            credentials = json.load(f)
    except (OSError, ValueError) as e:
        # Never the file's content: it is a private key.
        print(f"tencent-env.py: cannot read {argv[1]} as JSON ({type(e).__name__})", file=sys.stderr)
        return 2
    lines = []
    for name, field in FIELDS.items():
        value = credentials.get(field) if isinstance(credentials, dict) else None
        if not isinstance(value, str) or not value.strip():
            print(f"tencent-env.py: {argv[1]} has no {field} (is it the console's tcb_custom_login.json?)",
                  file=sys.stderr)
            return 2
        value = value.strip().replace("\r\n", "\n").replace("\n", "\\n")
        if "'" in value:
            print(f"tencent-env.py: {field} holds a quote, which no PEM key or id does", file=sys.stderr)
            return 2
        lines.append(f"{name}='{value}'")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

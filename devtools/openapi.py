"""`python -m devtools.openapi [--check FILE]`: the OpenAPI document generated from the intake routes.

The committed openapi.json must match what the routes generate; `--check` fails when it drifted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from devtools.lambdas import load_handler_module


def generate() -> str:
    document = json.loads(load_handler_module("functions/intake").openapi_document())
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.openapi", description=__doc__)
    parser.add_argument("--check", metavar="FILE", help="compare with FILE instead of printing")
    args = parser.parse_args()
    current = generate()
    if not args.check:
        sys.stdout.write(current)
        return 0
    committed = Path(args.check).read_text() if Path(args.check).is_file() else ""
    if committed != current:
        print(f"{args.check} is out of date with the routes: run `make openapi` and commit it.", file=sys.stderr)
        return 1
    print(f"{args.check} matches the routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# The template checks: cfn-lint, `sam validate --lint`, `sam build` (arm64 / Python 3.13, no Docker) and the built
# layer's bytecode.
# aws-sam-cli pins boto3 exactly, so it lives in a virtualenv of its own (.venv-sam), never in the project's .venv.
# Needs only Python 3.11+, make and PyPI (for aws-sam-cli once, and for the layer's wheels on each uncached build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAM_VENV="${SAM_VENV:-$ROOT/.venv-sam}"
SAM_REQUIREMENT="aws-sam-cli==1.170.0"
PYTHON="${PYTHON:-python3}"

export SAM_CLI_TELEMETRY=0                        # no usage data sent, no first-run prompt
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"  # validate and build need a region, never credentials
export PATH="$SAM_VENV/bin:$PATH"                 # the Makefiles' python3 -m pip is the SAM venv's

started=$SECONDS
step() { printf '\n==> [%3ss] %s\n' "$((SECONDS - started))" "$*"; }

cd "$ROOT"

# A stamp holding the requirement: changing the pin above reinstalls, an unchanged one costs nothing.
if [[ ! -x "$SAM_VENV/bin/sam" || "$(cat "$SAM_VENV/.leadwire-requirement" 2>/dev/null)" != "$SAM_REQUIREMENT" ]]; then
    step "installing $SAM_REQUIREMENT into $SAM_VENV"
    "$PYTHON" -m venv "$SAM_VENV"
    "$SAM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$SAM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SAM_REQUIREMENT"
    echo "$SAM_REQUIREMENT" > "$SAM_VENV/.leadwire-requirement"
fi
step "$(sam --version), $(cfn-lint --version)"

step "cfn-lint template.yaml"
cfn-lint template.yaml

# Both: plain validate runs the SAM translator (it catches e.g. an unknown event property), --lint runs cfn-lint on it.
step "sam validate"
sam validate --template-file template.yaml

step "sam validate --lint"
sam validate --lint --template-file template.yaml

step "sam build (layer and functions via their Makefiles, into .aws-sam/build)"
sam build --template-file template.yaml --build-dir .aws-sam/build --cache-dir .aws-sam/cache --cached --parallel

# The layer's bytecode must be what Lambda's Python 3.13 loads as is (magic number, unchecked-hash); when this machine
# has a Python 3.13 the layer Makefile used it, so a layer without bytecode is then a failure too.
if [[ -n "$(sh layers/common/find-python313.sh)" ]]; then require=(--require); else require=(); fi
step "layer bytecode matches Python 3.13 ${require[*]}"
"$ROOT/.venv/bin/python" -m bench.layer --check-bytecode .aws-sam/build/CommonLayer "${require[@]}"

step "template checks passed"

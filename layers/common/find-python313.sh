#!/bin/sh
# Prints the path of a working Python 3.13 interpreter (the Lambda runtime's version), or nothing if there is none.
# Looked for in this order: `python3.13` on PATH, pyenv's versions, uv's managed interpreters. Each candidate is run
# once, because a pyenv shim exists on PATH even when no 3.13 is selected.
is_313() {
    [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1
}

candidates="$(command -v python3.13 2>/dev/null)"
pyenv_root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
candidates="$candidates $(ls -d "$pyenv_root"/versions/3.13*/bin/python3.13 2>/dev/null | sort -r)"
if command -v uv >/dev/null 2>&1; then
    candidates="$candidates $(uv python find 3.13 2>/dev/null)"
fi
for candidate in $candidates; do
    if is_313 "$candidate"; then
        # The real interpreter, not a shim that depends on the caller's directory or environment.
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done

"""Regular expressions the owner writes in the rules run on RE2 (google-re2): linear time in the text, whatever the
pattern, so a pattern like `(\\w+\\s?)+$` and a crafted 5,000-character answer cannot block scoring or routing."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _options() -> Any:
    import re2  # on first use: the score and assign functions only need it when a rule matches a pattern

    options = re2.Options()
    options.log_errors = False  # a refused pattern is reported to the owner, not to the function's log
    return options


def compile(pattern: str) -> Any:
    """The compiled pattern; ValueError naming why when RE2 cannot run it (backreferences, lookaround, ...)."""
    import re2

    try:
        return re2.compile(pattern, _options())
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise ValueError(reason) from error

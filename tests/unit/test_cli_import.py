"""`leadwire import` follows an import until it is done or stalled, on a made-up API (no sockets)."""

from __future__ import annotations

import argparse
from typing import Any

from leadwire_cli.main import import_list


class Answers:
    """The API's answers in turn: the POST's, then one per GET /imports/{id}."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers, self.calls = list(answers), []

    def call(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.calls.append(f"{method} {path}")
        return self.answers.pop(0)


def answer(status: str, processed: int, **more: Any) -> dict[str, Any]:
    return {"id": "abc", "status": status, "rows": 400, "processed": processed, "created": processed, "merged": 0,
            "duplicates": 0, "refused": 0, "refused_rows": [], "repeat": False, **more}


def test_a_stalled_import_ends_the_command_with_what_to_do_instead_of_waiting_for_ever(tmp_path):
    # Given an import that moves once, then stalls (the API would go on answering "stalled")
    path = tmp_path / "list.csv"
    path.write_text("email\na@b.example\n")
    client = Answers(answer("processing", 0), answer("processing", 200),
                     answer("stalled", 200, stalled="no part of this import has finished for 45 minutes: …"))

    # When the command follows it
    summary = import_list(client, argparse.Namespace(file=str(path), mapping=None), poll_s=0)  # type: ignore[arg-type]

    # Then it stops at the stalled answer and says what the API said to do
    assert client.calls == ["POST /imports", "GET /imports/abc", "GET /imports/abc"]
    assert "rows 400: created 200" in summary
    assert summary.splitlines()[-1] == "  stalled: no part of this import has finished for 45 minutes: …"

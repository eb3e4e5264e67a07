"""The partial batch response of the stream consumers: what Lambda reads to retry a DynamoDB stream batch."""

from __future__ import annotations

import pytest

from leadwire.runtime.stream import BatchFailed, each_record, keys_of, lead_id_of, record_time


def record(sequence: int, pk: str = "LEAD#abc", sk: str = "LEAD") -> dict:
    return {"eventID": str(sequence), "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                                                   "SequenceNumber": f"{sequence:021d}",
                                                   "ApproximateCreationDateTime": 1_796_000_000.5}}


def test_every_record_is_handled_and_only_those_that_raised_are_reported():
    handled = []

    def handle(item: dict) -> None:
        handled.append(item["eventID"])
        if item["eventID"] == "2":
            raise RuntimeError("damaged")

    answer = each_record({"Records": [record(1), record(2), record(3)]}, handle)

    assert handled == ["1", "2", "3"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": f"{2:021d}"}]}


def test_a_batch_whose_records_all_fail_fails_as_a_whole():
    def handle(item: dict) -> None:
        raise RuntimeError("down")

    with pytest.raises(BatchFailed):
        each_record({"Records": [record(1), record(2)]}, handle)
    assert each_record({"Records": []}, handle) == {"batchItemFailures": []}


def test_a_record_names_its_lead_and_its_instant():
    assert lead_id_of(record(1)) == "abc"
    assert keys_of(record(1, pk="SUB#s1", sk="DLV#d1")) == {"pk": "SUB#s1", "sk": "DLV#d1"}
    assert record_time(record(1)).isoformat() == "2026-11-30T00:53:20.500000+00:00"
    with pytest.raises(ValueError):
        lead_id_of(record(1, pk="EMAIL#a@b.example", sk="KEY"))

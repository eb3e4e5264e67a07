"""Spend, value and imported lists through the real handlers on moto: the intake function's routes and the import
function fed stream records of the chunks it wrote."""

from __future__ import annotations

from typing import Any

from devtools.lambdas import Context, load_handler_module
from leadwire.store import schema
from leadwire.store.table import serialize

from .conftest import api_event, call


def chunk_record(key: dict[str, str], item: dict[str, Any], sequence: int) -> dict[str, Any]:
    """An INSERT record of an import chunk, as Lambda delivers it."""
    return {"eventID": str(sequence), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
            "dynamodb": {"ApproximateCreationDateTime": 1790000000, "Keys": serialize(key),
                         "NewImage": serialize(item), "SequenceNumber": f"{sequence:021d}", "SizeBytes": 100,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def multipart(csv_bytes: bytes, mapping: str) -> tuple[bytes, str]:
    boundary = "leadwire-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{mapping}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fair.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + csv_bytes + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_multipart_list_is_queued_processed_once_by_the_import_function_and_followed(store, intake_app):
    # Given a list of 250 people whose email column has a name of its own
    rows = "".join(f"contact{n}@example.com;Fair {n}\r\n" for n in range(250))
    body, content_type = multipart(f"Kontakt;Name\r\n{rows}".encode(), '{"Kontakt": "email"}')

    # When it is posted
    status, answer, headers = call(intake_app, api_event("POST", "/imports", body=body,
                                                         headers={"content-type": content_type}))

    # Then it is queued in two chunks, and the import function takes each chunk (the first one delivered twice)
    assert (status, answer["status"], answer["rows"], answer["processed"]) == (202, "processing", 250, 0)
    assert headers["Location"] == f"/imports/{answer['id']}"
    keys = [schema.import_chunk(answer["id"], number) for number in range(2)]
    records = [chunk_record(key, store.get(key), number) for number, key in enumerate([*keys, keys[0]])]
    handler = load_handler_module("functions/imports")
    for record in records:
        answer_of_batch = handler.lambda_handler({"Records": [record]}, Context("ImportFunction", 300))
        assert answer_of_batch == {"batchItemFailures": []}
    status, done, _ = call(intake_app, api_event("GET", f"/imports/{answer['id']}"))
    assert (status, done["status"], done["created"], done["processed"]) == (200, "done", 250, 250)
    assert store.get(schema.email("contact7@example.com")) is not None


def test_spend_loads_as_csv_and_the_win_value_is_read_without_a_float(store, intake_app):
    csv_body = b"day,source,campaign,amount,currency\n2026-10-05,website,,12.50,EUR\n2026-10-05,website,,x,EUR\n"
    status, loaded, _ = call(intake_app, api_event("PUT", "/spend", body=csv_body,
                                                   headers={"content-type": "text/csv"}))
    assert (status, loaded["loaded"], [(row["row"], row["field"]) for row in loaded["refused"]]) == (
        200, 1, [(3, "amount")])
    status, created, _ = call(intake_app, api_event("POST", "/leads", body={"email": "val@example.com"}, key=None))
    assert status == 201
    # 0.1 + 0.2 as floats is 0.30000000000000004: read as decimals it is exactly 0.30
    patch = '{"status": "won", "value": {"amount": 1250.1, "currency": "EUR"}}'
    status, lead, _ = call(intake_app, api_event("PATCH", f"/leads/{created['id']}", body=patch,
                                                 headers={"content-type": "application/json"}))
    assert (status, lead["value_minor"], lead["currency"]) == (200, 125010, "EUR")


def test_a_file_route_refuses_other_bodies_and_asks_for_the_key_first(aws, intake_app):
    status, answer, _ = call(intake_app, api_event("PUT", "/spend", body=b"x", headers={"content-type": "text/plain"}))
    assert (status, answer["error"]) == (415, "unsupported_media_type")
    status, answer, _ = call(intake_app, api_event("POST", "/imports", body=b"email\na@b.example\n", key=None,
                                                   headers={"content-type": "text/csv"}))
    assert status == 401

"""Outbound lists brought in: a CSV file (its header mapped to lead fields by name, or as the request says), every
row normalised and deduplicated like any submission, with the source `import` and the file's digest and row number
as its platform id, so sending the same file again creates nothing.

A small file is stored in the request; a large one is stored as chunks of rows that the import function takes up
from the stream, each counted into the job once. Rows are numbered as a spreadsheet shows them: the header is 1."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import multipart
from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.errors import LeadwireError, Malformed, NotFound, UnsupportedMediaType, ValidationFailed
from leadwire.intake.dedupe import accept
from leadwire.intake.normalize import normalize
from leadwire.intake.sources.payload import is_yes, lead_field
from leadwire.lead import Consent, RawLead
from leadwire.store import imports
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store

logger = Logger(child=True)

MAX_FILE_BYTES = 4 * 1024 * 1024  # under Lambda's 6 MB request payload once API Gateway base64-encodes it
MAX_ROWS = 50_000
INLINE_ROWS = 100  # up to this many rows are stored in the request itself; more go to the import function
CHUNK_ROWS = 200
CHUNK_BYTES = 200_000  # well under DynamoDB's 400 KB item
# The import function's stream gives a chunk up after six tries of at most five minutes each (ImportFunction in
# template.yaml: Timeout 300, MaximumRetryAttempts 5), sending it to the dead-letter queue: a job none of whose
# chunks has finished for longer than that is stalled, and says so (tests/integration/test_template.py
# checks the two agree).
STALLED_AFTER = timedelta(minutes=45)
STALLED = (f"no part of this import has finished for {STALLED_AFTER.seconds // 60} minutes: a part that failed six "
           "times was set aside (the dead-letter queue alarm tells of it). The rows counted so far are stored. Send "
           "the same file again: rows already imported count as duplicates, the rest are imported.")
MAX_REFUSED_SHOWN = 1000  # an answer stays well under Lambda's 6 MB; the count is always whole
CONSENT_NAMES = frozenset({"consent", "marketing_consent", "opt_in", "optin", "newsletter", "email_opt_in"})
FIELDS = ("email", "phone", "full_name", "first_name", "last_name", "company", "job_title", "country", "city",
          "postal_code", "message", "consent")
IGNORE = "ignore"


@dataclass(frozen=True)
class ImportFile:
    name: str | None
    data: bytes
    mapping: dict[str, str]  # column name as in the header → lead field, `consent`, `fields.<name>` or `ignore`


def read_request(body: bytes, content_type: str | None, query: Mapping[str, str]) -> ImportFile:
    """The CSV and its mapping: `text/csv` (mapping in the query as JSON), or `multipart/form-data` with a file
    part and an optional `mapping` part."""
    media_type, options = multipart.parse_options_header(content_type or "")
    if media_type == "text/csv":
        return ImportFile(None, body, _mapping(query.get("mapping")))
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType("send the list as text/csv or multipart/form-data",
                                   [{"field": "content-type", "reason": f"{media_type or 'nothing'} is not accepted"}])
    if not options.get("boundary"):
        raise Malformed("multipart/form-data needs a boundary")
    file: ImportFile | None = None
    mapping: str | None = query.get("mapping")
    try:
        parser = multipart.MultipartParser(io.BytesIO(body), options["boundary"], content_length=len(body),
                                           part_limit=16, memory_limit=MAX_FILE_BYTES + 65536,
                                           spool_limit=MAX_FILE_BYTES + 65536)
        for part in parser:
            if part.filename is not None and file is None:
                file = ImportFile(part.filename[:200], part.raw, {})
            elif part.name == "mapping":
                mapping = part.value
    except multipart.MultipartError as error:
        raise Malformed(f"the multipart body cannot be read: {error}") from error
    if file is None:
        raise ValidationFailed([{"field": "file", "reason": "no file part (a part with a filename) was sent"}])
    return ImportFile(file.name, file.data, _mapping(mapping))


def _mapping(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        mapping = json.loads(text)
    except ValueError as error:
        raise Malformed("mapping is not valid JSON") from error
    if not isinstance(mapping, dict) or not all(isinstance(v, str) and isinstance(k, str) for k, v in mapping.items()):
        raise ValidationFailed([{"field": "mapping", "reason": "give {\"column\": \"field\"} pairs"}])
    for column, target in mapping.items():
        if target not in FIELDS and target != IGNORE and not (target.startswith("fields.") and len(target) > 7):
            raise ValidationFailed([{"field": f"mapping.{column}", "reason": f"map to one of {', '.join(FIELDS)}, "
                                                                           f"fields.<name> or ignore"}])
    return mapping


def _text(data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252, as spreadsheets save CSV."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _records(text: str) -> list[list[str]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096].split("\n", 1)[0] or ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise Malformed(f"the CSV cannot be read: {error}") from error


def columns_of(header: list[str], mapping: Mapping[str, str]) -> list[str]:
    """What each column becomes: the mapping's word for it, else the lead field its name says, `consent` for a
    consent column, else `fields.<name>` (kept with the lead)."""
    targets = []
    for name in header:
        name = name.strip()
        given = mapping.get(name)
        if given:
            targets.append(given)
        elif name.lower().replace(" ", "_").replace("-", "_") in CONSENT_NAMES:
            targets.append("consent")
        else:
            targets.append(lead_field(name) or (f"fields.{name}" if name else IGNORE))
    if not any(target in ("email", "phone") for target in targets):
        raise ValidationFailed([{"field": "header", "reason": "no column reads as email or phone; name them, or give "
                                                              "a mapping"}])
    return targets


def start(store: Store, sent: ImportFile, now: datetime, region: str | None = None) -> dict[str, Any]:
    """Store the import: its rows done at once when the file is small, else queued for the import function."""
    if len(sent.data) > MAX_FILE_BYTES:
        raise ValidationFailed([{"field": "file", "reason": f"at most {MAX_FILE_BYTES // 1024 // 1024} MB a file; "
                                                            f"split it"}])
    records = _records(_text(sent.data))
    if not records:
        raise ValidationFailed([{"field": "file", "reason": "the file is empty"}])
    targets = columns_of(records[0], sent.mapping)
    rows = [{"row": number, "cells": cells} for number, cells in enumerate(records[1:], 2)
            if any(cell.strip() for cell in cells)]  # a blank line is nobody
    if len(rows) > MAX_ROWS:
        raise ValidationFailed([{"field": "file", "reason": f"at most {MAX_ROWS} rows a file; split it"}])
    import_id, at = secrets.token_hex(8), iso(now)
    digest = hashlib.sha256(sent.data + json.dumps(sent.mapping, sort_keys=True).encode()).hexdigest()[:32]
    job = {"id": import_id, "digest": digest, "first": imports.claim_file(store, digest, import_id, at),
           "file_name": sent.name, "columns": targets, "region": region, "rows_total": len(rows), "created_at": at}
    chunks = _chunks(rows)
    job["chunks"] = len(chunks)
    if len(rows) <= INLINE_ROWS:
        chunks = [{**chunk, "state": "done", **_outcomes(store, job, chunk["rows"], now)} for chunk in chunks]
    imports.start(store, job, [{"state": "pending", **chunk} if "state" not in chunk else chunk for chunk in chunks])
    logger.info("import stored", extra={"import_id": import_id, "rows": len(rows), "chunks": len(chunks)})
    return shown(store, import_id, now)


def _chunks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chunks: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        row_size = sum(len(cell.encode()) + 8 for cell in row["cells"]) + 16
        if current and (len(current) >= CHUNK_ROWS or size + row_size > CHUNK_BYTES):
            chunks.append({"rows": current})
            current, size = [], 0
        current.append(row)
        size += row_size
    if current:
        chunks.append({"rows": current})
    return chunks


def process_chunk(store: Store, import_id: str, number: int, now: datetime,
                  finished_at: datetime | None = None) -> bool:
    """Take the chunk's rows through intake (as submitted at `now`, when the chunk was written) and count them
    into the job, which moved on at `finished_at` (the clock's time); False when it was done already."""
    found = imports.chunk(store, import_id, number)
    job = imports.job(store, import_id)
    if found is None or job is None or found.get("state") != "pending":
        return False
    outcomes = _outcomes(store, job, found["rows"], now)
    return imports.finish_chunk(store, import_id, number, outcomes, iso(finished_at or datetime.now(UTC)))


def _outcomes(store: Store, job: dict[str, Any], rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    counts = dict.fromkeys(("created", "merged", "duplicates"), 0)
    refused: list[dict[str, Any]] = []
    config = load_config(store)[1]  # once a chunk: every row of it goes by the same rules
    for row in rows:
        ref = f"{job['digest']}:{row['row']}"
        try:
            lead = normalize(raw_lead(job["columns"], row["cells"], ref, iso(now)), job.get("region"))
        except ValidationFailed as invalid:
            refused.append({"row": row["row"], "reason": "; ".join(f"{detail['field']}: {detail['reason']}"
                                                                  for detail in invalid.details)})
            continue
        try:
            accepted = accept(lead, store, now, config=config)  # no notifier: an imported person is not returning
        except LeadwireError as failed:
            refused.append({"row": row["row"], "reason": failed.message})
            continue
        outcome = accepted.outcome
        if outcome == "duplicate" and job["first"]:  # an earlier attempt at this very chunk stored the row
            known = LeadRepository(store).get(accepted.lead_id)
            outcome = "created" if known and known.source_ref == ref else "merged"
        counts["duplicates" if outcome == "duplicate" else outcome] += 1
    return {**counts, "refused": len(refused), "refused_rows": refused}


def raw_lead(columns: list[str], cells: list[str], ref: str, at: str) -> RawLead:
    """One row as a submission from the source `import`; consent only where a consent column says yes."""
    person: dict[str, str] = {}
    fields: dict[str, str] = {}
    consent: Consent | None = None
    for target, cell in zip(columns, cells, strict=False):
        value = cell.strip()
        if not value or target == IGNORE:
            continue
        if target == "consent":
            consent = Consent(marketing=True, text="consent column of an imported list", captured_at=at) \
                if is_yes(value) else None
        elif target.startswith("fields."):
            fields.setdefault(target[7:], value)
        else:
            person.setdefault(target, value)
    return RawLead(source="import", source_ref=ref, fields=fields, consent=consent, submitted_at=at, **person)


def shown(store: Store, import_id: str, now: datetime) -> dict[str, Any]:
    """The import as `GET /imports/{id}` shows it at `now`: done, processing or stalled (with what to do), the
    counts so far, and each refused row with its reason."""
    job = imports.job(store, import_id)
    if job is None:
        raise NotFound(f"no import with id {import_id}")
    counts = {name: int(job.get(name, 0)) for name in imports.COUNTS}
    done = int(job.get("chunks_done", 0)) >= int(job.get("chunks", 0))
    refused = imports.refused_rows(store, import_id)
    status = "done" if done else "processing"
    if not done and now - parse_iso(str(job.get("progressed_at") or job["created_at"])) > STALLED_AFTER:
        status = "stalled"
    return {"id": import_id, "status": status, **({"stalled": STALLED} if status == "stalled" else {}),
            "file_name": job.get("file_name"),
            "repeat": not job.get("first", True), "rows": int(job["rows_total"]), "processed": sum(counts.values()),
            **counts, "refused_rows": refused[:MAX_REFUSED_SHOWN], "refused_rows_cut": len(refused) > MAX_REFUSED_SHOWN,
            "created_at": job["created_at"]}

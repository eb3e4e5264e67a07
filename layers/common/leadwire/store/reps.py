"""The team as stored: reps under one partition, with the counters assignment keeps on them."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from leadwire.routing.reps import STORED, Rep, RepIn
from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store, Update

rep_key = schema.rep


def load_reps(store: Store) -> list[Rep]:
    items = store.query_all(schema.REPS_PARTITION, schema.REP_PREFIX)
    return [Rep.model_validate(item, context=STORED) for item in items]


def load_rep(store: Store, rep_id: str) -> Rep | None:
    item = store.get(rep_key(rep_id))
    return Rep.model_validate(item, context=STORED) if item else None


def save_rep(store: Store, rep_id: str, rep: RepIn, at: str) -> Rep:
    """Create or replace what the owner controls; the counters assignment keeps are left as they are."""
    fields: dict[str, Any] = {**rep.model_dump(mode="json"), "id": rep_id, "updated_at": at}
    update = Update().set(**fields).set_if_absent(open_leads=0, assigned_total=0)
    stored = store.update(rep_key(rep_id), update, return_new=True)
    return Rep.model_validate(stored, context=STORED)


def counters_action(store: Store, rep_id: str, open_leads: int, assigned: int = 0) -> dict[str, Any]:
    """A transaction action moving a rep's open-lead count (and assignment total) by the given amounts."""
    return store.update_action(rep_key(rep_id), Update().add(open_leads=open_leads, assigned_total=assigned))


def next_ticket(store: Store, strategy: str, pool: str) -> int:
    """The next number of a routing counter (round robin, weighted): every caller gets its own."""
    return store.next_number(schema.routing_counter(strategy, pool))


def company_owner(store: Store, domain: str) -> tuple[str, str] | None:
    """(rep id, assigned at) of whoever last got a lead from this company domain (sticky routing)."""
    found = store.get(schema.company_owner(domain), consistent=False)
    return (str(found["owner"]), str(found["assigned_at"])) if found else None


def remember_company_owner(store: Store, domain: str, rep_id: str, at: str) -> None:
    """Who got a lead from this company domain at `at`, unless a later assignment was remembered already."""
    with suppress(ConditionFailed):
        store.update(schema.company_owner(domain), Update().set(owner=rep_id, assigned_at=at)
                     .when("attribute_not_exists(pk) OR #assigned_at <= :at", at=at))


def release_open_lead(store: Store, rep_id: str) -> None:
    """One open lead fewer for the rep (the lead was erased)."""
    store.update(rep_key(rep_id), Update().add(open_leads=-1))

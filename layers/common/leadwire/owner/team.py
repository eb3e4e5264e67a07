"""How each rep is doing: their open leads and their first-contact record, over the leads they hold now."""

from __future__ import annotations

import statistics
from typing import Any

from leadwire.clock import parse_iso
from leadwire.errors import NotFound
from leadwire.lead import OPEN_STATUSES
from leadwire.pages.lead_view import person_name
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_rep
from leadwire.store.table import Store

RECENT = 200
PAGE = 100


def record(store: Store, rep_id: str, recent: int = RECENT) -> dict[str, Any]:
    """The rep's open leads (newest first) and, over their `recent` latest leads, how many were contacted, how many
    missed the first-contact deadline, and the median minutes from assignment to first contact."""
    if load_rep(store, rep_id) is None:
        raise NotFound(f"no rep with id {rep_id}")
    repository, leads, cursor = LeadRepository(store), [], None
    while len(leads) < recent:
        page = repository.page(min(PAGE, recent - len(leads)), cursor, owner=rep_id)
        leads += page.leads
        cursor = page.cursor
        if cursor is None:
            break
    minutes = [(parse_iso(lead.first_contact_at) - parse_iso(lead.assigned_at or lead.created_at)).total_seconds() / 60
               for lead in leads if lead.first_contact_at]
    breached = sum(1 for lead in leads if lead.sla_breached)
    return {
        "rep": rep_id,
        "open_leads": [{"id": lead.id, "name": person_name(lead), "status": lead.status, "stage": lead.stage,
                        "created_at": lead.created_at} for lead in leads if lead.status in OPEN_STATUSES],
        "sla": {"leads": len(leads), "contacted": len(minutes), "breached": breached,
                "breach_rate": round(breached / len(leads), 4) if leads else None,
                "median_first_contact_minutes": round(statistics.median(minutes), 1) if minutes else None},
    }

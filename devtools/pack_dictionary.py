"""Write the preset dictionary `leadwire.store.packing` compresses with: `python -m devtools.pack_dictionary N`.

It renders every kind of email leadwire keeps in its outbox, a domain event and a submission kept whole, for a
made-up person and rep, and writes them to `layers/common/leadwire/data/pack-N.zdict`, the commonest last (deflate
reaches nearer strings for fewer bits). Run it only to add a new dictionary (then point `packing.CURRENT` at it):
a dictionary once shipped is never rewritten, because values packed with it are read with it for as long as they
are kept.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

LAYER = Path(__file__).resolve().parents[1] / "layers" / "common"
sys.path.insert(0, str(LAYER))

from leadwire.config import default_config  # noqa: E402
from leadwire.lead import LeadInput, LeadRecord  # noqa: E402
from leadwire.outbound import emails  # noqa: E402
from leadwire.outbound.notify import Event  # noqa: E402
from leadwire.routing.reps import Rep  # noqa: E402
from leadwire.store import timeline  # noqa: E402

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
LINK = "https://leads.example.org/l/0a1b2c3d4e5f60718293.sam.abc123.QWERTYUIOPasdfghjklZXCVBNM0123456789_-qwerty"
PERSON = {"source": "website", "email": "alex.kim@example.org", "phone": "+4930123456789", "first_name": "Alex",
          "last_name": "Kim", "company": "Kim & Partners", "job_title": "Head of Operations", "country": "DE",
          "message": "Hello, we would like an offer for our team. Please call me in the afternoon.",
          "utm": {"source": "facebook", "medium": "paid", "campaign": "winter-promo"},
          "consent": {"marketing": True, "text": "I agree to receive emails.", "captured_at": NOW.isoformat()}}


def samples() -> list[str]:
    config = default_config()
    at = NOW.isoformat().replace("+00:00", "Z")
    lead = LeadRecord(**PERSON, id="0a1b2c3d4e5f60718293", created_at=at, updated_at=at, score=45, fit=35,
                      engagement=10, stage="mql", status="assigned", owner="sam", inputs_version=1,
                      score_reasons=[{"rule": "senior", "points": 20}, {"rule": "has-email", "points": 10},
                                     {"rule": "has-phone", "points": 5}, {"rule": "paid-campaign", "points": 10}])
    rep = Rep(id="sam", name="Sam Rivera", email="sam.rivera@example.org")
    other = Rep(id="jo", name="Jo Weber", email="jo.weber@example.org")
    written = [emails.opt_in_request(lead, "Example Studio", LINK),
               emails.nurture(lead, "first_touch", "Example Studio", LINK),
               emails.taken_away(lead, rep, other, config, NOW, LINK),
               emails.returned(lead, rep, [PERSON["message"], "Any news?"], config, NOW, LINK),
               emails.reminder(lead, rep, config, NOW, LINK),
               emails.new_owner(lead, rep, config, NOW, LINK)]
    event = Event("lead.assigned", {"lead_id": lead.id, "owner": "sam", "stage": "mql", "source": "website"})
    submission = timeline.submission_item(lead.id, at, LeadInput(**PERSON, typed=PERSON), "created")
    kept = {name: value for name, value in submission.items() if name not in ("pk", "sk")}
    return [json.dumps(kept, separators=(",", ":"), default=str),
            json.dumps({"type": "event", "body": asdict(event)}, separators=(",", ":")),
            *(json.dumps({"type": "email", "body": asdict(email)}, separators=(",", ":")) for email in written)]


def main() -> None:
    number = int(sys.argv[1])
    target = LAYER / "leadwire" / "data" / f"pack-{number}.zdict"
    if target.exists():
        raise SystemExit(f"{target} exists: a shipped dictionary is never rewritten; add pack-{number + 1}")
    target.write_bytes("".join(samples()).encode()[-32768:])  # deflate's window: only the last 32 KiB count
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

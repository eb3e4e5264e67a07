"""Chaos: leads through every kind of door of the local stack while a share of every SES, EventBridge, DynamoDB and
Graph API call fails (local_stack/faults.py), with the follow-up schedule firing on an advancing clock; then the
faults stop, the schedule runs until nothing is left, and every person is counted.

`python -m bench.chaos [--leads 2000] [out.json]` (`make chaos`) prints the table and writes the figures;
tests/e2e/test_chaos.py runs 300 and asserts on them. Clients behave as platforms do: any answer other than a 2xx
is retried with a short backoff, the platform's id kept (Meta's `leadgen_id`, Standard Webhooks' `webhook-id`).
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.leads import lead_id_of, submission_token
from bench.progress import say
from bench.report import columns
from leadwire.clock import iso
from tests.e2e.conftest import RunningStack, start_stack
from tests.e2e.fake_graph import FakeGraph
from tests.fixtures import platform_sample

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOORS = ("website", "meta", "webhook")
TEAM = {"ana": "ana@chaos.example", "bo": "bo@chaos.example", "cy": "cy@chaos.example"}
MAX_ATTEMPTS = 60  # a client gives up on a lead after this many answers other than 2xx (counted as "not accepted")
# After the faults stop, sweeps 10 minutes, 20, 40 … (doubling) and 26 hours later: past the longest wait of the
# outbox (2 h), of the Graph API retries (6 h) and of the recovery of a lead left unscored or unassigned (40 min), and
# each sweep takes whatever fell due since the last one.
SETTLE = [timedelta(minutes=10 * 2 ** step) for step in range(8)] + [timedelta(hours=26)]

META = platform_sample("meta_leadgen.json")
GRAPH_LEAD = platform_sample("meta_graph_lead.json")["response_json"]
STANDARD_WEBHOOK = platform_sample("standard_webhooks_lead.json")
WEBHOOK_SECRET = STANDARD_WEBHOOK["secrets"]["signing_secret"]


@dataclass
class Person:
    number: int
    door: str
    run: str
    attempts: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: bool = False

    @property
    def email(self) -> str:
        return f"person{self.number}.{self.run}@{self.door}.chaos.example"

    @property
    def name(self) -> str:
        return f"Pat Chaos{self.number}"

    @property
    def platform_id(self) -> str:
        return f"{self.run}{self.number:06d}"


# --- the doors, as each platform uses them -------------------------------------------------------------------------
def _website(stack: RunningStack, person: Person) -> int:
    body = {"name": person.name, "email": person.email, "company": "Chaos Works", "message": "Please call me.",
            "_submission": submission_token(person.number, f"chaos-{person.run}")}  # the same on every retry
    return stack.request("POST", "/leads", body, auth=False).status


def _meta(stack: RunningStack, person: Person) -> int:
    notification = copy.deepcopy(META["body_json"])
    notification["entry"][0]["changes"][0]["value"]["leadgen_id"] = person.platform_id
    body = json.dumps(notification, separators=(",", ":")).encode()
    signature = hmac.new(META["secrets"]["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return stack.request("POST", "/webhooks/meta", data=body, auth=False, headers={
        "content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"}).status


def _webhook(stack: RunningStack, person: Person) -> int:
    body_json = copy.deepcopy(STANDARD_WEBHOOK["body_json"])
    data = body_json["data"]
    data.pop("phone", None)
    data.update(lead_id=person.platform_id, full_name=person.name, email=person.email,
                consent={"marketing": False})
    body = json.dumps(body_json).encode()
    message_id, stamp = f"msg_{person.platform_id}", str(int(time.time()))  # the same id on every retry
    signed = base64.b64encode(hmac.new(base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_")),
                                       f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return stack.request("POST", "/webhooks/generic", data=body, auth=False, headers={
        "content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": stamp,
        "webhook-signature": f"v1,{signed}"}).status


SEND: dict[str, Callable[[RunningStack, Person], int]] = {"website": _website, "meta": _meta, "webhook": _webhook}


def graph_lead(person: Person) -> dict[str, Any]:
    lead = copy.deepcopy(GRAPH_LEAD)
    lead["id"] = person.platform_id
    answers = {"email": [person.email], "full_name": [person.name]}
    lead["field_data"] = [{**item, "values": answers.get(item["name"], item["values"])}
                          for item in lead["field_data"] if item["name"] != "phone_number"]
    lead["custom_disclaimer_responses"] = []
    return lead


def deliver(stack: RunningStack, person: Person) -> None:
    """Until a 2xx, as platforms retry: a connection error or any other status is tried again, backing off."""
    for attempt in range(MAX_ATTEMPTS):
        person.attempts += 1
        try:
            status = SEND[person.door](stack, person)
        except OSError:
            status = 0  # no answer at all (reset, timeout): the platform tries again
        person.statuses[status] += 1
        if 200 <= status < 300:
            person.accepted = True
            return
        time.sleep(min(0.05 * 2 ** attempt, 1.0))


# --- the run ---------------------------------------------------------------------------------------------------------
def run(leads: int = 300, rate: float = 0.1, seed: int = 7, clients: int = 4,
        faulty_minutes: int = 60, reminders: bool = True) -> dict[str, Any]:
    """`faulty_minutes`: how far the schedule's clock runs, 5 minutes a sweep, before the faults stop;
    `reminders`: False leaves out the owner reminders and SLA breaches (the sweeps then only recover leads, retry
    the outbox and fetch Meta leads again), which makes a run much shorter."""
    started = time.monotonic()
    graph = FakeGraph().start()
    stack = start_stack({
        "META_GRAPH_URL": graph.url, "META_GRAPH_TIMEOUT_S": "0.5", "META_PAGE_TOKEN": graph.page_token,
        "META_APP_SECRET": META["secrets"]["app_secret"], "WEBHOOK_SECRETS": WEBHOOK_SECRET,
        "PYTHONWARNINGS": "ignore::UserWarning"})
    try:
        return _run(stack, graph, leads, rate, seed, clients, faulty_minutes, reminders, started)
    finally:
        stack.process.terminate()
        try:
            stack.process.wait(timeout=15)
        except Exception:
            stack.process.kill()
        graph.stop()


def _run(stack: RunningStack, graph: FakeGraph, leads: int, rate: float, seed: int, clients: int,
         faulty_minutes: int, reminders: bool, started: float) -> dict[str, Any]:
    run_id = format(int(time.time()) % 10**6, "06d")
    people = [Person(number, DOORS[number % len(DOORS)], run_id) for number in range(leads)]
    for person in people:
        if person.door == "meta":
            graph.add_lead(graph_lead(person))
    for rep_id, email in TEAM.items():
        assert stack.request("PUT", f"/reps/{rep_id}", {"name": rep_id.title(), "email": email}).status == 200
    config = stack.request("GET", "/config").json()
    config = config.get("document", config)
    # No reassignment: the owner a lead ends with is the first one, so "told twice" means one email sent twice.
    config["followup"]["reassign_after_minutes"] = None
    if not reminders:
        config["followup"].update(remind_owner_at_minutes=[], first_contact_sla_minutes=7 * 24 * 60)
    assert stack.request("PUT", "/config", config).status == 200, "the chaos run's rules were refused"

    clock = start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    faults = {"ses": rate, "events": rate, "dynamodb": rate, "graph": rate, "seed": seed}
    assert stack.request("POST", "/_local/faults", faults).status == 200
    say(f"chaos: {leads} leads through {', '.join(DOORS)} from {clients} clients at {rate:.0%} faults, seed {seed}")

    # While the clients send, the schedule fires every second or so, five minutes later each time.
    sending = threading.Event()
    sweeps: list[dict[str, Any]] = []

    def schedule() -> None:
        nonlocal clock
        while not sending.wait(1.0):
            clock += timedelta(minutes=5)
            sweeps.append(sweep(stack, clock))

    scheduler = threading.Thread(target=schedule, daemon=True)
    scheduler.start()
    with ThreadPoolExecutor(clients) as pool:
        for done, _ in enumerate(pool.map(lambda person: deliver(stack, person), people), start=1):
            if done % 100 == 0:
                say(f"chaos: {done}/{leads} sent")
    sending.set()
    scheduler.join()
    while clock < start + timedelta(minutes=faulty_minutes):  # the schedule goes on, still under faults
        clock += timedelta(minutes=5)
        sweeps.append(sweep(stack, clock))
    injected = stack.request("GET", "/_local/faults").json()
    chaos_s = time.monotonic() - started
    say(f"chaos: all sent and {len(sweeps)} sweeps run in {chaos_s:.0f} s; faults off, settling")

    assert stack.request("POST", "/_local/faults", {}).status == 200
    settle_from = clock
    for offset in SETTLE:
        clock = settle_from + offset
        sweeps.append(sweep(stack, clock))
    figures = count(stack, people)
    figures.update(leads=leads, rate=rate, seed=seed, clients=clients, faulty_minutes=faulty_minutes,
                   reminders=reminders,
                   sweeps=len(sweeps),
                   sweep_failures=sum(sweep.get("failed", 0) for sweep in sweeps),
                   sweeps_crashed=sum("error" in sweep for sweep in sweeps),
                   given_up=sum(sweep.get("outbox", {}).get("given_up", 0) for sweep in sweeps),
                   injected=injected["injected"], calls=injected["calls"],
                   dead_letters=len(stack.request("GET", "/_local/dead-letters").json()),
                   invocations=stack.request("GET", "/_local/invocations").json(),
                   chaos_s=round(chaos_s, 1), total_s=round(time.monotonic() - started, 1))
    say(f"chaos: counted in {figures['total_s']:.0f} s")
    return figures


def sweep(stack: RunningStack, at: datetime) -> dict[str, Any]:
    """The schedule firing at `at`; its answer waits for the stream to go quiet, which under faults takes a while."""
    try:
        return stack.request("POST", "/_local/sweep", {"at": iso(at)}, timeout_s=900).json()
    except OSError as error:  # no answer in time: the sweep still ran, and the next one comes anyway
        return {"at": iso(at), "error": type(error).__name__}


def every_lead(stack: RunningStack) -> list[dict[str, Any]]:
    leads, cursor = [], None
    while True:
        page = stack.request("GET", "/leads?limit=100" + (f"&cursor={cursor}" if cursor else ""), timeout_s=60).json()
        leads += page["items"]
        cursor = page["cursor"]
        if not cursor:
            return leads


def count(stack: RunningStack, people: list[Person]) -> dict[str, Any]:
    """Per person: stored how often, owned, told (the new-lead email to the owner, naming the lead), stuck."""
    leads = every_lead(stack)
    by_email: dict[str, list[dict[str, Any]]] = {}
    for lead in leads:
        by_email.setdefault(lead.get("email") or "", []).append(lead)
    by_platform_id = {lead.get("source_ref"): lead for lead in leads if lead.get("source") == "meta"}
    told: Counter[tuple[str, str]] = Counter()
    for email in stack.outbox():
        if email["subject"].startswith("New lead:") and (lead_id := lead_id_of(email)):
            told[(lead_id, email["to"])] += 1

    figures = Counter({"not_accepted": 0, "lost": 0, "stored_twice": 0, "kept_twice": 0, "without_owner": 0,
                       "never_told": 0, "told_twice": 0, "stuck": 0, "pending_enrichment": 0})
    retried = 0
    for person in people:
        retried += person.attempts > 1
        if not person.accepted:
            figures["not_accepted"] += 1
            continue
        stored = by_email.get(person.email, [])
        if not stored and person.door == "meta" and person.platform_id in by_platform_id:
            stored = [by_platform_id[person.platform_id]]  # still waiting for its answers from the Graph API
            figures["pending_enrichment"] += 1
        if not stored:
            figures["lost"] += 1
            continue
        figures["stored_twice"] += len(stored) > 1
        lead = stored[0]
        figures["kept_twice"] += lead["touches"] > 1  # one thing sent, taken as a second submission
        figures["stuck"] += bool(lead.get("stuck"))
        owner = lead.get("owner")
        if not owner:
            figures["without_owner"] += 1
            continue
        times = told[(lead["id"], TEAM.get(owner, ""))]
        figures["never_told"] += times == 0
        figures["told_twice"] += times > 1
    statuses: Counter[str] = Counter()
    for person in people:
        for status, times in person.statuses.items():
            statuses[str(status) if status in (200, 201, 500) else f"{status} ({person.door})"] += times
    return {**figures, "stored": len(leads), "clients_retried": retried, "answers": dict(statuses)}


FIGURES = (("leads sent", "leads"), ("not accepted (the client gave up)", "not_accepted"),
           ("lost (a 2xx, no lead)", "lost"), ("stored twice", "stored_twice"),
           ("a retry kept as another submission", "kept_twice"), ("without an owner", "without_owner"),
           ("owners never told", "never_told"), ("owners told twice", "told_twice"), ("stuck", "stuck"),
           ("Meta leads still pending", "pending_enrichment"), ("leads that needed a client retry", "clients_retried"),
           ("sweeps", "sweeps"), ("sweeps that failed as a whole (the next one ran)", "sweeps_crashed"),
           ("leads a sweep failed on (retried later)", "sweep_failures"),
           ("deliveries given up", "given_up"), ("stream records dead-lettered", "dead_letters"))


def render(figures: dict[str, Any]) -> str:
    rows = [(label, figures[key]) for label, key in FIGURES]
    injected = ", ".join(f"{name} {times}" for name, times in sorted(figures["injected"].items()))
    calls = ", ".join(f"{name} {times}" for name, times in sorted(figures["calls"].items()))
    answers = ", ".join(f"{status} {times}" for status, times in sorted(figures["answers"].items()))
    return "\n".join([
        f"chaos: {figures['leads']} leads at {figures['rate']:.0%} faults on every kind (seed {figures['seed']}), "
        f"the schedule's first {figures['faulty_minutes']} minutes under faults"
        f"{'' if figures['reminders'] else ' (no reminders)'}; "
        f"{figures['chaos_s']} s under faults, {figures['total_s']} s in all",
        *columns(rows, ("what", "count")),
        f"  calls made under faults: {calls}", f"  faults injected: {injected}",
        f"  answers to the clients: {answers}",
        "  function invocations: " + ", ".join(f"{name} {times}" for name, times in figures["invocations"].items())])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("out", nargs="?", default=str(RESULTS / "chaos.json"))
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--faulty-minutes", type=int, default=60,
                        help="how far the schedule's clock runs under faults (default 60)")
    args = parser.parse_args()
    figures = run(args.leads, args.rate, args.seed, args.clients, args.faulty_minutes)
    print(render(figures))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"chaos": figures, "at": iso(datetime.now(UTC))}, indent=2) + "\n")


if __name__ == "__main__":
    main()

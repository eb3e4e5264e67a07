"""`leadwire`: the owner's command line for a leadwire API (the local stack unless told otherwise).

    leadwire leads list [--stage S] [--status S] [--owner REP] [--source SRC] [--limit N] [--all]
    leadwire leads show ID
    leadwire leads timeline ID
    leadwire leads contacted|no-answer|won|give-back ID
    leadwire leads not-a-fit|lost ID [--reason TEXT]
    leadwire leads note ID TEXT       (the lead page's actions, recorded as the owner: POST /leads/{id}/actions)
    leadwire report funnel [--from DAY] [--to DAY]   (with cost and value per attributed source and campaign)
    leadwire report value [--from DAY] [--to DAY]    (value by the month leads arrived)
    leadwire spend put FILE.csv       (ad spend: day,source,campaign,amount_minor,currency; see the README)
    leadwire import FILE.csv [--mapping JSON]   (an outbound list, with a progress bar and the summary)
    leadwire sources health           (each Meta Page and form: subscription, last webhook and poll, leads by each)
    leadwire config get
    leadwire config put FILE          (JSON or YAML)
    leadwire reps list
    leadwire reps put FILE            (one rep or a list of reps, each with an "id"; JSON or YAML)

The API is `--url` or $LEADWIRE_URL (default http://127.0.0.1:3000), the key `--key` or $LEADWIRE_API_KEY
(default dev-key, the local stack's).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen


class ApiError(Exception):
    pass


class Client:
    def __init__(self, url: str, key: str) -> None:
        self.url = url.rstrip("/")
        self.key = key

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None,
             raw: bytes | None = None, content_type: str = "application/json") -> Any:
        wanted = {name: value for name, value in (query or {}).items() if value not in (None, "")}
        target = self.url + path + (f"?{urlencode(wanted)}" if wanted else "")
        data = json.dumps(body).encode() if body is not None else raw
        headers = {"authorization": f"Bearer {self.key}", "accept": "application/json"}
        if data is not None:
            headers["content-type"] = content_type
        try:
            with urlopen(Request(target, data=data, method=method, headers=headers), timeout=30) as response:
                raw = response.read()
        except HTTPError as error:
            raise ApiError(_explain(error.code, error.read())) from error
        except URLError as error:
            raise ApiError(f"cannot reach {self.url}: {error.reason} (is `make run` running?)") from error
        return json.loads(raw) if raw else None


def _explain(status: int, raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return f"HTTP {status}"
    lines = [f"HTTP {status}: {body.get('message', body)}"]
    lines += [f"  - {detail.get('field')}: {detail.get('reason')}" for detail in body.get("details") or []]
    return "\n".join(lines)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain aligned text table; empty cells show as '-'."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column), *(len(line[index]) for line in cells)]) for index, column in enumerate(columns)]
    lines = ["  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True))]
    lines += ["  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value in (None, "", []):
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _load(path: str) -> Any:
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def _name(lead: dict[str, Any]) -> str:
    return " ".join(part for part in (lead.get("first_name"), lead.get("last_name")) if part) or "-"


def leads_list(client: Client, args: argparse.Namespace) -> str:
    query = {"stage": args.stage, "status": args.status, "owner": args.owner, "source": args.source,
             "limit": args.limit}
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.call("GET", "/leads", query={**query, "cursor": cursor})
        rows += page["items"]
        cursor = page["cursor"]
        if not cursor or not args.all:
            break
    shown = [{**lead, "name": _name(lead), "created": lead["created_at"][:16].replace("T", " ")} for lead in rows]
    footer = f"\n{len(rows)} lead(s)" + ("; more with --all" if cursor else "")
    return table(shown, ["id", "created", "name", "source", "score", "stage", "status", "owner"]) + footer


def leads_show(client: Client, args: argparse.Namespace) -> str:
    lead = client.call("GET", f"/leads/{quote(args.id)}")
    fields = ["id", "created_at", "source", "email", "phone", "company", "job_title", "country", "score", "fit",
              "engagement", "stage", "status", "owner", "assigned_at", "first_contact_at", "touches"]
    lines = [f"{name:<17}{_cell(lead.get(name))}" for name in fields]
    lines.insert(1, f"{'name':<17}{_name(lead)}")
    lines.append("score reasons:")
    lines += [f"  {reason['points']:+g}  {reason['rule']}" for reason in lead.get("score_reasons", [])]
    return "\n".join(lines)


def leads_timeline(client: Client, args: argparse.Namespace) -> str:
    items = client.call("GET", f"/leads/{quote(args.id)}/timeline")["items"]
    rows = [{"at": item["at"], "what": item["kind"], "by": item["actor"],
             "detail": ", ".join(f"{key}={value}" for key, value in item["detail"].items()
                                 if key not in ("reasons", "explanation"))} for item in items]
    return table(rows, ["at", "what", "by", "detail"])


ACTION_VERBS = ("contacted", "no-answer", "note", "not-a-fit", "won", "lost", "give-back")


def leads_action(client: Client, args: argparse.Namespace) -> str:
    body = {"action": args.verb.replace("-", "_"), "note": getattr(args, "text", None),
            "reason": getattr(args, "reason", None)}
    answer = client.call("POST", f"/leads/{quote(args.id)}/actions",
                         {name: value for name, value in body.items() if value})
    lead = answer["lead"]
    return f"{lead['id']}: {answer['done']} (status {lead['status']}, owner {lead.get('owner') or '-'})"


def report_funnel(client: Client, args: argparse.Namespace) -> str:
    report = client.call("GET", "/reports/funnel", query={"from": args.from_day, "to": args.to_day})
    rows = [{"source": source, **figures, "first_contact_p50_min": figures["first_contact_minutes"]["median"],
             "first_contact_p90_min": figures["first_contact_minutes"]["p90"]}
            for source, figures in [*report["by_source"].items(), ("ALL", report["total"])]]
    columns = ["source", "leads", "mql", "sql", "mql_rate", "sql_rate", "won", "lost", "sla_breach_rate",
               "first_contact_p50_min", "first_contact_p90_min"]
    return (f"Funnel for leads created {report['from']} .. {report['to']}\n" + table(rows, columns)
            + report_money(report))


MONEY_COLUMNS = ["leads", "mql", "won", "spend_minor", "cost_per_lead_minor", "cost_per_mql_minor",
                 "cost_per_won_minor", "value_won_minor", "value_per_lead_minor", "roas", "lead_to_customer_rate"]


def report_money(report: dict[str, Any]) -> str:
    """Cost and value per attributed source and campaign, amounts in minor units of the business's currency."""
    rows = [*report["attribution"]["by_campaign"], {"source": "ALL", "campaign": "", **report["total"]}]
    return (f"\nCost and value ({report.get('currency') or 'no currency yet'}, minor units)\n"
            + table(rows, ["source", "campaign", *MONEY_COLUMNS]))


def report_value(client: Client, args: argparse.Namespace) -> str:
    report = client.call("GET", "/reports/value", query={"from": args.from_day, "to": args.to_day, "cohort": "month"})
    rows = [{"month": month["month"], "source": source, **figures}
            for month in report["months"] for source, figures in [*month["by_source"].items(), ("ALL", month)]]
    return (f"Value by month of arrival ({report.get('currency') or 'no currency yet'}, minor units)\n"
            + table(rows, ["month", "source", "leads", "won", "value_won_minor", "value_per_lead_minor"]))


def spend_put(client: Client, args: argparse.Namespace) -> str:
    answer = client.call("PUT", "/spend", raw=Path(args.file).read_bytes(), content_type="text/csv")
    lines = [f"{answer['loaded']} spend row(s) loaded"]
    lines += [f"  row {row['row']}: {row['field']}: {row['reason']}" for row in answer["refused"]]
    return "\n".join(lines)


def progress_bar(done: int, total: int, width: int = 30) -> str:
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows"


def import_list(client: Client, args: argparse.Namespace, poll_s: float = 1.0) -> str:
    """Send the file, then follow the import until every row is counted, drawing a progress bar on stderr."""
    data = Path(args.file).read_bytes()
    answer = client.call("POST", "/imports", raw=data, content_type="text/csv", query={"mapping": args.mapping})
    tty = sys.stderr.isatty()
    while True:
        bar = progress_bar(answer["processed"], answer["rows"])
        print(f"\r{bar}" if tty else bar, end="" if tty else "\n", file=sys.stderr, flush=True)
        if answer["status"] != "processing":  # done, or stalled: then it says what to do
            break
        time.sleep(poll_s)
        answer = client.call("GET", f"/imports/{quote(answer['id'])}")
    if tty:
        print(file=sys.stderr)
    lines = [f"import {answer['id']}" + (" (this file was imported before)" if answer.get("repeat") else ""),
             f"  rows {answer['rows']:,}: created {answer['created']:,}, merged {answer['merged']:,}, "
             f"duplicates {answer['duplicates']:,}, refused {answer['refused']:,}"]
    lines += [f"  row {row['row']}: {row['reason']}" for row in answer["refused_rows"]]
    if answer["status"] == "stalled":
        lines.append(f"  stalled: {answer['stalled']}")
    return "\n".join(lines)


def sources_health(client: Client, args: argparse.Namespace) -> str:
    report = client.call("GET", "/sources/health")
    rows = [{"page": page["page_id"], "subscribed": page["subscribed"], "form": form["form_id"],
             "name": form["name"] or "", "last_webhook": form["last_webhook_at"] or "-",
             "last_poll": form["last_poll_at"] or "-",
             "7d_webhook": form["leads"]["last_7_days"]["webhook"], "7d_poll": form["leads"]["last_7_days"]["poll"],
             "30d_webhook": form["leads"]["last_30_days"]["webhook"],
             "30d_poll": form["leads"]["last_30_days"]["poll"]}
            for page in report["pages"] for form in page["forms"]]
    columns = ["page", "subscribed", "form", "name", "last_webhook", "last_poll", "7d_webhook", "7d_poll",
               "30d_webhook", "30d_poll"]
    problems = "".join(f"\n! {problem}" for problem in report["problems"]) or "\nno problems"
    return table(rows, columns) + problems


def config_get(client: Client, args: argparse.Namespace) -> str:
    return json.dumps(client.call("GET", "/config"), indent=2)


def config_put(client: Client, args: argparse.Namespace) -> str:
    answer = client.call("PUT", "/config", _load(args.file))
    return f"config version {answer['version']} in force; open leads are being re-scored"


def reps_list(client: Client, args: argparse.Namespace) -> str:
    reps = client.call("GET", "/reps")["items"]
    return table(reps, ["id", "name", "email", "active", "weight", "capacity", "open_leads", "timezone"])


def reps_put(client: Client, args: argparse.Namespace) -> str:
    document = _load(args.file)
    reps = document if isinstance(document, list) else [document]
    saved = []
    for rep in reps:
        rep_id = rep.pop("id", None)
        if not rep_id:
            raise ApiError(f"{args.file}: every rep needs an 'id'")
        saved.append(client.call("PUT", f"/reps/{quote(rep_id)}", rep))
    return table(saved, ["id", "name", "email", "active", "weight", "capacity"])


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="leadwire", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--url", default=os.environ.get("LEADWIRE_URL", "http://127.0.0.1:3000"))
    root.add_argument("--key", default=os.environ.get("LEADWIRE_API_KEY", "dev-key"))
    nouns = root.add_subparsers(dest="noun", required=True)

    leads = nouns.add_parser("leads", help="find leads and read their story").add_subparsers(dest="verb", required=True)
    listing = leads.add_parser("list", help="newest first")
    for name in ("stage", "status", "owner", "source"):
        listing.add_argument(f"--{name}")
    listing.add_argument("--limit", type=int, default=25)
    listing.add_argument("--all", action="store_true", help="follow the cursor through every page")
    listing.set_defaults(run=leads_list)
    for verb, run in (("show", leads_show), ("timeline", leads_timeline)):
        command = leads.add_parser(verb)
        command.add_argument("id")
        command.set_defaults(run=run)
    for verb in ACTION_VERBS:
        command = leads.add_parser(verb, help="record it as on the lead page")
        command.add_argument("id")
        if verb == "note":
            command.add_argument("text")
        if verb in ("not-a-fit", "lost"):
            command.add_argument("--reason")
        command.set_defaults(run=leads_action)

    report = nouns.add_parser("report", help="the funnel, cost and value").add_subparsers(dest="verb", required=True)
    funnel = report.add_parser("funnel")
    today = datetime.now(UTC).date()
    funnel.add_argument("--from", dest="from_day", default=str(today - timedelta(days=30)))
    funnel.add_argument("--to", dest="to_day", default=str(today))
    funnel.set_defaults(run=report_funnel)
    value = report.add_parser("value")
    value.add_argument("--from", dest="from_day", default=str(today - timedelta(days=365)))
    value.add_argument("--to", dest="to_day", default=str(today))
    value.set_defaults(run=report_value)

    spend = nouns.add_parser("spend", help="the ad spend table").add_subparsers(dest="verb", required=True)
    spend_file = spend.add_parser("put")
    spend_file.add_argument("file")
    spend_file.set_defaults(run=spend_put)

    imported = nouns.add_parser("import", help="bring in an outbound list (CSV)")
    imported.add_argument("file")
    imported.add_argument("--mapping", help='JSON: {"column": "email", ...} where the header names do not say')
    imported.set_defaults(run=import_list)

    sources = nouns.add_parser("sources", help="the ad platforms").add_subparsers(dest="verb", required=True)
    sources.add_parser("health", help="each Meta Page and form").set_defaults(run=sources_health)

    config = nouns.add_parser("config", help="scoring, routing and follow-up rules")
    config_verbs = config.add_subparsers(dest="verb", required=True)
    config_verbs.add_parser("get").set_defaults(run=config_get)
    put = config_verbs.add_parser("put")
    put.add_argument("file")
    put.set_defaults(run=config_put)

    reps = nouns.add_parser("reps", help="the sales team").add_subparsers(dest="verb", required=True)
    reps.add_parser("list").set_defaults(run=reps_list)
    reps_file = reps.add_parser("put")
    reps_file.add_argument("file")
    reps_file.set_defaults(run=reps_put)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        print(args.run(Client(args.url, args.key), args))
    except (ApiError, OSError, ValueError) as error:
        print(f"leadwire: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

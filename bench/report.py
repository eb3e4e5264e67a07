"""The benchmark's results as one readable plain-text table (sections of aligned columns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WIDTH = 100


def columns(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> list[str]:
    """Rows with every column padded to its widest cell; numbers right-aligned, text left-aligned."""
    cells = [[str(cell) for cell in row] for row in ([header] if header else []) + list(rows)]
    widths = [max(len(row[index]) for row in cells) for index in range(len(cells[0]))]
    numeric = [all(_is_number(row[index]) for row in rows) for index in range(len(cells[0]))]
    lines = []
    for row in cells:
        parts = [cell.rjust(width) if numeric[index] else cell.ljust(width)
                 for index, (cell, width) in enumerate(zip(row, widths, strict=True))]
        lines.append("  " + "  ".join(parts).rstrip())
    if header:
        lines.insert(1, "  " + "  ".join("-" * width for width in widths))
    return lines


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) or str(value).replace(".", "", 1).replace("-", "", 1).isdigit()


def section(title: str) -> list[str]:
    return ["", f"== {title} " + "=" * max(0, WIDTH - len(title) - 4)]


def _quantity(value: float, unit: str) -> tuple[str, str]:
    """Per-lead quantities as people read them: log volume in bytes rather than millionths of a GB."""
    if unit == "GB":
        return f"{value * 1024**3:,.0f}", "bytes"
    return f"{value:.4g}", unit


def _money(value: float) -> str:
    return f"{value:,.4f}" if value < 0.01 else f"{value:,.2f}"


def render(result: dict[str, Any]) -> str:
    machine = result["machine"]
    lines = [f"leadwire bench  {result['generated_at']}  ({result['runtime_s']:.0f} s)",
             f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['arch']}, Python {machine['python']} "
             f"({machine['os']})"]
    lines += _coldstart_runtime(result) + _coldstart(result) + _warm(result)
    lines += _pipeline(result) + _requests(result) + _cost(result)
    lines += section("Findings for the lead") + [f"  - {finding}" for finding in result["findings"]]
    return "\n".join(lines)


def _coldstart_runtime(result: dict[str, Any]) -> list[str]:
    runtime = result.get("coldstart_runtime") or {}
    if not runtime.get("functions"):
        return [*section("Cold start as Lambda runs it"), "  not measured: " + runtime.get("note", "no Python 3.13")]
    functions = runtime["functions"]
    runs = len(next(iter(functions.values()))["runs_ms"])
    goal = next(iter(functions.values()))["goal_ratio"]
    lines = section(f"Cold start as Lambda runs it: Python {runtime['python'].split()[0]} {runtime['flags']}, "
                    f"read-only layer, median of {runs} (goal <= {goal}x floor)")
    rows = [[name, f["import_ms"], f["first_event_ms"], f["ms"], runtime["floor_ms"], f"{f['ratio']:.2f}x",
             "yes" if f["goal_met"] else "NO", f.get("cpu_ms", "-"), f.get("floor_cpu_ms", "-"),
             f"{f['cpu_ratio']:.2f}x" if "cpu_ratio" in f else "-", f["layer_without_bytecode_ms"],
             f.get("on_lambda_ms", "-")]
            for name, f in functions.items()]
    lines += columns(rows, ["function", "import ms", "1st event ms", "total ms", "floor ms", "ratio", "goal met",
                            "cpu ms", "floor cpu", "cpu ratio", "no-.pyc layer ms", "on Lambda ms"])
    compiled = runtime["layer_bytecode"]
    lines.append("  cpu = the same in CPU time of the function's process (steadier than wall time on a shared machine)")
    memory = next(iter(functions.values())).get("memory_mb")
    if memory:
        lines.append(f"  on Lambda = estimated at {memory} MB: the import in the init phase, on a full vCPU, and the "
                     f"first event at {memory}/1769 of one")
    lines.append(f"  floor = python3.13 -I -B importing boto3 + one DynamoDB client; moto server time left out; layer: "
                 f"{runtime['layer']}, {compiled['compiled_for_python_313']} of {compiled['modules']} modules with "
                 "3.13 bytecode")
    for name, profile in (runtime.get("imports") or {}).items():
        lines.append(f"  {name:9} " + ", ".join(f"{package} {ms}" for package, ms in profile["by_package_ms"][:8]))
    return lines


def _coldstart(result: dict[str, Any]) -> list[str]:
    cold = result["coldstart"]
    runs = len(next(iter(cold.values()))["runs_ms"])
    goal = next(iter(cold.values())).get("goal_ratio")
    lines = section(f"Cold start in this venv (Python {result['machine']['python']}, bytecode cached), "
                    f"median of {runs} fresh processes" + (f" (goal <= {goal}x floor)" if goal else ""))
    rows = [[name, f["import_ms"], f["first_event_ms"], f["ms"], f["floor_ms"], f"{f['ratio']:.2f}x",
             "yes" if f["goal_met"] else "NO"] for name, f in cold.items()]
    lines += columns(rows, ["function", "import ms", "1st event ms", "total ms", "floor ms", "ratio", "goal met"])
    lines.append("  floor = fresh process: import boto3 + one DynamoDB client; moto's own time is taken out of the "
                 "first event, one full garbage collection of the handler's heap is counted in")
    if all("layer_compile_ms" in f for f in cold.values()):
        compile_ms = ", ".join(f"{name} {f['layer_compile_ms']} ms" for name, f in cold.items())
        lines.append(f"  + not in the totals: compiling the layer from source, as Lambda must with no .pyc in the "
                     f"layer: {compile_ms}")
    layer = result["layer"]
    largest = ", ".join(f"{name} {mb}" for name, mb in list(layer["largest_packages_mb"].items())[:5])
    lines.append(f"  layer (arm64, Python 3.13): {result['layer_mb']} MB unzipped, {layer['layer_zip_mb']} MB zipped;"
                 f" largest (MB): {largest}")
    lines += section("Imports per handler (python -X importtime): top 10 packages by own import time, ms")
    imports = result.get("coldstart_imports") or {}
    for name, profile in imports.items():
        lines.append(f"  {name:9} " + ", ".join(f"{package} {ms}" for package, ms in profile["by_package_ms"]))
        beyond = ", ".join(f"{entry['package']} +{entry['ms']}" for entry in profile.get("beyond_floor", [])[:6])
        lines.append(f"  {'':9} beyond the floor's imports: {beyond}")
    return lines


def _warm(result: dict[str, Any]) -> list[str]:
    lines = section("Warm CPU per event (moto answers AWS; its time is not counted)")
    rows = [[name, f["ours_ms"], f["botocore_ms"], f["cpu_ms"], f["moto_ms"], f["per"]]
            for name, f in result["warm_cpu_per_event_ms"].items()]
    return lines + columns(rows, ["function", "ours ms", "botocore ms", "total ms", "moto ms", "per"])


def _pipeline(result: dict[str, Any]) -> list[str]:
    pipeline = result["pipeline"]
    speed = result["speed_to_lead_s"]
    quiet = result.get("speed_to_lead_one_at_a_time_s") or {}
    lines = section(f"Pipeline on the local stack: {pipeline['leads']} leads from {pipeline['clients']} clients")
    rows = [["accepted leads/s", result["throughput_leads_per_s"], f"{pipeline['accepted']} accepted in "
             f"{pipeline['elapsed_s']} s; response p50 {pipeline['response_ms'].get('p50')} ms"],
            ["speed to lead p50 s", speed["p50"], "2xx to the owner's email, all 1,000 queued at once"],
            ["speed to lead p95 s", speed["p95"], f"{speed['emailed']} of {pipeline['accepted']} owners emailed"],
            ["speed to lead max s", speed["max"], ""]]
    if quiet:
        rows.append(["one at a time p50/max s", f"{quiet['p50']}/{quiet['max']}",
                     f"{quiet['emailed']} leads, each after the previous one's email"])
    steady = result.get("speed_to_lead_sustained_s") or {}
    if steady:
        met = "met" if steady["p95"] is not None and steady["p95"] <= 1 else "NOT met"
        figures = f"{steady['p50']}/{steady['p95']}/{steady['max']}"
        rows.append([f"{steady['rate_per_s']} leads/s p50/p95/max s", figures,
                     f"{steady['emailed']} of {steady['accepted']} emailed over {steady['seconds']} s "
                     f"(goal p95 <= 1 s: {met})"])
        if steady.get("stack_cpu_ms_per_lead") is not None:
            cpu = steady["stack_cpu_ms_per_lead"]
            rows.append(["stack CPU per lead ms", cpu, f"the stack process's CPU time over those leads: "
                         f"{cpu * steady['rate_per_s'] / 1000:.2f} of the one core its GIL allows at that rate"])
    return lines + columns(rows)


def _requests(result: dict[str, Any]) -> list[str]:
    lines = section("AWS requests per lead (intake, score, assign) and DynamoDB capacity units")
    by_function = result["aws_requests_per_lead_by_function"]
    names = sorted(result["aws_requests_per_lead"])
    functions = list(by_function)
    units = result["capacity_units_per_lead_by_operation"]
    rows = []
    for name in names:
        unit = units.get(name, {})
        rows.append([name, *[by_function[function].get(name, 0) for function in functions],
                     result["aws_requests_per_lead"][name], unit.get("wru", 0) + unit.get("wru_gsi", 0),
                     unit.get("rru", 0)])
    header = ["operation", *[function.removesuffix("Function").lower() for function in functions], "total",
              "WRU", "RRU"]
    lines += columns(rows, header)
    capacity = result["capacity_units_per_lead"]
    lines.append(f"  per lead: {capacity.get('wru', 0)} WRU on the table + {capacity.get('wru_gsi', 0)} on GSIs, "
                 f"{capacity.get('rru', 0)} RRU; {result['stored_bytes_per_lead']:.0f} bytes stored")
    lines += section("DynamoDB write units per lead, by what is written (transactional writes count twice)")
    items = result.get("write_units_per_lead_by_item") or {}
    def weight(units: dict[str, float]) -> float:
        return float(units.get("wru", 0)) + float(units.get("wru_gsi", 0))

    rows = [[name, units.get("writes", "-"), units.get("wru", "-"), units.get("wru_gsi", 0)]
            for name, units in sorted(items.items(), key=lambda pair: -weight(pair[1])) if weight(units) > 0]
    return lines + columns(rows, ["function: item", "writes", "WRU table", "WRU GSI"])


def _cost(result: dict[str, Any]) -> list[str]:
    tier = result.get("usd_per_million_leads_tier", "full")
    lines = section(f"Cost per million leads, {tier} tier, {result['prices_region']}, prices as of "
                    f"{result['prices_as_of']} (not fetched live)")
    rows = [[line["item"], *_quantity(line["per_lead"], line["unit"]), _money(line["usd_per_million_leads"]),
             "" if line["in_headline"] else "(not in headline)"] for line in result["cost_lines"]]
    lines += columns(rows, ["item", "per lead", "unit", "$ / 1M leads", ""])
    others = ", ".join(f"{name} ${usd:.2f}" for name, usd in (result.get("usd_per_million_leads_by_tier") or {}).items()
                       if name != tier)
    lines.append(f"  TOTAL without email: ${result['usd_per_million_leads']:.2f} per million leads (goal <= $6)"
                 + (f"; other tiers: {others}" if others else "")
                 + f"; with email ${result['usd_per_million_leads_with_email']:.2f}")
    lines.append(f"  one stream record per batch (quiet traffic): "
                 f"${result['usd_per_million_leads_one_record_per_batch']:.2f}; follow-up if nobody acts: "
                 f"+${result['followup_usd_per_million_leads_if_nobody_acts']:.2f} "
                 f"and {result['followup_emails_per_lead_if_nobody_acts']} more emails per lead")
    for tier, fixed in (result.get("fixed_usd_per_month_by_tier") or {"full": result["fixed_usd_per_month"]}).items():
        lines.append(f"  fixed per month, {tier}: "
                     + ", ".join(f"{name} ${_money(value)}" for name, value in fixed.items()))
        note = (result.get("fixed_usd_per_month_notes") or {}).get(tier)
        if note:
            lines.append(f"    {note}")
    monthly = result.get("monthly_usd") or {}
    if monthly:
        lines += section("Monthly bill per observability tier, all-in (emails, a year of leads stored; goal: "
                         "basic <= $1.00 at 1,000)")
        sizes = list(next(iter(monthly.values())))
        lines += columns([[tier, *[f"${bill[size]:.2f}" for size in sizes]] for tier, bill in monthly.items()],
                         ["tier", *[f"{int(size):,} leads" for size in sizes]])
    lines.append(f"  storage: ${result['storage_usd_per_month_per_million_leads_kept']:.2f} per month per million "
                 "leads kept (table, indexes, PITR)")
    return lines

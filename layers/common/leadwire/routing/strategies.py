"""Who gets a lead: the pool a routing rule picks, the reps in it who can take it now, and the strategy's choice.

Pure decisions: the caller brings the reps, the config, the instant and the pool's turn number (`ticket`, from an
atomic counter per pool and strategy), so the same inputs always give the same owner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from math import gcd
from typing import TypedDict

from leadwire.conditions import LeadFields, matches
from leadwire.config import Routing
from leadwire.intake.normalize import email_domain
from leadwire.reference import free_mail_domains
from leadwire.routing.reps import Rep, is_working, local_time

STICKY = "sticky"


class SkippedRep(TypedDict):
    rep: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """The owner chosen (or None), and why: rule, strategy, who was passed over."""

    rep_id: str | None
    rule_id: str | None  # None: no rule matched, the whole team was the pool
    strategy: str  # round_robin, weighted, least_loaded, sticky, or "manual" for a hand-made choice
    skipped: list[SkippedRep] = field(default_factory=list)
    reason: str = ""
    pool: tuple[str, ...] = ()

    def explain(self) -> str:
        """One line for the lead's timeline: rule, pool, strategy, outcome, who was skipped and why."""
        parts = [f"rule '{self.rule_id}' matched" if self.rule_id else "no rule matched, whole team"]
        if self.pool:
            parts.append(f"pool: {', '.join(self.pool)}")
        outcome = f"{self.strategy} chose {self.rep_id}" if self.rep_id else f"{self.strategy}: nobody chosen"
        parts.append(f"{outcome} ({self.reason})" if self.reason else outcome)
        if self.skipped:
            parts.append("skipped: " + ", ".join(f"{entry['rep']} ({entry['reason']})" for entry in self.skipped))
        return "; ".join(parts)


def pool_key(decision_or_rule_id: Decision | str | None) -> str:
    """The name of a pool's turn counter: `rule:<id>` for a rule's reps, `team` for everyone."""
    rule_id = decision_or_rule_id.rule_id if isinstance(decision_or_rule_id, Decision) else decision_or_rule_id
    return f"rule:{rule_id}" if rule_id else "team"


def pick_pool(lead: LeadFields, reps: Sequence[Rep], routing: Routing) -> tuple[str | None, list[Rep]]:
    """The first matching rule narrows the pool to its reps (sorted by id); no rule matches → the whole team."""
    for rule in routing.rules:
        if matches(rule.if_, lead):
            named = set(rule.reps)
            return rule.id, sorted((rep for rep in reps if rep.id in named), key=_by_id)
    return None, sorted(reps, key=_by_id)


def choose_rep(lead: LeadFields, reps: Sequence[Rep], routing: Routing, now: datetime, ticket: int,
               previous_owner: str | None = None, exclude: frozenset[str] = frozenset()) -> Decision:
    """Pick the owner: pool, then eligibility, then the sticky previous owner, then the configured strategy."""
    rule_id, pool = pick_pool(lead, reps, routing)
    names = tuple(rep.id for rep in pool)
    where = f"in pool '{rule_id}'" if rule_id else "on the team"
    if not pool:
        reason = f"rule '{rule_id}' names no rep on the team" if rule_id else "no reps on the team"
        return Decision(rep_id=None, rule_id=rule_id, strategy=routing.strategy, reason=reason, pool=names)

    eligible: list[Rep] = []
    skipped: list[SkippedRep] = []
    kinds: set[str] = set()
    for rep in pool:
        why_not = _why_not_eligible(rep, routing, now, exclude)
        if why_not is None:
            eligible.append(rep)
        else:
            kind, reason = why_not
            kinds.add(kind)
            skipped.append({"rep": rep.id, "reason": reason})
    if not eligible:
        reason = _NOBODY[kinds.pop()] if len(kinds) == 1 else "no eligible rep {where}"
        return Decision(rep_id=None, rule_id=rule_id, strategy=routing.strategy, skipped=skipped,
                        reason=reason.format(where=where), pool=names)

    sticky_note = ""
    if previous_owner is not None:
        if any(rep.id == previous_owner for rep in eligible):
            return Decision(rep_id=previous_owner, rule_id=rule_id, strategy=STICKY, skipped=skipped,
                            reason="previous owner of this person or company", pool=names)
        sticky_note = f"previous owner {previous_owner} {'skipped' if previous_owner in names else 'not in the pool'}; "

    chosen, reason = _by_strategy(routing.strategy, eligible, ticket)
    return Decision(rep_id=chosen.id, rule_id=rule_id, strategy=routing.strategy, skipped=skipped,
                    reason=sticky_note + reason, pool=names)


def _by_id(rep: Rep) -> str:
    return rep.id


def _why_not_eligible(rep: Rep, routing: Routing, now: datetime, exclude: frozenset[str]) -> tuple[str, str] | None:
    """None if the rep can take a lead now, else (kind, reason): the kind sums up a pool where nobody can."""
    if not rep.active:
        return "inactive", "inactive"
    if rep.id in exclude:
        return "excluded", "excluded"
    if rep.capacity is not None and rep.open_leads >= rep.capacity:
        return "capacity", f"at capacity: {rep.open_leads}/{rep.capacity} open"
    if routing.working_hours and not is_working(rep, now):
        return "hours", f"outside working hours: {local_time(rep, now):%a %H:%M} in {rep.timezone}"
    return None


# When every rep in the pool was skipped for the same kind of reason, say it plainly.
_NOBODY = {
    "inactive": "no active rep {where}",
    "excluded": "no other rep {where}",
    "capacity": "all reps {where} at capacity",
    "hours": "all reps {where} outside working hours",
}


def _by_strategy(strategy: str, eligible: Sequence[Rep], ticket: int) -> tuple[Rep, str]:
    if strategy == "least_loaded":
        chosen = min(eligible, key=lambda rep: (rep.open_leads, rep.assigned_total, rep.id))
        return chosen, f"fewest open leads ({chosen.open_leads}) of {len(eligible)} eligible"
    if strategy == "weighted":
        sequence = _smooth_weighted_sequence(tuple((rep.id, rep.weight) for rep in eligible))
        chosen_id = sequence[ticket % len(sequence)]
        chosen = next(rep for rep in eligible if rep.id == chosen_id)
        return chosen, f"turn {ticket}, weight {chosen.weight} of {sum(rep.weight for rep in eligible)}"
    if strategy == "round_robin":
        return eligible[ticket % len(eligible)], f"turn {ticket} of {len(eligible)} eligible"
    raise ValueError(f"unknown routing strategy {strategy!r}")


@lru_cache(maxsize=128)
def _smooth_weighted_sequence(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """One period of nginx's smooth weighted round robin: each rep appears `weight` times, spread out evenly.

    The sequence is periodic in sum(weights), so a ticket's position in it replaces the per-rep state nginx keeps.
    Dividing by the common factor gives the same order with a shorter period (every running total scales alike).
    """
    common = gcd(*(weight for _, weight in weights))
    reduced = [(rep_id, weight // common) for rep_id, weight in weights]
    total = sum(weight for _, weight in reduced)
    current = dict.fromkeys((rep_id for rep_id, _ in reduced), 0)
    sequence: list[str] = []
    for _ in range(total):
        for rep_id, weight in reduced:
            current[rep_id] += weight
        chosen = max(current, key=current.__getitem__)  # first of the highest wins ties, as in nginx
        current[chosen] -= total
        sequence.append(chosen)
    return tuple(sequence)


# Providers with a domain per country (yahoo.co.uk, hotmail.fr, gmx.at, yandex.ru, …).
_FREE_MAIL_BRANDS = re.compile(
    r"^(?:yahoo|hotmail|outlook|live|windowslive|gmx|yandex|aol|ymail)\.(?:(?:co|com|ne|or)\.)?[a-z]{2,3}$")


def company_domain(email: str | None) -> str | None:
    """The company an email address belongs to, by its domain; None for free-mail addresses and non-addresses."""
    domain = (email_domain(email) or "").rstrip(".")
    if "." not in domain:
        return None
    if domain in free_mail_domains() or _FREE_MAIL_BRANDS.match(domain):
        return None
    return domain

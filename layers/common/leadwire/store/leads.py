"""The lead repository: every read and write of a lead item, in the domain's words.

Each write that knows the lead as it will be also writes its follow-up due time (`due_at`, `due_shard`), computed
by the plan the repository was given; writes that only mark the score due (a merge, an engagement event) leave it
to the score write-back that follows them. Conditions express what the caller read; when one fails the caller gets
`ChangedMeanwhile`, `AlreadyExists` or `Gone`, never a DynamoDB reason code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadwire.clock import iso
from leadwire.lead import OPEN_STATUSES, LeadInput, LeadRecord, dialable_digits
from leadwire.store import funnel, outbox, reps, schema, timeline
from leadwire.store.outcomes import AlreadyExists, ChangedMeanwhile, Gone, failed_at
from leadwire.store.table import ConditionFailed, Store, Update, decode_cursor, encode_cursor

Plan = Callable[[LeadRecord], datetime | None]
Counts = dict[str, int]
Condition = tuple[str, dict[str, Any]]  # a condition expression and its values
Intents = Sequence[dict[str, Any]]  # outbox intent items (store.outbox.intents), written with the change
_NOT_THERE = "attribute_not_exists(pk)"
_SUBSCRIBED = "(attribute_not_exists(#unsubscribed) OR #unsubscribed = :no)"  # not stored while False (`_item`)
MAX_QUERIES_PER_PAGE = 8


def no_plan(lead: LeadRecord) -> datetime | None:
    return None


@dataclass(frozen=True)
class Page:
    leads: list[LeadRecord]
    cursor: str | None


def person_keys(email: str | None, phone: str | None, phone_raw: str | None = None) -> list[dict[str, str]]:
    """The dedupe keys that identify a person: normalised email, and the E.164 phone (or, when the phone did not
    read as E.164, its digits)."""
    digits = None if phone else dialable_digits(phone_raw)
    return [*([schema.email(email)] if email else []), *([schema.phone(phone)] if phone else []),
            *([schema.phone_digits(digits)] if digits else [])]


def email_keys(email: str | None) -> list[dict[str, str]]:
    return [schema.email(email)] if email else []


def phone_keys(phone: str | None, phone_raw: str | None = None) -> list[dict[str, str]]:
    return person_keys(None, phone, phone_raw)


def ref_keys(source: str, refs: Iterable[str]) -> list[dict[str, str]]:
    return [schema.platform_ref(source, ref) for ref in refs]


@dataclass(frozen=True)
class Merge:
    """What a submission adds to the person already known, decided by the identity rules as read."""

    fill: dict[str, Any]  # fields the lead lacked
    changes: dict[str, Any]  # plain replacements: the latest message, other_values, a reopened status
    claims: list[dict[str, str]]  # dedupe keys the lead gains with this submission
    careful: bool  # the lead must still be as read (a value would otherwise be lost to a concurrent merge)
    reopen_from: str | None = None  # the closed status a returning person reopens


class LeadRepository:
    def __init__(self, store: Store, plan: Plan = no_plan) -> None:
        self.store = store
        self.plan = plan

    # --- reading -----------------------------------------------------------------------------------------------
    def get(self, lead_id: str) -> LeadRecord | None:
        item = self.store.get(schema.lead(lead_id))
        return _record(item) if item else None

    def page(self, limit: int, cursor: str | None, owner: str | None = None, created: tuple[str, str] | None = None,
             keep: Callable[[LeadRecord], bool] | None = None, **equal: str) -> Page:
        """Newest first from the `by_owner` or `by_created` index; `equal` filters applied by DynamoDB, never a Scan.
        `keep` filters on what the indexes do not project (read from the leads themselves)."""
        index, hash_name, hash_value = (schema.BY_OWNER, "owner", owner) if owner else \
            (schema.BY_CREATED, "list_pk", schema.LIST_PK)
        leads: list[LeadRecord] = []
        start = decode_cursor(cursor)
        for _ in range(MAX_QUERIES_PER_PAGE):  # a rare filter answers a short page and a cursor, never a timeout
            found, start = self.store.query_index(index, hash_name, hash_value, range_name="created_at",
                                                  between=created, filters=equal, limit=limit - len(leads),
                                                  cursor=start)
            leads += [lead for lead in self._many(found) if keep is None or keep(lead)]
            if start is None or len(leads) >= limit:
                break
        return Page(leads, encode_cursor(start))

    def find_person(self, email: str | None = None, phone: str | None = None) -> LeadRecord | None:
        """The lead that holds this exact normalised email or E.164 phone (its dedupe key), if any."""
        keys = email_keys(email) if email else phone_keys(phone)
        lead_id = self.owner_of(keys[0]) if keys else None
        return self.get(lead_id) if lead_id else None

    def open_page(self, cursor: dict[str, Any] | None, limit: int) -> tuple[list[str], dict[str, Any] | None]:
        """Ids of open leads among the next `limit` leads, newest first, and where to go on."""
        keys, cursor = self.store.query_index(schema.BY_CREATED, "list_pk", schema.LIST_PK, range_name="created_at",
                                              limit=limit, cursor=cursor, newest_first=True)
        ids = [schema.lead_id_of(key) for key in keys if key.get("status") in OPEN_STATUSES]
        return [lead_id for lead_id in ids if lead_id], cursor

    def due(self, shard: str, upto: datetime, limit: int, cursor: dict[str, Any] | None
            ) -> tuple[list[LeadRecord], dict[str, Any] | None]:
        """Leads of one shard of the sparse `due` index with work due by `upto`, earliest first."""
        keys, cursor = self.store.query_index(schema.DUE, "due_shard", shard, range_name="due_at", upto=iso(upto),
                                              limit=limit, cursor=cursor, newest_first=False)
        return self._many(keys), cursor

    def owner_of(self, key: Mapping[str, str]) -> str | None:
        found = self.store.get(key)
        return str(found["lead_id"]) if found else None

    def _many(self, keys: Iterable[Mapping[str, Any]]) -> list[LeadRecord]:
        items = self.store.get_many({"pk": key["pk"], "sk": key["sk"]} for key in keys)
        return [_record(item) for item in items]

    # --- intake ------------------------------------------------------------------------------------------------
    def create(self, lead: LeadRecord, entry: dict[str, Any], submission: dict[str, Any] | None = None,
               claims: list[dict[str, str]] | None = None, also: Sequence[dict[str, Any]] = ()) -> None:
        """The lead (with the form's `resend` token, if any), its platform id and dedupe keys (`claims`, by default
        every key its fields name), recorded on the lead so erasure finds them, the submission kept whole, its first
        timeline entry and its funnel count, all at once; AlreadyExists when one of those keys is taken."""
        if claims is None:
            claims = [*ref_keys(lead.source, [lead.source_ref] if lead.source_ref else []),
                      *person_keys(lead.email, lead.phone, lead.phone_raw)]
        lead = lead.model_copy(update={"claims": claims, "cohort": lead.cohort or funnel.new_cohort_sk(lead)})
        actions = [self.store.put_action(self._item(lead), _NOT_THERE)]
        actions += [self.store.put_action({**key, "lead_id": lead.id}, _NOT_THERE) for key in lead.claims]
        actions += [self.store.put_action(timeline.with_entry(submission, entry) if submission else entry),
                    funnel.count_action(self.store, lead, leads=1)]
        actions += also  # what counts the lead (its source's counters), moved with it
        try:
            self.store.transact(actions)
        except ConditionFailed as failure:
            raise AlreadyExists("the platform id or a dedupe key is taken") from failure

    def merge(self, known: LeadRecord, lead: LeadInput, merge: Merge, at: str, entry: dict[str, Any],
              submission: dict[str, Any], event: dict[str, Any] | None, also: Sequence[dict[str, Any]] = ()
              ) -> None:
        """Add a submission to the known lead: fill what it lacks, keep every differing value, count the touch, claim
        the platform id and new keys, keep the submission whole and record the return as an engagement event (`event`,
        None when the submission is no return: an imported list).
        AlreadyExists when the platform id was seen (a redelivery); ChangedMeanwhile when the lead is not as read (or
        holds this form's `resend` token already: the caller reads it again and finds the redelivery) or a key it would
        claim was taken meanwhile; Gone when the lead was erased meanwhile."""
        refs = [lead.source_ref] if lead.source_ref else []
        claims = [*ref_keys(lead.source, refs), *merge.claims]
        update = (Update().set_if_absent(**merge.fill)
                  .set(updated_at=at, last_activity_at=at, score_due=1,
                       **_stored(merge.changes))
                  .add(touches=1, inputs_version=1, revision=1)
                  .append(refs=refs, claims=_claims_stored(claims), set_aside=lead.set_aside))
        if lead.resend:  # the form's filling-in, taken only by a lead that does not hold it already
            update.set(resend=lead.resend).when("attribute_not_exists(#resend) OR #resend <> :resend",
                                                resend=lead.resend)
        if merge.careful:
            update.when("#inputs_version = :seen", seen=known.inputs_version)
        else:
            update.when("attribute_exists(pk)")
        if merge.reopen_from:
            update.when("#status = :was", was=merge.reopen_from)
        actions = [self.store.update_action(schema.lead(known.id), update)]
        actions += [self.store.put_action({**key, "lead_id": known.id}, _NOT_THERE) for key in claims]
        actions += [self.store.put_action(timeline.with_entry(submission, entry)),
                    *([self.store.put_action(event)] if event is not None else []), *also]
        try:
            self.store.transact(actions)
        except ConditionFailed as failure:
            if any(failed_at(failure, position) for position in range(1, 1 + len(refs))):
                raise AlreadyExists("platform id already seen") from failure
            if failed_at(failure, 0) and not merge.careful and not merge.reopen_from and not lead.resend:
                raise Gone(known.id) from failure
            raise ChangedMeanwhile(known.id) from failure

    def owner_if_there(self, key: Mapping[str, str]) -> str | None:
        """The lead a dedupe key or platform id points to; a key pointing to a lead that no longer exists is freed
        (deleted), so nobody is ever locked out by what an erasure or a crash left behind."""
        found = self.store.get(key)
        if not found:
            return None
        lead_id = str(found["lead_id"])
        if self.store.get(schema.lead(lead_id)) is not None:
            return lead_id
        with suppress(ConditionFailed):  # someone else freed or re-claimed it meanwhile
            self.store.delete(key, "lead_id = :gone", gone=lead_id)
        return None

    def flag_duplicate(self, lead_id: str, other_id: str, reason: str, entry: dict[str, Any]) -> None:
        """Note on a lead that another one may be the same person (both are told, so an owner can join them)."""
        flag = (Update().append(possible_duplicates=[{"id": other_id, "reason": reason}]).set(score_due=1)
                .add(inputs_version=1).when("attribute_exists(pk)"))
        try:
            self.store.transact([self.store.update_action(schema.lead(lead_id), flag), self.store.put_action(entry)])
        except ConditionFailed:
            return  # erased meanwhile: nothing to flag

    def owner_told_action(self, lead_id: str, at: str) -> dict[str, Any]:
        """The write that notes when the owner last heard what the person said (with the email that tells them)."""
        return self.store.update_action(schema.lead(lead_id), Update().set(owner_told_at=at)
                                        .when("attribute_exists(pk)"))

    def submissions(self, lead_id: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """The lead's submissions, oldest first, one page."""
        items, last = self.store.query(schema.lead_partition(lead_id), schema.SUBMISSION_PREFIX, limit=limit,
                                       cursor=decode_cursor(cursor))
        return [timeline.submission_shown(item) for item in items], encode_cursor(last)

    def submissions_after(self, lead_id: str, at: str | None) -> list[dict[str, Any]]:
        """Every submission after instant `at` (all of them when None), oldest first."""
        partition = schema.lead_partition(lead_id)
        items = self.store.query_all(partition, sk_between=schema.submissions_after(at)) if at else \
            self.store.query_all(partition, schema.SUBMISSION_PREFIX)
        return [timeline.submission_shown(item) for item in items]

    def claim_person(self, lead_id: str, email: str | None, phone: str | None) -> None:
        """Remember the lead's email and phone as its dedupe keys, unless another lead has them."""
        for key in person_keys(email, phone):
            try:
                self.store.transact([
                    self.store.put_action({**key, "lead_id": lead_id}, _NOT_THERE),
                    self.store.update_action(schema.lead(lead_id), Update().append(claims=_claims_stored([key]))
                                             .when("attribute_exists(pk)"))])
            except ConditionFailed:
                continue

    def enrichment_failed(self, lead: LeadRecord, attempts: int, retry_at: str) -> None:
        self._write(lead, {"enrich_attempts": attempts, "enrich_next_at": retry_at})

    def enrich(self, lead: LeadRecord, found: LeadInput, at: str, entry: dict[str, Any]) -> None:
        """The person's details from the platform; ChangedMeanwhile when another sweep enriched it first."""
        changes = {**found.person_fields(), "utm": found.utm, "fields": found.fields, "updated_at": at,
                   "consent": found.consent, "score_due": 1, "pending_enrichment": None, "enrich_next_at": None}
        self._transact(lead, changes, ("#pending_enrichment = :yes", {"yes": True}), entry,
                       add={"inputs_version": 1, "enrich_attempts": 1})

    # --- scoring -----------------------------------------------------------------------------------------------
    def score(self, lead: LeadRecord, changes: dict[str, Any], entry: dict[str, Any], reached: Counts,
              intents: Intents = ()) -> None:
        """Write a score computed from the lead as read, then its timeline entry; ChangedMeanwhile when anything
        changed since (then that write's own stream record, which still carries `score_due`, scores the lead again
        as it is now). The entry is named for the scoring (`rescore.scored_entry`), so the retry of a record whose
        entry failed writes it again, as one: outside the transaction it costs half."""
        changes = {**changes, "score_due": None, "score_as_of": None, "recovery_attempts": None, "stuck": None}
        condition = _unchanged_since(lead)
        if reached or intents:  # a stage is counted once and a message is stored: with the score, in one transaction
            counted = [funnel.count_action(self.store, lead, **reached)] if reached else []
            self._transact(lead, changes, condition, None, *counted, *outbox.put_actions(self.store, list(intents)))
        else:  # most re-scores: a plain conditional write costs half a transaction
            self._write(lead, changes, condition)
        self.store.put(entry)

    def mark_score_due(self, lead_id: str, as_of: str) -> bool:
        """Send the lead back through scoring as of `as_of`; False when it was erased."""
        mark = (Update().set(score_due=1, score_as_of=as_of).add(inputs_version=1, revision=1)
                .when("attribute_exists(pk)"))
        try:
            self.store.update(schema.lead(lead_id), mark)
        except ConditionFailed:
            return False
        return True

    def refresh_score(self, lead: LeadRecord, as_of: str) -> bool:
        """The decay of engagement moved the score: mark it due, once per refresh instant."""
        changes = {"score_due": 1, "score_as_of": as_of, "score_refresh_at": None}
        return self._attempt(lead, changes, ("#score_refresh_at = :seen", {"seen": lead.score_refresh_at}),
                             add={"inputs_version": 1})

    # --- assignment --------------------------------------------------------------------------------------------
    def block_assignment(self, lead: LeadRecord, reason: str, retry_at: str, entry: dict[str, Any] | None,
                         intents: Intents = ()) -> bool:
        changes = {"assign_blocked": reason, "unassigned_reason": reason, "assign_retry_at": retry_at}
        return self._attempt(lead, changes, ("attribute_not_exists(#owner)", {}), entry,
                             *outbox.put_actions(self.store, list(intents)))

    def hand_over(self, lead: LeadRecord, rep_id: str, status: str, at: str, entry: dict[str, Any] | None,
                  company_domain: str | None, intents: Intents = ()) -> bool:
        """Give the lead to `rep_id` if nobody else did meanwhile (for a reassignment: if it is still the previous
        owner's); the reps' counters and the sticky company owner move with it."""
        changes = {"owner": rep_id, "status": status, "assigned_at": at, "updated_at": at, "reminders_sent": 0,
                   "unassigned_reason": None, "sla_breached": None, "reassign_retry_at": None, "owner_told_at": at,
                   "recovery_attempts": None, "stuck": None}
        if lead.owner is None:
            condition = ("attribute_not_exists(#owner) AND #status = :new", {"new": "new"})
        else:
            condition = ("#owner = :previous AND #assigned_at = :was",
                         {"previous": lead.owner, "was": lead.assigned_at})
        extra = [reps.counters_action(self.store, rep_id, open_leads=1, assigned=1)]
        if lead.owner is not None:
            extra.append(reps.counters_action(self.store, lead.owner, open_leads=-1))
        if not self._attempt(lead, changes, condition, entry, *extra, *outbox.put_actions(self.store, list(intents))):
            return False
        if company_domain:  # routing memory, a hint: outside the transaction, where it cost twice the write units
            reps.remember_company_owner(self.store, company_domain, rep_id, at)
        return True

    def retry_reassignment_at(self, lead: LeadRecord, at: str) -> None:
        self._write(lead, {"reassign_retry_at": at})

    # --- follow-up steps: each recorded with a condition on the step it expects, so it happens once -------------
    def retry_assignment(self, lead: LeadRecord, at: str) -> bool:
        # Removing the block puts the lead back in front of the assign function's stream filter.
        return self._attempt(lead, {"assign_blocked": None, "assign_retry_at": None, "updated_at": at},
                             ("#assign_retry_at = :seen", {"seen": lead.assign_retry_at}))

    def remind(self, lead: LeadRecord, index: int, entry: dict[str, Any] | None, intents: Intents = ()) -> bool:
        condition = ("#owner = :owner AND #assigned_at = :assigned AND #status IN (:new, :assigned_status) "
                     "AND (attribute_not_exists(#reminders_sent) OR #reminders_sent = :sent)",
                     {"owner": lead.owner, "assigned": lead.assigned_at, "new": "new", "assigned_status": "assigned",
                      "sent": index})
        return self._attempt(lead, {"reminders_sent": index + 1}, condition, entry,
                             *outbox.put_actions(self.store, list(intents)))

    def breach_sla(self, lead: LeadRecord, entry: dict[str, Any] | None, intents: Intents = ()) -> bool:
        condition = ("#owner = :owner AND #assigned_at = :assigned AND attribute_not_exists(#sla_breached)",
                     {"owner": lead.owner, "assigned": lead.assigned_at})
        return self._attempt(lead, {"sla_breached": True}, condition, entry,
                             funnel.count_action(self.store, lead, sla_breached=1),
                             *outbox.put_actions(self.store, list(intents)))

    def nurture(self, lead: LeadRecord, index: int, entry: dict[str, Any] | None, intents: Intents = ()) -> bool:
        condition = ("(attribute_not_exists(#nurture_step) OR #nurture_step = :step) AND " + _SUBSCRIBED,
                     {"step": index, "no": False})
        return self._attempt(lead, {"nurture_step": index + 1}, condition, entry,
                             *outbox.put_actions(self.store, list(intents)))

    def ask_opt_in(self, lead: LeadRecord, at: str, entry: dict[str, Any] | None, intents: Intents = ()) -> bool:
        """Record that the confirmation email is written (once: the condition is that it was not)."""
        return self._attempt(lead, {"opt_in_asked_at": at}, ("attribute_not_exists(#opt_in_asked_at)", {}), entry,
                             *outbox.put_actions(self.store, list(intents)))

    def confirm_opt_in(self, lead: LeadRecord, at: str, entry: dict[str, Any]) -> bool:
        """The person confirmed their consent; False when they had already (or the lead is gone)."""
        return self._attempt(lead, {"opt_in_confirmed_at": at, "updated_at": at},
                             ("attribute_exists(pk) AND attribute_not_exists(#opt_in_confirmed_at)", {}), entry)

    def mark_stale(self, lead: LeadRecord, at: str, entry: dict[str, Any] | None, intents: Intents = ()) -> bool:
        condition = ("#last_activity_at = :seen AND #status = :status",
                     {"seen": lead.last_activity_at, "status": lead.status})
        return self._attempt(lead, {"status": "stale", "updated_at": at}, condition, entry,
                             *outbox.put_actions(self.store, list(intents)))

    # --- recovery: what the stream should have done, done again by the sweep ------------------------------------
    def recover(self, lead: LeadRecord, entry: dict[str, Any] | None, score: bool, at: str) -> bool:
        """Count an attempt and, for a score, mark it due again (the write sends the lead back through the score
        function's stream filter); the condition is the lead as read, so a sweep run twice attempts once. The
        attempt is a change (`updated_at`), so the next one waits its backoff from this one."""
        changes: dict[str, Any] = {"updated_at": at, **({"score_due": 1} if score else {})}
        add = {"recovery_attempts": 1, **({"inputs_version": 1} if score else {})}
        condition = _unchanged_since(lead)
        if entry is None:
            return self._attempt(lead, changes, condition, add=add)
        return self._attempt(lead, changes, condition, entry, add=add)

    def park(self, lead: LeadRecord, reason: str, entry: dict[str, Any]) -> bool:
        """The lead could not be finished after its attempts: flagged for a person, out of the recovery plan, and
        listed among the stuck leads (the marker is one of its claims, so erasing the lead deletes it)."""
        marker = schema.stuck_marker(lead.created_at, lead.id)
        return self._attempt(lead, {"stuck": reason, "claims": [*lead.claims, marker]}, _unchanged_since(lead), entry,
                             self.store.put_action({**marker, "lead_id": lead.id}))

    def stuck_page(self, limit: int, cursor: str | None) -> Page:
        """Leads parked as stuck and still stuck, newest first (a lead finished since is left out)."""
        markers, last = self.store.query(schema.STUCK_PARTITION, limit=limit, cursor=decode_cursor(cursor),
                                         newest_first=True)
        leads = self._many(schema.lead(str(marker["lead_id"])) for marker in markers)
        return Page([lead for lead in leads if lead.stuck], encode_cursor(last))

    def replan(self, lead: LeadRecord) -> None:
        """Write the due time of the lead as read (the sweep does this after working on a lead), unless it is the
        one stored: each step's write stored the due time of the lead it left, so usually nothing is written."""
        if self._due(lead)["due_at"] != lead.due_at:
            self._write(lead, {}, ("attribute_exists(pk)", {}))

    # --- the owner's side --------------------------------------------------------------------------------------
    def change_status(self, lead: LeadRecord, changes: dict[str, Any], entry: dict[str, Any],
                      counts: Counts, first_contact_s: float | None, intents: Intents = (),
                      add: Counts | None = None) -> None:
        """Move the status the caller read to another (with the outbox intents it causes, and adding `add` to the
        lead: a deal's value); ChangedMeanwhile when it moved already."""
        extra = outbox.put_actions(self.store, list(intents))
        if counts or first_contact_s is not None:
            extra.append(funnel.count_action(self.store, lead, first_contact_s=first_contact_s, **counts))
        was_open, is_open = lead.status in OPEN_STATUSES, changes["status"] in OPEN_STATUSES
        if lead.owner and was_open != is_open:
            extra.append(reps.counters_action(self.store, lead.owner, open_leads=-1 if was_open else 1))
        if not self._attempt(lead, changes, ("#status = :was", {"was": lead.status}), entry, *extra, add=add):
            raise ChangedMeanwhile(lead.id)

    def log_contact_attempt(self, lead: LeadRecord, at: str, entry: dict[str, Any], owner: str | None = None,
                            action_id: str | None = None) -> bool:
        """A call nobody took: counted, and the next reminder moves (the plan reads `last_attempt_at`); False when
        the lead is no longer `owner`'s or this very form (`action_id`) was sent before."""
        changes = {"last_attempt_at": at, "updated_at": at, "last_activity_at": at, "last_action_id": action_id}
        return self._attempt(lead, changes, _acting(owner, action_id), entry, add={"contact_attempts": 1})

    def add_note(self, lead: LeadRecord, at: str, entry: dict[str, Any], owner: str | None = None,
                 action_id: str | None = None) -> bool:
        """A note on the timeline; False when the lead is no longer `owner`'s or this form was sent before."""
        changes = {"updated_at": at, "last_activity_at": at, "last_action_id": action_id}
        return self._attempt(lead, changes, _acting(owner, action_id), entry)

    def record_event(self, lead_id: str, event: dict[str, Any], at: str) -> None:
        """Store an engagement event once per id and mark the score due; AlreadyExists for a repeated id."""
        touch = (Update().set(score_due=1, updated_at=at, last_activity_at=at).add(inputs_version=1, revision=1)
                 .when("attribute_exists(pk)"))
        try:
            self.store.transact([self.store.put_action(event, _NOT_THERE),
                                 self.store.update_action(schema.lead(lead_id), touch)])
        except ConditionFailed as failure:
            if failed_at(failure, 1):
                raise Gone(lead_id) from failure
            raise AlreadyExists(event["event_id"]) from failure

    def record_purchase(self, lead: LeadRecord, event: dict[str, Any], at: str, value_minor: int,
                        currency: str) -> None:
        """A purchase event, stored once per id, with its value added to the lead and to the lead's cohort in the
        same transaction: a repeated id (AlreadyExists) adds nothing."""
        touch = (Update().set(score_due=1, updated_at=at, last_activity_at=at, currency=currency)
                 .add(inputs_version=1, revision=1, value_minor=value_minor, purchases=1)
                 .when("attribute_exists(pk)"))
        try:
            self.store.transact([self.store.put_action(event, _NOT_THERE),
                                 self.store.update_action(schema.lead(lead.id), touch),
                                 funnel.count_action(self.store, lead, value_won_minor=value_minor, purchases=1)])
        except ConditionFailed as failure:
            if failed_at(failure, 1):
                raise Gone(lead.id) from failure
            raise AlreadyExists(event["event_id"]) from failure

    def unsubscribe(self, lead_id: str, at: str, entry: dict[str, Any], event: dict[str, Any]) -> bool:
        """Stop nurture email; False when the lead was already unsubscribed or erased."""
        update = (Update().set(unsubscribed=True, updated_at=at, score_due=1).add(inputs_version=1, revision=1)
                  .when("attribute_exists(pk) AND " + _SUBSCRIBED, no=False))
        try:
            self.store.transact([self.store.update_action(schema.lead(lead_id), update),
                                 self.store.put_action(entry), self.store.put_action(event)])
        except ConditionFailed:
            return False
        return True

    def erase(self, lead: LeadRecord, announce: Callable[[int], Intents] | None = None) -> int:
        """Delete the person everywhere in the table: the lead, its submissions, events and timeline, every key it
        claimed (as recorded, plus those its fields name, for leads stored before claims were recorded) that still
        points to it, and its emails and events still waiting in the outbox for a retry (an email about the person,
        their data for Meta): the number of items deleted."""
        keys = [schema.plain_key(item) for item in self.store.query_all(schema.lead_partition(lead.id))]
        keys += [key for key in self._keys_of(lead) if self.owner_of(key) == lead.id]
        keys += [schema.plain_key(intent) for intent in outbox.waiting_of(self.store, lead.id)]
        deletions = [key for key in keys if not schema.is_lead_item(key)] + [schema.lead(lead.id)]
        intents = list(announce(len(keys))) if announce else []
        chunks = [deletions[start:start + 99] for start in range(0, len(deletions), 99)]
        for number, chunk in enumerate(chunks, 1):  # the last chunk deletes the lead and writes what announces it
            told = outbox.put_actions(self.store, intents) if number == len(chunks) else []
            self.store.transact([*(self.store.delete_action(key) for key in chunk), *told])
        if lead.owner and lead.status in OPEN_STATUSES:
            reps.release_open_lead(self.store, lead.owner)
        return len(keys)

    def join(self, into: LeadRecord, other: LeadRecord, changes: dict[str, Any], at: str,
             entry: dict[str, Any], also: Sequence[dict[str, Any]] = ()) -> bool:
        """The owner's explicit merge of `other` into `into`: its submissions, events and timeline move, its keys
        point to `into`, then it is deleted. Each step can be repeated, so a merge cut short is finished by the next
        call; ChangedMeanwhile when `into` changed since it was read. `also` goes with the write that changes
        `into`, done once: True when this call wrote it, False when it finished a merge written before."""
        partition = [item for item in self.store.query_all(schema.lead_partition(other.id))
                     if not schema.is_lead_item(item)]
        for item in partition:
            self.store.put({**item, **schema.moved(item, into.id)})
        keys = [key for key in self._keys_of(other) if self.owner_of(key) == other.id]
        for key in keys:
            self.store.put({**key, "lead_id": into.id})
        merging = other.id not in into.merged_from
        if merging:
            update = (Update().set(updated_at=at, score_due=1, **_stored(changes))
                      .add(touches=other.touches, inputs_version=1)
                      .append(merged_from=[other.id], claims=_claims_stored(keys), refs=other.refs,
                              set_aside=other.set_aside)
                      .when("#inputs_version = :seen", seen=into.inputs_version))
            try:
                self.store.transact([self.store.update_action(schema.lead(into.id), update),
                                     self.store.put_action(entry), *also])
            except ConditionFailed as failure:
                raise ChangedMeanwhile(into.id) from failure
        deletions = [schema.plain_key(item) for item in partition] + [schema.lead(other.id)]
        for start in range(0, len(deletions), 100):
            self.store.transact([self.store.delete_action(key) for key in deletions[start:start + 100]])
        if other.owner and other.status in OPEN_STATUSES:
            reps.release_open_lead(self.store, other.owner)
        return merging

    def _keys_of(self, lead: LeadRecord) -> list[dict[str, str]]:
        known = [*lead.claims, *person_keys(lead.email, lead.phone, lead.phone_raw), *ref_keys(lead.source, lead.refs)]
        return list({(key["pk"], key["sk"]): schema.plain_key(key) for key in known}.values())

    # --- how every write above is made -------------------------------------------------------------------------
    def _item(self, lead: LeadRecord) -> dict[str, Any]:
        """The item of a new lead: the attributes its creator set, and the keys of the indexes it belongs to. An
        attribute left at an empty default (no duplicates, nothing set aside, not unsubscribed, ...) is not stored:
        the record reads it back as the default, and every write to a lead costs a unit per kilobyte of the whole
        item, so those 80-odd bytes decide whether a lead stays within one. Nor is its id, which its key holds."""
        attributes = _stored(lead.model_dump(mode="json", exclude_unset=True, exclude_none=True, exclude={"id"}))
        return {**schema.lead(lead.id), "list_pk": schema.LIST_PK, "revision": 1,
                **{name: value for name, value in attributes.items()
                   if value is not None and not _empty_default(name, value)},
                **self._due(lead)}

    def _due(self, lead: LeadRecord) -> dict[str, str | None]:
        """`due_at` and `due_shard` for the lead as it will be; both None takes it out of the sparse index."""
        due = self.plan(lead)
        return {"due_at": iso(due), "due_shard": schema.due_shard(lead.id)} if due else \
            {"due_at": None, "due_shard": None}

    def _update(self, lead: LeadRecord, changes: dict[str, Any], condition: Condition | None,
                add: Counts | None) -> Update:
        """SET the changes (None removes), ADD the increments, and the due time of the lead as it will be."""
        add = {**(add or {}), "revision": 1}
        after = lead.changed(**changes, **{name: getattr(lead, name) + step for name, step in add.items()})
        update = Update().set(**_stored(changes), **self._due(after))
        if add:
            update.add(**add)
        if condition:
            update.when(condition[0], **condition[1])
        return update

    def _write(self, lead: LeadRecord, changes: dict[str, Any], condition: Condition | None = None,
               add: Counts | None = None) -> None:
        try:
            self.store.update(schema.lead(lead.id), self._update(lead, changes, condition, add))
        except ConditionFailed as failure:
            raise ChangedMeanwhile(lead.id) from failure

    def _transact(self, lead: LeadRecord, changes: dict[str, Any], condition: Condition,
                  entry: dict[str, Any] | None, *extra: dict[str, Any], add: Counts | None = None) -> None:
        actions = [self.store.update_action(schema.lead(lead.id), self._update(lead, changes, condition, add)),
                   *([self.store.put_action(entry)] if entry else []), *extra]
        try:
            self.store.transact(actions)
        except ConditionFailed as failure:
            raise ChangedMeanwhile(lead.id) from failure

    def _attempt(self, lead: LeadRecord, changes: dict[str, Any], condition: Condition,
                 entry: dict[str, Any] | None = None, *extra: dict[str, Any], add: Counts | None = None) -> bool:
        """One conditional write (with its timeline entry, counters and intents); False when the condition did not
        hold."""
        try:
            if entry is None and not extra:
                self._write(lead, changes, condition, add)
            else:
                self._transact(lead, changes, condition, entry, *extra, add=add)
        except ChangedMeanwhile:
            return False
        return True


def _unchanged_since(lead: LeadRecord) -> Condition:
    """The lead item is still the one read: every write of it adds one to `revision` (items older than the
    attribute have none)."""
    if lead.revision == 0:
        return "attribute_not_exists(#revision)", {}
    return "#revision = :revision", {"revision": lead.revision}


def _acting(owner: str | None, action_id: str | None) -> Condition:
    """The lead still exists, is still `owner`'s, and has not seen the form `action_id` yet."""
    parts, values = ["attribute_exists(pk)"], {}
    if owner:
        parts.append("#owner = :acting_owner")
        values["acting_owner"] = owner
    if action_id:
        parts.append("(attribute_not_exists(#last_action_id) OR #last_action_id <> :action_id)")
        values["action_id"] = action_id
    return " AND ".join(parts), values


def _empty_default(name: str, value: Any) -> bool:
    """Whether `value` is the record's own empty default for `name` (an empty list or map, or False)."""
    field = LeadRecord.model_fields.get(name)
    empty = value is False or (isinstance(value, list | dict) and not value)  # never a 0: counters stay stored
    return empty and field is not None and field.get_default(call_default_factory=True) == value


def _stored(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes as the lead item stores them (None removes one): models as maps, the score's reasons as one
    JSON string (`[["has-email",10],["senior",20]]`: as a list of maps they weigh twice that, 110 bytes for four
    against 60), a claimed key as its partition key alone (`_claims_stored`), and no reminders count while none was
    sent, nor engagement points while there are none (the record reads 0). A lead item over 1 KB costs two write
    units for every write of it, four in a transaction: these 80-odd bytes keep most leads the bench assigns under
    it, where one in two was over."""
    stored = {name: _plain(value) for name, value in changes.items()}
    for name, (pack, _) in _PACKED.items():
        if stored.get(name):
            stored[name] = pack(stored[name])
    for name in _NOT_STORED_AT_ZERO:
        if name in stored and stored[name] == 0:
            stored[name] = None
    return stored


def _record(item: Mapping[str, Any]) -> LeadRecord:
    """A lead item read back: its id from its key (items written before kept it as an attribute too), its packed
    attributes unpacked (each also reads as stored before it was packed)."""
    unpacked = {name: unpack(item[name]) for name, (_, unpack) in _PACKED.items() if item.get(name)}
    return LeadRecord.model_validate({"id": schema.lead_id_of(item), **item, **unpacked})


def _claims_stored(keys: Iterable[Mapping[str, str]]) -> list[Any]:
    """A dedupe key (sort key `KEY`, as all but the stuck marker have) as its partition key: 12 bytes a key less."""
    return [key["pk"] if key["sk"] == schema.KEY_SK else {"pk": key["pk"], "sk": key["sk"]} for key in keys]


def _claims_read(claims: list[Any]) -> list[dict[str, str]]:
    return [{"pk": key, "sk": schema.KEY_SK} if isinstance(key, str) else key for key in claims]


def _reasons_stored(reasons: list[dict[str, Any]]) -> str:
    return json.dumps([[reason["rule"], _number(reason["points"])] for reason in reasons], separators=(",", ":"))


def _reasons_read(reasons: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(reasons, str):
        return reasons  # stored as a list of maps, before they were packed
    return [{"rule": rule, "points": points} for rule, points in json.loads(reasons)]


# Lead counters whose 0 is not stored: the record reads a missing one as 0, and the one condition on them (the
# reminder's) allows for it.
_NOT_STORED_AT_ZERO = ("reminders_sent", "engagement")
# Lead attributes stored in a smaller shape than DynamoDB's maps: (how to store the record's value, how to read it).
_PACKED: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "claims": (_claims_stored, _claims_read), "score_reasons": (_reasons_stored, _reasons_read)}


def _number(value: Any) -> int | float:
    """10 rather than 10.0 (JSON keeps the digits as written)."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _plain(value: Any) -> Any:
    """What DynamoDB stores for a record attribute: models as maps."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value

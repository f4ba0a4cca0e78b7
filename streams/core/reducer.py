"""The customer hub's reducer: `(state, event) → (state, commands, subscriptions, alerts)`.

One call per event for one billing account (the Kafka key). It implements R2-R10, R12, R13:
creates only after a sync request and only when complete (held until then), updates only for
synced accounts and only when a section of the mapped payload changed, per-account sequences and
deterministic command ids, no commands for deleted accounts, and subscriptions to the shared
contacts and addresses the mapping needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from streams.core.aggregate import OWNED, SHARED, Aggregate
from streams.core.codes import CodeMaps
from streams.core.debezium import SourcePosition, is_stale
from streams.core.events import (
    Alert,
    Answer,
    HeldCheck,
    HubEvent,
    Resend,
    RowEvent,
    Seed,
    Subscription,
    SyncRequest,
    SyncWithdrawal,
)
from streams.core.mapping import SECTIONS, map_customer, section_digests
from streams.core.siebel import Account
from streams.core.state import CustomerState, SyncState, command_id
from streams.errors import MappingError

DEFAULT_ELIGIBLE = frozenset({"Customer", "Billing"})


@dataclass(frozen=True)
class HubContext:
    codes: CodeMaps
    eligible_classes: frozenset[str] = DEFAULT_ELIGIBLE
    connector: str = "siebel"


@dataclass(frozen=True)
class Outcome:
    state: CustomerState
    commands: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _apply(
    account_id: str, state: CustomerState, event: HubEvent, ctx: HubContext
) -> tuple[CustomerState, list[Alert]]:
    agg, sync = state.aggregate, state.sync
    if isinstance(event, Seed):
        if sync.synced:
            return state, []  # seeding again, or after the create: nothing changes
        ids = {"ccb_account_id": event.ccb_account_id, "ccb_person_id": event.ccb_person_id}
        fixed = {k: v for k, v in ids.items() if v}
        seeded = SyncState(synced=True, sequence=max(sync.sequence, event.sequence), fixed=fixed)
        return CustomerState(agg, seeded), []
    if isinstance(event, HeldCheck | Resend):
        return state, []  # answered in reduce(); nothing to apply
    if isinstance(event, SyncRequest | SyncWithdrawal):
        if sync.synced:
            return state, []  # R13: re-orders create nothing; a sent create stays sent
        return CustomerState(agg, _requested(sync, event)), []
    if isinstance(event, Answer):
        model = SHARED[event.entity]
        row = model.from_json(event.row) if event.row is not None else None
        referenced = (
            agg.referenced_contacts() if event.entity == "contact" else agg.referenced_addresses()
        )
        if event.ref_id not in referenced:
            return state, []  # a late answer to a subscription already withdrawn
        return CustomerState(agg.with_answer(event.entity, event.ref_id, row), sync), []
    if event.entity == "account":
        if event.row is None:
            if sync.synced:
                alert = Alert(
                    "ACCOUNT_DELETED_AFTER_SYNC",
                    account_id,
                    f"account {account_id} was deleted in Siebel after it was created in CC&B; "
                    "nothing is sent (the product never deletes in CC&B)",
                )
                return CustomerState(agg, replace(sync, deleted=True)), [alert]
            if sync.held is not None and agg.account is not None:  # not a delete seen again
                alert = Alert(
                    "HELD_CREATE_WITHDRAWN",
                    account_id,
                    f"account {account_id} was deleted in Siebel while its create waited "
                    f"(order {sync.held.get('order_num')}); nothing is sent",
                    {"trigger": dict(sync.held)},
                )
                cleared = replace(sync, held=None, requests={})
                return CustomerState(replace(agg, account=None), cleared), [alert]
            return CustomerState(replace(agg, account=None), sync), []
        return CustomerState(
            replace(agg, account=Account.from_json(event.row)), replace(sync, deleted=False)
        ), []
    model = OWNED[event.entity]
    row = model.from_json(event.row) if event.row is not None else None
    return CustomerState(agg.with_owned(event.entity, event.row_id, row), sync), []


def _requested(sync: SyncState, event: SyncRequest | SyncWithdrawal) -> SyncState:
    """The orders that request the create, and the trigger the create carries: the first
    order's, while that order still requests it (R2)."""
    requests = dict(sync.requests)
    if sync.held is not None and not requests:  # state written before requests were kept
        requests[str(sync.held.get("order_id"))] = sync.held
    if isinstance(event, SyncWithdrawal):
        requests.pop(event.order_id, None)
    else:
        requests[event.order_id] = {
            "order_id": event.order_id,
            "order_num": event.order_num,
            "line_ids": list(event.line_ids),
        }
    held = sync.held if sync.held and sync.held.get("order_id") in requests else None
    if held is None and requests:
        held = next(iter(requests.values()))
    return replace(sync, held=held, requests=requests)


def _is_person(agg: Aggregate, ctx: HubContext) -> bool:
    account = agg.account
    ou_type = account.ou_type_cd if account else None
    return ctx.codes("person_or_business", ou_type, where="S_ORG_EXT.OU_TYPE_CD") == "PERSON"


def _subscriptions(account_id: str, before: Aggregate, after: Aggregate) -> list[Subscription]:
    subs = []
    for entity, old, new in (
        ("contact", before.referenced_contacts(), after.referenced_contacts()),
        ("address", before.referenced_addresses(), after.referenced_addresses()),
    ):
        subs += [Subscription(entity, ref, account_id, True) for ref in sorted(new - old)]
        subs += [Subscription(entity, ref, account_id, False) for ref in sorted(old - new)]
    return subs


def _command(
    account_id: str,
    kind: str,
    sequence: int,
    changed: list[str],
    customer: dict[str, Any],
    trigger: Mapping[str, Any] | None,
    source: SourcePosition | None,
    ctx: HubContext,
    now: datetime,
    fixed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "command_id": command_id(account_id, sequence),
        "command_type": kind,
        "siebel_account_id": account_id,
        "sequence": sequence,
        "changed_sections": changed,
        "trigger": dict(trigger) if trigger else None,
        "source": {
            "connector": source.connector if source and source.connector else ctx.connector,
            "table": source.table if source else None,
            "lsn": source.lsn if source else None,
            "scn": source.scn if source else None,
            "tx_id": source.tx_id if source else None,
            "commit_time": (
                datetime.fromtimestamp(source.commit_ms / 1000, tz=UTC)
                if source and source.commit_ms is not None
                else None
            ),
            "snapshot": bool(source and source.snapshot),
            "code_map_version": ctx.codes.version,
        },
        "emitted_at": now,
        "ccb_account_id": (fixed or {}).get("ccb_account_id"),
        "ccb_person_id": (fixed or {}).get("ccb_person_id"),
        "customer": customer,
    }


def _decide(
    account_id: str,
    state: CustomerState,
    source: SourcePosition | None,
    ctx: HubContext,
    now: datetime,
) -> Outcome:
    agg, sync = state.aggregate, state.sync
    if sync.deleted or agg.account is None:
        return Outcome(state)
    if not sync.synced and sync.held is None:
        return Outcome(state)  # R4: a prospect (no triggering order yet) produces nothing
    account_class = agg.account.accnt_type_cd
    if not sync.synced and account_class not in ctx.eligible_classes:
        # held, not dropped: a class corrected while the order still bills it creates it (R3)
        alert = Alert(
            "INELIGIBLE_ACCOUNT_CLASS",
            account_id,
            f"order {sync.held.get('order_num') if sync.held else '?'} bills account "
            f"{account_id} of class {account_class!r}; only "
            f"{', '.join(sorted(ctx.eligible_classes))} become CC&B customers",
            {"trigger": dict(sync.held or {}), "account_class": account_class},
        )
        return _alert_once(state, alert, str(account_class))
    try:
        # A first payload (a create, or a seeded account's first update) waits for the required
        # parts (R7); later ones go out even when a part was removed, so CC&B sees the removal.
        first = sync.digests is None
        if agg.unanswered() or (first and agg.missing_parts(person=_is_person(agg, ctx))):
            return Outcome(state)  # held, or waiting for a reference answer
        if not first and agg.addresses.get(agg.mailing_address_id() or "") is None:
            raise MappingError(
                f"synced customer {account_id} has no mailing address in Siebel any more; "
                "CC&B keeps the last one sent until one is set"
            )
        customer = map_customer(agg, ctx.codes)
        if "cis_division" in sync.fixed:
            customer["account"]["cis_division"] = sync.fixed["cis_division"]
    except MappingError as exc:
        alert = Alert("MAPPING_FAILED", account_id, str(exc), {"held": sync.held is not None})
        return _alert_once(state, alert, str(exc))
    alerts = []
    ambiguous = agg.billing_profile_ambiguity()
    if ambiguous and sync.alerted.get("AMBIGUOUS_PRIMARY_BILLING_PROFILE") != ",".join(ambiguous):
        alerts.append(
            Alert(
                "AMBIGUOUS_PRIMARY_BILLING_PROFILE",
                account_id,
                f"account {account_id} has {len(ambiguous)} active billing profiles flagged "
                f"primary and no PR_BILL_PRFL_ID; {ambiguous[0]} (lowest ROW_ID) is used",
                {"profiles": ambiguous},
            )
        )
        sync = replace(
            sync, alerted={**sync.alerted, "AMBIGUOUS_PRIMARY_BILLING_PROFILE": ",".join(ambiguous)}
        )
        state = replace(state, sync=sync)
    digests = section_digests(customer)
    if not sync.synced:
        kind, changed, trigger = "CREATE_CUSTOMER", list(SECTIONS), sync.held
    else:
        changed = [s for s in SECTIONS if (sync.digests or {}).get(s) != digests[s]]
        if not changed:
            return Outcome(state, alerts=alerts)
        kind, trigger = "UPDATE_CUSTOMER", None
    sequence = sync.sequence + 1
    command = _command(
        account_id, kind, sequence, changed, customer, trigger, source, ctx, now, sync.fixed
    )
    # a failure that cleared is alerted again if it comes back; the ambiguity stays noted
    alerted = {k: v for k, v in sync.alerted.items() if k == "AMBIGUOUS_PRIMARY_BILLING_PROFILE"}
    new_sync = replace(
        sync,
        synced=True,
        sequence=sequence,
        digests=digests,
        held=None,
        requests={},
        alerted=alerted,
        fixed={"cis_division": customer["account"]["cis_division"], **sync.fixed},
    )
    return Outcome(replace(state, sync=new_sync), commands=[command], alerts=alerts)


def _alert_once(state: CustomerState, alert: Alert, what: str) -> Outcome:
    """Alert a failure when it starts or changes, not again on every later event (R11)."""
    sync = state.sync
    if sync.alerted.get(alert.reason) == what:
        return Outcome(state)
    alerted = {**sync.alerted, alert.reason: what}
    return Outcome(replace(state, sync=replace(sync, alerted=alerted)), alerts=[alert])


def _row_of(event: HubEvent) -> tuple[str, str, SourcePosition | None] | None:
    """The Siebel row an event carries a change of (entity, row id, position), if any."""
    if isinstance(event, RowEvent):
        return event.entity, event.row_id, event.source
    if isinstance(event, Answer):
        return event.entity, event.ref_id, event.source
    return None


def reduce(
    account_id: str, state: CustomerState, event: HubEvent, ctx: HubContext, now: datetime
) -> Outcome:
    """Apply one event to one account's state; return what to emit."""
    if isinstance(event, HeldCheck):
        return _held_check(account_id, state, event, ctx)
    if isinstance(event, Resend):
        return _resend(account_id, state, event, ctx, now)
    outcome = _reduce(account_id, state, event, ctx, now)
    sync = outcome.state.sync
    since = (sync.held_since or now.isoformat()) if sync.held is not None else None
    if since != sync.held_since:
        outcome = replace(
            outcome, state=replace(outcome.state, sync=replace(sync, held_since=since))
        )
    return outcome


def _held_check(
    account_id: str, state: CustomerState, check: HeldCheck, ctx: HubContext
) -> Outcome:
    sync = state.sync
    if sync.held is None or sync.held_since is None:
        return Outcome(state)
    age = datetime.fromisoformat(check.at) - datetime.fromisoformat(sync.held_since)
    if age.total_seconds() < check.max_age_s:
        return Outcome(state)
    reasons = held_reason(state, ctx)
    alert = Alert(
        "CREATE_HELD_TOO_LONG",
        account_id,
        f"the create of {account_id} (order {sync.held.get('order_num')}) has waited since "
        f"{sync.held_since} for: {'; '.join(reasons)}",
        {"held_since": sync.held_since, "waiting_for": reasons, "trigger": dict(sync.held)},
    )
    return _alert_once(state, alert, sync.held_since)


def _resend(
    account_id: str, state: CustomerState, request: Resend, ctx: HubContext, now: datetime
) -> Outcome:
    """Every section counts as changed: the next update carries the whole customer. If the
    account is waiting for a referenced row, that update goes out when the row comes."""
    sync = state.sync
    if not sync.synced or sync.deleted or state.aggregate.account is None:
        why = "it was deleted in Siebel" if sync.deleted else "it is not synced to CC&B"
        alert = Alert(
            "RESEND_REFUSED",
            account_id,
            f"resend of {account_id} refused: {why} (a customer is created only through an "
            "order, R2)",
            {"requested_at": request.at, "reason": request.reason},
        )
        return Outcome(state, alerts=[alert])
    return _decide(account_id, replace(state, sync=replace(sync, digests={})), None, ctx, now)


def _reduce(
    account_id: str, state: CustomerState, event: HubEvent, ctx: HubContext, now: datetime
) -> Outcome:
    row = _row_of(event)
    if row is not None:
        entity, row_id, position = row
        if is_stale(position, state.aggregate.position(entity, row_id)):
            return Outcome(state)  # R9: reprocessed; its change is already in the state
    applied, alerts = _apply(account_id, state, event, ctx)
    if row is not None:
        aggregate = applied.aggregate.with_position(entity, row_id, position)
        applied = replace(applied, aggregate=aggregate)
    pruned = replace(applied, aggregate=applied.aggregate.pruned())
    subs = _subscriptions(account_id, state.aggregate, pruned.aggregate)
    source = event.source if not isinstance(event, Seed | HeldCheck | Resend) else None
    outcome = _decide(account_id, pruned, source, ctx, now)
    return Outcome(outcome.state, outcome.commands, subs, alerts + outcome.alerts)


def encoding_failed(
    account_id: str, before: CustomerState, outcome: Outcome, error: str
) -> Outcome:
    """The commands of `outcome` cannot be encoded (their content does not fit the schema):
    nothing is sent, the Siebel change stays in the aggregate, and the sync state stays as it
    was — so the next event tries again with the next sequence still free (no gap)."""
    alert = Alert(
        "ENCODING_FAILED",
        account_id,
        f"the command for {account_id} does not fit the Avro schema: {error}",
        {"commands": [c["command_type"] for c in outcome.commands]},
    )
    kept = replace(outcome.state, sync=before.sync)
    return Outcome(kept, [], outcome.subscriptions, [*outcome.alerts, alert])


def held_reason(state: CustomerState, ctx: HubContext) -> list[str]:
    """Why a held create is still held (for the web view and metrics)."""
    if state.sync.held is None:
        return []
    account = state.aggregate.account
    if account is not None and account.accnt_type_cd not in ctx.eligible_classes:
        return [f"account class {account.accnt_type_cd!r} is not eligible (R3)"]
    try:
        missing = state.aggregate.missing_parts(person=_is_person(state.aggregate, ctx))
    except MappingError as exc:
        return [str(exc)]
    return missing or ["waiting for the next event"]

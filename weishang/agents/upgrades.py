"""Level upgrades by purchase volume: evaluated after every counted restock
(services.record_purchase_volume calls apply_purchase), decided by HQ when the level asks
for approval, and shown to the agent as progress toward the next level.

Never a downgrade: only levels above the agent's current one are considered. At most one
request per agent waits for HQ (a partial unique index backs this against races)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from weishang.accounts.roles import check_hq
from weishang.core.errors import Conflict, DomainError
from weishang.core.money import format_money

from . import levels as rules
from .level_models import Level, LevelPrice, UpgradeRequest, UpgradeStatus, UpgradeTrigger
from .models import Agent, AgentPurchase
from .selectors import FirstPurchase, first_purchase_due


def period_anchor(agent: Agent) -> datetime:
    """Periods of cumulative rules run back to back from local midnight of the joining day."""
    joined = timezone.localtime(agent.joined_at) if agent.joined_at else timezone.localtime()
    return joined.replace(hour=0, minute=0, second=0, microsecond=0)


def _purchases(agent_id: int, windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, Decimal]]:
    if not windows:
        return []
    start, end = min(w[0] for w in windows), max(w[1] for w in windows)
    return list(AgentPurchase.objects.filter(agent_id=agent_id, at__gte=start, at__lt=end)
                .order_by().values_list("at", "amount"))


def _windows(level_rules: list[rules.UpgradeRule], anchor: datetime, at: datetime) -> list[tuple[datetime, datetime]]:
    return [rules.period_bounds(anchor, r.period_days, at) for r in level_rules if r.cumulative and r.period_days]


def _met_text(met: rules.Met, currency: str) -> str:
    if met.trigger == UpgradeTrigger.SINGLE:
        return _("a single restock of %(amount)s") % {"amount": format_money(met.amount, currency)}
    return _("restocks of %(amount)s within the period") % {"amount": format_money(met.amount, currency)}


def _change_level(agent: Agent, level: Level, *, actor, reason: str) -> Agent:
    from . import services

    return services.change_level(agent, level, actor=actor, reason=reason)


def apply_purchase(agent: Agent, amount: Decimal, at: datetime) -> None:
    """Upgrade the agent at once to the highest automatic level its purchases now reach, and
    ask HQ (one pending request, updated rather than duplicated) for a higher level that
    needs approval. The purchase itself is already recorded (AgentPurchase)."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update(no_key=True, of=("self",)).select_related("level").get(pk=agent.pk)
        candidates = [lv for lv in Level.objects.filter(is_active=True, rank__lt=agent.level.rank)
                      if lv.has_upgrade_rule]
        if not candidates:
            return
        by_rank = {lv.rank: lv for lv in candidates}
        level_rules = [lv.rule for lv in candidates]
        anchor = period_anchor(agent)
        purchases = _purchases(agent.pk, _windows(level_rules, anchor, at))
        decision = rules.evaluate(level_rules, current_rank=agent.level.rank, amount=Decimal(amount), at=at,
                                  purchases=purchases, anchor=anchor)
        if decision.automatic is not None:
            target = by_rank[decision.automatic.rule.rank]
            agent = _change_level(agent, target, actor=None, reason=_("Automatic upgrade: %(met)s.") % {
                "met": _met_text(decision.automatic, target.currency)})
            _close_reached(agent)
        if decision.request is not None:
            _request(agent, by_rank[decision.request.rule.rank], decision.request)


def _close_reached(agent: Agent) -> None:
    """A pending request for a level the agent now holds (or passed) is no longer needed."""
    UpgradeRequest.objects.filter(agent_id=agent.pk, status=UpgradeStatus.PENDING,
                                  level__rank__gte=agent.level.rank).update(
        status=UpgradeStatus.CANCELLED, decided_at=timezone.now(),
        reason=_("The agent reached this level automatically.")[:300])


def recheck_pending(agent: Agent) -> UpgradeRequest | None:
    """After a refunded restock (services.reverse_purchase_volume): withdraw the request
    waiting for HQ when the agent's purchases, net of refunds, no longer meet the requested
    level's rule (a big restock, the request, then a refund must not leave an upgrade to
    approve). Returns the withdrawn request, or None."""
    pending = _pending(agent.pk)
    if pending is None or _still_meets(agent, pending):
        return None
    pending.status, pending.decided_at = UpgradeStatus.CANCELLED, timezone.now()
    pending.reason = _("Withdrawn: the purchases that met this rule were refunded.")[:300]
    pending.save(update_fields=["status", "decided_at", "reason", "updated_at"])
    return pending


def _still_meets(agent: Agent, pending: UpgradeRequest) -> bool:
    """Either route of the level's rule, net of refunds (a refund is a negative purchase row
    at its purchase's time): one restock since the agent joined, or the total of the
    request's period (the current period when the request came from a single restock)."""
    rule, anchor = pending.level.rule, period_anchor(agent)
    if rule.single is not None and AgentPurchase.objects.filter(agent_id=agent.pk, at__gte=anchor).order_by() \
            .values("at").annotate(net=Sum("amount")).filter(net__gte=rule.single).exists():
        return True
    if rule.cumulative is not None and rule.period_days:
        start, end = (pending.period_start, pending.period_end) if pending.period_start and pending.period_end \
            else rules.period_bounds(anchor, rule.period_days, timezone.now())
        if rules.period_total(_purchases(agent.pk, [(start, end)]), start, end) >= rule.cumulative:
            return True
    return False


def _pending(agent_id: int) -> UpgradeRequest | None:
    return UpgradeRequest.objects.select_for_update().select_related("level") \
        .filter(agent_id=agent_id, status=UpgradeStatus.PENDING).first()


def _request(agent: Agent, level: Level, met: rules.Met) -> UpgradeRequest:
    period = met.period or (None, None)
    fields = {"level": level, "trigger": met.trigger, "amount": met.amount, "period_start": period[0],
              "period_end": period[1]}
    for _attempt in range(2):
        pending = _pending(agent.pk)
        if pending is not None:
            if level.rank < pending.level.rank:  # reaches a higher level than asked before
                for name, value in fields.items():
                    setattr(pending, name, value)
                pending.save(update_fields=[*fields, "updated_at"])
            return pending
        try:
            with transaction.atomic():  # savepoint: a concurrent purchase may have asked first
                return UpgradeRequest.objects.create(agent=agent, from_level=agent.level, **fields)
        except IntegrityError:
            continue
    raise Conflict(_("The upgrade request changed meanwhile; try again."), code="upgrade_request_race")


def _check_staff(actor) -> None:
    check_hq(actor, "agents.change_upgraderequest", _("Only HQ staff may decide upgrade requests."))


def _locked_pending(request: UpgradeRequest | int) -> UpgradeRequest:
    pk = request.pk if isinstance(request, UpgradeRequest) else request
    req = UpgradeRequest.objects.select_for_update().select_related("level").filter(pk=pk).first()
    if req is None:
        raise DomainError(_("Unknown upgrade request."), code="not_found", status=404)
    if req.status != UpgradeStatus.PENDING:
        raise Conflict(_("This upgrade request was already decided (%(status)s).") % {
            "status": req.get_status_display()}, code="already_decided")
    return req


@transaction.atomic
def approve(request: UpgradeRequest | int, *, actor, reason: Any = "") -> UpgradeRequest:
    """HQ approves: the agent moves up to the requested level (never down: if it already
    holds that level or a higher one, the request closes as no longer needed)."""
    _check_staff(actor)
    req = _locked_pending(request)
    agent = Agent.objects.select_for_update(no_key=True, of=("self",)).select_related("level").get(pk=req.agent_id)
    text = str(reason or "").strip()[:300]
    now = timezone.now()
    if agent.level.rank <= req.level.rank:
        req.status, req.reason = UpgradeStatus.CANCELLED, text or _("The agent already holds this level.")
    else:
        _change_level(agent, req.level, actor=actor, reason=text or _("Upgrade request approved by HQ."))
        req.status, req.reason = UpgradeStatus.APPROVED, text
    req.decided_at, req.decided_by = now, actor
    req.save(update_fields=["status", "reason", "decided_at", "decided_by", "updated_at"])
    return req


@transaction.atomic
def reject(request: UpgradeRequest | int, *, actor, reason: Any) -> UpgradeRequest:
    """HQ rejects, with a reason the agent sees. Later purchases may ask again."""
    _check_staff(actor)
    text = str(reason or "").strip()
    if not text:
        raise DomainError(_("Give a reason: the agent sees it."), code="reason_required",
                          fields={"reason": [_("This field is required.")]})
    req = _locked_pending(request)
    req.status, req.reason, req.decided_at, req.decided_by = UpgradeStatus.REJECTED, text[:300], timezone.now(), actor
    req.save(update_fields=["status", "reason", "decided_at", "decided_by", "updated_at"])
    return req


# --- the agent's "my level" page ----------------------------------------------------------

@dataclass
class MyLevel:
    level: Level
    next_level: Level | None
    progress: rules.Progress | None
    pending: UpgradeRequest | None
    last_decided: UpgradeRequest | None
    prices: list[LevelPrice]
    is_top: bool
    first_purchase: FirstPurchase | None = None  # the level's first stock purchase, while still due


def my_level(agent: Agent, now: datetime | None = None) -> MyLevel:
    """Everything the "my level" page (and GET /api/v1/agents/me/level) shows, for the agent
    itself only (five queries; six while its first stock purchase is due)."""
    now = now or timezone.now()
    above = list(Level.objects.filter(is_active=True, rank__lt=agent.level.rank).order_by("-rank"))
    next_level = next((lv for lv in above if lv.has_upgrade_rule), None)
    progress = None
    if next_level is not None:
        rule = next_level.rule
        anchor = period_anchor(agent)
        purchases = _purchases(agent.pk, _windows([rule], anchor, now))
        progress = rules.progress(rule, purchases=purchases, anchor=anchor, now=now)
    requests = list(UpgradeRequest.objects.filter(agent_id=agent.pk).select_related("level")
                    .order_by("-created_at", "-id")[:5])
    pending = next((r for r in requests if r.status == UpgradeStatus.PENDING), None)
    last_decided = next((r for r in requests if r.status in (UpgradeStatus.APPROVED, UpgradeStatus.REJECTED)), None)
    prices = list(LevelPrice.objects.filter(level_id=agent.level_id, sku__on_shelf=True, sku__product__on_shelf=True)
                  .select_related("sku__product").order_by("sku__product__position", "sku__product_id",
                                                           "sku__position", "sku_id"))
    return MyLevel(level=agent.level, next_level=next_level, progress=progress, pending=pending,
                   last_decided=last_decided, prices=prices, is_top=not above,
                   first_purchase=first_purchase_due(agent))

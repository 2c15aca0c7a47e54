"""The agent network: levels, level prices and the tree of agents.

The tree is a materialised path: `path` lists every ancestor id from the top
("/0000000012/0000000057/0000000311/", fixed width so that byte order is tree order), so "whole team of X" is one indexed prefix range and "upline chain of X"
is one query by primary keys, whatever the depth.

Totals that a team page needs are maintained as things happen, never summed over a
subtree on read: `Agent.team_size` / `Agent.direct_count` (create and move keep them),
and `AgentMonth` (own and whole-team purchases per agent and month, kept by
services.record_purchase_volume and move_agent). Team totals follow the current tree:
after a move, the moved team's past months count for its new uplines, not the old ones.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import F, Q, Value
from django.db.models.functions import Collate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from weishang.core.money import DECIMAL_PLACES, MAX_DIGITS

from .level_models import Level, LevelPrice  # noqa: F401  (levels and prices live in level_models.py)

PATH_WIDTH = 10  # every id in a path has ten digits, so siblings sort in joining order


def path_segment(agent_id: int) -> str:
    """One level of a path: "/0000000012/0000000057/" lists agents 12 and 57. Fixed-width
    ids make byte order equal tree order with siblings in id (joining) order."""
    return f"{agent_id:0{PATH_WIDTH}d}/"


def path_ids(path: str) -> list[int]:
    """The ids in a path, top first."""
    return [int(p) for p in path.strip("/").split("/") if p]


def subtree_q(path: str, field: str = "path") -> Q:
    """Agents whose path starts with `path` (the agent itself and its whole team) as a
    range in byte order, which the database serves from one index: SQLite compares text
    bytewise; on PostgreSQL the comparison is made in the "C" collation, which has its own
    index (migration 0004). "/12/" .. "/120" (the character after "/" is "0") holds
    exactly the paths that start with "/12/"."""
    upper = path[:-1] + chr(ord(path[-1]) + 1)
    if connection.vendor == "postgresql":
        expr = Collate(F(field), "C")
        return Q(GreaterThanOrEqual(expr, Value(path)), LessThan(expr, Value(upper)))
    return Q(**{f"{field}__gte": path, f"{field}__lt": upper})


def path_order(field: str = "path"):
    """Tree order (a member right after its upline), served by the same index as subtree_q."""
    return Collate(F(field), "C") if connection.vendor == "postgresql" else F(field)


class AgentStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("agent status", "active")
    FROZEN = "frozen", pgettext_lazy("agent status", "frozen")
    EXPIRED = "expired", pgettext_lazy("agent status", "expired")


class Agent(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent",
                                verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=60)
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="agents", verbose_name=_("level"))
    upline = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="downlines",
                               verbose_name=_("upline"), help_text=_("Empty means directly under HQ."))
    recruiter = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="recruits",
                                  verbose_name=_("recruiter"))
    path = models.CharField(max_length=255, db_index=True, editable=False,
                            help_text="Ancestor ids from the top, then own id, ten digits each: "
                                      "/0000000012/0000000057/0000000311/")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=AgentStatus.choices, default=AgentStatus.ACTIVE)
    wechat_id = models.CharField(_("WeChat ID"), max_length=40, blank=True, db_index=True)
    line_id = models.CharField(_("LINE ID"), max_length=40, blank=True)
    # Authorised region as GB/T 2260-style division codes (Taiwan: see weishang.regions).
    province_code = models.CharField(_("province code"), max_length=12, blank=True)
    city_code = models.CharField(_("city code"), max_length=12, blank=True)
    district_code = models.CharField(_("district code"), max_length=12, blank=True)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    # Maintained counters (services keep them; tests compare them with a recomputation).
    team_size = models.PositiveIntegerField(_("team size"), default=0, editable=False,
                                            help_text=_("Every agent below, at any depth."))
    direct_count = models.PositiveIntegerField(_("direct downlines"), default=0, editable=False)
    # The level's first stock purchase, frozen when the agent joined (None: none required),
    # and when its restocks (net of refunds) first reached it. Until then its shop takes no
    # consumer orders; restocks are allowed. See services.create_agent.
    first_purchase_required = models.DecimalField(
        _("first stock purchase required"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True,
        blank=True, editable=False)
    first_purchase_done_at = models.DateTimeField(_("first stock purchase completed"), null=True, blank=True,
                                                  editable=False)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        indexes = [models.Index(fields=["level", "status"]), models.Index(fields=["upline"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.level.name})" if self.level_id else self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids of the upline chain, top first, excluding self."""
        return path_ids(self.path)[:-1]

    @property
    def can_trade(self) -> bool:
        return self.status == AgentStatus.ACTIVE

    @property
    def first_purchase_pending(self) -> bool:
        """The level's first stock purchase is required and not yet bought."""
        return self.first_purchase_required is not None and self.first_purchase_done_at is None

    @property
    def shop_open(self) -> bool:
        """Its consumer shop takes orders: active, and the first stock purchase is done."""
        return self.can_trade and not self.first_purchase_pending


class AgentPurchase(models.Model):
    """One restock purchase counted toward the agent's volume (one row per paid restock), or
    a reversal of one (a refund: negative amount, dated at the original purchase so that its
    month and upgrade period see the net)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="volume_rows", verbose_name=_("agent"))
    amount = models.DecimalField(_("amount"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    at = models.DateTimeField(_("time"))
    reason = models.CharField(_("reason"), max_length=200, blank=True,
                              help_text=_("Why a purchase was taken back (refunds); empty for a purchase."))

    class Meta:
        verbose_name = _("agent purchase")
        verbose_name_plural = _("agent purchases")
        indexes = [models.Index(fields=["agent", "at"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.amount} {self.at:%Y-%m-%d}"


class AgentMonth(models.Model):
    """Purchases of one agent in one month: its own, and its whole team's (every agent
    below it, excluding itself). Kept by record_purchase_volume and move_agent."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="months", verbose_name=_("agent"))
    month = models.DateField(_("month"), help_text=_("First day of the month (local time)."))
    own_total = models.DecimalField(_("own purchases"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                    default=0)
    team_total = models.DecimalField(_("team purchases"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                     default=0)

    class Meta:
        verbose_name = _("monthly purchases")
        verbose_name_plural = _("monthly purchases")
        constraints = [models.UniqueConstraint(fields=["agent", "month"], name="agents_agentmonth_unique")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.month:%Y-%m}"


class EventKind(models.TextChoices):
    JOINED = "joined", _("joined")
    MOVED = "moved", _("moved")
    LEVEL = "level", _("level changed")
    FROZEN = "frozen", _("frozen")
    REACTIVATED = "reactivated", _("reactivated")
    EXPIRED = "expired", _("expired")


class AgentEvent(models.Model):
    """History of an agent: who did what, when, why, from what to what. Never edited."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="events", verbose_name=_("agent"))
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    from_upline = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("from upline"))
    to_upline = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("to upline"))
    from_level = models.ForeignKey(Level, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("from level"))
    to_level = models.ForeignKey(Level, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("to level"))
    from_status = models.CharField(_("from status"), max_length=10, blank=True, choices=AgentStatus.choices)
    to_status = models.CharField(_("to status"), max_length=10, blank=True, choices=AgentStatus.choices)
    team_size = models.PositiveIntegerField(_("team moved"), default=0,
                                            help_text=_("Agents below that moved with it."))
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("agent history")
        verbose_name_plural = _("agent history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["agent", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

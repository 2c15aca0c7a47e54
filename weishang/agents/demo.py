"""Demo agent network for 澜溪 LANXI: the four levels of demo_levels (总代 / 一级 / 二级 / 特约,
with prices and upgrade rules), and a tree of about forty agents in several provinces (three
总代, their 一级 and 二级, a few 特约; one same-level recruit, one frozen, one expired), with
restock volume recorded this month and last month.

Idempotent: agents by phone, volume only for agents that have none. The demo agent logins
are added to ctx["logins"]."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from weishang.accounts.demo import DEMO_PASSWORD
from weishang.accounts.models import User
from weishang.core import demo_clock

from . import demo_levels, services
from .models import Agent, AgentPurchase, AgentStatus, Level

REGIONS = [("330000", "330100", "330106"), ("440000", "440300", "440305"), ("310000", "310100", "310104"),
           ("320000", "320100", "320106"), ("510000", "510100", "510104"), ("350000", "350200", "350203"),
           ("420000", "420100", "420106")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = ["晓燕", "丽娟", "海燕", "思琪", "雨萱", "婷婷", "静怡", "佳怡", "秀英", "美玲", "雪梅", "欣然", "文静", "子涵",
         "梦瑶", "慧敏", "春梅", "嘉欣", "一诺", "若曦", "晓雯", "玉兰", "俊杰", "志强", "明轩", "浩然", "宇航",
         "家豪", "建国", "晨曦", "诗涵", "可馨", "紫萱", "艺涵", "语桐", "梓涵", "晓彤", "芳芳", "丹丹", "亚楠",
         "金凤", "桂英", "玉梅", "红霞"]

# (key, upline key, rank, region index); the first 总代 is the demo agent.
TREE: list[tuple[str, str | None, int, int]] = []
for t in range(3):
    TREE.append((f"T{t}", None, 1, t))
    for m in range(3):
        TREE.append((f"T{t}M{m}", f"T{t}", 2, (t + m) % len(REGIONS)))
        for s in range(3 if m == 0 else 2):
            TREE.append((f"T{t}M{m}S{s}", f"T{t}M{m}", 3, (t + m + s) % len(REGIONS)))
            if s == 0 and m < 2:
                TREE.append((f"T{t}M{m}S{s}V0", f"T{t}M{m}S{s}", 4, (t + m) % len(REGIONS)))
# A 二级 recruited by a peer 二级 (平级推荐): placed under the 一级, recruiter recorded.
SAME_LEVEL_RECRUIT = ("T0M0S3", "T0M0", 3, 0, "T0M0S0")
FROZEN, EXPIRED = "T1M2S1", "T2M1S1"
JOINED_DAYS_AGO = 90


def phone_for(i: int) -> str:
    return f"+86135{i:08d}"


def _agent(i: int, key: str, upline: Agent | None, level: Level, region: int, ctx: dict,
           recruiter: Agent | None = None) -> Agent:
    phone = phone_for(i)
    existing = Agent.objects.select_related("level").filter(user__phone=phone).first()
    if existing is not None:
        return existing
    name = SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 5) % len(GIVEN)]
    user = User.objects.filter(phone=phone).first() or User.objects.create_user(phone, DEMO_PASSWORD, name=name)
    province, city, district = REGIONS[region]
    # Placed by HQ with their stock history: the level's first stock purchase is waived.
    agent = services.create_agent(user=user, name=name, level=level, upline=upline, recruiter=recruiter,
                                  first_purchase=None, wechat_id=f"lanxi_{key.lower()}", province_code=province, city_code=city,
                                  district_code=district, reason="demo")
    ctx["created"].append(f"agent {key}")
    return agent


def _volume(agents: list[Agent], ctx: dict) -> None:
    """Restock volume this month and last month for most agents (below every upgrade threshold)."""
    if AgentPurchase.objects.filter(agent__in=agents).exists():
        return
    now = timezone.now()
    last_month = now.replace(day=1) - timedelta(days=3)
    amounts = [Decimal(x) for x in ("1280", "860", "1990", "540", "1500", "720", "1180")]
    for i, agent in enumerate(agents):
        if agent.status != AgentStatus.ACTIVE or i % 5 == 4:
            continue
        cap = Decimal("1500") if agent.level.rank >= 3 else Decimal("5000")
        amount = min(amounts[i % len(amounts)] * (4 - min(agent.level.rank, 3)), cap)
        services.record_purchase_volume(agent, amount, last_month)
        if i % 3:
            services.record_purchase_volume(agent, (amount / 2).quantize(Decimal("1")), now - timedelta(hours=i))
    ctx["created"].append("agent volume")


def load(ctx: dict) -> None:
    ctx.setdefault("created", [])
    ctx.setdefault("logins", [])
    levels = {lv.rank: lv for lv in demo_levels.load(ctx)}  # levels, rules and prices (levels area)
    by_key: dict[str, Agent] = {}
    with demo_clock.days_ago(JOINED_DAYS_AGO):  # the network predates the orders demo's five weeks
        for i, (key, up, rank, region) in enumerate(TREE, start=1):
            by_key[key] = _agent(i, key, by_key.get(up) if up else None, levels[rank], region, ctx)
        key, up, rank, region, recruiter = SAME_LEVEL_RECRUIT
        by_key[key] = _agent(len(TREE) + 1, key, by_key[up], levels[rank], region, ctx,
                             recruiter=by_key[recruiter])
    hq = ctx.get("hq_operator") or ctx.get("hq_admin")
    if by_key[FROZEN].status == AgentStatus.ACTIVE and not by_key[FROZEN].events.filter(kind="frozen").exists():
        by_key[FROZEN] = services.freeze_agent(by_key[FROZEN], actor=hq, reason="价格投诉核查中 (demo)")
    if by_key[EXPIRED].status == AgentStatus.ACTIVE and not by_key[EXPIRED].events.filter(kind="expired").exists():
        by_key[EXPIRED] = services.expire_agent(by_key[EXPIRED], actor=hq, reason="授权到期未续 (demo)")
    agents = list(Agent.objects.select_related("level").filter(pk__in=[a.pk for a in by_key.values()])
                  .order_by("depth", "pk"))
    _volume(agents, ctx)
    fresh = {a.pk: a for a in agents}
    top, mid, low = (fresh[by_key[k].pk] for k in ("T0", "T0M0", "T0M0S0"))
    ctx["agent"] = top  # the demo agent: a 总代 with a team (codes, earnings and inventory use it)
    ctx["agent_levels"] = levels
    for label, agent in ((_("Agent (总代, with a team)"), top), (_("Agent (一级)"), mid), (_("Agent (二级)"), low)):
        user = agent.user
        ctx["logins"].append((label, user.phone, DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else None))

"""Recruitment writes: invites, applications, decisions. Each is one transaction and
raises weishang.core.errors exceptions with a message for the person in front of it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.accounts.models import User
from weishang.accounts.phones import normalize_phone, phone_region
from weishang.accounts.roles import hq_can
from weishang.accounts.services import REGION_TIME_ZONES
from weishang.agents.models import Agent, AgentStatus, Level
from weishang.agents.selectors import agent_of
from weishang.core import ratelimit
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from weishang.regions import divisions

from . import tokens
from .models import Application, ApplicationStatus, Invite, Stage

INVITE_DAYS_DEFAULT = 7
INVITE_DAYS_MAX = 90
# WeChat IDs: 6-20 letters, digits, _ and -, starting with a letter; LINE IDs: 4-20 with . too.
# Both are accepted a little more loosely (1-40) so older IDs still fit; no spaces, no NUL.
_HANDLE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")


class InviteInvalid(DomainError):
    status = 404
    code = "invite_invalid"

    def __init__(self, message: Any = None, **kw: Any) -> None:
        super().__init__(message or _("This invite link is not valid. Ask the person who invited you for a new one."),
                         **kw)


def _field_error(field: str, message: Any, code: str, cls: type[DomainError] = DomainError) -> DomainError:
    return cls(message, code=code, fields={field: [message]})


def _text(value: str, field: str, max_length: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise _field_error(field, _("Remove the NUL character from this text."), "validation_error")
    if required and not text:
        raise _field_error(field, _("This field is required."), "required")
    if len(text) > max_length:
        raise _field_error(field, _("At most %(n)d characters.") % {"n": max_length}, "too_long")
    return text


def hq_can_recruit(user) -> bool:
    return hq_can(user, "recruitment.add_invite")


def hq_can_decide(user) -> bool:
    return hq_can(user, "recruitment.change_application")




def levels_for(user) -> list[Level]:
    """The levels this person may invite for: HQ any active level; an active agent its own
    level and the ones below it (a larger rank)."""
    qs = Level.objects.filter(is_active=True).order_by("rank")
    if hq_can_recruit(user):
        return list(qs)
    agent = agent_of(user)
    if agent is None or agent.status != AgentStatus.ACTIVE:
        return []
    return list(qs.filter(rank__gte=agent.level.rank))


@transaction.atomic
def create_invite(*, user, level: Level, valid_days: int = INVITE_DAYS_DEFAULT, max_uses: int | None = None,
                  note: str = "", as_hq: bool | None = None) -> Invite:
    """An invite for `level`. An agent invites under itself; HQ staff (not agents) invite
    directly under HQ. `as_hq` forces HQ for staff who are agents too."""
    agent = agent_of(user)
    hq = hq_can_recruit(user) and (as_hq if as_hq is not None else agent is None)
    if not hq:
        if agent is None:
            raise PermissionDenied(_("Only agents and HQ can invite."))
        if agent.status != AgentStatus.ACTIVE:
            raise PermissionDenied(_("Your account is not active, so you cannot invite."), code="agent_inactive")
        if level.rank < agent.level.rank:
            raise _field_error("level", _("You can invite for your own level or a lower one only."),
                               "level_too_high", PermissionDenied)
    if not level.is_active:
        raise _field_error("level", _("This level is not open for applications."), "level_inactive")
    if not 1 <= int(valid_days) <= INVITE_DAYS_MAX:
        raise _field_error("valid_days", _("An invite is valid for 1 to %(n)d days.") % {"n": INVITE_DAYS_MAX},
                           "bad_validity")
    if max_uses is not None and not 1 <= int(max_uses) <= 10000:
        raise _field_error("max_uses", _("Between 1 and 10000 applicants, or empty for any number."), "bad_max_uses")
    return Invite.objects.create(key=tokens.new_key(), inviter=None if hq else agent, created_by=user, level=level,
                                 note=_text(note, "note", 60), max_uses=max_uses,
                                 expires_at=timezone.now() + dt.timedelta(days=int(valid_days)))


def open_invite(token: str, *, lock: bool = False) -> Invite:
    """The invite behind a link, if it can still be used; else InviteInvalid (forged,
    unknown, revoked, expired, used up)."""
    key = tokens.unsign(token)
    if key is None:
        raise InviteInvalid()
    qs = Invite.objects.select_related("level", "inviter", "inviter__level")
    invite = (qs.select_for_update(of=("self",)) if lock else qs).filter(key=key).first()
    if invite is None or invite.revoked_at is not None:
        raise InviteInvalid()
    if invite.inviter is not None and invite.inviter.status != AgentStatus.ACTIVE:
        raise InviteInvalid()  # a frozen or expired agent's links stop working (and work again if reactivated)
    if invite.is_expired:
        raise InviteInvalid(_("This invite link has expired. Ask the person who invited you for a new one."),
                            code="invite_expired", status=410)
    if invite.is_used_up:
        raise InviteInvalid(_("This invite link has already been used. Ask the person who invited you for a new one."),
                            code="invite_used", status=410)
    return invite


@transaction.atomic
def revoke_invite(invite: Invite, *, user) -> Invite:
    owner = invite.created_by_id == user.pk or (invite.inviter is not None and invite.inviter.user_id == user.pk)
    if not owner and not hq_can_recruit(user):
        raise NotFound()
    Invite.objects.filter(pk=invite.pk, revoked_at=None).update(revoked_at=timezone.now())
    invite.refresh_from_db()
    return invite


def check_apply_rate(ip: str) -> None:
    """Applying is public: count every attempt per client (it would otherwise tell, one
    phone number at a time, who is an agent or has an account)."""
    limit, window = getattr(settings, "RECRUITMENT_APPLY_RATE", (10, 3600))
    if not ratelimit.hit("recruit-apply", ip, limit=int(limit), window=int(window)):
        raise RateLimited(_("Too many applications from your network. Please try again later."))


@transaction.atomic
def apply(*, token: str, name: str, phone: str, wechat_id: str = "", line_id: str = "",
          province_code: str = "", city_code: str | None = None, district_code: str | None = None,
          password: str = "", user=None) -> Application:
    """Apply to become an agent through an invite link. `user` is the logged-in person, if
    any. A phone that belongs to an account needs that account to be logged in; a new
    person chooses a password, used for the account made on approval."""
    invite = open_invite(token, lock=True)
    name = _text(name, "name", 60, required=True)
    try:
        e164 = normalize_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="invalid_phone", fields={"phone": exc.messages})
    wechat_id, line_id = _text(wechat_id, "wechat_id", 40), _text(line_id, "line_id", 40)
    if not wechat_id and not line_id:
        raise DomainError(_("Enter your WeChat ID or LINE ID, so your upline can reach you."), code="contact_required",
                          fields={"wechat_id": [_("Enter your WeChat ID or LINE ID.")]})
    for field, value in (("wechat_id", wechat_id), ("line_id", line_id)):
        if value and not _HANDLE.match(value):
            raise _field_error(field, _("Use letters, digits, _ - and . only."), "bad_handle")
    try:
        region = divisions.validate(province_code or None, city_code or None, district_code or None)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="bad_region", fields={"region": exc.messages})

    if Agent.objects.filter(user__phone=e164).exists():
        raise _field_error("phone", _("This phone number already belongs to an agent."), "phone_is_agent", Conflict)
    account = User.objects.filter(phone=e164).first()
    password_hash = ""
    if account is not None:
        if user is None or not user.is_authenticated or user.pk != account.pk:
            raise _field_error("phone", _("This phone number has an account. Log in first, then open the invite "
                                          "link again."), "login_required", Conflict)
    else:
        if user is not None and user.is_authenticated:
            raise _field_error("phone", _("Apply with the phone number of the account you are logged in with."),
                               "phone_mismatch")
        probe = User(phone=e164, name=name)
        try:
            password_validation.validate_password(password or "", probe)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], code="weak_password", fields={"password": exc.messages})
        password_hash = make_password(password)
    if Application.objects.filter(invite=invite, phone=e164).exists():
        raise InviteInvalid(_("You have already applied with this invite link."), code="invite_reused",
                            status=409)
    if Application.objects.filter(phone=e164, status=ApplicationStatus.PENDING).exists():
        raise _field_error("phone", _("You already have an application waiting for a decision."),
                           "application_open", Conflict)
    try:
        with transaction.atomic():
            app = Application.objects.create(
                ref=tokens.new_ref(), invite=invite, inviter=invite.inviter, level=invite.level, name=name,
                phone=e164, wechat_id=wechat_id, line_id=line_id, province_code=region.province,
                city_code=region.city or "", district_code=region.district or "", region_name=region.full_name,
                user=account, password_hash=password_hash,
                stage=Stage.UPLINE if invite.inviter_id else Stage.HQ)
    except IntegrityError:
        raise _field_error("phone", _("You already have an application waiting for a decision."),
                           "application_open", Conflict)
    Invite.objects.filter(pk=invite.pk).update(uses=F("uses") + 1)
    return app


def can_decide(app: Application, user) -> bool:
    if app.status != ApplicationStatus.PENDING:
        return False
    if app.stage == Stage.UPLINE:
        return app.inviter is not None and app.inviter.user_id == user.pk
    return hq_can_decide(user)


def _finish(app: Application, by, *, password_hash: str) -> Agent:
    """Create the account (if new), the agent and its certificate."""
    from weishang.agents import services as agent_services
    from weishang.certificates.services import issue_certificate

    if Agent.objects.filter(user__phone=app.phone).exists():
        raise Conflict(_("This phone number already belongs to an agent."), code="phone_is_agent")
    user = User.objects.filter(phone=app.phone).first()
    if user is None:
        user = User(phone=app.phone, name=app.name,
                    time_zone=REGION_TIME_ZONES.get(phone_region(app.phone), settings.TIME_ZONE))
        if password_hash:
            user.password = password_hash
        else:
            user.set_unusable_password()
        user.save()
    upline = app.inviter
    agent = agent_services.create_agent(
        user=user, name=app.name, level=app.level, upline=upline, recruiter=upline, wechat_id=app.wechat_id,
        line_id=app.line_id, province_code=app.province_code, city_code=app.city_code,
        district_code=app.district_code)
    issue_certificate(agent, issued_by=by)
    app.user = user
    return agent


@transaction.atomic
def decide(application: Application | int, *, user, approve: bool, reason: str = "") -> Application:
    """The upline's or HQ's decision. Approving at the upline stage of a level that needs HQ
    moves the application to HQ; the last approval creates the account, the agent and the
    certificate. Rejecting needs a reason. Two decisions at once: one wins, the other gets
    Conflict."""
    pk = application.pk if isinstance(application, Application) else application
    app = (Application.objects.select_for_update(of=("self",)).select_related("level", "inviter")
           .filter(pk=pk).first())
    if app is None:
        raise NotFound()
    is_party = (app.inviter is not None and app.inviter.user_id == user.pk) or hq_can_decide(user)
    if not is_party:
        raise NotFound()
    if app.status != ApplicationStatus.PENDING:
        raise Conflict(_("This application has already been decided."), code="already_decided")
    if not can_decide(app, user):
        raise PermissionDenied(_("This application is waiting for someone else's decision."), code="not_your_turn")
    reason = _text(reason, "reason", 300, required=not approve)
    now = timezone.now()
    stage, secret = app.stage, app.password_hash
    if not approve:
        changes = {"status": ApplicationStatus.REJECTED, "stage": Stage.DONE, "reason": reason, "decided_by": user,
                   "decided_at": now, "password_hash": ""}
    elif stage == Stage.UPLINE and app.level.requires_hq_approval:
        changes = {"stage": Stage.HQ, "upline_decided_by": user, "upline_decided_at": now}
    else:
        changes = {"status": ApplicationStatus.APPROVED, "stage": Stage.DONE, "reason": reason, "decided_by": user,
                   "decided_at": now, "password_hash": ""}
        if stage == Stage.UPLINE:
            changes.update(upline_decided_by=user, upline_decided_at=now)
    # The guard that makes two simultaneous decisions safe on every database: only the one
    # that still finds the application pending at this stage changes it.
    if not Application.objects.filter(pk=app.pk, status=ApplicationStatus.PENDING, stage=stage).update(**changes):
        raise Conflict(_("This application has already been decided."), code="already_decided")
    for k, v in changes.items():
        setattr(app, k, v)
    if app.status == ApplicationStatus.APPROVED:
        app.agent = _finish(app, user, password_hash=secret)
        Application.objects.filter(pk=app.pk).update(agent=app.agent, user=app.agent.user)
        app.user = app.agent.user
    return app

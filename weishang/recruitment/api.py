"""Recruitment API: invites (agents, HQ), applying with a token (public), application
status (public, by reference and phone), the decision inbox and decisions."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field, StrictInt

from weishang.accounts.auth import session_or_token
from weishang.accounts.phones import normalize_phone
from weishang.agents.models import Level
from weishang.agents.selectors import agent_of
from weishang.core import ratelimit
from weishang.core.api import SAFE_TEXT, BodyId, ErrorOut, PathId
from weishang.core.errors import DomainError, NotFound, PermissionDenied

from . import poster as posters
from . import selectors, services
from .models import Application, Invite

API_PREFIX = "recruitment"
router = Router(tags=["recruitment"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut,
          429: ErrorOut}


class InviteIn(Schema):
    level_id: BodyId
    valid_days: StrictInt = Field(7, ge=1, le=services.INVITE_DAYS_MAX)
    max_uses: StrictInt | None = Field(None, ge=1, le=10000)
    note: str = Field("", max_length=60, pattern=SAFE_TEXT)


class InviteOut(Schema):
    id: int
    level_id: int
    level: str
    url: str
    token: str
    poster_url: str
    expires_at: dt.datetime
    max_uses: int | None
    uses: int
    open: bool
    hq: bool


class ApplyIn(Schema):
    name: str = Field(..., max_length=60, pattern=SAFE_TEXT)
    phone: str = Field(..., max_length=30)
    wechat_id: str = Field("", max_length=40)
    line_id: str = Field("", max_length=40)
    province_code: str = Field(..., max_length=12)
    city_code: str = Field("", max_length=12)
    district_code: str = Field("", max_length=12)
    password: str = Field("", max_length=128)


class StatusOut(Schema):
    ref: str
    status: str
    stage: str
    level: str
    reason: str
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    status_url: str


class ApplicationOut(Schema):
    id: int
    ref: str
    name: str
    phone: str
    wechat_id: str
    line_id: str
    region: str
    level_id: int
    level: str
    status: str
    stage: str
    reason: str
    applied_at: dt.datetime
    agent_id: int | None


class DecisionIn(Schema):
    reason: str = Field("", max_length=300, pattern=SAFE_TEXT)


class StatusQuery(Schema):
    ref: str = Field(..., max_length=20)
    phone: str = Field(..., max_length=30)


def _invite_out(invite: Invite) -> InviteOut:
    return InviteOut(id=invite.pk, level_id=invite.level_id, level=invite.level.name, url=posters.invite_url(invite),
                     token=invite.token, poster_url=f"/api/v1/{API_PREFIX}/invites/{invite.pk}/poster.png", expires_at=invite.expires_at,
                     max_uses=invite.max_uses, uses=invite.uses, open=invite.is_open, hq=invite.inviter_id is None)


def _status_out(app: Application) -> StatusOut:
    return StatusOut(ref=app.ref, status=app.status, stage=app.stage, level=app.level.name, reason=app.reason,
                     applied_at=app.created_at, decided_at=app.decided_at,
                     status_url=reverse("recruitment:status", args=[app.ref]))


def _app_out(app: Application) -> ApplicationOut:
    return ApplicationOut(id=app.pk, ref=app.ref, name=app.name, phone=app.phone, wechat_id=app.wechat_id,
                          line_id=app.line_id, region=app.region_name, level_id=app.level_id, level=app.level.name,
                          status=app.status, stage=app.stage, reason=app.reason, applied_at=app.created_at,
                          agent_id=app.agent_id)


@router.post("/invites", response={201: InviteOut, **ERRORS}, auth=session_or_token,
             summary="Create an invite (agents: own level or lower; HQ: any level)")
def create_invite(request, payload: InviteIn):
    level = Level.objects.filter(pk=payload.level_id).first()
    if level is None:
        raise DomainError(_("Unknown level."), code="unknown_level", fields={"level_id": [_("Unknown level.")]})
    invite = services.create_invite(user=request.user, level=level, valid_days=payload.valid_days,
                                    max_uses=payload.max_uses, note=payload.note)
    return 201, _invite_out(invite)


@router.get("/invites", response={200: list[InviteOut], **ERRORS}, auth=session_or_token, summary="My invites")
def list_invites(request):
    if not services.levels_for(request.user) and not selectors.my_invites(request.user).exists():
        raise PermissionDenied(_("Only agents and HQ can invite."))
    return [_invite_out(i) for i in selectors.my_invites(request.user)[:100]]


def _own_invite(request, invite_id: int) -> Invite:
    invite = Invite.objects.select_related("level", "inviter").filter(pk=invite_id).first()
    if invite is None or invite.created_by_id != request.user.pk:
        raise NotFound()
    return invite


@router.get("/invites/{invite_id}/poster.png", response={200: None, **ERRORS}, auth=session_or_token,
            summary="The invite's QR poster (PNG)")
def invite_poster(request, invite_id: PathId):
    invite = _own_invite(request, invite_id)
    return HttpResponse(posters.render_poster(invite), content_type="image/png",
                        headers={"Cache-Control": "private, max-age=300"})


@router.post("/invites/{invite_id}/revoke", response={200: InviteOut, **ERRORS}, auth=session_or_token,
             summary="Stop an invite link working")
def revoke_invite(request, invite_id: PathId):
    return _invite_out(services.revoke_invite(_own_invite(request, invite_id), user=request.user))


@router.post("/apply/{token}", response={201: StatusOut, **ERRORS}, auth=None,
             summary="Apply through an invite link (public; no fee is ever charged)")
def apply(request: HttpRequest, token: str, payload: ApplyIn):
    user = request.user if request.user.is_authenticated else None
    services.check_apply_rate(ratelimit.client_ip(request))
    app = services.apply(token=token, user=user, **payload.dict())
    return 201, _status_out(app)


@router.get("/applications/status", response={200: StatusOut, **ERRORS}, auth=None,
            summary="An application's status, by its reference and the applicant's phone (public)")
def application_status(request, params: Query[StatusQuery]):
    app = selectors.status_by_ref(params.ref)
    try:
        phone = normalize_phone(params.phone)
    except ValidationError:
        phone = None
    if app is None or phone != app.phone:
        raise NotFound(_("No application with this reference and phone number."))
    return _status_out(app)


@router.get("/applications", response={200: list[ApplicationOut], **ERRORS}, auth=session_or_token,
            summary="Applications waiting for my decision (agent: as upline; HQ: the HQ queue)")
def inbox(request):
    agent = agent_of(request.user)
    if agent is not None:
        return [_app_out(a) for a in selectors.waiting_for_agent(agent)[:100]]
    if services.hq_can_decide(request.user):
        return [_app_out(a) for a in selectors.waiting_for_hq()[:100]]
    raise PermissionDenied(_("Only agents and HQ decide applications."))


def _decide(request, application_id: int, approve: bool, reason: str) -> ApplicationOut:
    app = services.decide(application_id, user=request.user, approve=approve, reason=reason)
    return _app_out(get_object_or_404(Application.objects.select_related("level"), pk=app.pk))


@router.post("/applications/{application_id}/approve", response={200: ApplicationOut, **ERRORS},
             auth=session_or_token, summary="Approve (the inviting upline, then HQ when the level requires it)")
def approve(request, application_id: PathId, payload: DecisionIn):
    return _decide(request, application_id, True, payload.reason)


@router.post("/applications/{application_id}/reject", response={200: ApplicationOut, **ERRORS},
             auth=session_or_token, summary="Reject with a reason")
def reject(request, application_id: PathId, payload: DecisionIn):
    return _decide(request, application_id, False, payload.reason)

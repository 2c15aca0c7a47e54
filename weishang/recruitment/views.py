"""Recruitment pages: the applicant's form and status (public), the agent's invites and
applications inbox (phone). HQ decides in the admin (Recruitment › Applications)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from weishang.agents.selectors import agent_of
from weishang.core import ratelimit
from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error

from . import poster as posters
from . import selectors, services
from .forms import ApplicationForm, DecisionForm, InviteForm
from .models import Invite


@never_cache
@require_http_methods(["GET", "POST"])
def join(request, token: str):
    try:
        invite = services.open_invite(token)
    except services.InviteInvalid as exc:
        return render(request, "recruitment/join_invalid.html", {"message": exc.message}, status=exc.status)
    logged_in = request.user.is_authenticated
    initial = {"phone": request.user.phone, "name": request.user.name} if logged_in else {}
    form = ApplicationForm(request.POST or None, initial=initial, logged_in=logged_in)
    status_code = 400
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = data["region"]
        try:
            services.check_apply_rate(ratelimit.client_ip(request))
            app = services.apply(token=token, name=data["name"], phone=data["phone"], wechat_id=data["wechat_id"],
                                 line_id=data["line_id"], province_code=region.province, city_code=region.city,
                                 district_code=region.district, password=data.get("password", ""),
                                 user=request.user if logged_in else None)
        except services.InviteInvalid as exc:
            return render(request, "recruitment/join_invalid.html", {"message": exc.message}, status=exc.status)
        except DomainError as exc:
            add_domain_error(form, exc)
            status_code = exc.status if exc.status == 429 else 400
        else:
            return redirect("recruitment:status", ref=app.ref)
    return render(request, "recruitment/join.html", {
        "invite": invite, "form": form, "first_purchase": selectors.first_purchase(invite.level),
        "inviter_name": posters.mask_name(invite.inviter.name) if invite.inviter else None,
    }, status=status_code if form.errors else 200)


@never_cache
@require_GET
def status(request, ref: str):
    app = selectors.status_by_ref(ref)
    if app is None:
        raise Http404
    return render(request, "recruitment/status.html", {"app": app, "status_url": request.build_absolute_uri()})


@login_required
@require_GET
def my_applications(request):
    return render(request, "recruitment/mine.html", {"apps": selectors.for_phone(request.user.phone)[:20]})


@login_required
@require_http_methods(["GET", "POST"])
def invites(request):
    levels = services.levels_for(request.user)
    if not levels:
        raise PermissionDenied
    form = InviteForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invite = services.create_invite(user=request.user, level=data["level"], valid_days=data["valid_days"],
                                            max_uses=data["max_uses"], note=data["note"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Invite created: share the link or the poster."))
            return redirect(f"{request.path}?new={invite.pk}")
    mine = list(selectors.my_invites(request.user)[:30])
    new_pk = request.GET.get("new", "")
    new = next((i for i in mine if str(i.pk) == new_pk), None) or (mine[0] if mine and mine[0].is_open else None)
    return render(request, "recruitment/invites.html", {
        "form": form, "invites": mine, "new": new, "new_url": posters.invite_url(new) if new else "",
    }, status=400 if form.errors else 200)


def _own_invite(request, pk: int) -> Invite:
    invite = get_object_or_404(Invite.objects.select_related("level", "inviter"), pk=pk)
    if invite.created_by_id != request.user.pk:
        raise Http404
    return invite


@login_required
@require_GET
def poster(request, pk: int):
    invite = _own_invite(request, pk)
    response = HttpResponse(posters.render_poster(invite), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="invite-{invite.pk}.png"'
    return response


@login_required
@require_POST
def revoke(request, pk: int):
    invite = _own_invite(request, pk)
    services.revoke_invite(invite, user=request.user)
    messages.success(request, _("The invite link no longer works."))
    return redirect("recruitment:invites")


@login_required
@require_GET
def inbox(request):
    agent = agent_of(request.user)
    if agent is None:
        raise PermissionDenied
    return render(request, "recruitment/inbox.html", {
        "agent": agent, "waiting": list(selectors.waiting_for_agent(agent)[:50]),
        "decided": selectors.decided_by_agent(agent), "form": DecisionForm(),
    })


@login_required
@require_POST
def decide(request, pk: int):
    agent = agent_of(request.user)
    if agent is None:
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("recruitment:inbox")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        app = services.decide(pk, user=request.user, approve=approve, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        if exc.status == 404:
            raise Http404
        messages.error(request, exc.message)
    else:
        if app.status == "approved":
            messages.success(request, _("%(name)s is now your %(level)s agent.") % {"name": app.name,
                                                                                     "level": app.level.name})
        elif app.stage == "hq":
            messages.success(request, _("Approved; HQ approves this level too and will decide next."))
        else:
            messages.success(request, _("Rejected. The applicant sees your reason."))
    return redirect("recruitment:inbox")

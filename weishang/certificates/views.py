"""Certificate pages: the agent's own certificate (with downloads) and the public lookup."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from weishang.agents.selectors import own_agent_or_403
from weishang.core.errors import DomainError, RateLimited

from . import lookup, selectors
from . import render as drawing
from .models import Certificate, CertificateStatus


def _own_certificate(request) -> Certificate:
    cert = selectors.latest_for(own_agent_or_403(request.user))
    if cert is None:
        raise Http404
    return cert


def _file(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def mine(request):
    agent = own_agent_or_403(request.user)
    cert = selectors.latest_for(agent)
    return render(request, "certificates/mine.html", {
        "agent": agent, "cert": cert, "active": cert is not None and cert.status == CertificateStatus.ACTIVE,
        "today": timezone.localdate(), "lookup_url": drawing.lookup_url(cert.number) if cert else "",
    })


@login_required
@require_GET
def mine_png(request):
    cert = _own_certificate(request)
    return _file(drawing.render_png(cert), "image/png", f"{cert.number}.png")


@login_required
@require_GET
def mine_pdf(request):
    cert = _own_certificate(request)
    return _file(drawing.render_pdf(cert), "application/pdf", f"{cert.number}.pdf")


@never_cache
@require_GET
def lookup_page(request):
    raw = request.GET.get("q")
    ctx: dict = {"q": (raw or "")[:lookup.MAX_QUERY], "answer": None, "error": None}
    status = 200
    if raw is not None:
        try:
            ctx["answer"] = lookup.lookup(request, raw)
        except RateLimited as exc:
            ctx["error"], status = exc.message, 429
        except DomainError as exc:
            ctx["error"], status = exc.message, 400
    return render(request, "certificates/lookup.html", ctx, status=status)


@never_cache
@require_GET
def lookup_image(request, token: str):
    """The masked certificate image, for a link handed out by a lookup answer only."""
    number = lookup.number_from_image_token(token)
    cert = selectors.find_authorised(number) if number else None
    if cert is None:
        raise Http404
    response = HttpResponse(drawing.render_png(cert, public=True), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response

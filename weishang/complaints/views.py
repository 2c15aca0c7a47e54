"""Complaint pages: the consumer's form and list; HQ's list with assign and close."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weishang.accounts.roles import hq_page
from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error

from . import selectors, services
from .forms import ComplaintForm
from .models import ComplaintStatus


@login_required
def new(request):
    initial = {"order_no": request.GET.get("order", ""), "agent_id": request.GET.get("agent") or None}
    form = ComplaintForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.open_complaint(user=request.user, **form.cleaned_data)
                messages.success(request, _("Your complaint was sent to HQ."))
                return redirect("complaints:mine")
            except DomainError as exc:
                add_domain_error(form, exc)
        status = 400
    return render(request, "complaints/new.html", {"form": form}, status=status)


@login_required
def mine(request):
    return render(request, "complaints/mine.html", {"complaints": selectors.mine(request.user)[:50]})


HQ_PERMISSION = "complaints.view_complaint"


@hq_page(HQ_PERMISSION)
def hq_list(request):
    status = request.GET.get("status", "")
    if status not in ComplaintStatus.values:
        status = ""
    page = Paginator(selectors.for_hq(status), 30).get_page(request.GET.get("page"))
    return render(request, "complaints/hq_list.html", {
        "page": page, "status": status, "statuses": ComplaintStatus.choices, "handlers": selectors.handlers(),
        "can_handle": services.can_handle(request.user)})


def _act(request, action, done):
    try:
        action()
        messages.success(request, done)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied
        messages.error(request, exc.message)
    return redirect("complaints:hq_list")


@hq_page(HQ_PERMISSION)
@require_POST
def hq_assign(request, pk: int):
    raw = request.POST.get("assignee", "")
    assignee = get_user_model().objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    return _act(request, lambda: services.assign(pk, actor=request.user, assignee=assignee),
                _("Complaint assigned."))


@hq_page(HQ_PERMISSION)
@require_POST
def hq_close(request, pk: int):
    return _act(request, lambda: services.close(pk, actor=request.user, outcome=request.POST.get("outcome", "")),
                _("Complaint closed."))

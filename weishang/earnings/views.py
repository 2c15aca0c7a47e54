"""Earnings pages: the agent's phone page (balances, pending dates, withdrawals, monthly
statements) and HQ pages (compliance profile, monthly totals, withdrawal settlement)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from weishang.accounts.roles import hq_can, hq_page
from weishang.agents.models import Agent
from weishang.agents.selectors import own_agent_or_403
from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error

from . import conf, selectors, services
from .forms import RejectForm, WithdrawalForm
from .models import PayoutBatch, Withdrawal, WithdrawalState


def _month(request) -> tuple[int, int]:
    now = timezone.localtime()
    try:
        y, m = (int(p) for p in request.GET.get("month", "").split("-"))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    except ValueError:
        pass
    return now.year, now.month


def _statement_agent(request) -> Agent:
    """An agent sees only its own statement; HQ finance may look at any agent's (?agent=<id>)."""
    agent_id = request.GET.get("agent")
    if agent_id and hq_can(request.user, "earnings.view_any_statement"):
        return get_object_or_404(Agent, pk=agent_id) if agent_id.isdigit() else _raise404()
    agent = own_agent_or_403(request.user)
    if agent_id and agent_id != str(agent.pk):
        raise Http404
    return agent


def _raise404():
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    agent = own_agent_or_403(request.user)
    ov = selectors.overview(agent)
    form = WithdrawalForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            w = services.request_withdrawal(agent=agent, currency=ov.currency, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Withdrawal #%(n)s requested: %(a)s %(c)s (fee %(f)s).")
                             % {"n": w.pk, "a": w.amount, "c": w.currency, "f": w.fee})
            return redirect("earnings:home")
    return render(request, "earnings/home.html", {
        "agent": agent, "ov": ov, "form": form, "window_days": conf.return_window().days,
        "minimum": conf.withdrawal_minimum(ov.currency), "fee_percent": conf.withdrawal_fee_percent(),
        "fee_minimum": conf.withdrawal_fee_minimum(ov.currency),
    }, status=400 if form.errors else 200)


@login_required
def statement_view(request):
    agent = _statement_agent(request)
    y, m = _month(request)
    st = selectors.statement(agent, y, m)
    prev = f"{y - (m == 1)}-{(m - 2) % 12 + 1:02d}"
    nxt = f"{y + (m == 12)}-{m % 12 + 1:02d}"
    return render(request, "earnings/statement.html", {"st": st, "prev": prev, "next": nxt,
                                                       "month": f"{y}-{m:02d}", "agent": agent})


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@login_required
def statement_xlsx_view(request):
    agent = _statement_agent(request)
    y, m = _month(request)
    return _xlsx_response(selectors.statement_xlsx(selectors.statement(agent, y, m)),
                          f"statement-{agent.pk}-{y}-{m:02d}.xlsx")


@hq_page("earnings.view_any_statement")
def hq_profile(request):
    return render(request, "earnings/hq_profile.html", selectors.profile_summary())


@hq_page("earnings.view_any_statement")
def hq_totals(request):
    y, m = _month(request)
    totals = selectors.hq_month_totals(y, m, request.GET.get("currency") or None)
    return render(request, "earnings/hq_totals.html", {"t": totals, "month": f"{y}-{m:02d}"})


@hq_page("earnings.view_any_statement")
def hq_totals_xlsx(request):
    y, m = _month(request)
    totals = selectors.hq_month_totals(y, m, request.GET.get("currency") or None)
    return _xlsx_response(selectors.totals_xlsx(totals), f"earnings-totals-{y}-{m:02d}.xlsx")


@hq_page("earnings.pay_withdrawal")
@require_http_methods(["GET", "POST"])
def hq_withdrawals(request):
    reject_form = RejectForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.approve_withdrawal(int(request.POST["id"]), by=request.user)
                messages.success(request, _("Withdrawal approved."))
            elif action == "reject":
                reject_form = RejectForm(request.POST)
                services.reject_withdrawal(int(request.POST["id"]), by=request.user,
                                           reason=request.POST.get("reason", ""))
                messages.success(request, _("Rejected; the money is back in the agent's available balance."))
            elif action == "batch":
                batch = services.create_batch(by=request.user, currency=request.POST.get("currency", "CNY"))
                messages.success(request, _("Payment batch #%(n)s created.") % {"n": batch.pk})
            elif action == "paid":
                services.mark_batch_paid(int(request.POST["batch"]), by=request.user)
                messages.success(request, _("Marked as paid."))
            else:
                raise DomainError(_("Unknown action."))
        except (KeyError, ValueError):
            messages.error(request, _("The request is not valid."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("earnings:hq_withdrawals")
    qs = Withdrawal.objects.select_related("agent", "batch")
    return render(request, "earnings/hq_withdrawals.html", {
        "requested": qs.filter(state=WithdrawalState.REQUESTED).order_by("requested_at")[:100],
        "approved": qs.filter(state=WithdrawalState.APPROVED, batch__isnull=True).order_by("requested_at")[:100],
        "batches": PayoutBatch.objects.filter(withdrawals__state=WithdrawalState.APPROVED).distinct()
        .order_by("-pk")[:20],
        "recent": qs.exclude(state__in=[WithdrawalState.REQUESTED]).order_by("-pk")[:30],
        "reject_form": reject_form,
    })


@hq_page("earnings.pay_withdrawal")
def batch_xlsx(request, pk: int):
    batch = get_object_or_404(PayoutBatch, pk=pk)
    return _xlsx_response(selectors.batch_xlsx(batch), f"payment-batch-{batch.pk}.xlsx")

"""HQ reconciliation pages (对账): import a provider's daily bill, see its mismatches."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from weishang.accounts.roles import hq_page
from weishang.core.errors import DomainError

from .forms import BillImportForm
from .models import Reconciliation
from .reconciliation import import_bill

PERMISSION = "payments.reconcile"


@hq_page(PERMISSION)
def reconcile(request):
    status = 200
    if request.method == "POST":
        form = BillImportForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                run = import_bill(provider=d["provider"], day=d["day"], upload=d["bill"], user=request.user)
                messages.success(request, _("Bill imported."))
                return redirect("payments:reconciliation", run_id=run.pk)
            except DomainError as exc:
                form.add_error("bill", exc.message)
        status = 400
    else:
        form = BillImportForm()
    runs = Reconciliation.objects.select_related("imported_by")[:60]
    return render(request, "payments/reconcile.html", {"form": form, "runs": runs}, status=status)


@hq_page(PERMISSION)
def reconciliation(request, run_id: int):
    run = get_object_or_404(Reconciliation.objects.select_related("imported_by"), pk=run_id)
    return render(request, "payments/reconciliation.html",
                  {"run": run, "mismatches": run.mismatches.select_related("payment__order")})


@hq_page(PERMISSION)
def reconciliation_xlsx(request, run_id: int):
    from openpyxl import Workbook

    run = get_object_or_404(Reconciliation, pk=run_id)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("mismatches")
    ws.append([_("Kind"), _("Trade number"), _("Refund number"), _("Provider transaction"), _("Amount here"),
               _("Amount in the bill"), _("Currency"), _("Order"), _("Detail")])
    for m in run.mismatches.select_related("payment__order"):
        ws.append([str(m.get_kind_display()), m.trade_no, m.refund_no, m.provider_ref,
                   m.amount_here, m.amount_there, m.currency, m.payment.order.no if m.payment else "", m.detail])
    fh = tempfile.TemporaryFile()
    wb.save(fh)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"reconciliation-{run.provider}-{run.day:%Y%m%d}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@hq_page(PERMISSION)
def reconciliation_bill(request, run_id: int):
    """The stored bill file, to the same people (it is not under /media/)."""
    run = get_object_or_404(Reconciliation, pk=run_id)
    return FileResponse(run.bill.open("rb"), as_attachment=True, filename=run.filename or "bill.csv")

"""The back office's admin site: the same Django admin, opening on the HQ dashboard (figures,
charts, and a link to every custom HQ page the viewer may open) above the app list."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import hq_can

# (label, url name, query, the permission the page itself asks for)
HQ_PAGES = (
    (_("Pick list"), "orders:pick_list", "", "orders.ship_order"),
    (_("HQ stock"), "inventory:hq_stock", "", "inventory.view_stock"),
    (_("Approvals"), "admin:recruitment_application_changelist", "?stage__exact=hq", "recruitment.change_application"),
    (_("Refunds"), "orders:refunds", "", "orders.change_refundrequest"),
    (_("Payments and top-ups to confirm"), "payments:home", "", "payments.confirm_hq_payment"),
    (_("Top up an agent"), "payments:hq_topup", "", "payments.confirm_hq_payment"),
    (_("Withdrawals"), "earnings:hq_withdrawals", "", "earnings.pay_withdrawal"),
    (_("Diversion alerts"), "codes:alerts", "", "codes.view_diversionalert"),
    (_("Code batches"), "codes:batches", "", "codes.add_codebatch"),
    (_("Compliance profile"), "earnings:hq_profile", "", "earnings.view_any_statement"),
    (_("Monthly earnings totals"), "earnings:hq_totals", "", "earnings.view_any_statement"),
    (_("Reconciliation"), "payments:reconcile", "", "payments.reconcile"),
    (_("Complaints"), "complaints:hq_list", "", "complaints.view_complaint"),
    (_("Long tasks"), "analytics:jobs", "", ""),
)


def hq_pages(user) -> list:
    out = []
    for label, name, query, perm in HQ_PAGES:
        if perm and not hq_can(user, perm):
            continue
        try:
            out.append((label, reverse(name) + query))
        except NoReverseMatch:  # an app left out of INSTALLED_APPS
            continue
    return out


class HQAdminSite(admin.AdminSite):
    index_template = "analytics/admin_index.html"

    def index(self, request, extra_context=None):
        from . import selectors

        dash = selectors.dashboard(request.user)
        p = dash["periods"]
        # The export lists exactly the orders the sales figures count (selectors.sales_orders).
        export = reverse("admin:orders_order_export") + "?" + urlencode({
            "paid_at__gte": p.month.isoformat(), "paid_at__lt": p.end.isoformat(),
            "kind__in": ",".join(selectors.SALES_KINDS)})
        context = {"dash": dash, "hq_pages": hq_pages(request.user), "orders_export_url": export,
                   **(extra_context or {})}
        return super().index(request, extra_context=context)

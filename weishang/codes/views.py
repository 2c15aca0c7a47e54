"""Pages: consumer verification (/v/<code>), scan-out for warehouse and agents, HQ batches,
code files and labels, traceability, diversion alerts."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from weishang.accounts.roles import hq_page
from weishang.agents.models import Agent, AgentStatus
from weishang.core.errors import DomainError, RateLimited
from weishang.core.forms import add_domain_error

from . import conf, export, location, selectors, services
from . import verify as verification
from .codec import CodeError, code_url, format_code, normalize
from .forms import AlertFilterForm, BatchForm, LabelForm, ManualCodeForm, PinForm, PlaceForm, ScanForm, ShipmentForm
from .models import (
    AlertStatus,
    CodeBatch,
    CodeState,
    DiversionAlert,
    Kind,
    ScanEvent,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from .skeleton import Skeleton

# --- consumer verification ------------------------------------------------------------------------
_VERIFY_PAGE = Skeleton("codes/verify.html")
_MARK = "0" * 18


@functools.cache
def _code_urls() -> dict[str, str]:
    """URL patterns of the verification page's links, reversed once per process."""
    return {name: reverse(name, args=[_MARK]).replace(_MARK, "{}")
            for name in ("codes:verify_place", "codes:verify_pin", "api:codes_verify_place")}


def _nav_flags(request) -> dict:
    user = request.user
    auth = user.is_authenticated
    return {"auth": auth, "staff": auth and user.is_staff}


def _verify_error(request, state: str, message: object, status: int) -> verification.Answer:
    html = _VERIFY_PAGE.render({"state": state, **_nav_flags(request)},
                               {"error": str(message), "next": quote(request.path)})
    return verification.Answer(status, html)


def verify_page(request, code: str):
    """The printed URL (anonymous visitors' scans reach `verify_answer` through codes.fastpath)."""
    return verify_answer(request, code).response(request)


def verify_answer(request, code: str) -> verification.Answer:
    """The page for one scan. Rendered from a pre-rendered skeleton (codes.skeleton): this
    runs on every consumer scan."""
    try:
        outcome = verification.verify(request, code)
    except RateLimited as exc:
        return _verify_error(request, "rate_limited", exc.message, 429)
    except verification.BadFormat as exc:
        return _verify_error(request, "malformed", exc.message, 400)
    except services.CodeInvalid as exc:
        return _verify_error(request, "not_genuine", exc.message, 404)
    info = verification.describe(outcome.result)
    verdict = info["verdict"]
    tz = timezone.get_current_timezone()
    urls = _code_urls()
    code = info["code"].lower()
    flags = {
        "state": "ok" if verdict == "genuine" else ("warn" if verdict == "warning" else "unreleased"),
        "first": info["first_query"], "has_first_place": bool(info["first_place"]),
        "has_seller": info["seller"] is not None, "has_cert": bool(info["seller_certificate_url"]),
        "with_pin": info["with_pin"], "has_place": bool(info["place"]),
        "placed": info["place_source"] in ("choice", "gps"), "geo": location.coords_supported(),
        **_nav_flags(request),
    }
    values = {
        "nth": info["nth"], "first_at": info["first_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "first_place": info["first_place"], "people": info["distinct_people"], "cities": info["distinct_cities"],
        "product": info["product"], "sku": info["sku"], "lot": info["lot"],
        "production_date": info["production_date"].isoformat(), "expiry_date": info["expiry_date"].isoformat(),
        "seller": info["seller"] or "", "seller_level": info["seller_level"] or "",
        "cert_url": info["seller_certificate_url"] or "", "code_display": format_code(info["code"]),
        "place": info["place"], "place_url": urls["codes:verify_place"].format(code) + f"?t={info['token']}",
        "pin_url": urls["codes:verify_pin"].format(code), "geo_url": urls["api:codes_verify_place"].format(code),
        "token": info["token"], "next": quote(request.path),
    }
    return verification.Answer(200, _VERIFY_PAGE.render(flags, values),
                               visitor=outcome.visitor if outcome.new_visitor else None)


def verify_home(request):
    form = ManualCodeForm(request.GET or None)
    if form.is_valid():
        try:
            canon = normalize(form.cleaned_data["code"])
        except CodeError:
            form.add_error("code", _("This does not look like one of our codes. Check it for typing errors and "
                                     "try again."))
        else:
            return redirect("codes:verify", code=canon.lower())
    return render(request, "codes/verify_home.html", {"form": form})


@never_cache
def verify_place(request, code: str):
    """The consumer says which city they are in, for their own scan (token from the page)."""
    try:
        decoded, _batch = services.decode_in_batch(code)
    except services.CodeInvalid:
        raise Http404
    if request.method != "POST":
        form = PlaceForm(initial={"token": request.GET.get("t", "")[:24]})
        return render(request, "codes/place.html", {"form": form})
    form = PlaceForm(request.POST)
    if form.is_valid():
        place = location.chosen(form.cleaned_data["division"])
        if place is not None:
            try:
                services.relocate_scan(serial=decoded.serial, token=form.cleaned_data["token"], place=place)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Thank you, we noted your city."))
            return render(request, "codes/thanks.html", {"back": reverse("codes:verify_home")})
    return render(request, "codes/place.html", {"form": form}, status=400)


@csrf_exempt  # anonymous, rate-limited per code, changes nothing a forged request could abuse
@require_POST
def verify_pin(request, code: str):
    from weishang.core import ratelimit

    form = PinForm(request.POST)
    try:
        decoded, batch = services.decode_in_batch(code)
    except services.CodeInvalid:
        raise Http404
    if not ratelimit.hit("codes-pin", decoded.code, limit=10, window=3600):
        return render(request, "codes/pin.html", {"error": _("Too many attempts. Please try again later.")},
                      status=429)
    ok = form.is_valid() and batch.with_pin and services.check_pin(serial=decoded.serial,
                                                                    version=decoded.version,
                                                                    pin=form.cleaned_data["pin"])
    return render(request, "codes/pin.html", {"ok": ok}, status=200 if ok else 400)


# --- scan-out (扫码出库) --------------------------------------------------------------------------------
def _is_hq_shipper(user) -> bool:
    return services.can_ship_from(user, None)


def _my_shipments(user):
    qs = Shipment.objects.select_related("to_agent", "from_agent")
    if _is_hq_shipper(user):
        return qs.filter(from_agent__isnull=True)
    agent = getattr(user, "agent", None)
    if agent is None:
        raise Http404
    return qs.filter(from_agent=agent)


@login_required
def ship_home(request):
    shipments = _my_shipments(request.user)
    hq = _is_hq_shipper(request.user)
    agents = None if hq else Agent.objects.filter(upline=request.user.agent, status=AgentStatus.ACTIVE)
    form = ShipmentForm(request.POST or None, agents=agents)
    if request.method == "POST" and form.is_valid():
        try:
            shipment = services.open_shipment(user=request.user, to_agent=form.cleaned_data["to_agent"],
                                              reference=form.cleaned_data["reference"], as_hq=hq)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("codes:ship_scan", pk=shipment.pk)
    page = Paginator(shipments, 20).get_page(request.GET.get("page"))
    return render(request, "codes/ship_home.html", {"form": form, "page": page, "hq": hq})


def _line_rows(shipment):
    return shipment.lines.select_related("batch__sku__product").order_by("-id")


@login_required
def ship_scan(request, pk: int):
    shipment = get_object_or_404(_my_shipments(request.user), pk=pk)
    form = ScanForm(request.POST or None)
    done = ""
    if request.method == "POST" and form.is_valid():
        try:
            line = services.scan_out(user=request.user, shipment=shipment, code=form.cleaned_data["code"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            done = _("Bound %(n)s items to %(agent)s.") % {"n": line.items, "agent": shipment.to_agent.name}
            if not request.headers.get("HX-Request"):
                messages.success(request, done)
                return redirect("codes:ship_scan", pk=shipment.pk)
            form = ScanForm()
    lines = _line_rows(shipment)
    totals = sum(line.items for line in lines if line.undone_at is None)
    ctx = {"shipment": shipment, "form": form, "lines": lines, "total_items": totals, "done": done}
    template = "codes/_ship_lines.html" if request.headers.get("HX-Request") else "codes/ship_scan.html"
    return render(request, template, ctx, status=400 if form.errors else 200)


@login_required
@require_POST
def ship_undo(request, pk: int):
    line = get_object_or_404(ShipmentLine.objects.select_related("shipment"), pk=pk,
                             shipment__in=_my_shipments(request.user))
    try:
        services.undo_line(user=request.user, line=line, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Undone."))
    return redirect("codes:ship_scan", pk=line.shipment_id)


@login_required
@require_POST
def ship_finish(request, pk: int):
    shipment = get_object_or_404(_my_shipments(request.user), pk=pk)
    try:
        services.finish_shipment(user=request.user, shipment=shipment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("codes:ship_scan", pk=pk)
    messages.success(request, _("Shipment finished."))
    return redirect("codes:ship_home")


# --- HQ: batches, files, labels -----------------------------------------------------------------
@hq_page("codes.add_codebatch")
def batch_list(request):
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.create_batch(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Batch created."))
            return redirect("codes:batch", pk=batch.pk)
    page = Paginator(CodeBatch.objects.select_related("sku__product"), 30).get_page(request.GET.get("page"))
    return render(request, "codes/batch_list.html", {"form": form, "page": page})


def _batch_page(request, batch: CodeBatch, label_form: LabelForm, status: int = 200) -> HttpResponse:
    codec = conf.get_codec()
    sample = []
    for kind, s in ((_("first item"), batch.serial_start), (_("first box"), batch.box_start),
                    (_("first case"), batch.case_start)):
        code = codec.encode(s, batch.key_version)
        sample.append((kind, code_url(conf.site_url(), code), code.lower()))
    scanned = CodeState.objects.filter(batch=batch).count()
    return render(request, "codes/batch_detail.html", {
        "batch": batch, "sample": sample, "scanned": scanned, "label_form": label_form,
        "pdf_max": conf.pdf_max_labels(), "min_module": export.MIN_MODULE_MM}, status=status)


@hq_page("codes.view_codebatch")
def batch_detail(request, pk: int):
    batch = get_object_or_404(CodeBatch.objects.select_related("sku__product"), pk=pk)
    return _batch_page(request, batch, LabelForm())


@hq_page("codes.view_codebatch")
def batch_file(request, pk: int, fmt: str):
    batch = get_object_or_404(CodeBatch, pk=pk)
    layout = export.Layout.of(batch, conf.get_codec(), conf.code_keys(), conf.site_url())
    csv = fmt == "csv"
    response = StreamingHttpResponse((chunk.encode() for chunk in export.iter_file(layout, csv=csv)),
                                     content_type="text/csv; charset=utf-8" if csv else "text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="codes-{batch.pk}.{fmt}"'
    return response


@hq_page("codes.view_codebatch")
def batch_labels(request, pk: int):
    """PDF label sheets for a short run. Refused (400, with the reason on the batch page) when
    the run is too long or outside the batch, or when the label is too small for QR modules
    of MIN_MODULE_MM with the 4-module quiet zone (and the PIN line, for PIN batches)."""
    batch = get_object_or_404(CodeBatch.objects.select_related("sku__product"), pk=pk)
    form = LabelForm(request.GET or None)
    if not form.is_valid():
        return _batch_page(request, batch, form, status=400)
    kind, first, count = form.cleaned_data["kind"], form.cleaned_data["first"], form.cleaned_data["count"]
    total = {"item": batch.quantity, "box": batch.box_count, "case": batch.case_count}[kind]
    base = {"item": batch.serial_start, "box": batch.box_start, "case": batch.case_start}[kind]
    if count > conf.pdf_max_labels() or first + count - 1 > total:
        form.add_error("count", _("At most %(max)s labels per sheet run, within the batch (%(total)s).")
                       % {"max": conf.pdf_max_labels(), "total": total})
        return _batch_page(request, batch, form, status=400)
    codec = conf.get_codec()
    site = conf.site_url()
    with_pin = batch.with_pin and kind == "item"
    size = form.cleaned_data["size"]
    module_mm, _modules = export.label_geometry(size, code_url(site, codec.encode(base, batch.key_version)),
                                                pin=with_pin)
    if module_mm < export.MIN_MODULE_MM:
        form.add_error("size", _("On %(size)s mm labels the QR modules would be %(module).2f mm; at least "
                                 "%(min).2f mm scan reliably. Choose a bigger label.")
                       % {"size": size, "module": module_mm, "min": export.MIN_MODULE_MM})
        return _batch_page(request, batch, form, status=400)
    caption = f"{batch.sku.product.name} {batch.sku.name} {batch.lot}"
    rows = []
    for i, code in enumerate(codec.bulk(base + first - 1, count, batch.key_version)):
        pin = codec.pin(base + first - 1 + i, batch.key_version) if with_pin else ""
        rows.append((code_url(site, code), format_code(code), pin, caption))
    pdf = export.labels_pdf(rows, size, title=f"{batch.lot} {kind} {first}-{first + count - 1}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="labels-{batch.pk}-{kind}-{first}.pdf"'
    return response


@hq_page("codes.view_codebatch")
def qr_image(request, code: str, fmt: str):
    try:
        decoded, _batch = services.decode_in_batch(code)
    except services.CodeInvalid:
        raise Http404
    data = export.qr_image(code_url(conf.site_url(), decoded.code), fmt)
    return HttpResponse(data, content_type="image/png" if fmt == "png" else "image/svg+xml")


# --- HQ: trace, alerts ---------------------------------------------------------------------------------
@hq_page("codes.view_shipment")
def trace(request):
    ctx: dict = {"form": ManualCodeForm(request.GET or None)}
    if ctx["form"].is_valid():
        try:
            decoded, batch = services.decode_in_batch(ctx["form"].cleaned_data["code"])
        except services.CodeInvalid as exc:
            ctx["form"].add_error("code", exc.message)
        else:
            s = decoded.serial
            placed = selectors.place(s)
            holding = selectors.holding_at(s)
            ctx.update(batch=batch, serial=s, kind=batch.kind_of(s), number=batch.number_of(s),
                       box=placed.box and batch.number_of(placed.box), case=placed.case and
                       batch.number_of(placed.case), holder=holding.agent if holding else None,
                       trail=selectors.trail(batch, s), state=CodeState.objects.filter(serial=s).first(),
                       scans=ScanEvent.objects.filter(serial=s).select_related("holder").order_by("-at")[:50],
                       code=format_code(decoded.code))
    return render(request, "codes/trace.html", ctx)


def _price_flags():
    """乱价: agents' shop prices below the SKU floor (from the orders app, if present)."""
    try:
        from weishang.orders.models import ShopPrice
    except ImportError:
        return None
    return (ShopPrice.objects.filter(price__lt=F("sku__floor_price"))
            .select_related("agent", "sku__product").order_by("agent__name")[:200])


@hq_page("codes.view_diversionalert")
def alerts(request):
    form = AlertFilterForm(request.GET or None)
    qs = DiversionAlert.objects.select_related("agent", "batch__sku__product")
    if form.is_valid():
        d = form.cleaned_data
        if d["status"]:
            qs = qs.filter(status=d["status"])
        if d["strength"]:
            qs = qs.filter(weak=d["strength"] == "weak")
        if d["source"]:
            qs = qs.filter(source=d["source"])
        if d["agent"]:
            qs = qs.filter(agent_id=d["agent"])
        if d["batch"]:
            qs = qs.filter(batch_id=d["batch"])
        if d["province"]:
            qs = qs.filter(scan_province=d["province"])
        tz = timezone.get_current_timezone()
        if d["since"]:
            qs = qs.filter(created_at__gte=dt.datetime.combine(d["since"], dt.time.min, tzinfo=tz))
        if d["until"]:
            qs = qs.filter(created_at__lt=dt.datetime.combine(d["until"] + dt.timedelta(days=1), dt.time.min,
                                                              tzinfo=tz))
    by_agent, by_batch, by_province = selectors.alert_counts(qs)
    chart = {"names": [location.name(p["scan_province"] + "0000") or p["scan_province"] for p in by_province],
             "values": [p["n"] for p in by_province]}
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    codec = conf.get_codec()
    for a in page:  # the evidence, readable: the code as printed, places by name
        a.code = format_code(codec.encode(a.serial, a.batch.key_version))
        a.region_name = location.name(a.agent_region) or a.agent_region
        a.place_name = location.name(a.scan_division) or a.scan_division
    unreleased_by_batch, unreleased = selectors.unreleased_scans()
    for state in unreleased:
        state.code = format_code(codec.encode(state.serial, state.batch.key_version))
        state.first_place = location.name(state.first_division) or state.first_division
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "codes/alerts.html", {
        "unreleased_by_batch": unreleased_by_batch, "unreleased": unreleased,
        "form": form, "page": page, "by_agent": by_agent, "by_batch": by_batch, "chart": chart,
        "price_flags": _price_flags(), "query": query.urlencode(), "status_choices": AlertStatus.choices})


@hq_page("codes.change_diversionalert")
@require_POST
def alert_status(request, pk: int):
    alert = get_object_or_404(DiversionAlert, pk=pk)
    status = request.POST.get("status", "")
    if status in {"open", "confirmed", "dismissed"}:
        services.set_alert_status(alert=alert, status=status)
    return HttpResponseRedirect(request.POST.get("next") or reverse("codes:alerts"))


__all__ = ["Kind", "ShipmentStatus"]

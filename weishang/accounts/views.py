from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error
from weishang.core.ratelimit import client_ip

from . import services
from .forms import LoginForm, PasswordChangeForm, ProfileForm, RegisterForm


def _remember_language(response, user):
    """A saved language preference follows the person to any device they log in on."""
    if user.language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


def _next_url(request, default="shop:home"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


def login_view(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.check_credentials(phone=form.cleaned_data["phone"], password=form.cleaned_data["password"],
                                              ip=client_ip(request), request=request)
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status if exc.status == 429 else 200
        else:
            login(request, user)
            return _remember_language(_after_login(request, user), user)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


def _after_login(request, user):
    """Where a login lands without ?next=: HQ staff in the back office, an agent on its agent
    home, a supplier on its drop-ship orders, a consumer in its shop (the one it came
    through, else HQ's) or, with no shop open anywhere, on 我的."""
    target = _next_url(request)
    if target:
        return HttpResponseRedirect(target)
    return redirect(landing_for(request, user))


def landing_for(request, user) -> str:
    from django.urls import reverse

    if user.is_staff:
        return reverse("admin:index")
    if user.is_agent:
        return reverse("agents:hub")
    if user.is_supplier:
        return reverse("orders:supplier")
    from weishang.orders import sharing

    shop_id = sharing.shop_for(request)
    return reverse("orders:shop", args=[shop_id]) if shop_id else reverse("accounts:me")


def register_view(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_consumer(**form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            login(request, user)
            messages.success(request, _("Welcome! Your account is ready."))
            return HttpResponseRedirect(_next_url(request) or landing_for(request, user))
    return render(request, "accounts/register.html", {"form": form})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("shop:home")


@login_required
def password_change_view(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:me")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def me_view(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Your settings have been saved."))
        return _remember_language(redirect("accounts:me"), user)
    return render(request, "accounts/me.html", {"form": form, **_my_orders(request)})


def _my_orders(request) -> dict:
    """我的: the order tabs with their counts, the address book, the visitor's shop."""
    from django.urls import reverse

    from weishang.orders import selectors, sharing

    shop_id = sharing.shop_for(request)
    counts = selectors.tab_counts(request.user)
    return {"order_tabs": [(key, label, counts.get(key, 0)) for key, label in selectors.order_tab_labels()],
            "shop_url": reverse("orders:shop", args=[shop_id]) if shop_id else reverse("shop:home")}

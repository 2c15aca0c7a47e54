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
    target = _next_url(request)
    if target:
        return HttpResponseRedirect(target)
    if user.is_staff:
        return redirect("admin:index")
    if user.is_agent:
        return redirect("agents:home") if _has_url("agents:home") else redirect("shop:home")
    if user.is_supplier and _has_url("orders:supplier_orders"):
        return redirect("orders:supplier_orders")
    return redirect("shop:home")


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


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
            return HttpResponseRedirect(_next_url(request) or "/")
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
    return render(request, "accounts/me.html", {"form": form})

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User
from .phones import normalize_phone


class UserCreationForm(forms.ModelForm):
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    class Meta:
        model = User
        fields = ("phone", "name")

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationForm
    ordering = ("-date_joined",)
    list_display = ("phone", "name", "is_staff", "supplier", "is_active", "date_joined")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("phone", "name")
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Profile"), {"fields": ("name", "time_zone", "language", "supplier")}),
        (_("HQ roles"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("phone", "name", "password1")}),)
    filter_horizontal = ("groups",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "prefix", "name", "created_at", "last_used_at")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "last_used_at")
    search_fields = ("user__phone",)


def _admin_login(request, extra_context=None):
    """The back office has one door: the rate-limited phone login. Django admin's own
    login form would bypass the failed-login limit, so it sends people there instead."""
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied
    from django.urls import reverse

    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), login_url=reverse("accounts:login"))


admin.site.login = _admin_login  # type: ignore[method-assign]

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User
from .phones import normalize_phone


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Phone number"))
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0013 8000"})

    def clean(self, value):
        value = super().clean(value)
        return normalize_phone(value) if value else value


class LoginForm(forms.Form):
    phone = PhoneField()
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    phone = PhoneField()
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=password_validation.password_validators_help_text_html())


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            raise ValidationError({"new_password2": _("The two passwords do not match.")})
        return data


class ProfileForm(forms.ModelForm):
    """What a person may change about themselves: name, time zone, language."""

    class Meta:
        model = User
        fields = ("name", "time_zone", "language")
        labels = {"name": _("Name"), "time_zone": _("Time zone"), "language": _("Language")}

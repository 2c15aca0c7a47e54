from django import forms
from django.utils.translation import gettext_lazy as _

from weishang.agents.models import Level
from weishang.regions.forms import RegionField


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Mobile number"), max_length=30,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
                            help_text=_("Mainland China (+86) or Taiwan (+886)."))
    wechat_id = forms.CharField(label=_("WeChat ID"), max_length=40, required=False,
                                widget=forms.TextInput(attrs={"autocapitalize": "off"}))
    line_id = forms.CharField(label=_("LINE ID"), max_length=40, required=False,
                              widget=forms.TextInput(attrs={"autocapitalize": "off"}),
                              help_text=_("WeChat ID or LINE ID: at least one."))
    region = RegionField(label=_("Region"))
    password = forms.CharField(label=_("Choose a password"), required=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("You log in with your phone number and this password once approved."))

    def __init__(self, *args, logged_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if logged_in:
            del self.fields["password"]
        else:
            self.fields["password"].required = True


class InviteForm(forms.Form):
    level = forms.ModelChoiceField(label=_("Level"), queryset=Level.objects.none(), empty_label=None)
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=7)
    max_uses = forms.IntegerField(label=_("At most this many applicants"), min_value=1, max_value=10000,
                                  required=False, help_text=_("Empty: anyone with the link may apply, once each."))
    note = forms.CharField(label=_("Note (only you see it)"), max_length=60, required=False)

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = Level.objects.filter(pk__in=[lv.pk for lv in levels]).order_by("rank")
        if levels:
            self.fields["level"].initial = levels[-1].pk


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Required when rejecting")}))

"""Back office for the agent network: agents (filters, search, freeze/reactivate with a
reason, move form, Excel export of the filtered list, tree browser) and their history.
Levels and level prices: admin_levels.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weishang.core.admin import ReadOnlyAdmin
from weishang.core.errors import DomainError
from weishang.regions import divisions

from . import admin_levels, services  # noqa: F401  (admin_levels: levels, prices, upgrade requests)
from .excel import agents_xlsx_response
from .models import Agent, AgentEvent, AgentStatus, EventKind

TREE_PAGE = 50


class ProvinceFilter(admin.SimpleListFilter):
    title = _("province")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        # The divisions table, not a DISTINCT over a million agents.
        return [(d.code, d.name) for d in divisions.provinces()]

    def queryset(self, request, queryset):
        return queryset.filter(province_code=self.value()) if self.value() else queryset


class UplineFilter(admin.SimpleListFilter):
    """?upline=hq for agents directly under HQ, ?upline=<id> for the direct team of an
    agent (the tree browser links here). Not a list of every agent: there may be a million."""

    title = _("upline")
    parameter_name = "upline"

    def lookups(self, request, model_admin):
        out = [("hq", _("Directly under HQ"))]
        value = self.value()
        if value and value.isdigit():
            up = Agent.objects.filter(pk=value).first()
            if up is not None:
                out.append((value, str(up.name)))
        return out

    def queryset(self, request, queryset):
        value = self.value()
        if value == "hq":
            return queryset.filter(upline__isnull=True)
        if value and value.isdigit():
            return queryset.filter(upline_id=int(value))
        return queryset


class TeamOfFilter(admin.SimpleListFilter):
    """?team_of=<id>: the whole team of an agent, at any depth."""

    title = _("whole team of")
    parameter_name = "team_of"

    def lookups(self, request, model_admin):
        value = self.value()
        if value and value.isdigit():
            up = Agent.objects.filter(pk=value).first()
            if up is not None:
                return [(value, str(up.name))]
        return []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            up = Agent.objects.filter(pk=int(value)).first()
            if up is None:
                return queryset.none()
            from .models import subtree_q

            return queryset.filter(subtree_q(up.path)).exclude(pk=up.pk)
        return queryset


class FirstPurchaseFilter(admin.SimpleListFilter):
    """?first_purchase=pending: agents whose level's first stock purchase is still due (their
    shop takes no orders yet); =done: required and bought; =none: none required."""

    title = _("first stock purchase")
    parameter_name = "first_purchase"

    def lookups(self, request, model_admin):
        return [("pending", _("first purchase pending")), ("done", _("first purchase done")),
                ("none", _("none required"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "pending":
            return queryset.filter(first_purchase_required__isnull=False, first_purchase_done_at__isnull=True)
        if value == "done":
            return queryset.filter(first_purchase_done_at__isnull=False)
        if value == "none":
            return queryset.filter(first_purchase_required__isnull=True)
        return queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Kept in the agent's history."))


class MoveForm(forms.Form):
    new_upline = forms.CharField(label=_("New upline (phone number or agent id)"), max_length=30, required=False,
                                 help_text=_("Leave empty to place the agent directly under HQ."))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_new_upline(self):
        value = (self.cleaned_data.get("new_upline") or "").strip()
        if not value:
            return None
        qs = Agent.objects.select_related("level")
        found = None
        if value.isdigit() and len(value) < 10:
            found = qs.filter(pk=int(value)).first()
        if found is None:
            phone = value if value.startswith("+") else ("+86" + value if len(value) == 11 else value)
            found = qs.filter(user__phone=phone).first()
        if found is None:
            raise forms.ValidationError(_("No agent with this phone number or id."))
        return found


class AgentForm(forms.ModelForm):
    change_reason = forms.CharField(label=_("Reason for the level change"), max_length=300, required=False,
                                    help_text=_("Required when you change the level: it is kept in the history."))

    class Meta:
        model = Agent
        fields = ["name", "level", "wechat_id", "line_id", "province_code", "city_code", "district_code"]

    def clean(self):
        data = super().clean()
        if "level" in self.changed_data and not (data.get("change_reason") or "").strip():
            self.add_error("change_reason", _("This field is required."))
        return data


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = ["name", "phone", "level", "status_tag", "upline_link", "depth", "team_link", "direct_count",
                    "region", "joined_at"]
    list_filter = ["level", "status", ProvinceFilter, UplineFilter, TeamOfFilter, FirstPurchaseFilter, "joined_at"]
    search_fields = ["name", "user__phone", "wechat_id", "line_id"]
    list_select_related = ["level", "user", "upline"]
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = ["user", "upline", "recruiter", "status", "path", "depth", "team_size", "direct_count",
                       "joined_at", "history_link", "first_purchase_required", "first_purchase_done_at"]
    fieldsets = [
        (None, {"fields": ["user", "name", "level", "change_reason", "status", "first_purchase_required",
                           "first_purchase_done_at"]}),
        (_("Tree"), {"fields": ["upline", "recruiter", "depth", "team_size", "direct_count", "path",
                                "history_link"]}),
        (_("Contact and region"), {"fields": ["wechat_id", "line_id", "province_code", "city_code",
                                              "district_code", "joined_at"]}),
    ]
    actions = ["freeze_selected", "reactivate_selected"]
    change_list_template = "agents/admin/agent_change_list.html"
    change_form_template = "agents/admin/agent_change_form.html"

    def has_add_permission(self, request):
        return False  # agents join through applications (recruitment)

    def has_delete_permission(self, request, obj=None):
        return False  # freeze or expire instead; history and orders point at agents

    @admin.display(description=_("phone number"), ordering="user__phone")
    def phone(self, obj):
        return obj.user.phone

    @admin.display(description=_("status"), ordering="status")
    def status_tag(self, obj):
        colour = {"active": "#2e7d32", "frozen": "#1565c0", "expired": "#757575"}.get(obj.status, "#000")
        return format_html('<b style="color:{}">{}</b>', colour, obj.get_status_display())

    @admin.display(description=_("upline"), ordering="upline")
    def upline_link(self, obj):
        if obj.upline_id is None:
            return gettext("HQ")
        return format_html('<a href="?upline={}">{}</a>', obj.upline_id, obj.upline.name)

    @admin.display(description=_("team size"), ordering="team_size")
    def team_link(self, obj):
        if not obj.team_size:
            return 0
        return format_html('<a href="?team_of={}">{}</a>', obj.pk, obj.team_size)

    @admin.display(description=_("region"))
    def region(self, obj):
        code = obj.district_code or obj.city_code or obj.province_code
        div = divisions.get(code) if code else None
        return div.full_name if div else code

    @admin.display(description=_("history"))
    def history_link(self, obj):
        url = reverse("admin:agents_agentevent_changelist") + f"?agent__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Moves, level and status changes"))

    def save_model(self, request, obj, form, change):
        level = form.cleaned_data.get("level")
        if change and "level" in form.changed_data:
            original = Agent.objects.get(pk=obj.pk)
            obj.level = original.level  # the service changes it and records the history
            super().save_model(request, obj, form, change)
            services.change_level(obj, level, actor=request.user, reason=form.cleaned_data["change_reason"])
            obj.level = level
        else:
            super().save_model(request, obj, form, change)

    # --- custom pages -------------------------------------------------------------------
    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("export.xlsx", wrap(self.export_view), name=f"{info}_export"),
            path("tree/", wrap(self.tree_view), name=f"{info}_tree"),
            path("tree/<int:agent_id>/children/", wrap(self.tree_children_view), name=f"{info}_tree_children"),
            path("<int:agent_id>/move/", wrap(self.move_view), name=f"{info}_move"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The changelist's current filters and search, as an Excel file (streamed). The whole
        list with phone numbers is the operators' work: looking an agent up (finance has
        view_agent for its pickers) is not enough to take it away."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        cl = self.get_changelist_instance(request)
        return agents_xlsx_response(cl.get_queryset(request))

    def _require_change(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied

    def move_view(self, request, agent_id: int):
        self._require_change(request)
        agent = get_object_or_404(Agent.objects.select_related("level", "upline"), pk=agent_id)
        form = MoveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.move_agent(agent, new_upline=form.cleaned_data["new_upline"], actor=request.user,
                                    reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error("new_upline" if exc.code != "reason_required" else "reason", str(exc.message))
            else:
                self.message_user(request, gettext("%(name)s moved with a team of %(n)d.")
                                  % {"name": agent.name, "n": agent.team_size}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:agents_agent_change", args=[agent.pk]))
        ctx = {**self.admin_site.each_context(request), "opts": self.opts, "agent": agent, "form": form,
               "title": gettext("Move %(name)s and its team") % {"name": agent.name}}
        return TemplateResponse(request, "agents/admin/move.html", ctx)

    def tree_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        root = None
        root_id = request.GET.get("root", "")
        if root_id.isdigit():
            root = Agent.objects.select_related("level").filter(pk=int(root_id)).first()
        ctx = {**self.admin_site.each_context(request), "opts": self.opts, "root": root,
               "title": gettext("Agent tree"), **self._children(request, root)}
        return TemplateResponse(request, "agents/admin/tree.html", ctx)

    def tree_children_view(self, request, agent_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        node = Agent.objects.filter(pk=agent_id).first() if agent_id else None  # 0: the agents under HQ
        if agent_id and node is None:
            raise Http404
        return TemplateResponse(request, "agents/admin/_tree_children.html", self._children(request, node))

    def _children(self, request, node: Agent | None) -> dict:
        """One page of a node's direct downlines (or of the agents under HQ), with team sizes."""
        try:
            offset = max(0, int(request.GET.get("offset") or 0))
        except ValueError:
            offset = 0
        qs = Agent.objects.select_related("level").order_by("-team_size", "id")
        qs = qs.filter(upline=node) if node is not None else qs.filter(upline__isnull=True)
        rows = list(qs[offset:offset + TREE_PAGE + 1])
        return {"node": node, "children": rows[:TREE_PAGE], "next_offset": offset + TREE_PAGE
                if len(rows) > TREE_PAGE else None}

    # --- actions with a reason ----------------------------------------------------------
    def _status_action(self, request, queryset, service, title):
        self._require_change(request)
        if "apply_reason" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                done, failed = 0, []
                for agent in queryset:
                    try:
                        service(agent, actor=request.user, reason=form.cleaned_data["reason"])
                        done += 1
                    except DomainError as exc:
                        failed.append(f"{agent.name}: {exc.message}")
                self.message_user(request, gettext("%(n)d agents updated.") % {"n": done}, messages.SUCCESS)
                for line in failed[:20]:
                    self.message_user(request, line, messages.WARNING)
                return None
        else:
            form = ReasonForm()
        ctx = {**self.admin_site.each_context(request), "opts": self.opts, "title": title, "form": form,
               "objects": queryset[:100], "count": queryset.count(),
               "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
               "action": request.POST.get("action", ""), "select_across": request.POST.get("select_across", "0")}
        return TemplateResponse(request, "agents/admin/reason_action.html", ctx)

    @admin.action(description=_("Freeze selected agents (with a reason)"))
    def freeze_selected(self, request, queryset):
        return self._status_action(request, queryset, services.freeze_agent, gettext("Freeze agents"))

    @admin.action(description=_("Reactivate selected agents (with a reason)"))
    def reactivate_selected(self, request, queryset):
        return self._status_action(request, queryset, services.reactivate_agent, gettext("Reactivate agents"))


@admin.register(AgentEvent)
class AgentEventAdmin(ReadOnlyAdmin):
    """History of moves, level and status changes: read-only."""

    list_display = ["at", "agent", "kind", "change", "actor", "reason"]
    list_filter = ["kind", "at"]
    search_fields = ["agent__name", "agent__user__phone", "reason"]
    list_select_related = ["agent", "actor", "from_upline", "to_upline", "from_level", "to_level"]
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description=_("from → to"))
    def change(self, obj):
        if obj.kind == EventKind.MOVED:
            return f"{obj.from_upline or gettext('HQ')} → {obj.to_upline or gettext('HQ')} (+{obj.team_size})"
        if obj.kind == EventKind.LEVEL:
            return f"{obj.from_level} → {obj.to_level}"
        if obj.kind == EventKind.JOINED:
            return f"{obj.to_upline or gettext('HQ')} · {obj.to_level}"
        return f"{AgentStatus(obj.from_status).label if obj.from_status else ''} → " \
               f"{AgentStatus(obj.to_status).label if obj.to_status else ''}"

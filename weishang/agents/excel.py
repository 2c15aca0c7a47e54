"""Agents to Excel for the back office: any filtered list, streamed row by row
(openpyxl write-only workbook into a temporary file, rows read in chunks), so a list of a
million agents never sits in memory."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from weishang.regions import divisions

from .models import AgentStatus

COLUMNS = ("id", "name", "phone", "level", "status", "upline_id", "upline", "depth", "team_size", "direct_count",
           "wechat_id", "line_id", "province", "city", "district", "joined_at")


def _region(code: str) -> str:
    div = divisions.get(code) if code else None
    return div.name if div else code


def write_agents(queryset, fh) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("agents")
    ws.append([_("Agent id"), _("Name"), _("Phone"), _("Level"), _("Status"), _("Upline id"), _("Upline"),
               _("Depth"), _("Team size"), _("Direct downlines"), _("WeChat ID"), _("LINE ID"), _("Province"),
               _("City"), _("District"), _("Joined")])
    ws.append(list(COLUMNS))
    statuses = dict(AgentStatus.choices)
    rows = queryset.order_by().values_list(
        "id", "name", "user__phone", "level__name", "status", "upline_id", "upline__name", "depth", "team_size",
        "direct_count", "wechat_id", "line_id", "province_code", "city_code", "district_code", "joined_at")
    n = 0
    for r in rows.iterator(chunk_size=2000):
        joined = timezone.localtime(r[15]).strftime("%Y-%m-%d %H:%M") if r[15] else ""
        ws.append([r[0], r[1], r[2], r[3], str(statuses.get(r[4], r[4])), r[5], r[6] or "", r[7], r[8], r[9],
                   r[10], r[11], _region(r[12]), _region(r[13]), _region(r[14]), joined])
        n += 1
    wb.save(fh)
    return n


def agents_xlsx_response(queryset) -> FileResponse:
    fh = tempfile.TemporaryFile()
    write_agents(queryset, fh)
    fh.seek(0)
    name = f"agents-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(fh, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

"""The kinds of long task: for each, the HQ permission it needs (to start it and to see its
result) and the function doing the work. A runner reports progress through `report(done,
total)` and returns (file name, bytes source or None, result text)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Report = Callable[[int, int], None]


@dataclass(frozen=True)
class Kind:
    label: object
    permission: str
    run: Callable


def code_export(params: dict, report: Report):
    """A batch's whole code file (CSV or TXT), written chunk by chunk to a temporary file."""
    from weishang.codes import conf, export
    from weishang.codes.models import CodeBatch

    batch = CodeBatch.objects.get(pk=params["batch"])
    fmt = params.get("format", "csv")
    layout = export.Layout.of(batch, conf.get_codec(), conf.code_keys(), conf.site_url())
    total = export.code_count(layout)
    report(0, total)
    fh = tempfile.TemporaryFile()
    last = 0
    for text, done in export.iter_file_progress(layout, csv=fmt == "csv"):
        fh.write(text.encode())
        if done - last >= 20_000 or done == total:  # one progress write per chunk at most
            report(done, total)
            last = done
    fh.seek(0)
    return f"codes-{batch.pk}.{fmt}", fh, _("%(n)s codes of batch %(lot)s.") % {"n": total, "lot": batch.lot}


def level_price_import(params: dict, report: Report):
    """The level price table from an uploaded workbook (kept in private storage until this
    runs): every row checked first, then all applied in one transaction, or nothing."""
    from weishang.agents import level_prices
    from weishang.core.uploads import get_private_storage

    storage = get_private_storage()
    try:
        with storage.open(params["upload"], "rb") as fh:
            data = fh.read()
        result = level_prices.import_xlsx(data, report=report)
    finally:
        storage.delete(params["upload"])  # the workbook is applied or refused: it is not kept
    return "", None, _("Imported: %(n)d price cells and %(r)d level rules changed.") % {
        "n": result.changed, "r": result.rules_changed}


def keep_upload(upload, folder: str) -> str:
    """An uploaded file put in private storage for a task to read; its stored name."""
    from weishang.core.uploads import get_private_storage

    return get_private_storage().save(f"{folder}/{uuid.uuid4().hex}.xlsx", upload)


KINDS: dict[str, Kind] = {
    "code_export": Kind(gettext_lazy("Code file export"), "codes.view_codebatch", code_export),
    "level_price_import": Kind(gettext_lazy("Level price import"), "agents.change_levelprice", level_price_import),
}

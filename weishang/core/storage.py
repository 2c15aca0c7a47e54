"""Private files: stored outside MEDIA_ROOT (so never served under /media/), handed out
only by a view that checked the user's permission."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """PRIVATE_MEDIA_ROOT (default <var>/private), read at each use so tests can move it."""

    @property
    def base_location(self):  # type: ignore[override]
        return getattr(settings, "PRIVATE_MEDIA_ROOT", None) or Path(settings.VAR_DIR) / "private"

    @property
    def location(self):  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):  # type: ignore[override]
        return None

    def url(self, name):
        raise ValueError("private files have no URL")


def private_storage() -> PrivateStorage:
    return PrivateStorage()

"""Static files compressed although they are served straight from the finders.

WhiteNoise serves our static files from their source folders and node_modules (no
collectstatic step), and offers a gzip encoding only where a ``.gz`` file lies beside the
original. node_modules has none, so ECharts (1.1 MB) went out uncompressed to phones.
This middleware keeps gzip copies of compressible files in VAR_DIR/static-gz, made once
per version of each file (name from path, size and mtime), and offers them as the gzip
encoding. Files that already have a ``.gz``/``.br`` beside them (collectstatic's) keep them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tempfile
from pathlib import Path
from wsgiref.headers import Headers

from django.conf import settings
from whitenoise.compress import Compressor
from whitenoise.middleware import WhiteNoiseMiddleware as BaseWhiteNoiseMiddleware
from whitenoise.responders import StaticFile

_SKIP_EXTENSIONS = "|".join(map(re.escape, (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")))
_SKIP = re.compile(rf"\.({_SKIP_EXTENSIONS})$", re.I)
MIN_SIZE = 1024  # smaller files gain little and cost a header


def _cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "static-gz"


def gzip_copy(path: str) -> str | None:
    """The path of a gzip copy of `path` (made now if missing), or None when not worth it."""
    if _SKIP.search(path):
        return None
    st = os.stat(path)
    if st.st_size < MIN_SIZE:
        return None
    name = hashlib.sha256(path.encode()).hexdigest()[:24]
    target = _cache_dir() / f"{name}-{st.st_size}-{st.st_mtime_ns}.gz"
    if target.exists():
        return str(target)
    data = Path(path).read_bytes()
    packed = gzip.compress(data, compresslevel=6, mtime=0)  # 9 is ~3x slower for ~1% less
    if len(packed) > len(data) * 0.95:  # as whitenoise's compressor: keep only a real gain
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    # Several workers may start at once: write aside, then rename into place (atomic).
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(packed)
    os.replace(tmp, target)
    return str(target)


class WhiteNoiseMiddleware(BaseWhiteNoiseMiddleware):
    def get_static_file(self, path, url, stat_cache=None):
        if os.path.exists(path + ".gz") or os.path.exists(path + ".br"):
            return super().get_static_file(path, url, stat_cache=stat_cache)
        copy = gzip_copy(path)
        if copy is None:
            return super().get_static_file(path, url, stat_cache=stat_cache)
        # The headers WhiteNoise's own get_static_file gives (type, caching, CORS).
        headers = Headers([])
        self.add_mime_headers(headers, path, url)
        self.add_cache_headers(headers, path, url)
        if self.allow_all_origins:
            headers["Access-Control-Allow-Origin"] = "*"
        if self.add_headers_function is not None:
            self.add_headers_function(headers, path, url)
        return StaticFile(path, headers.items(), encodings={"gzip": copy})

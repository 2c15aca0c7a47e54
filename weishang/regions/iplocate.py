"""Offline IP → region, from the databases the npm package ``ip2region`` ships.

    locate(ip) -> IPLocation | None

``None`` for anything that is not a public address (loopback, private, link-local,
carrier-grade NAT, reserved…), for text that is not an IP, and for addresses the database
does not know. Otherwise an ``IPLocation`` whose ``country``/``province``/``city`` are the
names the database holds and whose ``province_code``/``city_code``/``district_code`` are
division codes (weishang.regions.divisions) found by name; codes are None when the names
cannot be mapped (a foreign address has country "日本" and no codes). ``code`` is the most
specific code or None.

Data files (under settings.NODE_MODULES/ip2region/data/):

* ``ip2region.db`` — IPv4, the ip2region v1 ".db" format: an 8-byte header with the
  absolute offsets of the first and last index blocks; index blocks of 12 bytes
  (start ip u32 LE, end ip u32 LE, data pointer u32 LE whose top byte is the record length
  and low 24 bits its offset); a record is a 4-byte city id and UTF-8
  "国家|区域|省份|城市|ISP" with "0" for unknown. Ported from node-ip2region's ipv4.js.
* ``ipv6wry.db`` — IPv6, the ZX "IPDB" format: header "IPDB", offset length (byte 6),
  record count and index start (int64 LE at 8 and 16); index entries of the upper 64 bits of
  the start address (u64 LE) and an ``offlen``-byte record offset; records are QQWry-style
  (redirect modes 1 and 2) NUL-terminated strings "国家\\t省\\t市\\t区" + ISP. Ported from
  ipv6.js. IPv4-mapped, 6to4 and Teredo addresses are looked up as their IPv4 address.

Cost: the file is memory-mapped once; the index's start addresses are copied once into an
``array`` (2.7 MB for IPv4) so a lookup is one C-level ``bisect`` plus two small reads of
the map, and the name → code mapping is cached per distinct record (a few thousand). About
1–2 µs per IPv4 lookup on this machine (bench/regions_iplocate.py).
"""

from __future__ import annotations

import ipaddress
import mmap
import socket
import struct
import sys
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from weishang.regions import divisions

SOURCE = "ip"


@dataclass(frozen=True, slots=True)
class IPLocation:
    country: str
    province: str
    city: str
    isp: str
    province_code: str | None
    city_code: str | None
    district_code: str | None = None
    source: str = SOURCE

    @property
    def code(self) -> str | None:
        return self.district_code or self.city_code or self.province_code

    @property
    def division(self) -> divisions.Division | None:
        return divisions.get(self.code) if self.code else None


def _data_dir() -> Path:
    return Path(settings.NODE_MODULES) / "ip2region" / "data"


def _open_map(path: Path) -> mmap.mmap:
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _map_names(country: str, province: str, city: str, district: str = "") -> tuple[str | None, str | None, str | None]:
    """Names from the database → (province_code, city_code, district_code)."""
    if country not in ("中国", "") or not province:
        return None, None, None
    div = divisions.find_by_name(province, city or None, district or None)
    if div is None:
        return None, None, None
    return div.province_code, div.city_code, div.district_code


# --- IPv4 ----------------------------------------------------------------------------------

class _V4:
    def __init__(self, path: Path) -> None:
        self.map = _open_map(path)
        first, last = struct.unpack_from("<II", self.map, 0)
        self.first = first
        self.count = (last - first) // 12 + 1
        index = array("I")
        index.frombytes(self.map[first : first + self.count * 12])
        if sys.byteorder == "big":
            index.byteswap()
        self.starts = index[0::3]
        self.ends = index[1::3]
        self.ptrs = index[2::3]
        self.records: dict[int, IPLocation | None] = {}

    def lookup(self, ip: int) -> IPLocation | None:
        i = bisect_right(self.starts, ip) - 1
        if i < 0 or ip > self.ends[i]:
            return None
        ptr = self.ptrs[i]
        try:
            return self.records[ptr]
        except KeyError:
            pass
        length = (ptr >> 24) & 0xFF
        offset = ptr & 0x00FFFFFF
        text = self.map[offset + 4 : offset + length].decode("utf-8", "replace")
        parts = [("" if p == "0" else p) for p in text.split("|")]
        parts += [""] * (5 - len(parts))
        country, _area, province, city, isp = parts[:5]
        loc = None
        if country:
            loc = IPLocation(country, province, city, isp, *_map_names(country, province, city))
        self.records[ptr] = loc
        return loc


@lru_cache(maxsize=1)
def _v4() -> _V4 | None:
    path = _data_dir() / "ip2region.db"
    return _V4(path) if path.exists() else None


# --- IPv6 ----------------------------------------------------------------------------------

class _V6:
    def __init__(self, path: Path) -> None:
        self.map = m = _open_map(path)
        if m[:4] != b"IPDB":
            raise ValueError(f"{path} is not an IPDB file")
        self.offlen = m[6]
        self.count, self.index_start = struct.unpack_from("<qq", m, 8)
        stride = 8 + self.offlen
        raw = m[self.index_start : self.index_start + self.count * stride]
        fmt = struct.Struct(f"<Q{self.offlen}x")
        self.starts = array("Q", (t[0] for t in fmt.iter_unpack(raw)))
        self.stride = stride
        self.records: dict[int, IPLocation | None] = {}

    def _long(self, offset: int) -> int:
        return int.from_bytes(self.map[offset : offset + self.offlen], "little")

    def _string(self, offset: int) -> str:
        end = self.map.find(b"\0", offset)
        return self.map[offset:end].decode("utf-8", "replace")

    def _area(self, offset: int, depth: int = 0) -> str:
        mode = self.map[offset]
        if mode in (1, 2) and depth < 8:
            return self._area(self._long(offset + 1), depth + 1)
        return self._string(offset)

    def _addr(self, offset: int, depth: int = 0) -> tuple[str, str]:
        mode = self.map[offset]
        if mode == 1 and depth < 8:
            return self._addr(self._long(offset + 1), depth + 1)
        c_area = self._area(offset)
        if mode == 2:
            offset += 1 + self.offlen
        else:
            offset = self.map.find(b"\0", offset) + 1
        return c_area, self._area(offset)

    def lookup(self, high64: int) -> IPLocation | None:
        i = bisect_right(self.starts, high64) - 1
        if i < 0:
            return None
        rec = self._long(self.index_start + i * self.stride + 8)
        try:
            return self.records[rec]
        except KeyError:
            pass
        c_area, isp = self._addr(rec)
        parts = [p.strip() for p in c_area.split("\t")]
        parts += [""] * (4 - len(parts))
        country, province, city, district = parts[:4]
        loc = None
        if country and "保留" not in country and "未知" not in country:
            loc = IPLocation(country, province, city, isp.strip(),
                             *_map_names(country, province, city, district))
        self.records[rec] = loc
        return loc


@lru_cache(maxsize=1)
def _v6() -> _V6 | None:
    path = _data_dir() / "ipv6wry.db"
    return _V6(path) if path.exists() else None


# --- public ----------------------------------------------------------------------------------

# First octets under which some IPv4 addresses are not global (private, loopback, CGNAT,
# link-local, documentation, benchmarking, multicast, reserved): only those take the slow
# path through the ipaddress module.
_V4_SPECIAL_FIRST_OCTETS = frozenset({0, 10, 100, 127, 169, 172, 192, 198, 203, *range(224, 256)})


def locate(ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> IPLocation | None:
    """Where a public IP address is, from the offline database; None if private or unknown."""
    if not ip:
        return None
    if isinstance(ip, str) and ":" not in ip:
        try:
            packed = socket.inet_pton(socket.AF_INET, ip.strip())
        except OSError:
            return None
        if packed[0] not in _V4_SPECIAL_FIRST_OCTETS:
            v4 = _v4()
            return v4.lookup(int.from_bytes(packed, "big")) if v4 else None
    elif isinstance(ip, str):
        try:
            packed = socket.inet_pton(socket.AF_INET6, ip.strip())
        except OSError:
            return None
        first16 = (packed[0] << 8) | packed[1]
        # Global unicast 2000::/3 except 2001::/16 (Teredo, documentation…) and 2002::/16
        # (6to4) goes straight to the table; everything else takes the careful path below.
        if 0x2000 <= first16 < 0x4000 and first16 not in (0x2001, 0x2002):
            v6 = _v6()
            return v6.lookup(int.from_bytes(packed[:8], "big")) if v6 else None
    if isinstance(ip, str):
        try:
            addr = ipaddress.ip_address(ip.strip())
        except ValueError:
            return None
    else:
        addr = ip
    if addr.version == 6:
        inner = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None)
        if inner is not None:
            addr = inner
    if not addr.is_global:
        return None
    if addr.version == 4:
        v4 = _v4()
        return v4.lookup(int(addr)) if v4 else None
    v6 = _v6()
    return v6.lookup(int(addr) >> 64) if v6 else None


def warm_up() -> None:
    """Load the databases now (at process start) rather than on the first request."""
    _v4()
    _v6()
    divisions._table()


def locate_request(request) -> IPLocation | None:
    """``locate`` for the client of a request (core's ``client_ip``: X-Forwarded-For only as
    far as TRUSTED_PROXY_COUNT proxies wrote it)."""
    from weishang.core.ratelimit import client_ip

    return locate(client_ip(request))

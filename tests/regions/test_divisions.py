import functools

import pytest
from django.core.exceptions import ValidationError

from weishang.regions import divisions as d


def test_loads_all_levels():
    provinces = d.provinces()
    codes = {p.code for p in provinces}
    assert {"110000", "440000", "650000", "710000", "810000", "820000"} <= codes
    assert len(provinces) == 34
    assert all(len(p.code) == 6 and p.code.endswith("0000") for p in provinces)


def test_every_division_nests():
    table = d._table().by_code
    for code, div in table.items():
        assert len(code) == 6 and code.isdigit()
        if div.level == d.PROVINCE:
            assert div.parent_code is None and code.endswith("0000")
        elif div.level == d.CITY:
            parent = table[div.parent_code]
            assert parent.level == d.PROVINCE and code[:2] == parent.code[:2] and code.endswith("00")
        else:
            parent = table[div.parent_code]
            assert parent.level == d.CITY and code[:4] == parent.code[:4] and not code.endswith("00")


def test_normalize_short_codes():
    assert d.normalize("11") == "110000"
    assert d.normalize(1101) == "110100"
    assert d.normalize("110101") == "110101"
    assert d.normalize("1101011") is None
    assert d.normalize("abc") is None
    assert d.get("11").name == "北京市"


def test_municipality_city_level():
    city = d.get("110100")
    assert city.level == d.CITY and city.name == "北京市"
    assert d.get("110101").full_name == "北京市东城区"
    assert [x.code for x in d.path("110101")] == ["110000", "110100", "110101"]
    assert d.get("500200").name == "重庆市郊县"


def test_city_without_districts_is_its_own_district():
    assert d.children("441900") == []
    assert [x.code for x in d.district_options("441900")] == ["441900"]
    assert d.validate("440000", "441900", "441900") == ("440000", "441900", "441900")
    assert d.validate("44", "4419") == ("440000", "441900", "441900")


def test_taiwan_codes_are_pinned():
    taipei = d.get("716300")
    assert taipei.name == "臺北市" and taipei.parent_code == "710000"
    daan = d.get("716305")
    assert daan.name == "大安區" and daan.postcode == "106" and daan.name_en == "Da'an District"
    assert d.get("710200").name == "宜蘭縣"
    assert d.get("719000").name == "金門縣"
    assert d.get("719100").name == "連江縣"
    assert d.get("716301").postcode == "100"
    assert d.same_city("716305", "716301") and not d.same_city("716305", "716401")
    assert d.same_province("716305", "719100")


def test_validate_errors():
    with pytest.raises(ValidationError) as e:
        d.validate("990000", None, None)
    assert e.value.code == "unknown_province"
    with pytest.raises(ValidationError) as e:
        d.validate("110000", "120100", "120101")
    assert e.value.code == "city_not_in_province"
    with pytest.raises(ValidationError) as e:
        d.validate("110000", "110100", "310101")
    assert e.value.code == "district_not_in_city"
    with pytest.raises(ValidationError) as e:
        d.validate("110000", "110100", None)
    assert e.value.code == "district_required"
    with pytest.raises(ValidationError) as e:
        d.validate("", None, None)
    assert e.value.code == "province_required"
    assert d.validate("110000", level=d.PROVINCE) == ("110000", None, None)
    assert d.validate("110000", "110100", level=d.CITY) == ("110000", "110100", None)


@pytest.mark.parametrize(("province", "city", "expected"), [
    ("北京", "北京市", "110100"),
    ("广东省", "深圳市", "440300"),
    ("广东", "深圳", "440300"),
    ("内蒙古", "呼和浩特市", "150100"),
    ("湖北省", "恩施", "422800"),
    ("河南省", "济源", "419001"),
    ("新疆", "伊犁", "654000"),
    ("台湾省", "台北", "716300"),
    ("臺灣", "臺北市", "716300"),
    ("台湾省", "彰化县", "710700"),
    ("香港", None, "810000"),
    ("广东省", "0", "440000"),
    ("广东省", "不存在市", "440000"),
])
def test_find_by_name(province, city, expected):
    assert d.find_by_name(province, city).code == expected


def test_find_by_name_unknown_province():
    assert d.find_by_name("Atlantis") is None
    assert d.find_by_name("") is None


def test_prefix_contains_and_check_code():
    assert d.prefix("440000") == "44" and d.prefix("440300") == "4403" and d.prefix("440305") == "440305"
    assert d.prefix("999999") is None
    assert d.contains("440000", "440305") and d.contains("440300", "440305")
    assert not d.contains("440300", "440000") and not d.contains("440305", "440300")
    assert not d.contains("440000", "999999")
    assert d.check_code("716305").name == "大安區"
    with pytest.raises(ValidationError) as e:
        d.check_code("440300", level=d.DISTRICT)
    assert e.value.code == "unknown_region"
    with pytest.raises(ValidationError):
        d.check_code("x")



def test_the_table_is_built_once_when_first_used_from_many_threads(monkeypatch):
    """Request threads that all need the table at once wait for one build (building it in
    parallel parsed the npm data concurrently: CPython 3.11 raised SystemError)."""
    from tests.threads import run_together

    d.clear_cache()
    builds = []
    build = d._build_table.__wrapped__

    def counted():
        builds.append(1)
        return build()

    monkeypatch.setattr(d, "_build_table", functools.lru_cache(maxsize=1)(counted))
    assert run_together(8, lambda i: d.get("440300").name) == ["深圳市"] * 8
    assert builds == [1]

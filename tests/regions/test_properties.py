import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from weishang.regions import divisions as d

ALL_DISTRICTS = sorted(c for c, v in d._table().by_code.items() if v.level == d.DISTRICT)
ALL_CITIES = sorted(c for c, v in d._table().by_code.items() if v.level == d.CITY)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_DISTRICTS))
def test_district_path_round_trips(code):
    province, city, district = d.path(code)
    assert district.code == code
    assert (province.level, city.level, district.level) == (d.PROVINCE, d.CITY, d.DISTRICT)
    assert d.validate(province.code, city.code, district.code) == (province.code, city.code, code)
    assert province.code == code[:2] + "0000" and city.code == code[:4] + "00"
    assert d.same_province(code, province.code) and d.same_city(code, city.code)
    assert d.contains(province.code, code) and d.contains(city.code, code)
    assert district in d.children(city.code) and city in d.children(province.code)
    assert district.full_name.endswith(district.name)
    # short forms of the ancestors' codes resolve to the same divisions
    assert d.get(code[:2]) == province and d.get(code[:4]) == city


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL_DISTRICTS), st.sampled_from(ALL_DISTRICTS))
def test_prefix_comparisons_agree_with_the_tree(a, b):
    pa, pb = d.path(a), d.path(b)
    assert d.same_province(a, b) == (pa[0] == pb[0])
    assert d.same_city(a, b) == (pa[1] == pb[1])
    if d.same_city(a, b):
        assert d.same_province(a, b)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ALL_CITIES))
def test_every_city_validates_with_a_district_option(city_code):
    city = d.get(city_code)
    options = d.district_options(city_code)
    assert options
    for option in options[:3]:
        assert d.validate(city.parent_code, city_code, option.code).district == option.code


def test_every_city_name_finds_itself():
    for code in ALL_CITIES:
        city = d.get(code)
        province = d.get(city.parent_code)
        if "直辖" in city.name:
            continue
        assert d.find_by_name(province.name, city.name) == city, city


def test_taiwan_numbering_is_frozen():
    """Codes once issued must not move: a data update that renumbers Taiwan fails here."""
    rows = [f"{c}:{v.name}:{v.postcode or ''}" for c, v in sorted(d._table().by_code.items()) if c.startswith("71")]
    assert len(rows) == 1 + 22 + 371
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    assert digest == TAIWAN_DIGEST


TAIWAN_DIGEST = "364c28bb1c71151adf3c8dcb3613fae331e3ada800c79fa25eabbb916650855a"

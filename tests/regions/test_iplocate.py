"""IP lookups checked against what the data file itself says, read here independently."""

import ipaddress
import struct

import pytest
from django.conf import settings

from weishang.regions import divisions, iplocate


def _raw_v4_records(step=211):
    """(ip, "国家|区域|省份|城市|ISP") for a spread of index blocks, parsed here without iplocate."""
    data = (settings.NODE_MODULES / "ip2region" / "data" / "ip2region.db").read_bytes()
    first, last = struct.unpack_from("<II", data, 0)
    out = []
    for pos in range(first, last + 1, 12 * step):
        start, end, ptr = struct.unpack_from("<III", data, pos)
        length, offset = ptr >> 24, ptr & 0xFFFFFF
        out.append(((start + end) // 2, data[offset + 4 : offset + length].decode()))
    return out


def test_v4_lookups_agree_with_the_data_file():
    checked = 0
    for ip_int, text in _raw_v4_records():
        ip = str(ipaddress.IPv4Address(ip_int))
        if not ipaddress.IPv4Address(ip_int).is_global:
            assert iplocate.locate(ip) is None
            continue
        country, _area, province, city, _isp = text.split("|")
        loc = iplocate.locate(ip)
        assert loc is not None
        assert loc.country == ("" if country == "0" else country)
        if country == "中国" and province != "0":
            assert loc.province_code is not None, text
            prov = divisions.get(loc.province_code)
            assert divisions.find_province(province) == prov
            if city != "0":
                assert loc.city_code is not None, text
                assert loc.city_code[:2] == loc.province_code[:2]
                div = loc.division
                # the name the file holds is (a prefix of) the mapped division's name
                names = [div.name.translate(divisions._T2S), *div.aliases]
                stem = city.removesuffix("市")
                assert any(n.startswith(stem) for n in names) or "直辖" in divisions.get(loc.city_code).name, text
                checked += 1
        elif country != "中国":
            assert loc.province_code is None
    assert checked > 200


def test_specific_records_from_the_file():
    # the first block of each of these records, found by scanning the file
    wanted = {"中国|0|北京|北京市", "中国|0|台湾省|台北", "中国|0|广东省|深圳市", "中国|0|香港|0"}
    data = (settings.NODE_MODULES / "ip2region" / "data" / "ip2region.db").read_bytes()
    first, last = struct.unpack_from("<II", data, 0)
    found = {}
    for pos in range(first, last + 1, 12):
        start, _end, ptr = struct.unpack_from("<III", data, pos)
        length, offset = ptr >> 24, ptr & 0xFFFFFF
        text = data[offset + 4 : offset + length].decode()
        key = text.rsplit("|", 1)[0]
        if key in wanted and key not in found and ipaddress.IPv4Address(start).is_global:
            found[key] = str(ipaddress.IPv4Address(start))
        if len(found) == len(wanted):
            break
    assert iplocate.locate(found["中国|0|北京|北京市"]).city_code == "110100"
    assert iplocate.locate(found["中国|0|台湾省|台北"]).city_code == "716300"
    assert iplocate.locate(found["中国|0|广东省|深圳市"]).city_code == "440300"
    hk = iplocate.locate(found["中国|0|香港|0"])
    assert hk.province_code == "810000" and hk.city_code is None
    # the same address written as IPv4-mapped IPv6
    assert iplocate.locate("::ffff:" + found["中国|0|广东省|深圳市"]).city_code == "440300"


@pytest.mark.parametrize("ip", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.1.1", "0.0.0.0",
    "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "::", "", None, "not-an-ip",
    "1.2.3", "999.1.1.1", "::ffff:192.168.1.1",
])
def test_private_and_invalid_are_none(ip):
    assert iplocate.locate(ip) is None


def test_v6_lookup_maps_names():
    v6 = iplocate._v6()
    assert v6 is not None
    mapped = 0
    for i in range(0, v6.count, 997):
        loc = v6.lookup(v6.starts[i])
        if loc is None or loc.country != "中国" or not loc.city or not loc.province_code:
            continue
        if loc.province_code in divisions.MUNICIPALITIES:
            continue
        assert loc.city_code is not None, loc
        assert loc.city_code[:2] == loc.province_code[:2]
        if loc.district_code:
            assert loc.district_code[:4] == loc.city_code[:4]
        mapped += 1
    assert mapped > 20
    # a real address in a mapped range resolves through locate() too
    i = next(i for i in range(0, v6.count, 13) if (v6.lookup(v6.starts[i]) or iplocate.IPLocation("", "", "", "", None, None)).city_code)
    addr = ipaddress.IPv6Address((v6.starts[i] << 64) | 1)
    assert iplocate.locate(str(addr)) == v6.lookup(v6.starts[i])

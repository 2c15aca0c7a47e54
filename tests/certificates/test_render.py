"""Certificates render as PNG and PDF with a font that has every glyph of the text."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import factories as f
from weishang.certificates import fonts, render
from weishang.certificates.services import issue_certificate

LONG_SC_NAME = "欧阳娜娜·买买提艾力·爱新觉罗毓鋆"
LONG_SC_ADDRESS = ("新疆维吾尔自治区伊犁哈萨克自治州察布查尔锡伯自治县爱新舍里镇乌珠牛录村"
                   "广西壮族自治区防城港市东兴市江平镇巫头村鹭鸶湾路88号之3")
LONG_TC_NAME = "歐陽娜娜·鍾瀚霆·龔詠嫻·鄧麗欣"
LONG_TC_ADDRESS = "臺灣臺北市萬華區艋舺大道與西園路二段交叉口龍山寺旁巷弄內貳樓之壹 澎湖縣馬公市鎖港里鎖管港"


@pytest.mark.parametrize("taiwan,texts", [
    (False, [LONG_SC_NAME, LONG_SC_ADDRESS]),
    (True, [LONG_TC_NAME, LONG_TC_ADDRESS]),
])
def test_the_chosen_font_covers_every_character(taiwan, texts):
    script = fonts.choose(texts, taiwan=taiwan)
    assert script == (fonts.TC if taiwan else fonts.SC)
    for weight in ("regular", "bold"):
        assert fonts.missing("".join(texts), fonts.font_path(script, weight)) == []


def test_the_coverage_check_can_fail():
    # The TC font lacks simplified-only characters: the check must say so, and a Taiwan
    # document with such a character falls back to the SC font, which has them.
    assert "们" in fonts.missing("我们", fonts.font_path(fonts.TC))
    assert fonts.missing("\U0001fae0", fonts.font_path(fonts.SC)) == ["\U0001fae0"]  # an emoji neither has
    assert fonts.choose(["台北 我们"], taiwan=True) == fonts.SC
    assert ord("們") in fonts.covered(fonts.font_path(fonts.TC))


def _agent(name, p, c, d):
    _zong, yi, _er = f.standard_levels()
    # Taiwan's brand names its level in traditional characters (一级 has no glyph in the TC font)
    level = f.level(4, "特約代理") if p.startswith("71") else yi
    return f.agent(level, name=name, province_code=p, city_code=c, district_code=d)


def test_a_simplified_level_name_on_a_taiwan_certificate_falls_back_to_sc(db):
    _zong, yi, _er = f.standard_levels()
    agent = f.agent(yi, name="林志玲", province_code="710000", city_code="716300", district_code="716301")
    doc = render.document(issue_certificate(agent))
    assert doc.script == fonts.SC
    assert fonts.missing("".join(doc.texts()), fonts.font_path(fonts.SC, "bold")) == []


@pytest.mark.parametrize("name,codes,script", [
    (LONG_SC_NAME, ("650000", "654000", "654022"), "SC"),
    (LONG_TC_NAME, ("710000", "716300", "716301"), "TC"),
])
def test_certificate_png_and_pdf(db, name, codes, script):
    cert = issue_certificate(_agent(name, *codes), channels=["wechat", "miniprogram", "line"])
    doc = render.document(cert)
    text = "".join(doc.texts())
    assert name in text and cert.region_name in text and cert.number in text
    assert doc.url.endswith(f"/lookup/?q={cert.number}")
    for weight in ("regular", "bold"):
        assert fonts.missing(text, fonts.font_path(doc.script, weight)) == []
    png = render.render_png(cert)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1000, 1414)
    # the page is not blank: text and the QR put dark pixels on it
    assert sum(image.convert("L").histogram()[:100]) > 20000
    pdf = render.render_pdf(cert)
    assert pdf.startswith(b"%PDF") and f"NotoSans{script}".encode() in pdf


def test_taiwan_certificate_reads_in_traditional_chinese(db):
    cert = issue_certificate(_agent("林志玲", "710000", "716300", "716301"))
    doc = render.document(cert)
    assert doc.title == "授權書" and doc.script == fonts.TC
    doc_cn = render.document(issue_certificate(_agent("李娜", "110000", "110100", "110101")))
    assert doc_cn.title == "授权书" and doc_cn.script == fonts.SC


def test_public_image_masks_the_name(db):
    cert = issue_certificate(_agent("张三明", "110000", "110100", "110101"))
    assert ("姓名", "张*明") in render.document(cert, public=True).rows
    assert ("姓名", "张三明") in render.document(cert).rows


@pytest.mark.parametrize("name,masked", [("张三明", "张*明"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("张", "*"), ("", "")])
def test_mask_name(name, masked):
    assert render.mask_name(name) == masked

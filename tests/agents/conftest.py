import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English messages; the product defaults to zh-hans."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def tree(factories):
    """top(总代) ← a(一级) ← a1, a2(二级) ; a1 ← a11 ; top ← b(一级) ; other(总代, another team)."""
    top_l, mid_l, low_l = factories.standard_levels()
    top = factories.agent(top_l, name="总代")
    a = factories.agent(mid_l, upline=top, name="A")
    a1 = factories.agent(low_l, upline=a, name="A1")
    a2 = factories.agent(low_l, upline=a, name="A2")
    a11 = factories.agent(low_l, upline=a1, name="A11")
    b = factories.agent(mid_l, upline=top, name="B")
    other = factories.agent(top_l, name="Other")
    return {"top": top, "a": a, "a1": a1, "a2": a2, "a11": a11, "b": b, "other": other}

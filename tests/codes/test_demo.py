import pytest

from weishang.codes import demo
from weishang.codes.models import CodeBatch, DiversionAlert, ScanEvent, Shipment

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent(hq, net, sku):
    top, _, _ = net
    ctx = {"hq_warehouse": hq, "skus": [sku], "agent": top}
    demo.load(ctx)
    counts = (CodeBatch.objects.count(), Shipment.objects.count(), ScanEvent.objects.count())
    assert counts[0] == 1 and counts[1] == 2 and counts[2] == 4
    assert DiversionAlert.objects.count() >= 1
    demo.load(ctx)
    assert (CodeBatch.objects.count(), Shipment.objects.count(), ScanEvent.objects.count()) == counts

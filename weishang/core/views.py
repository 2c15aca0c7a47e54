from django.db import DatabaseError
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    """Liveness probe for load balancers, and the trivial baseline of the HTTP benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request):
    """Readiness probe: 200 once the database answers a one-row lookup (the latest applied
    migration), 503 while it does not, so a load balancer stops sending traffic to an app
    server that cannot reach its database. Also the "one-row lookup" baseline of
    bench/codes.py."""
    try:
        latest = MigrationRecorder.Migration.objects.order_by("-id").values_list("id", flat=True).first()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    if latest is None:
        return HttpResponse("database not migrated", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")

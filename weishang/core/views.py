from django.conf import settings
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
    migration) and, with REDIS_URL, Redis answers a PING; 503 while either does not, so a load balancer stops sending traffic to an app
    server that cannot reach its database. Also the "one-row lookup" baseline of
    bench/codes.py."""
    try:
        latest = MigrationRecorder.Migration.objects.order_by("-id").values_list("id", flat=True).first()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    if latest is None:
        return HttpResponse("database not migrated", status=503, content_type="text/plain")
    if settings.REDIS_URL and not _redis_answers():
        return HttpResponse("redis unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _redis_answers() -> bool:
    """With REDIS_URL the cache, the rate limits and the task queue live in Redis: an app
    server that cannot reach it would refuse logins and lose enqueued jobs."""
    from django.core.cache import cache

    try:
        return bool(cache._cache.get_client(write=True).ping())  # type: ignore[attr-defined]
    except Exception:  # any failure to answer means not ready
        return False


def bad_request(request, exception=None):
    """handler400. A body over DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig, raised when a
    page's form is read) is a 413, not Django's generic 400; /api/ answers in the API's
    error shape. (Inside the API's own views core.api's handlers answer these.)"""
    from django.core.exceptions import RequestDataTooBig
    from django.shortcuts import render
    from django.views.defaults import bad_request as django_bad_request

    from .api import too_large_message
    from .middleware import api_error, is_api

    if isinstance(exception, RequestDataTooBig):
        if is_api(request):
            return api_error(413, "too_large", too_large_message())
        return render(request, "413.html", {"message": too_large_message()}, status=413)
    if is_api(request):
        from django.utils.translation import gettext as _

        return api_error(400, "bad_request", _("The request could not be read. Check its Content-Type and body."))
    return django_bad_request(request, exception)

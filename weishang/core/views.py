from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    """Liveness probe for load balancers, and the trivial baseline of the HTTP benchmarks."""
    return HttpResponse("ok", content_type="text/plain")

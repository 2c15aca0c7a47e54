import zoneinfo

from django.utils import timezone


class UserTimezoneMiddleware:
    """Show times in the user's zone (Asia/Shanghai or Asia/Taipei); stored in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        tz = getattr(user, "time_zone", None) if user is not None and user.is_authenticated else None
        if tz:
            timezone.activate(zoneinfo.ZoneInfo(tz))
        else:
            timezone.deactivate()
        return self.get_response(request)

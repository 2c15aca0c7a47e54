from django.conf import settings


def site(request):
    return {"BRAND_NAME": settings.BRAND_NAME, "SITE_URL": settings.SITE_URL}

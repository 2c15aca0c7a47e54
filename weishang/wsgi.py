"""WSGI entry point. Consumer scans (/v/<code>, the verify API) take a short path ahead of
Django's middleware stack for anonymous visitors: see weishang/codes/fastpath.py."""

import os

import django
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")
django.setup(set_prefix=False)

from weishang.codes.fastpath import FastPathMixin  # noqa: E402  (needs the app registry)
from weishang.regions import iplocate  # noqa: E402

# The IP and division databases (~0.15 s) load with the worker, not on its first scan.
iplocate.warm_up()


class Handler(FastPathMixin, WSGIHandler):
    pass


application = Handler()

"""Weishang: channel management and social commerce for brands that sell through agents."""

from .celery import app as celery_app

__all__ = ("celery_app",)

"""Back office for the agent network."""

from . import admin_levels  # noqa: E402,F401

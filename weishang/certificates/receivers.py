"""Re-issue the certificate when an agent's level changes (weishang.agents records every
level change as an AgentEvent of kind "level")."""

from __future__ import annotations

from django.utils import timezone


def reissue_on_level_change(sender, instance, created: bool, **kwargs) -> None:
    if not created or instance.kind != "level" or kwargs.get("raw"):
        return
    from . import selectors, services

    current = selectors.active_for(instance.agent)
    if current is None or current.level_id == instance.agent.level_id:
        return
    # The new certificate keeps the channels and the end of the authorised period.
    days = max(1, (current.valid_until - timezone.localdate()).days)
    services.issue_certificate(instance.agent, channels=list(current.channels), valid_days=days,
                               issued_by=getattr(instance, "actor", None))


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_save

    try:
        event = apps.get_model("agents", "AgentEvent")
    except LookupError:  # the agents app has no event history yet
        return
    post_save.connect(reissue_on_level_change, sender=event, dispatch_uid="certificates-reissue-on-level")

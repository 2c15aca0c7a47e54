from django import forms

from .errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on a form: field messages on their fields, the rest on top."""
    placed = False
    for name, messages in exc.fields.items():
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)

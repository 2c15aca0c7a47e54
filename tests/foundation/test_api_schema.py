"""The OpenAPI document names each schema once (issue 17.7): two classes with one name
collapse into one component, and every operation using the other documents the wrong shape."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_schema_classes_share_a_name():
    import weishang.urls  # noqa: F401  (imports every app's api module)

    by_name = defaultdict(set)
    for model in _subclasses(BaseModel):
        if model.__module__.startswith("weishang."):
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    shared = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert not shared, shared


def test_every_schema_reference_resolves():
    import weishang.urls  # noqa: F401
    from weishang.core.api import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    components = schema["components"]["schemas"]
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].rsplit("/", 1)[-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema["paths"])
    assert refs and refs <= set(components)

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


def _json_body_models():
    """The schema classes a JSON request body is validated with (nested ones too)."""
    import weishang.urls  # noqa: F401
    from weishang.core.api import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    components = schema["components"]["schemas"]
    names: set[str] = set()

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                if name not in names:
                    names.add(name)
                    refs(components.get(name, {}))
            for value in node.values():
                refs(value)
        elif isinstance(node, list):
            for value in node:
                refs(value)

    for item in schema["paths"].values():
        for op in item.values():
            content = (op.get("requestBody") or {}).get("content", {})
            refs(content.get("application/json", {}))
    classes = {m.__name__: m for m in _subclasses(BaseModel) if m.__module__.startswith("weishang.")}
    return {name: classes[name] for name in names if name in classes}


def test_json_body_numbers_are_strict_ints():
    """`true` or "5" for a quantity or an id is a client bug, not 1 or 5 (issue 17.6).
    JSON object keys are always text, so int keys stay lax."""
    models = _json_body_models()
    assert len(models) > 20
    lax = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "int" and not node.get("strict"):
                lax.append(where)
            for key, value in node.items():
                if key != "keys_schema":
                    walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for name, model in models.items():
        for field, info in model.model_fields.items():
            from pydantic import TypeAdapter

            walk(TypeAdapter(info.rebuild_annotation()).core_schema, f"{name}.{field}")
    assert not lax, lax


def test_true_as_a_quantity_is_422(staff_api):
    r = staff_api.post("/inventory/hq/adjust", {"sku_id": 1, "quantity": True, "reason": "盘点"}, lang="en")
    assert r.status_code == 422 and "quantity" in r.json()["fields"], r.content
    r = staff_api.post("/inventory/hq/adjust", {"sku_id": True, "quantity": 1, "reason": "盘点"}, lang="en")
    assert r.status_code == 422 and "sku_id" in r.json()["fields"], r.content

"""Showing people's names on public pages."""


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, Alice → A***e: public pages (verification, certificate lookup,
    invitation posters) never show an agent's full name."""
    text = (name or "").strip()
    if len(text) <= 1:
        return "*" if text else ""
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]

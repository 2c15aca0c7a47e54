"""Old order history rows stored their sentence as text in the language of whoever caused
it. Rows whose text reads exactly as a known sentence (in any of the three languages) get
its message key and parameters, so they show in the reader's language; any other row keeps
its text and is shown as it was stored."""

from decimal import Decimal, InvalidOperation

from django.db import migrations

# The history sentences as of this migration (English msgids).
KEYS = [
    "Restock ordered; %(who)s has the stock.", "Restock ordered; asked %(who)s to restock.",
    "Passed up to %(who)s.", "Ordered in the shop of %(who)s.", "Pick-up requested.", "No shipping fee to pay.",
    "The seller has the stock.", "Payment received.", "Units credited to cloud stock.", "Cancelled by the buyer.",
    "Payment time ran out.", "Packed.", "Shipped by %(carrier)s, tracking %(no)s.", "Received by the buyer.",
    "Received automatically %(n)d days after shipping.", "Return window closed.", "Paid: %(m)s.",
    "Refund of %(a)s requested: %(r)s", "Refund rejected: %(r)s", "Refunded %(a)s: %(r)s",
    "Cancelled after payment; %(w)s",
]
LANGUAGES = ["zh-hans", "zh-hant", "en"]


def forwards(apps, schema_editor):
    from django.utils import translation

    from weishang.orders.history import parse

    OrderEvent = apps.get_model("orders", "OrderEvent")
    hq = set()
    for language in LANGUAGES:
        with translation.override(language):
            hq.add(translation.gettext("HQ"))

    def params_of(found, currency):
        out = {}
        for name, value in found.params.items():
            if name == "a":
                try:
                    out[name] = {"amount": str(Decimal(value.replace(",", ""))), "currency": currency}
                    continue
                except InvalidOperation:
                    pass
            if name == "who" and value in hq:
                out[name] = {"key": "HQ", "params": {}}
            elif name == "w":
                inner = parse(value, KEYS, LANGUAGES)
                out[name] = ({"key": inner.key, "params": params_of(inner, currency)} if inner is not None
                             else value)
            else:
                out[name] = value
        return out

    for event in OrderEvent.objects.filter(message_key="").exclude(reason="").select_related("order").iterator():
        found = parse(event.reason, KEYS, LANGUAGES)
        if found is None:
            continue  # typed by someone, or unknown: shown as stored
        event.message_key = found.key
        event.params = params_of(found, event.order.currency)
        event.reason = ""
        event.save(update_fields=["message_key", "params", "reason"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_orderevent_message_key")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

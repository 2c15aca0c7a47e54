"""Payment providers: the one interface every way of paying implements.

A provider gets a Payment that the payments service created (status SUBMITTED) and
either settles it at once (`start` returns True: prepaid balance) or leaves it waiting
for an outside confirmation (offline transfer: the payee confirms the proof; WeChat Pay /
Alipay / the sandbox: a verified notification, `weishang.payments.online`). Settlement
always goes through `weishang.payments.services.settle`, which posts payer →
PAYMENT_CLEARING and marks the order paid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from weishang.ledger.models import AccountKind
from weishang.ledger.services import account

from .models import Payment


class Provider:
    code: str = ""
    label: Any = ""
    # Who may use it: "agent" (restocks, pick-ups) and/or "consumer" (shop orders).
    payers: tuple[str, ...] = ()
    needs_confirmation = False
    online = False  # paid at an outside provider that notifies (weishang.payments.online)

    def start(self, payment: Payment) -> bool:
        """Begin paying; return True if the payment settled at once."""
        raise NotImplementedError

    def source_lines(self, payment: Payment) -> list[tuple]:
        """Ledger lines taking the amount from where the money is (negative amounts)."""
        raise NotImplementedError

    def no_negative(self, payment: Payment) -> list:
        return []

    def refund_lines(self, payment: Payment, amount: Decimal) -> list[tuple]:
        """Ledger lines giving `amount` back to where the money came from (positive
        amounts; the caller takes it out of PAYMENT_CLEARING): the mirror of source_lines.
        A provider that pays back through an outside API (WeChat Pay, Alipay) would credit
        REFUND_CLEARING here and settle it on the provider's refund callback."""
        sources = self.source_lines(payment)
        if len(sources) != 1:
            raise NotImplementedError("a provider with several source accounts must split its refunds")
        return [(sources[0][0], Decimal(amount))]

    def refund(self, payment: Payment, refund_obj, actor) -> None:
        """Called after the refund journal is posted (same transaction). A provider that pays
        back through an outside API asks for it here; the ledger lines are the whole refund
        for the others."""
        return None


class PrepaidProvider(Provider):
    """The agent's prepaid balance (预充值), held in its AGENT_PREPAID ledger account."""

    code = "prepaid"
    label = _("Prepaid balance")
    payers = ("agent",)

    def _account(self, payment: Payment):
        return account(AccountKind.AGENT_PREPAID, payment.currency, agent_id=payment.order.buyer_agent_id)

    def start(self, payment: Payment) -> bool:
        return True

    def source_lines(self, payment: Payment) -> list[tuple]:
        return [(self._account(payment), -Decimal(payment.amount))]

    def no_negative(self, payment: Payment) -> list:
        return [self._account(payment)]


class OfflineTransferProvider(Provider):
    """A bank or wallet transfer made outside the system, with a proof image; the payee
    confirms it. The payee already holds the cash, so the ledger takes it from the payee:
    an agent payee's AGENT_EARNINGS_AVAILABLE (it owes the other beneficiaries their
    shares, netted by earnings), or for HQ the PREPAID_FUNDING account (HQ-side mirror of
    money received from outside)."""

    code = "offline"
    label = _("Offline transfer with proof")
    payers = ("agent", "consumer")
    needs_confirmation = True

    def start(self, payment: Payment) -> bool:
        return False

    def source_lines(self, payment: Payment) -> list[tuple]:
        if payment.payee_agent_id:
            acc = account(AccountKind.AGENT_EARNINGS_AVAILABLE, payment.currency, agent_id=payment.payee_agent_id)
        else:
            acc = account(AccountKind.PREPAID_FUNDING, payment.currency)
        return [(acc, -Decimal(payment.amount))]


PROVIDERS: dict[str, Provider] = {p.code: p for p in (PrepaidProvider(), OfflineTransferProvider())}


def available() -> dict[str, Provider]:
    """The built-in providers and the online ones this deployment configured."""
    from .online import configured

    return {**PROVIDERS, **configured()}


def get(code: str) -> Provider | None:
    return available().get(code)


def choices_for(role: str) -> list[tuple[str, str]]:
    return [(p.code, p.label) for p in available().values() if role in p.payers]

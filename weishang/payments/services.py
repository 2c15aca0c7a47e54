"""Paying orders and topping up prepaid balances. Money moves only through
weishang.ledger.services.post (idempotent by key); each function is one transaction."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import hq_can
from weishang.agents.models import Agent
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from weishang.core.money import MoneyError, format_money, parse_amount
from weishang.core.uploads import accept_image
from weishang.ledger.models import AccountKind, JournalKind
from weishang.ledger.services import InsufficientBalance, account, post
from weishang.orders import history
from weishang.orders import services as order_services
from weishang.orders.models import Order, OrderKind, OrderStatus

from . import providers
from .models import CollectionDetails, Payment, PaymentStatus, TopUp, TopUpMethod


class AlreadyPaid(Conflict):
    code = "already_paid"


def payer_role(order: Order) -> str:
    return "consumer" if order.kind == OrderKind.CONSUMER else "agent"


def payee_of(order: Order) -> Agent | None:
    """Who receives the buyer's money: the seller agent / shop agent, or HQ (None)."""
    if order.kind == OrderKind.PICKUP:
        return None
    return order.seller_agent


def can_confirm(user, payee_agent_id: int | None) -> bool:
    if payee_agent_id is None:
        return hq_can(user, "payments.confirm_hq_payment")
    return getattr(getattr(user, "agent", None), "pk", None) == payee_agent_id


def pay(*, order_no: str, user, method: str, proof=None, reference: str = "") -> Payment:
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(no=order_no).first()
        if order is None or order.buyer_id != user.pk:
            raise NotFound(_("Order not found."))
        if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RECEIVED, OrderStatus.COMPLETED):
            raise AlreadyPaid(_("This order is already paid."))
        if order.status != OrderStatus.PENDING:
            raise Conflict(_("This order cannot be paid now."), code="not_payable")
        provider = providers.get(method)
        if provider is None or payer_role(order) not in provider.payers:
            raise DomainError(_("This payment method is not available for this order."), code="invalid_method",
                              fields={"method": [_("Choose another payment method.")]})
        if order.buyer_agent is not None and not order.buyer_agent.can_trade:
            raise DomainError(_("Your agent account is frozen or expired; you cannot trade now."),
                              code="agent_not_active", status=403)
        waiting = Payment.objects.filter(order=order, status=PaymentStatus.SUBMITTED).first()
        if waiting is not None:
            waiting_provider = providers.get(waiting.method)
            if not (waiting_provider and waiting_provider.online):
                raise Conflict(_("A payment for this order is waiting for confirmation."), code="payment_pending")
            if waiting.method == method:
                return waiting  # back to the same provider's checkout
            _replace_online(waiting, waiting_provider)
        if provider.needs_confirmation and not proof:
            raise DomainError(_("Upload the transfer proof."), code="proof_required",
                              fields={"proof": [_("Upload the transfer proof.")]})
        payee = payee_of(order)
        payment = Payment(order=order, method=method, amount=order.total, currency=order.currency,
                          status=PaymentStatus.SUBMITTED, payer=user, payee_agent=payee,
                          reference=(reference or "")[:60])
        if proof:
            payment.proof = accept_image(proof, field="proof")
        payment.save()
        if provider.start(payment):
            try:
                settle(payment, actor=user)
            except InsufficientBalance:
                # Only the prepaid balance can run short here; the atomic block drops the
                # payment, so the order stays payable by another method or after a top-up.
                raise _balance_short(order) from None
        elif provider.needs_confirmation:
            order_services.note(order, actor=user, reason=history.note(
                _("Transfer proof submitted; waiting for %(who)s to confirm the money arrived."),
                who=payee_label(payee)))
        return payment


def _replace_online(payment: Payment, provider) -> None:
    """The payer chose another way to pay: the waiting online payment is closed here and,
    after commit, at the provider. Money that still arrives for it is kept for review
    (notifications: outcome "review")."""
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.SUBMITTED).update(
        status=PaymentStatus.REJECTED, decided_at=timezone.now(),
        reject_reason=str(_("Replaced by another payment method."))[:200])

    def close() -> None:
        from .online import ProviderUnavailable

        try:
            provider.close(payment)
        except ProviderUnavailable:
            pass  # the provider's own expiry closes it; a late payment is flagged for review

    transaction.on_commit(close)


def payee_label(payee: Agent | None):
    return payee.name if payee is not None else _("HQ")


def _balance_short(order: Order) -> InsufficientBalance:
    balance = prepaid_balance(order.buyer_agent_id, order.currency) if order.buyer_agent_id else Decimal(0)
    message = _("Your prepaid balance (%(balance)s) is %(short)s short of this order. Top up, or pay by "
                "transfer.") % {"balance": format_money(balance, order.currency),
                                "short": format_money(order.total - balance, order.currency)}
    return InsufficientBalance(message, fields={"method": [message]})


def settle(payment: Payment, *, actor) -> Payment:
    """The money is in: payer → PAYMENT_CLEARING (key order:pay:<no>), then the order is paid."""
    with transaction.atomic():
        updated = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.SUBMITTED).update(
            status=PaymentStatus.CONFIRMED, decided_by=actor, decided_at=timezone.now())
        if updated != 1:
            raise AlreadyPaid(_("This payment was already decided."))
        payment.status = PaymentStatus.CONFIRMED
        order = payment.order
        provider = providers.get(payment.method)
        if provider is None:
            raise DomainError(_("This payment method is not available for this order."), code="invalid_method")
        clearing = account(AccountKind.PAYMENT_CLEARING, payment.currency)
        lines = provider.source_lines(payment) + [(clearing, Decimal(payment.amount))]
        if payment.amount:
            post(key=f"order:pay:{order.no}", kind=JournalKind.ORDER_PAYMENT, currency=payment.currency, lines=lines,
                 no_negative=provider.no_negative(payment), ref_type="order", ref_id=order.no, created_by=actor,
                 memo=f"{order.get_kind_display()} {order.no} ({provider.label})")
        order_services.mark_paid(order, payment=payment, actor=actor,
                                 reason=history.note(_("Paid: %(m)s."), m=provider.label))
        return payment


def _decidable(payment_id: int, user) -> Payment:
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Payment not found."))
    if not can_confirm(user, payment.payee_agent_id):
        if payment.payer_id == user.pk:
            raise PermissionDenied(_("Only the payee can confirm this payment."))
        raise NotFound(_("Payment not found."))
    if payment.status != PaymentStatus.SUBMITTED:
        raise AlreadyPaid(_("This payment was already decided."))
    return payment


def confirm(*, payment_id: int, user) -> Payment:
    with transaction.atomic():
        payment = _decidable(payment_id, user)
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if order.status != OrderStatus.PENDING:
            raise AlreadyPaid(_("This order is no longer waiting for payment."))
        payment.order = order
        return settle(payment, actor=user)


def reject(*, payment_id: int, user, reason: str) -> Payment:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the payment is rejected."), code="reason_required",
                          fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        payment = _decidable(payment_id, user)
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.SUBMITTED).update(
            status=PaymentStatus.REJECTED, decided_by=user, decided_at=timezone.now(), reject_reason=reason[:200])
        payment.refresh_from_db()
        order_services.note(payment.order, actor=user,
                            reason=_("Transfer not confirmed: %(reason)s") % {"reason": reason})
        return payment


# --- prepaid top-ups ---------------------------------------------------------------------

def _amount(value, currency: str) -> Decimal:
    try:
        amount = parse_amount(value, currency)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_amount", fields={"amount": [str(exc)]})
    if amount <= 0:
        raise DomainError(_("Enter an amount above zero."), code="invalid_amount",
                          fields={"amount": [_("Enter an amount above zero.")]})
    return amount


def _credit(topup: TopUp, actor) -> None:
    prepaid = account(AccountKind.AGENT_PREPAID, topup.currency, agent_id=topup.agent_id)
    if topup.payee_agent_id:
        source = account(AccountKind.AGENT_EARNINGS_AVAILABLE, topup.currency, agent_id=topup.payee_agent_id)
    else:
        source = account(AccountKind.PREPAID_FUNDING, topup.currency)
    post(key=f"topup:{topup.pk}", kind=JournalKind.PREPAID_TOPUP, currency=topup.currency,
         lines=[(source, -topup.amount), (prepaid, topup.amount)], ref_type="topup", ref_id=str(topup.pk),
         created_by=actor, memo=(topup.reason or topup.get_method_display())[:255])


def _check_agent_currency(agent: Agent, currency: str) -> None:
    """A prepaid balance is kept in the agent's level currency (the one its orders are
    priced in): money in another currency would sit in a balance it can never spend."""
    level = agent.level if agent.level_id else None
    want = getattr(level, "currency", "") or ""
    if want and currency != want:
        raise DomainError(_("This agent's balance is kept in %(want)s, not %(got)s.") % {"want": want, "got": currency},
                          code="currency_mismatch", fields={"currency": [_("Use %(want)s.") % {"want": want}]})


def hq_topup(*, agent: Agent, amount, currency: str, reason: str, user) -> TopUp:
    if not can_confirm(user, None):
        raise PermissionDenied(_("Only HQ finance can top up balances."))
    reason = (reason or "").strip()
    value = _amount(amount, currency)
    _check_agent_currency(agent, currency)
    if not reason:
        raise DomainError(_("Give the reason for this top-up."), code="reason_required",
                          fields={"reason": [_("This field is required.")]})
    with transaction.atomic():
        topup = TopUp.objects.create(agent=agent, method=TopUpMethod.HQ, amount=value, currency=currency,
                                     status=PaymentStatus.CONFIRMED, reason=reason[:200], created_by=user,
                                     decided_by=user, decided_at=timezone.now())
        _credit(topup, user)
        return topup


def request_topup(*, user, amount, currency: str, proof, reason: str = "") -> TopUp:
    agent = Agent.objects.filter(user=user).select_related("upline").first()
    if agent is None:
        raise PermissionDenied(_("Only agents can do this."))
    if not agent.can_trade:
        raise DomainError(_("Your agent account is frozen or expired; you cannot trade now."),
                          code="agent_not_active", status=403)
    value = _amount(amount, currency)
    _check_agent_currency(agent, currency)
    if not proof:
        raise DomainError(_("Upload the transfer proof."), code="proof_required",
                          fields={"proof": [_("Upload the transfer proof.")]})
    topup = TopUp(agent=agent, method=TopUpMethod.UPLINE_TRANSFER, amount=value, currency=currency,
                  status=PaymentStatus.SUBMITTED, payee_agent=agent.upline, proof=accept_image(proof, field="proof"),
                  reason=(reason or "")[:200], created_by=user)
    topup.save()
    return topup


def decide_topup(*, topup_id: int, user, approve: bool, reason: str = "") -> TopUp:
    with transaction.atomic():
        topup = TopUp.objects.select_for_update().filter(pk=topup_id).first()
        if topup is None or not can_confirm(user, topup.payee_agent_id):
            raise NotFound(_("Top-up not found."))
        if topup.status != PaymentStatus.SUBMITTED:
            raise Conflict(_("This top-up was already decided."), code="already_decided")
        topup.status = PaymentStatus.CONFIRMED if approve else PaymentStatus.REJECTED
        topup.decided_by, topup.decided_at = user, timezone.now()
        if not approve:
            topup.reason = (reason or topup.reason)[:200]
        topup.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        if approve:
            _credit(topup, user)
        return topup


def prepaid_balance(agent_id: int, currency: str) -> Decimal:
    from weishang.ledger.models import Account

    key = Account.make_key(AccountKind.AGENT_PREPAID, currency, agent_id)
    return Account.objects.filter(key=key).values_list("balance", flat=True).first() or Decimal("0.00")


# --- who may see a private upload ----------------------------------------------------------

def is_hq_finance_viewer(user, perm: str) -> bool:
    """HQ staff whose role grants `perm` (finance and admin roles: weishang.accounts.roles)."""
    return bool(user.is_authenticated and user.is_staff and user.has_perm(perm))


def _agent_id(user) -> int | None:
    return getattr(getattr(user, "agent", None), "pk", None) if user.is_authenticated else None


def can_view_payment_proof(user, payment: Payment) -> bool:
    """The payer, the payee (the receiving agent, or HQ finance for HQ) and HQ finance."""
    if not user.is_authenticated:
        return False
    if payment.payer_id == user.pk:
        return True
    if payment.payee_agent_id is not None and payment.payee_agent_id == _agent_id(user):
        return True
    return is_hq_finance_viewer(user, "payments.view_payment")


def can_view_topup_proof(user, topup: TopUp) -> bool:
    if not user.is_authenticated:
        return False
    if topup.created_by_id == user.pk or topup.agent_id == _agent_id(user):
        return True
    if topup.payee_agent_id is not None and topup.payee_agent_id == _agent_id(user):
        return True
    return is_hq_finance_viewer(user, "payments.view_topup")


def collection_for(payee: Agent | None) -> CollectionDetails | None:
    """The payee's collection details (HQ's when payee is None), if it gave any."""
    if payee is None:
        return CollectionDetails.objects.filter(agent__isnull=True).first()
    return CollectionDetails.objects.filter(agent=payee).first()


def can_view_collection(user, details: CollectionDetails) -> bool:
    """The owner, HQ finance, and any buyer with an order that pays this payee: the QR
    identifies the payee's wallet, so it is not public."""
    if not user.is_authenticated:
        return False
    if details.agent_id is not None and details.agent_id == _agent_id(user):
        return True
    if is_hq_finance_viewer(user, "payments.view_collectiondetails"):
        return True
    orders = Order.objects.filter(buyer=user)
    if details.agent_id is None:
        from django.db.models import Q

        return orders.filter(Q(kind=OrderKind.PICKUP) | Q(seller_agent__isnull=True)).exists()
    return orders.filter(seller_agent_id=details.agent_id).exclude(kind=OrderKind.PICKUP).exists()


def set_collection_details(*, user, details: str, qr=None, remove_qr: bool = False) -> CollectionDetails:
    """An agent sets how its buyers pay it offline: text and/or a collection QR image."""
    agent = Agent.objects.filter(user=user).first()
    if agent is None:
        raise PermissionDenied(_("Only agents can do this."))
    details = (details or "").strip()
    if len(details) > 500:
        raise DomainError(_("Keep the collection details under 500 characters."), code="too_long",
                          fields={"details": [_("Keep the collection details under 500 characters.")]})
    clean = accept_image(qr, field="qr") if qr else None
    with transaction.atomic():
        row, _created = CollectionDetails.objects.select_for_update().get_or_create(agent=agent)
        row.details = details
        if clean is not None:
            row.qr = clean
        elif remove_qr:
            row.qr = ""
        row.save()
        return row


# --- convenience-store pickup (超商取貨, ECPay logistics) -----------------------------------

def choose_pickup_store(token: str, reply: dict) -> Order:
    """ECPay's store map posted the store the buyer picked: kept as the order's pickup
    store, if the token is one we signed for a Taiwan order not shipped yet."""
    from . import logistics

    order_id = logistics.order_id_from(token)
    if order_id is None:
        raise DomainError(_("This store choice has expired or is not ours. Choose the store again."),
                          code="invalid_store_choice")
    chain, store_id = reply.get("LogisticsSubType", ""), (reply.get("CVSStoreID") or "").strip()
    if chain not in logistics.CHAINS or not store_id or reply.get("MerchantID") != logistics.logistics().merchant_id:
        raise DomainError(_("ECPay did not send a store. Choose the store again."), code="invalid_store_choice")
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.kind != OrderKind.CONSUMER or order.currency != "TWD" \
                or order.status not in (OrderStatus.PENDING, OrderStatus.PAID) or order.shipments.exists():
            raise Conflict(_("The pickup store of this order can no longer be changed."), code="store_locked")
        order.pickup_store_type, order.pickup_store_id = chain, store_id[:10]
        order.pickup_store_name = (reply.get("CVSStoreName") or "")[:60]
        order.pickup_store_address = (reply.get("CVSAddress") or "")[:200]
        order.pickup_store_phone = (reply.get("CVSTelephone") or "")[:20]
        order.save(update_fields=["pickup_store_type", "pickup_store_id", "pickup_store_name",
                                  "pickup_store_address", "pickup_store_phone"])
        order_services.note(order, actor=order.buyer, reason=history.note(
            _("Pickup store chosen: %(chain)s %(store)s."), chain=str(logistics.CHAINS[chain]),
            store=order.pickup_store_name))
    return order


def ship_to_store(order: Order, *, actor):
    """The warehouse ships a pickup order: the ECPay logistics order is created first (a
    call outside any transaction), then the shipment is recorded under ECPay's shipment
    number, with its logistics order id for the status notifications."""

    from . import logistics

    order = Order.objects.get(pk=order.pk)
    if order.status != OrderStatus.PAID:
        raise Conflict(_("Only a paid order can be shipped."), code="not_shippable")
    if not order.pickup_store_id:
        raise DomainError(_("This order has no pickup store or no Taiwan mobile number."), code="no_pickup_store")
    data = logistics.logistics().create(order)
    tracking = data.get("CVSPaymentNo") or data["AllPayLogisticsID"]
    shipment = order_services.ship(order, actor=actor, carrier=str(logistics.CHAINS[order.pickup_store_type]),
                                   tracking_no=tracking + data.get("CVSValidationNo", ""))
    shipment.logistics_id = data["AllPayLogisticsID"]
    shipment.logistics_status = f"{data.get('RtnCode')} {data.get('RtnMsg', '')}"[:100]
    shipment.save(update_fields=["logistics_id", "logistics_status"])
    return shipment


def logistics_status(data: dict) -> str:
    """A verified ECPay logistics status: kept on the shipment; at the store and picked up
    go into the order's history, and picked up marks the order received. Returns what
    happened (for the log)."""
    from weishang.orders.models import Shipment

    from . import logistics

    code = data.get("RtnCode", "")
    with transaction.atomic():
        shipment = Shipment.objects.select_related("order").filter(
            logistics_id=data.get("AllPayLogisticsID", "") or "-").first()
        if shipment is None:
            raise NotFound(_("Not found."))
        status = f"{code} {data.get('RtnMsg', '')}"[:100]
        if shipment.logistics_status == status:
            return "repeat"
        Shipment.objects.filter(pk=shipment.pk).update(logistics_status=status)
        order = shipment.order
        if code in logistics.ARRIVED:
            order_services.note(order, actor=None, reason=history.note(
                _("The parcel arrived at the pickup store %(store)s."), store=order.pickup_store_name))
            return "arrived"
        if code in logistics.PICKED_UP and order.status == OrderStatus.SHIPPED:
            order_services.confirm_received(order, actor=None, system=True, reason=history.note(
                _("Picked up at the store %(store)s."), store=order.pickup_store_name))
            return "picked up"
    return "status"

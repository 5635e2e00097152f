"""Which events become which e-mails (recipient, subject, body); other events send nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from notification.events import Event


@dataclass(frozen=True)
class Notice:
    """One e-mail to send."""

    recipient: str
    subject: str
    body: str


def _order_ref(data: dict[str, object]) -> str:
    return str(data.get("order_id", ""))[:8]


# The events that notify someone (their type without "marketplace.").
EventType = Literal[
    "user.user.registered",
    "order.order.placed",
    "order.order.paid",
    "order.order.cancelled",
    "order.order.shipped",
    "payment.payment.refunded",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


def notice_for(event: Event) -> Notice | None:
    """The e-mail an event calls for, or None."""
    data = event.data
    kind = event.type.removeprefix("marketplace.")
    if kind == "user.user.registered":
        name = data.get("display_name") or "there"
        return Notice(str(data["email"]), "Welcome to the marketplace",
                      f"Hello {name},\n\nyour {data.get('role', 'buyer')} account is ready.\n")
    email = data.get("buyer_email")
    if not isinstance(email, str) or not email:
        return None
    ref, total = _order_ref(data), f"{data.get('total', '')} {data.get('currency', '')}".strip()
    if kind == "order.order.placed":
        return Notice(email, f"Order {ref} received",
                      f"We received your order {data['order_id']} ({total}) and are charging "
                      "your card.\n")
    if kind == "order.order.paid":
        return Notice(email, f"Order {ref} confirmed: payment received",
                      f"Your order {data['order_id']} is PAID ({total}). We will tell you when "
                      "it ships.\n")
    if kind == "order.order.cancelled":
        reason = data.get("reason") or "the payment did not go through"
        return Notice(email, f"Order {ref} cancelled: payment declined",
                      f"Your order {data['order_id']} was CANCELLED ({reason}). Nothing was "
                      "charged.\n")
    if kind == "order.order.shipped":
        return Notice(email, f"Order {ref} shipped",
                      f"Your order {data['order_id']} is on its way.\n")
    if kind == "payment.payment.refunded":
        return Notice(email, f"Refund for order {ref}",
                      f"{data.get('amount')} {data.get('currency')} were refunded.\n")
    return None

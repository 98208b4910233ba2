"""Tools of the example support agent: pydantic models become strict function schemas."""

from typing import ClassVar

from pydantic import BaseModel, Field


class LookupOrder(BaseModel):
    """Look up an order's status and delivery date."""

    order_id: str = Field(description="the order number, such as A1234")


class RefundPayment(BaseModel):
    """Refund an order's payment. Only delivered orders within 30 days can be refunded."""

    tool_name: ClassVar[str] = "refund_payment"
    order_id: str
    reason: str = Field(description="why the customer wants the refund, in a few words")

from pydantic import BaseModel


class RefundEntry(BaseModel):
    orderId: str
    state: str


config = {"name": "refundFeed", "schema": RefundEntry, "baseConfig": {"storageType": "default"}}

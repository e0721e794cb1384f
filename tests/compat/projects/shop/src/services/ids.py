def order_key(order_id: str) -> str:
    return order_id.strip().lower()

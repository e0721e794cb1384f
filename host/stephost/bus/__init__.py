"""The event bus: emitted events fanned out to every subscribing step."""

from stephost.bus.base import Delivery, DeliveryHandler, Event, EventBus

__all__ = ["Delivery", "DeliveryHandler", "Event", "EventBus"]

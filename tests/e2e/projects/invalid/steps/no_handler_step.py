config = {"type": "event", "name": "NoHandler", "subscribes": ["x"], "emits": []}

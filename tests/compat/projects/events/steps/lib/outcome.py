def failure(exc: Exception) -> dict:
    return {"error": str(exc), "code": getattr(exc, "code", None)}

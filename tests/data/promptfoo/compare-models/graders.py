def mentions_country(output, context):
    """Passes when the answer names a city of the asked country (a few known ones)."""
    capitals = {"France": "Paris", "Japan": "Tokyo"}
    expected = capitals.get(context["vars"]["country"])
    if expected is None:
        return {"pass": False, "score": 0, "reason": "unknown country"}
    return {
        "pass": expected in output,
        "score": 1.0 if expected in output else 0.0,
        "reason": f"looked for {expected}",
    }

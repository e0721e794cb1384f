def add_hop(data, lang, trace_id):
    return {"n": data["n"] * 2, "path": [*data["path"], lang], "traces": [trace_id]}

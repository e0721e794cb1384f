# A Python noop step: no handler, drawn in the flow only.
config = {
    "type": "noop",
    "name": "ArchiveReport",
    "virtualSubscribes": ["report.approved"],
    "virtualEmits": [],
    "flows": ["review"],
}

config = {
    "type": "noop",
    "name": "Audit",
    "virtualSubscribes": ["job.audited"],
    "virtualEmits": [],
    "flows": ["jobs"],
}

import os
import tempfile

config = {"type": "api", "name": "PyWrite", "path": "/py/write", "method": "GET", "emits": []}


def attempt(path):
    try:
        with open(path, "w") as f:
            f.write("written by a worker")
        return "ok"
    except OSError as exc:
        return exc.strerror


def handler(req, context):
    project = os.environ["STEPHOST_PROJECT_ROOT"]
    return {
        "status": 200,
        "body": {
            "project": attempt(os.path.join(project, "py-note.txt")),
            "tmp": attempt(os.path.join(tempfile.gettempdir(), "py-scratch.txt")),
            "outside": attempt(req["queryParams"]["outside"] + "/py-escape.txt"),
        },
    }

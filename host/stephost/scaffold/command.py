"""`stephost create NAME [--template ts|py|mixed] [--dir PARENT]`: messages and exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from stephost.scaffold.project import NotAProjectName, ProjectFolderNotEmpty, create_project

EXIT_OK = 0
EXIT_USAGE = 2

_TEST_COMMAND = {"ts": "npm test", "py": "pytest", "mixed": "pytest"}


def run_create_command(name: str, template: str, parent: Path) -> int:
    """Write the project and print how to run and test it; exit 2 when the folder is taken."""
    try:
        created = create_project(name, template, parent)
    except (ProjectFolderNotEmpty, NotAProjectName) as exc:
        print(f"stephost: {exc}", file=sys.stderr)
        return EXIT_USAGE
    shown = os.path.relpath(created.folder) if created.folder.is_relative_to(Path.cwd()) else str(created.folder)
    print(f"created {shown}/ from the {template!r} template ({len(created.files)} files)")
    print(f"  cd {shown}")
    print("  stephost dev .      # run it on http://localhost:3000")
    print(f"  {_TEST_COMMAND[template]:<19} # test it")
    return EXIT_OK

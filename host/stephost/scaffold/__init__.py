"""`stephost create`: a runnable starter project, written from the templates in this package."""

from stephost.scaffold.project import TEMPLATES, NotAProjectName, ProjectFolderNotEmpty, create_project

__all__ = ["TEMPLATES", "NotAProjectName", "ProjectFolderNotEmpty", "create_project"]

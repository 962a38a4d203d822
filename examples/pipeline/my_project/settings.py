"""The project's settings (a Kedro project's ``src/<package_name>/settings.py``)."""

import os

from my_project.hooks import DataCatalogHooks, ProjectHooks

PROJECT_NAME = "my_project"

HOOKS = (ProjectHooks(), DataCatalogHooks())

# Plugins whose auto-registered hooks are not registered, by distribution name.
DISABLE_HOOKS_FOR_PLUGINS = tuple(name for name in os.environ.get("DISABLE_HOOKS_FOR_PLUGINS", "").split(",") if name)

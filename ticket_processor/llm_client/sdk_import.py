"""The openai SDK imported without the model packages a run never reads.

``import openai`` runs ``openai/types/__init__.py``, which imports a model for every API the
SDK covers, and the SDK's own client imports ``openai/types/responses/__init__.py`` (about 600
modules of pydantic models and typed dicts for the Responses API) for one typed dict: together
about three fifths of the SDK's import, 0.4 s of CPU at the start of every run. Ticketbot reads
the chat completion's types and a few error and option types, each from its own module.

Importing this module (``llm.py`` does, before the SDK) calls ``lazy_sdk_packages``, which puts
those two package modules in place before the SDK is imported: their submodules import as usual
(``openai.types.chat.chat_completion``), and a package's own ``__init__`` runs, whole and once,
the first time a name it defines is asked for (``openai.types.Batch``): what the SDK offers is
unchanged, only paid for when used. When the SDK is already imported, or laid out differently,
nothing is done.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

# Packages whose ``__init__`` only gathers the names of their own submodules.
LAZY_PACKAGES = ("openai.types", "openai.types.responses")

_lock = threading.RLock()


def lazy_sdk_packages() -> None:
    """Make ``LAZY_PACKAGES`` lazy, unless the SDK is already imported or not installed."""
    if "openai" in sys.modules:
        return
    with _lock:
        if "openai" in sys.modules or any(name in sys.modules for name in LAZY_PACKAGES):
            return
        try:
            found = importlib.util.find_spec("openai")
        except (ImportError, ValueError):
            return
        if found is None or found.origin is None:
            return
        root = Path(found.origin).parent
        for name in LAZY_PACKAGES:
            folder = root.joinpath(*name.split(".")[1:])
            init = folder / "__init__.py"
            if not init.is_file():
                return
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(folder)]
            )
            if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                return
            sys.modules[name] = _lazy_package(spec)


def _lazy_package(spec: importlib.machinery.ModuleSpec) -> ModuleType:
    """A package module whose ``__init__`` runs on the first name it is asked for that it lacks."""
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    assert loader is not None

    def __getattr__(name: str) -> Any:
        with _lock:
            if module.__dict__.get("__getattr__") is __getattr__:
                del module.__dict__["__getattr__"]  # a name missing during the run: missing
                loader.exec_module(module)
        try:
            return module.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {spec.name!r} has no attribute {name!r}") from None

    module.__dict__["__getattr__"] = __getattr__
    return module


lazy_sdk_packages()

"""The one list of environment variables, and the one way settings read them.

`env("NAME")` returns the variable's typed value, or its registered default when it is unset or empty; a malformed
value raises ImproperlyConfigured naming the variable, so start-up stops. Reading a name that is not registered is a
programming error (KeyError): every variable must have an entry, which is what keeps .env.example and the README
complete (both are generated from the entries by `manage.py settings_docs`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.env import raw_value
from dermreview.settings.variable import COMPUTED, INFERENCE_WORKER, Section, Variable
from dermreview.settings.variables import SECTIONS

if TYPE_CHECKING:
    from inference_worker import WorkerConfig

_UNSET: Any = object()


def _index(sections: tuple[Section, ...]) -> dict[str, Variable]:
    index: dict[str, Variable] = {}
    for section in sections:
        for variable in section.variables:
            if variable.name in index:
                raise ValueError(f"{variable.name} is registered twice")
            index[variable.name] = variable
    return index


VARIABLES: dict[str, Variable] = _index(SECTIONS)


def variable(name: str) -> Variable:
    try:
        return VARIABLES[name]
    except KeyError:
        raise KeyError(f"{name} is not a registered variable: add it to dermreview/settings/variables/") from None


def is_set(name: str, environ: Mapping[str, str] | None = None) -> bool:
    variable(name)
    return raw_value(name, environ) is not None


def env(name: str, *, default: Any = _UNSET, environ: Mapping[str, str] | None = None) -> Any:
    """The typed value of a registered variable; `default` replaces a computed (or environment-specific) one."""
    entry = variable(name)
    raw = raw_value(name, environ)
    if raw is not None:
        return entry.parse(raw)
    value = entry.default if default is _UNSET else default
    if value is COMPUTED:
        raise TypeError(f"{name}'s default is computed: pass default=")
    # Registered defaults are shared objects: hand out a copy of a list so a caller cannot change the registry.
    return list(value) if isinstance(value, list) else value


def worker_config(environ: Mapping[str, str] | None = None) -> WorkerConfig:
    """The inference worker's configuration from its registered variables.

    `inference_worker` parses them itself (it never imports Django, and its worker process reads the same
    variables); only registered names are passed, so an unregistered one cannot take effect unnoticed.
    """
    from inference_worker import WorkerConfig

    source = os.environ if environ is None else environ
    names = [v.name for v in VARIABLES.values() if v.read_by == INFERENCE_WORKER]
    try:
        # The config loads its prompt profile (DERMREVIEW_PROMPT): a misspelt name or a broken profile file stops
        # start-up here, not at the first upload that queues a draft.
        return WorkerConfig.from_env({name: source[name] for name in names if name in source})
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None

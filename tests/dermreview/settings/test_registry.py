"""The registry of environment variables: typed parsing, errors that name the variable, defaults that parse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.registry import VARIABLES, env, variable, worker_config
from dermreview.settings.variable import COMPUTED, INFERENCE_WORKER, Variable

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("entry", "raw", "expected"),
    [
        (Variable("X", "str", meaning="m"), " as is ", " as is "),
        (Variable("X", "int", meaning="m", minimum=1), "42", 42),
        (Variable("X", "float", meaning="m", minimum=0.0, maximum=1.0), "0.25", 0.25),
        (Variable("X", "bool", meaning="m"), "Yes", True),
        (Variable("X", "bool", meaning="m"), "off", False),
        (Variable("X", "list", meaning="m"), " a, b ,,c ", ["a", "b", "c"]),
        (Variable("X", "choice", meaning="m", choices=("django", "x-sendfile")), "x-sendfile", "x-sendfile"),
        (Variable("X", "url", meaning="m", choices=("redis",)), "redis://h:6379/1", "redis://h:6379/1"),
        (Variable("X", "rate", meaning="m"), "30/hour", "30/hour"),
        (Variable("X", "path", meaning="m"), "var/media", Path("var/media")),
    ],
)
def test_registry_parses_each_type(entry: Variable, raw: str, expected: Any) -> None:
    assert entry.parse(raw) == expected


def test_registry_parses_a_database_url() -> None:
    config = Variable("X", "database", meaning="m").parse("postgres://derm:pw@db:5433/dermreview")

    assert (config["ENGINE"], config["NAME"], config["HOST"], config["PORT"]) == (
        "django.db.backends.postgresql", "dermreview", "db", 5433)


@pytest.mark.parametrize(
    ("entry", "raw", "message"),
    [
        (Variable("X_VALUE", "int", meaning="m", minimum=5), "3", "X_VALUE must be at least 5, got 3"),
        (Variable("X_VALUE", "int", meaning="m"), "1.5", "X_VALUE must be an integer, got '1.5'"),
        (Variable("X_VALUE", "int", meaning="m", minimum=0, maximum=23), "24", "X_VALUE must lie between 0 and 23"),
        (Variable("X_VALUE", "float", meaning="m", maximum=1.0), "2", "X_VALUE must be at most 1.0, got 2.0"),
        (Variable("X_VALUE", "float", meaning="m", minimum=0.0, maximum=1.0), "nan", "X_VALUE must be a number"),
        (Variable("X_VALUE", "bool", meaning="m"), "enabled", "X_VALUE must be one of true/false"),
        (Variable("X_VALUE", "choice", meaning="m", choices=("a", "b")), "c", "X_VALUE must be one of a, b, got 'c'"),
        (Variable("X_VALUE", "database", meaning="m"), "mysql://u@h/db", "X_VALUE must be a postgres://"),
        (Variable("X_VALUE", "url", meaning="m", choices=("redis", "rediss")), "ftp://h",
         "X_VALUE must be redis:// or rediss://, got scheme 'ftp'"),
        (Variable("X_VALUE", "rate", meaning="m"), "10 per minute", "X_VALUE must look like '10/min'"),
    ],
)
def test_registry_rejects_malformed_values_by_name(entry: Variable, raw: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        entry.parse(raw)


def test_registry_url_error_does_not_echo_a_password() -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        variable("CELERY_BROKER_URL").parse("ftp://user:hunter2-secret@broker")

    assert "hunter2-secret" not in str(caught.value)


def test_registry_env_reads_the_environment_and_falls_back_to_the_default() -> None:
    assert env("DERMREVIEW_UPLOAD_MAX_FILES", environ={"DERMREVIEW_UPLOAD_MAX_FILES": "7"}) == 7
    assert env("DERMREVIEW_UPLOAD_MAX_FILES", environ={"DERMREVIEW_UPLOAD_MAX_FILES": ""}) == 20  # empty: unset
    assert env("DJANGO_DEBUG", environ={}) is False
    assert env("DJANGO_DEBUG", default=True, environ={}) is True  # development.py's own default
    assert env("DERMREVIEW_VAR_DIR", default=Path("/srv/var"), environ={}) == Path("/srv/var")


def test_registry_env_hands_out_a_copy_of_a_list_default() -> None:
    env("DJANGO_ALLOWED_HOSTS", environ={}).append("evil.example.org")

    assert env("DJANGO_ALLOWED_HOSTS", environ={}) == ["127.0.0.1", "localhost"]


def test_registry_env_refuses_unregistered_names_and_missing_computed_defaults() -> None:
    with pytest.raises(KeyError, match="DERMREVIEW_NO_SUCH_THING is not a registered variable"):
        env("DERMREVIEW_NO_SUCH_THING", environ={})
    with pytest.raises(TypeError, match="DERMREVIEW_MEDIA_ROOT's default is computed"):
        env("DERMREVIEW_MEDIA_ROOT", environ={})


@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_registry_every_documented_value_parses_back_to_the_default(name: str) -> None:
    # The value .env.example shows must be valid, within bounds, and (unless the default is computed, or the
    # variable is simply unset by default) the default itself: what the docs say is what an unset variable means.
    entry = VARIABLES[name]
    shown = entry.example_value()
    if not shown:
        assert entry.default in (None, "", [], COMPUTED), name
        return
    parsed = entry.parse(shown)
    if entry.default not in (None, COMPUTED):
        assert parsed == entry.default


def test_registry_a_computed_default_must_say_how_it_is_shown() -> None:
    with pytest.raises(ValueError, match="shown_default"):
        Variable("X", "int", meaning="m", default=COMPUTED)


def test_registry_worker_variables_are_exactly_those_the_inference_worker_reads() -> None:
    source = (ROOT / "inference_worker" / "config.py").read_text(encoding="utf-8")
    # `read("NAME", ...)` for each field; `env.get("NAME", ...)` for a legacy spelling (DERMREVIEW_CONSTRAINED).
    read = set(re.findall(r"""(?:read|env\.get)\(\s*"([A-Z0-9_]+)\"""", source))

    registered = {name for name, entry in VARIABLES.items() if entry.read_by == INFERENCE_WORKER}

    assert read and registered == read


def test_registry_worker_config_reads_registered_variables_and_names_a_bad_one() -> None:
    assert worker_config({"DERMREVIEW_BATCH_SIZE": "3", "DERMREVIEW_DEVICE": "cpu"}).batch_size == 3
    with pytest.raises(ImproperlyConfigured, match="DERMREVIEW_BATCH_SIZE='eight' is malformed"):
        worker_config({"DERMREVIEW_BATCH_SIZE": "eight"})


def test_registry_worker_config_reads_the_model_contract_variables() -> None:
    cfg = worker_config({
        "DERMREVIEW_PROMPT": "unsloth", "DERMREVIEW_DECODING": "json", "DERMREVIEW_MAX_PIXELS": "0",
        "DERMREVIEW_BASE_MODEL": "Qwen/Qwen3-VL-2B-Instruct", "DERMREVIEW_BASE_MODEL_REVISION": "abc123",
        "DERMREVIEW_MODEL_CACHE": "/srv/merged",
    })

    assert (cfg.prompt_profile, cfg.decoding, cfg.constrained, cfg.max_pixels) == ("unsloth", "json", True, 0)
    assert (cfg.base_model, cfg.base_model_revision, cfg.model_cache_dir) == (
        "Qwen/Qwen3-VL-2B-Instruct", "abc123", "/srv/merged")


def test_registry_defaults_are_the_card_profile_with_schema_decoding() -> None:
    cfg = worker_config({})

    assert (cfg.prompt_profile, cfg.decoding, cfg.max_new_tokens, cfg.max_pixels) == ("card", "schema", 512, 0)
    assert VARIABLES["DERMREVIEW_MAX_PIXELS"].parse("0") == 0  # 0: the profile's budget, so the minimum allows it


@pytest.mark.parametrize(("environ", "decoding"), [
    ({"DERMREVIEW_CONSTRAINED": "0"}, "free"),
    ({"DERMREVIEW_CONSTRAINED": "1"}, "schema"),
    ({"DERMREVIEW_CONSTRAINED": "0", "DERMREVIEW_DECODING": "json"}, "json"),  # the new name wins
])
def test_registry_constrained_is_the_legacy_spelling_of_decoding(environ: dict[str, str], decoding: str) -> None:
    assert worker_config(environ).decoding == decoding


@pytest.mark.parametrize(("environ", "named"), [
    ({"DERMREVIEW_DECODING": "grammar"}, "DERMREVIEW_DECODING"),
    ({"DERMREVIEW_MAX_PIXELS": "100"}, "DERMREVIEW_MAX_PIXELS"),
    ({"DERMREVIEW_PROMPT": "no-such-profile"}, "DERMREVIEW_PROMPT"),
])
def test_registry_a_bad_model_contract_value_stops_start_up_naming_it(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=named):
        worker_config(environ)

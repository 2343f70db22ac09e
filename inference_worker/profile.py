"""Prompt profiles: how the model is asked, and which reply spellings count as the six fields.

A fine-tuned model answers best when it is asked the way it was trained: the same instruction, the image on the
same side of the text, the JSON keys spelt as in its training data. A profile holds those choices in one TOML
file (``inference_worker/profiles/<name>.toml`` for the built-ins, or any path), chosen with
``DERMREVIEW_PROMPT``. Everything downstream derives from it: the chat messages (`inference_worker.prompt`), the
grammar that holds the reply in schema decoding (`inference_worker.grammar`), the key aliases the parser accepts
(`inference_worker.parse`), the default image budget, and the prompt version stored on every draft.

The prompt version is ``<name>@<version>+<hash>``: the hash covers the file's parsed content, so editing the text
without bumping ``version`` still changes what drafts record, and reviewers' agreement figures never mix two
prompts under one label. Comments and formatting in the file do not count.

A file holds exactly these keys (anything else, or anything missing, is a `ValueError` naming the file)::

    name = "card"                 # lower-case letters, digits, - and _; at most 12 characters
    version = "1"                 # at most 12 characters
    description = "..."           # for people: where the profile comes from
    image_position = "before"     # the image before or after the instruction
    layout = "indented"           # whitespace the schema grammar allows: compact, spaced or indented
    list_values = false           # whether the schema grammar lets a value be a list of strings
    max_visual_tokens = 512       # default image budget (DERMREVIEW_MAX_PIXELS = 0)
    order = ["lesion_type", ...]  # the six fields, in the order the reply must give them
    instruction = '''...'''       # the whole text sent with the photo

    [keys]                        # for each of the six fields: the spelling asked for and others accepted
    lesion_type = { write = "lesion_type", aliases = ["Lesion Type", "lesionType"] }
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from inference_worker.fields import FINDING_FIELDS

BUILTIN_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "card"
# Qwen3-VL sees one token per 32x32 pixels (config.PIXELS_PER_VISUAL_TOKEN; not imported, config imports us).
_PIXELS_PER_VISUAL_TOKEN = 32 * 32

ImagePosition = Literal["before", "after"]
Layout = Literal["compact", "spaced", "indented"]
LAYOUTS: tuple[str, ...] = ("compact", "spaced", "indented")

_REQUIRED: dict[str, type] = {
    "name": str, "version": str, "description": str, "image_position": str, "layout": str, "list_values": bool,
    "max_visual_tokens": int, "order": list, "instruction": str, "keys": dict,
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,11}$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,11}$")
# Key spellings go verbatim into the grammar and the JSON: printable ASCII, no quote or backslash.
_SPELLING = re.compile(r'^[ -!#-\[\]-~]{1,40}$')
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s_\-]+")
_VISUAL_TOKENS = (4, 16384)


def normalise_key(key: str) -> str:
    """A key with case, camelCase, blanks, hyphens and underscores ironed out: "Lesion-Type" -> "lesion_type"."""
    return _SEPARATORS.sub("_", _CAMEL.sub("_", key.strip())).strip("_").lower()


@dataclass(frozen=True, slots=True)
class FieldKeys:
    """How one finding field is spelt: ``write`` is asked for; ``aliases`` are accepted as well."""

    field: str
    write: str
    aliases: tuple[str, ...]

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every spelling the schema grammar allows, the asked-for one first, without repeats."""
        return tuple(dict.fromkeys((self.write, *self.aliases)))


@dataclass(frozen=True, slots=True)
class PromptProfile:
    """One loaded profile (see the module docstring). Frozen and hashable: engines keep it for their lifetime."""

    name: str
    version: str
    description: str
    instruction: str
    image_position: ImagePosition
    layout: Layout
    list_values: bool
    max_visual_tokens: int
    keys: tuple[FieldKeys, ...]  # in the profile's order
    content_hash: str
    source: str

    @property
    def prompt_version(self) -> str:
        """``<name>@<version>+<6 hex of the content hash>``, at most 32 characters."""
        return f"{self.name}@{self.version}+{self.content_hash}"

    def prompt_version_for(self, decoding: str) -> str:
        """What a draft records: the prompt version and the decoding mode, at most 40 characters."""
        return f"{self.prompt_version}/{decoding}"

    @property
    def order(self) -> tuple[str, ...]:
        """The six canonical field names in the order the reply gives them."""
        return tuple(keys.field for keys in self.keys)

    @property
    def max_pixels(self) -> int:
        """The image budget in pixels (width x height after resizing)."""
        return self.max_visual_tokens * _PIXELS_PER_VISUAL_TOKEN

    def field_for_key(self, key: str) -> str | None:
        """The canonical field a reply key means, by its normalised form; None for a key of no field."""
        return _alias_table(self.keys).get(normalise_key(key))


def available_profiles() -> tuple[str, ...]:
    """Names of the built-in profiles, sorted."""
    return tuple(sorted(path.stem for path in BUILTIN_DIR.glob("*.toml")))


def load_profile(name_or_path: str = DEFAULT_PROFILE) -> PromptProfile:
    """The built-in profile of that name, or the profile file at that path.

    Raises `ValueError` naming ``DERMREVIEW_PROMPT``, the file and the problem. Loads are cached on the file's
    resolved path and modification time, so an edited file is read again and an unchanged one never is.
    """
    path = _resolve(name_or_path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise _problem(name_or_path, f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return _load_file(str(path), mtime)
    except ValueError as exc:
        raise _problem(name_or_path, f"{path}: {exc}") from None


def _resolve(name_or_path: str) -> Path:
    value = name_or_path.strip()
    if _NAME.match(value) and not Path(value).suffix:
        builtin = BUILTIN_DIR / f"{value}.toml"
        if builtin.is_file():
            return builtin
        raise _problem(name_or_path, f"no built-in prompt profile {value!r} (built-ins: "
                                     f"{', '.join(available_profiles())}); a file needs a path such as ./{value}.toml")
    return Path(value).expanduser().resolve()


def _problem(value: str, why: str) -> ValueError:
    return ValueError(f"DERMREVIEW_PROMPT={value!r} is invalid: {why}")


@functools.lru_cache(maxsize=32)
def _load_file(path: str, mtime_ns: int) -> PromptProfile:
    """Read and validate one file; ``mtime_ns`` is unused but keys the cache, so an edited file is read again."""
    del mtime_ns
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    return profile_from_dict(data, source=path)


def profile_from_dict(data: dict[str, Any], *, source: str = "<memory>") -> PromptProfile:
    """Validate parsed TOML and build the profile; `ValueError` saying what is wrong (without the file name)."""
    _check_top_level(data)
    name, version = data["name"], data["version"]
    _require(bool(_NAME.match(name)), f"name {name!r} must be 1-12 lower-case letters, digits, - or _")
    _require(bool(_VERSION.match(version)), f"version {version!r} must be 1-12 letters, digits, '.', - or _")
    _require(data["image_position"] in ("before", "after"),
             f"image_position {data['image_position']!r} must be 'before' or 'after'")
    _require(data["layout"] in LAYOUTS, f"layout {data['layout']!r} must be one of {', '.join(LAYOUTS)}")
    low, high = _VISUAL_TOKENS
    _require(low <= data["max_visual_tokens"] <= high, f"max_visual_tokens must be between {low} and {high}")
    _require(bool(data["instruction"].strip()), "instruction is empty")
    order = data["order"]
    _require(sorted(order) == sorted(FINDING_FIELDS) and len(set(order)) == len(order),
             f"order must list each of {', '.join(FINDING_FIELDS)} once, not {order!r}")
    keys = tuple(_field_keys(field, data["keys"]) for field in order)
    _check_keys_table(data["keys"])
    unasked = [entry.write for entry in keys if entry.write not in data["instruction"]]
    # The grammar holds the reply to these spellings: an instruction that never names them asks for other keys.
    _require(not unasked, f"instruction never names the key(s) it asks for: {', '.join(unasked)}")
    _alias_table(keys)  # raises on a spelling claimed by two fields
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return PromptProfile(
        name=name, version=version, description=data["description"].strip(), instruction=data["instruction"].strip(),
        image_position=data["image_position"], layout=data["layout"], list_values=data["list_values"],
        max_visual_tokens=data["max_visual_tokens"], keys=keys,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:6], source=source,
    )


def _require(ok: bool, why: str) -> None:
    if not ok:
        raise ValueError(why)


def _check_top_level(data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(_REQUIRED))
    _require(not unknown, f"unknown key(s) {', '.join(unknown)}; a profile holds {', '.join(_REQUIRED)}")
    missing = [key for key in _REQUIRED if key not in data]
    _require(not missing, f"missing key(s) {', '.join(missing)}")
    for key, kind in _REQUIRED.items():
        # bool is a subclass of int: max_visual_tokens = true must not pass as 1.
        wrong = not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool))
        _require(not wrong, f"{key} must be a {_KIND_NAMES[kind]}, not {type(data[key]).__name__}")


_KIND_NAMES = {str: "string", bool: "boolean (true/false)", int: "whole number", list: "list", dict: "table"}


def _check_keys_table(table: dict[str, Any]) -> None:
    unknown = sorted(set(table) - set(FINDING_FIELDS))
    _require(not unknown, f"[keys] has unknown field(s) {', '.join(unknown)}")


def _field_keys(field: str, table: dict[str, Any]) -> FieldKeys:
    entry = table.get(field)
    _require(isinstance(entry, dict), f"[keys] has no table for {field}")
    unknown = sorted(set(entry) - {"write", "aliases"})
    _require(not unknown, f"[keys] {field} has unknown key(s) {', '.join(unknown)}; it holds write and aliases")
    write, aliases = entry.get("write"), entry.get("aliases", [])
    _require(isinstance(write, str) and bool(_SPELLING.match(write)),
             f"[keys] {field}.write must be 1-40 printable ASCII characters without quotes or backslashes")
    _require(isinstance(aliases, list) and all(isinstance(a, str) and _SPELLING.match(a) for a in aliases),
             f"[keys] {field}.aliases must be a list of 1-40 printable ASCII characters without quotes or "
             "backslashes")
    return FieldKeys(field=field, write=write, aliases=tuple(aliases))


@functools.lru_cache(maxsize=64)
def _alias_table(keys: tuple[FieldKeys, ...]) -> dict[str, str]:
    """Normalised spelling -> canonical field; each field also answers to its own name."""
    table: dict[str, str] = {}
    for entry in keys:
        for spelling in (entry.field, *entry.spellings):
            normalised = normalise_key(spelling)
            claimed = table.setdefault(normalised, entry.field)
            _require(claimed == entry.field,
                     f"[keys] spelling {spelling!r} is claimed by both {claimed} and {entry.field}")
    return table

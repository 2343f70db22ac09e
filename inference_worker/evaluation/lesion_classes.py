"""Free text to a lesion class of the review vocabulary, in plain Python: the evaluation's lesion-type matcher.

The review side matches a lesion type to a `DiagnosisClass` with `Vocabulary.match`
(dermreview/cases/models/diagnosis_class.py), which needs Django and a database. The worker never imports Django,
so this is the same rule over a frozen copy of the shared vocabulary, `inference_worker/data/lesion_classes.json`,
generated from the seed migration (dermreview/cases/migrations/0004_seed_diagnosis_classes.py) and the look-alike
letter table (dermreview/common/confusables.py) by::

    python -m inference_worker.evaluation.lesion_classes --regenerate

A test fails when the copy and the migration disagree, so an accuracy measured here names the classes, and the
high-risk flags, that reviewers see.

The rule, as the review side's: text is folded as `fold_for_matching` folds it (hidden characters dropped,
look-alike letters mapped to Latin, case and accents folded, "B.C.C." closed up to "bcc", punctuation as spaces),
British and American spellings meet ("naevus"/"nevus", "seborrhoeic"/"seborrheic"), and a plural "s" does not
matter. The whole text naming a class wins; otherwise, of the classes named inside it as whole words, the most
serious (high-risk first), then the one named first, then the longest name ("nodular BCC, 4 mm" is nodular basal
cell carcinoma; "naevus, ?melanoma" is melanoma).
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "lesion_classes.json"
SEED_MIGRATION = Path("dermreview/cases/migrations/0004_seed_diagnosis_classes.py")
CONFUSABLES_MODULE = Path("dermreview/common/confusables.py")

# As dermreview.common.text: what is invisible, how dotted abbreviations and apostrophes look, what separates.
_HIDDEN_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Cc"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_DOTTED_ABBREVIATION = re.compile(r"\b[a-z](?:\.[a-z]\b)+\.?")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_SEPARATORS = re.compile(r"[\W_]+")
# British and American spellings meet, as in the review vocabulary's `term_key`.
_SPELLINGS = (("ae", "e"), ("oe", "e"))


@dataclass(frozen=True, slots=True)
class LesionClass:
    """One class of the vocabulary. ``ordering`` is its place in the list (ties between equally serious names)."""

    code: str
    name: str
    high_risk: bool
    synonyms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    ordering: int = 0

    def terms(self) -> tuple[str, ...]:
        """Every name the class is matched by."""
        return (self.name, *self.synonyms, *self.abbreviations)


def _visible(character: str) -> bool:
    if character.isspace():
        return True
    return character not in _BLANK_LETTERS and unicodedata.category(character) not in _HIDDEN_CATEGORIES


def fold_text(value: str, confusables: Mapping[int, str]) -> str:
    """The matching key of ``value`` as `dermreview.common.text.fold_for_matching` computes it."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = "".join(character for character in text if _visible(character))
    text = text.translate(confusables).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _DOTTED_ABBREVIATION.sub(lambda match: match.group(0).replace(".", ""), text)
    text = _APOSTROPHES.sub("", text)
    return " ".join(_SEPARATORS.sub(" ", text).split())


def _mixed_script(folded: str) -> bool:
    """A word mixing ASCII letters with another script's: a look-alike the table misses; it matches nothing."""
    for word in folded.split():
        if any("a" <= c <= "z" for c in word) and any(c.isalpha() and not c.isascii() for c in word):
            return True
    return False


def _position(term: str, padded: str) -> int:
    """Where ``term`` (or its plural) first stands as whole words in ``padded`` (" text "), or -1."""
    found = [i for i in (padded.find(f" {term} "), padded.find(f" {term}s ")) if i >= 0]
    return min(found) if found else -1


@dataclass(frozen=True)
class LesionVocabulary:
    """The matcher. Build it once (`builtin_vocabulary` or `load_vocabulary`) and call `match` per text."""

    classes: tuple[LesionClass, ...]
    confusables: Mapping[int, str] = field(default_factory=dict)
    terms: dict[str, LesionClass] = field(default_factory=dict)

    @classmethod
    def of(cls, classes: Sequence[LesionClass], confusables: Mapping[int, str]) -> LesionVocabulary:
        vocabulary = cls(classes=tuple(classes), confusables=confusables)
        # A name claimed by two classes goes to the more serious one, then the earlier in the list.
        ranked = sorted(vocabulary.classes, key=lambda row: (not row.high_risk, row.ordering))
        for row in ranked:
            for term in row.terms():
                key = vocabulary.key(term)
                if key:
                    vocabulary.terms.setdefault(key, row)
        return vocabulary

    def key(self, text: str) -> str:
        """The key a name, or a text to match, is compared under."""
        key = fold_text(text, self.confusables)
        for british, american in _SPELLINGS:
            key = key.replace(british, american)
        return key

    def match(self, text: str) -> LesionClass | None:
        """The class ``text`` names, or None (see the module docstring for the rule)."""
        key = self.key(text)
        if not key or _mixed_script(key):
            return None
        whole = self.terms.get(key) or (self.terms.get(key[:-1]) if key.endswith("s") else None)
        if whole is not None:
            return whole
        padded = f" {key} "
        named = [(not row.high_risk, position, -len(term), row.ordering, row) for term, row in self.terms.items()
                 if (position := _position(term, padded)) >= 0]
        return min(named, key=lambda found: found[:4])[4] if named else None

    def by_code(self, code: str) -> LesionClass:
        """The class with ``code``; KeyError when there is none."""
        for row in self.classes:
            if row.code == code:
                return row
        raise KeyError(code)


def _classes_from_data(rows: Any, source: str) -> list[LesionClass]:
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{source}: expected a non-empty list of classes under \"classes\"")
    classes = []
    for position, row in enumerate(rows, start=1):
        try:
            classes.append(LesionClass(
                code=str(row["code"]), name=str(row["name"]), high_risk=bool(row["high_risk"]),
                synonyms=tuple(str(s) for s in row.get("synonyms", ())),
                abbreviations=tuple(str(a) for a in row.get("abbreviations", ())), ordering=position * 10,
            ))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{source}: class {position} needs code, name and high_risk ({exc!r})") from None
    return classes


@functools.cache
def _builtin_data() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def builtin_vocabulary() -> LesionVocabulary:
    """The shared review vocabulary, as frozen in `DATA_FILE`."""
    data = _builtin_data()
    confusables = {ord(k): v for k, v in data["confusables"].items()}
    return LesionVocabulary.of(_classes_from_data(data["classes"], str(DATA_FILE)), confusables)


def load_vocabulary(path: Path | None = None) -> LesionVocabulary:
    """The built-in vocabulary, or the classes of a JSON file shaped like `DATA_FILE` (ValueError naming it)."""
    if path is None:
        return builtin_vocabulary()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the classes file ({exc})") from None
    rows = data.get("classes") if isinstance(data, dict) else data
    return LesionVocabulary.of(_classes_from_data(rows, str(path)), builtin_vocabulary().confusables)


def _module_literal(path: Path, name: str) -> Any:
    """The literal value assigned to ``name`` at the top of the Python file ``path`` (read, never imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return ast.literal_eval(value)
    raise ValueError(f"{path}: no literal {name} found")


def data_from_repository(root: Path) -> dict[str, Any]:
    """The content of `DATA_FILE`, built from the seed migration and the confusables table under ``root``."""
    seed = _module_literal(root / SEED_MIGRATION, "SEED")
    return {
        "generated_from": [str(SEED_MIGRATION), str(CONFUSABLES_MODULE)],
        "regenerate_with": "python -m inference_worker.evaluation.lesion_classes --regenerate",
        "classes": [
            {"code": code, "name": name, "high_risk": high_risk, "synonyms": list(synonyms),
             "abbreviations": list(abbreviations)}
            for code, name, high_risk, synonyms, abbreviations in seed
        ],
        "confusables": _module_literal(root / CONFUSABLES_MODULE, "_PAIRS"),
    }


def _dump(data: dict[str, Any]) -> str:
    """JSON with one class per line, so a change to the vocabulary is a one-line diff."""
    lines = [json.dumps(row, ensure_ascii=False) for row in data["classes"]]
    head = {key: value for key, value in data.items() if key not in ("classes", "confusables")}
    return (json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "classes": [\n  '
            + ",\n  ".join(lines) + '\n ],\n "confusables": '
            + json.dumps(data["confusables"], ensure_ascii=False) + "\n}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the built-in lesion vocabulary from the migration.")
    parser.add_argument("--regenerate", action="store_true", help=f"rewrite {DATA_FILE.name}")
    parser.add_argument("--repo", type=Path, default=DATA_FILE.parents[2], help="the DermReview checkout")
    args = parser.parse_args(argv)
    if not args.regenerate:
        parser.error("nothing to do: pass --regenerate")
    data = data_from_repository(args.repo)
    DATA_FILE.write_text(_dump(data), encoding="utf-8")
    print(f"wrote {len(data['classes'])} classes to {DATA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pseudonymous ids and the patient split of a training export.

A patient's pseudonym is a keyed hash (HMAC-SHA256) of the organisation and the patient reference, so:

* it cannot be turned back into the reference without the key, which never leaves the installation (it is derived
  from the audit key, `audit.keys.audit_key`, under a label of its own, so knowing a pseudonym reveals nothing
  about the audit key either);
* the same patient gets the same pseudonym in every export of the installation, so a patient held out for
  evaluation in one export is held out in the next one too (with the same seed), and no later export trains on a
  patient an earlier evaluation measured;
* references are compared case-folded and trimmed ("pt-7" and "PT-7 " are one patient): treating two patients as
  one costs nothing, splitting one patient across training and evaluation would leak.

The split is a pure function of the pseudonym, the seed and the evaluation fraction (`split_of`), written into the
manifest in words, so anyone holding the export can check it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from dermreview.audit.keys import audit_key

TRAIN = "train"
EVAL = "eval"
SPLITS = (TRAIN, EVAL)
# 20 hex digits (80 bits): collisions are out of reach for any clinic's number of patients or cases.
_ID_HEX = 20
_KEY_LABEL = b"dermreview training export pseudonyms v1"
SPLIT_RULE = (
    "eval when int(sha256(f'{seed}:{patient}').hexdigest()[:16], 16) / 2**64 < eval_fraction, else train; "
    "'patient' is the record's patient pseudonym, so every photo of a patient is in one split"
)


@dataclass(frozen=True, slots=True)
class Pseudonymiser:
    """Keyed, one-way ids for one organisation's patients and cases."""

    key: bytes
    organisation_id: int

    @classmethod
    def for_installation(cls, *, organisation_id: int) -> Pseudonymiser:
        """The installation's pseudonym key: stable across exports, derived from (and separate from) the audit key."""
        key = hmac.new(audit_key(), _KEY_LABEL, hashlib.sha256).digest()
        return cls(key=key, organisation_id=organisation_id)

    @property
    def key_id(self) -> str:
        """Tells whether two exports share their pseudonyms (same key id) without revealing the key."""
        return self._digest("key-id")[:12]

    def patient(self, patient_ref: str) -> str:
        return "p-" + self._digest("patient", str(self.organisation_id), patient_ref.strip().casefold())[:_ID_HEX]

    def case(self, case_id: int) -> str:
        return "c-" + self._digest("case", str(case_id))[:_ID_HEX]

    def _digest(self, *parts: str) -> str:
        # NUL-separated: no two different part lists give the same message.
        return hmac.new(self.key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def split_position(patient: str, seed: int) -> float:
    """Where the patient falls in [0, 1) for this seed: uniform, and fixed for a given pseudonym and seed."""
    digest = hashlib.sha256(f"{seed}:{patient}".encode()).hexdigest()
    return int(digest[:16], 16) / 2**64


def split_of(patient: str, *, seed: int, eval_fraction: float) -> str:
    """The patient's split (`SPLIT_RULE`): "eval" for about `eval_fraction` of patients, "train" for the rest."""
    return EVAL if split_position(patient, seed) < eval_fraction else TRAIN

"""The instruction sent with every photo, and the chat messages built around it.

`PROMPT_VERSION` is stored with every draft, so change it whenever the text changes: reviewers'
agreement figures are only comparable within one prompt version.
"""

from __future__ import annotations

from typing import Any

from inference_worker.fields import FINDING_FIELDS

PROMPT_VERSION = "2026-11-29.1"

PROMPT_TEXT = (
    "You are assisting a dermatologist. Describe the skin lesion in this photo for a draft "
    "report that a clinician will review and correct; do not give a diagnosis or advice.\n"
    "Answer with one JSON object and nothing else, with exactly these string fields: "
    f"{', '.join(FINDING_FIELDS)}.\n"
    "- lesion_type: morphological type (e.g. macule, papule, plaque, nodule).\n"
    "- color: the colour or colours seen.\n"
    "- symmetry: symmetric or asymmetric, in shape and colour.\n"
    "- borders: e.g. well-defined, irregular, notched, blurred.\n"
    "- texture: surface texture (e.g. smooth, scaly, crusted, ulcerated).\n"
    "- summary: two to four concise clinical sentences describing the visible features.\n"
    "Keep each field except summary to a short phrase. If a feature cannot be judged from the "
    'photo, write "not assessable".'
)


def build_messages(prompt_text: str = PROMPT_TEXT) -> list[dict[str, Any]]:
    """Chat messages for one photo, in the format of the processor's chat template.

    The image part carries no data: the template only emits the vision placeholder tokens, and
    the pixels are passed to the processor separately so a batch can be processed in one call.
    """
    return [
        {
            "role": "user",
            "content": [
                {"type": "image"},
                {"type": "text", "text": prompt_text},
            ],
        }
    ]

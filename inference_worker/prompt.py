"""The chat messages sent with every photo, rendered from the prompt profile.

The text and the image's place come from the profile (`inference_worker.profile`), and so does the prompt
version every draft records: there is no version to bump by hand here. No system prompt: neither the model card
nor the Unsloth notebooks the fine-tune follows use one, and a model answers best when asked as it was trained.
"""

from __future__ import annotations

from typing import Any

from inference_worker.profile import PromptProfile


def build_messages(profile: PromptProfile, image_part: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Chat messages for one photo: one user turn holding the image and the profile's instruction.

    ``image_part`` defaults to ``{"type": "image"}``, which carries no data: the processor's chat template only
    emits the vision placeholder tokens, and the pixels go to the processor separately so that a batch is
    processed in one call. The OpenAI engine passes its ``image_url`` part instead.
    """
    image = image_part if image_part is not None else {"type": "image"}
    text = {"type": "text", "text": profile.instruction}
    content = [image, text] if profile.image_position == "before" else [text, image]
    return [{"role": "user", "content": content}]

"""Fine-tuning the drafting model on signed findings: the pieces behind `python -m inference_worker.finetune`.

A model drafts best when it is trained on exactly what it is later asked, so training reuses inference's own
parts: the prompt profile's chat messages (`inference_worker.prompt`), its key spellings and layout, and the
photo preparation of the engine (`inference_worker.preprocess`, the configured pixel budget).

- `dataset`: the training export's records, the chat format of one example, and the labels that score only
  the assistant's reply.
- `loop`: the training loop (full fine-tuning or LoRA), its resumable checkpoints and the saved model.
- `card`: the training card written beside the model (data counts, options, losses).

Nothing here imports torch, transformers or peft at import time; the functions that need them import them.
"""

from __future__ import annotations

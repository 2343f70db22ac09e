"""What the cases app announces to the apps above it, so that it never imports them.

`images_stored` is sent inside the upload transaction, once per upload that stored at least one photo, with
`images`: the `LesionImage` rows just stored. Receivers run in that transaction: their writes commit with the
photos, and an exception rolls the whole upload back (its files included). Drafting connects the receiver that
queues an AI draft per photo (`dermreview/drafting/apps.py`).
"""

from __future__ import annotations

from django.dispatch import Signal

images_stored = Signal()

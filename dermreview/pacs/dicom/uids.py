"""UIDs of a case's study: one Study Instance UID per case, then every other UID derived from it.

The study UID is random (pydicom's `generate_uid` under the configured root) and kept on the case's first send;
series and instance UIDs are hashes of it and what they identify (`generate_uid` with entropy sources), so a
re-send of the same version yields the same UIDs, a photo keeps its UID across versions, and two installations
with the same root never collide (their study UIDs differ).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydicom.uid import generate_uid

from dermreview.pacs.dicom.content import StudyUids


def new_study_uid(root: str) -> str:
    return str(generate_uid(prefix=root))


def _derived(root: str, study_uid: str, *parts: object) -> str:
    return str(generate_uid(prefix=root, entropy_srcs=[study_uid, *map(str, parts)]))


def study_uids(*, root: str, study_uid: str, image_ids: Iterable[int], version: int) -> StudyUids:
    """The UIDs of one version's send. The report (SR) gets a new instance per version: an amendment is a new
    document, and the archive keeps the earlier one."""
    return StudyUids(
        study=study_uid,
        clinical_series=_derived(root, study_uid, "series", "clinical"),
        dermoscopic_series=_derived(root, study_uid, "series", "dermoscopic"),
        report_series=_derived(root, study_uid, "series", "report"),
        report=_derived(root, study_uid, "report", version),
        frame_of_reference=_derived(root, study_uid, "frame-of-reference", "dermoscopic"),
        images={image_id: _derived(root, study_uid, "image", image_id) for image_id in image_ids},
    )

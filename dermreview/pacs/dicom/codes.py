"""Codes for body sites and laterality: SNOMED CT where one fits, from pydicom's code dictionary (DICOM CID 4031,
Common Anatomic Regions, and its skin sites), else a local code of DermReview's own scheme.

Left/Right are the SNOMED codes the FHIR export uses too (api/exports/fhir_lesion.py).
"""

from __future__ import annotations

from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

# DICOM reserves coding scheme designators starting with "99" for local schemes.
LOCAL_SCHEME = "99DRMRVW"
SCT = "SCT"

_BODY_SITES: dict[str, tuple[str, str, str]] = {
    "scalp": (codes.SCT.Scalp.value, SCT, "Scalp"),
    "face": (codes.SCT.Face.value, SCT, "Face"),
    "ear": (codes.SCT.Ear.value, SCT, "Ear"),
    "neck": (codes.SCT.Neck.value, SCT, "Neck"),
    "chest": (codes.SCT.Chest.value, SCT, "Chest"),
    "abdomen": (codes.SCT.Abdomen.value, SCT, "Abdomen"),
    "back": (codes.SCT.Back.value, SCT, "Back"),
    "upper_arm": (codes.SCT.UpperArm.value, SCT, "Upper arm"),
    "forearm": (codes.SCT.Forearm.value, SCT, "Forearm"),
    "hand": (codes.SCT.Hand.value, SCT, "Hand"),
    "palm": (codes.SCT.SkinOfPalmOfHand.value, SCT, "Skin of palm of hand"),
    "thigh": (codes.SCT.Thigh.value, SCT, "Thigh"),
    "lower_leg": (codes.SCT.LowerLeg.value, SCT, "Lower leg"),
    "foot": (codes.SCT.Foot.value, SCT, "Foot"),
    "genital": (codes.SCT.SkinOfExternalGenitalia.value, SCT, "Skin of external genitalia"),
}

LATERALITY_CODES: dict[str, tuple[str, str, str]] = {
    "left": (codes.SCT.Left.value, SCT, "Left"),
    "right": (codes.SCT.Right.value, SCT, "Right"),
    "midline": (codes.SCT.Median.value, SCT, "Median"),
}
# Image Laterality (0020,0062): R, L, U (unpaired), B (both); a midline lesion is on no side.
IMAGE_LATERALITY = {"left": "L", "right": "R", "midline": "U"}


def body_site_code(site: str, label: str) -> CodedConcept:
    """The site's SNOMED CT code; sole, nail, mucosa and other have no precise one in DICOM's lists, so they keep
    DermReview's own (local) code rather than a wrong standard one."""
    value, scheme, meaning = _BODY_SITES.get(site, (f"site-{site}", LOCAL_SCHEME, label))
    return CodedConcept(value=value, scheme_designator=scheme, meaning=meaning)


def laterality_code(laterality: str) -> CodedConcept | None:
    found = LATERALITY_CODES.get(laterality)
    return CodedConcept(value=found[0], scheme_designator=found[1], meaning=found[2]) if found else None


def local(value: str, meaning: str) -> CodedConcept:
    return CodedConcept(value=value, scheme_designator=LOCAL_SCHEME, meaning=meaning[:64])

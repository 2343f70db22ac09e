"""The signed finding as a Comprehensive SR (highdicom), in the same study as the photos it references.

Content tree (CONTAINS unless said otherwise):

    Dermatology review finding (CONTAINER)
      Finding site = body site (CODE), laterality as its concept modifier (HAS CONCEPT MOD)
      Lesion label (TEXT)
      the six signed fields (TEXT), in their order
      Lesion class (CODE: the diagnosis class's code in DermReview's scheme)
      Management plan (TEXT), Recommended follow-up (DATE)
      AI provenance (CONTAINER): Algorithm Name, Algorithm Version, Prompt version, Role of the AI output,
                                 Reviewer's use of the draft, Fields changed by the reviewer
      Sign-off (CONTAINER), one per signer: Person Observer Name (PNAME), Signed at (DATETIME), Sign-off (TEXT)
      Best illustration of finding (IMAGE), one per photo

Standard codes where DICOM has them (DCM, SCT); the rest in DermReview's local scheme (codes.LOCAL_SCHEME).
"""

from __future__ import annotations

import highdicom as hd
from highdicom.sr import (
    CodeContentItem,
    ContainerContentItem,
    ContentSequence,
    DateContentItem,
    DateTimeContentItem,
    ImageContentItem,
    PnameContentItem,
    RelationshipTypeValues,
    TextContentItem,
)
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from dermreview.pacs.dicom.codes import body_site_code, laterality_code, local
from dermreview.pacs.dicom.content import AiProvenance, CaseStudy, Signer
from dermreview.pacs.dicom.images import MANUFACTURER

CONTAINS = RelationshipTypeValues.CONTAINS
AI_ROLE = ("The AI output was a draft shown to the reviewer, never a finding: the finding above is the reviewer's, "
           "signed by the people named in this report.")


def _text(name: str, meaning: str, value: str) -> TextContentItem:
    return TextContentItem(name=local(name, meaning), value=value or "-", relationship_type=CONTAINS)


def _site(study: CaseStudy) -> CodeContentItem:
    item = CodeContentItem(name=codes.SCT.FindingSite, value=body_site_code(study.body_site, study.body_site_label),
                           relationship_type=CONTAINS)
    side = laterality_code(study.laterality)
    if side is not None:
        item.ContentSequence = ContentSequence([CodeContentItem(
            name=codes.SCT.Laterality, value=side, relationship_type=RelationshipTypeValues.HAS_CONCEPT_MOD)])
    return item


def _ai(ai: AiProvenance) -> ContainerContentItem:
    container = ContainerContentItem(name=local("ai-provenance", "AI provenance"), relationship_type=CONTAINS)
    container.ContentSequence = ContentSequence([
        TextContentItem(name=codes.DCM.AlgorithmName, value=ai.model_id or "-", relationship_type=CONTAINS),
        TextContentItem(name=codes.DCM.AlgorithmVersion, value=ai.model_revision or "-", relationship_type=CONTAINS),
        _text("prompt-version", "Prompt version", ai.prompt_version),
        _text("ai-role", "Role of the AI output", AI_ROLE),
        _text("draft-use", "Reviewer's use of the AI draft", ai.outcome),
        _text("fields-changed", "Fields changed by the reviewer", ", ".join(ai.edited_fields) or "none"),
    ])
    return container


def _signer(signer: Signer) -> ContainerContentItem:
    container = ContainerContentItem(name=local("sign-off", "Sign-off"), relationship_type=CONTAINS)
    container.ContentSequence = ContentSequence([
        PnameContentItem(name=codes.DCM.PersonObserverName, value=signer.name, relationship_type=CONTAINS),
        DateTimeContentItem(name=local("signed-at", "Signed at"), value=signer.signed_at,
                            relationship_type=CONTAINS),
        _text("sign-off-role", "Sign-off", signer.role),
    ])
    return container


def _content(study: CaseStudy, photos: list[Dataset]) -> ContainerContentItem:
    finding = study.finding
    items: list[Dataset] = [_site(study), _text("lesion-label", "Lesion label", study.lesion_label)]
    items += [_text(name, label, text) for name, label, text in finding.fields]
    items.append(CodeContentItem(
        name=local("lesion-class", "Lesion class"), relationship_type=CONTAINS,
        value=local(f"dx-{finding.lesion_class_code}", finding.lesion_class_name or finding.lesion_class_code)))
    items.append(_text("management-plan", "Management plan", finding.management_plan))
    if finding.follow_up_on is not None:
        items.append(DateContentItem(name=codes.DCM.RecommendedFollowUp, value=finding.follow_up_on,
                                     relationship_type=CONTAINS))
    if finding.ai is not None:
        items.append(_ai(finding.ai))
    items += [_signer(signer) for signer in finding.signers]
    items += [ImageContentItem(name=codes.DCM.BestIllustrationOfFinding, referenced_sop_class_uid=photo.SOPClassUID,
                               referenced_sop_instance_uid=photo.SOPInstanceUID, relationship_type=CONTAINS)
              for photo in photos]
    root = ContainerContentItem(name=local("dermatology-finding", "Dermatology review finding"))
    root.ContentSequence = ContentSequence(items)
    return root


def report_dataset(study: CaseStudy, photos: list[Dataset]) -> Dataset:
    """The finding as a Comprehensive SR: complete, final and verified by its last signer."""
    finding = study.finding
    last = finding.signers[-1]
    report = hd.sr.ComprehensiveSR(
        evidence=photos, content=_content(study, photos),
        series_instance_uid=study.uids.report_series, series_number=3,
        sop_instance_uid=study.uids.report, instance_number=finding.version,
        manufacturer=MANUFACTURER, is_complete=True, is_final=True, is_verified=True,
        institution_name=study.institution_name[:64] or None,
        verifying_observer_name=last.name, verifying_organization=(study.institution_name or MANUFACTURER)[:64],
        series_description="Signed dermatology finding",
    )
    report.SpecificCharacterSet = "ISO_IR 192"
    report.IssuerOfPatientID = study.issuer_of_patient_id
    report.VerificationDateTime = last.signed_at.strftime("%Y%m%d%H%M%S")
    report.ContentDate, report.ContentTime = last.signed_at.strftime("%Y%m%d"), last.signed_at.strftime("%H%M%S")
    return report

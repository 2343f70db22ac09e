"""factory_boy factories for every model. Registered as fixtures in tests/conftest.py."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from dermreview.accounts.models import Organisation, User
from dermreview.cases.models import BodySite, CaptureType, Case, CaseStatus, LesionImage
from dermreview.drafting.models import Draft, DraftStatus
from dermreview.review.models import AgreementScore, BlindFinding, Comparison, Review, ReviewOutcome

SAMPLE_FINDING = {
    "lesion_type": "melanocytic nevus",
    "color": "uniform light brown",
    "symmetry": "symmetric",
    "borders": "regular, well defined",
    "texture": "smooth",
    "summary": "Small symmetric light-brown macule with regular borders; features of a benign nevus.",
}


def jpeg_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (180, 120, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create:
            self.save()
        for role in extracted or []:
            if role == "admin":
                self.is_superuser = self.is_staff = True
                self.save()
            else:
                # get_or_create: a transactional test's flush empties the groups the migration made.
                self.groups.add(Group.objects.get_or_create(name=role)[0])


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    organisation = factory.SubFactory(OrganisationFactory)
    patient_ref = factory.Sequence(lambda n: f"PT-{n:05d}")
    body_site = BodySite.BACK
    lesion_label = factory.Sequence(lambda n: f"L{n}")
    status = CaseStatus.NEW
    created_by = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))


class LesionImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LesionImage

    case = factory.SubFactory(CaseFactory)
    capture_type = CaptureType.CLINICAL
    width = 64
    height = 48
    content_type = "image/jpeg"
    file = factory.LazyAttribute(lambda o: ContentFile(jpeg_bytes(o.width, o.height), name="img.jpg"))
    thumbnail = factory.LazyAttribute(lambda o: ContentFile(jpeg_bytes(32, 24), name="thumb.jpg"))
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"image-{n}".encode()).hexdigest())
    byte_size = 1000
    uploaded_by = factory.LazyAttribute(lambda o: o.case.created_by)


class DraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Draft

    image = factory.SubFactory(LesionImageFactory)
    model_id = "0xAgamy/unsloth_Qwen3vl_finetune"
    model_revision = "main"
    prompt_version = "test-1"
    backend = "transformers"
    status = DraftStatus.READY
    lesion_type = SAMPLE_FINDING["lesion_type"]
    color = SAMPLE_FINDING["color"]
    symmetry = SAMPLE_FINDING["symmetry"]
    borders = SAMPLE_FINDING["borders"]
    texture = SAMPLE_FINDING["texture"]
    summary = SAMPLE_FINDING["summary"]
    raw_output = factory.LazyAttribute(lambda o: "{}")
    queued_at = factory.LazyFunction(timezone.now)


class BlindFindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlindFinding

    case = factory.SubFactory(CaseFactory)
    reviewer = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..case.organisation"))
    lesion_type = SAMPLE_FINDING["lesion_type"]
    color = SAMPLE_FINDING["color"]
    symmetry = SAMPLE_FINDING["symmetry"]
    borders = SAMPLE_FINDING["borders"]
    texture = SAMPLE_FINDING["texture"]
    summary = SAMPLE_FINDING["summary"]


class ReviewFactory(factory.django.DjangoModelFactory):
    """A signed review row, written directly (scenario data for reports; the sign-off service is tested apart)."""

    class Meta:
        model = Review

    case = factory.SubFactory(CaseFactory, status=CaseStatus.FINAL)
    reviewer = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..case.organisation"))
    outcome = ReviewOutcome.ACCEPTED
    lesion_type = SAMPLE_FINDING["lesion_type"]
    color = SAMPLE_FINDING["color"]
    symmetry = SAMPLE_FINDING["symmetry"]
    borders = SAMPLE_FINDING["borders"]
    texture = SAMPLE_FINDING["texture"]
    summary = SAMPLE_FINDING["summary"]
    attestation = "I have reviewed the images and confirm this finding."
    signed_at = factory.LazyFunction(timezone.now)
    opened_at = factory.LazyAttribute(lambda o: o.signed_at - timedelta(seconds=40))
    time_on_task_ms = 40_000


class AgreementScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementScore

    review = factory.SubFactory(ReviewFactory)
    comparison = Comparison.DRAFT_VS_FINAL
    field = "lesion_type"
    f1 = 1.0
    precision = 1.0
    recall = 1.0
    exact_match = True
    scorer_model = "all-MiniLM-L6-v2"
    scorer_num_layers = 6

"""factory_boy factories for every model. Registered as fixtures in tests/conftest.py."""

from __future__ import annotations

import hashlib
import importlib
import io
from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from dermreview.accounts.models import Organisation, User
from dermreview.cases.models import (
    BodySite,
    CaptureType,
    Case,
    CaseStatus,
    DiagnosisClass,
    LesionImage,
    diagnosis_class_match,
)
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

# The management plan a sign-off that makes a case final needs (review/services/plan.py): as the API and the
# review page's form send it.
SIGN_PLAN = {"management_plan": "discharge"}


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


LEGACY_ADMIN_GROUPS = ["clinician", "reviewer", "auditor", "clinic_admin"]


_API_KEYS: dict[int, str] = {}


def api_key_for(user: User) -> str:
    """`user`'s API key: the one this helper gave earlier while its token still exists, else a new token (written
    directly, unaudited, as fixture data). Only digests are stored, so the keys handed out are remembered here."""
    from dermreview.api.models import ApiToken
    from dermreview.api.models.api_token import PREFIX_LENGTH, token_digest

    key = _API_KEYS.get(user.pk)
    if key is None or not ApiToken.objects.filter(user=user, digest=token_digest(key)).exists():
        key = ApiToken.new_key()
        ApiToken.objects.filter(user=user).delete()
        ApiToken.objects.create(user=user, prefix=key[:PREFIX_LENGTH], digest=token_digest(key))
        _API_KEYS[user.pk] = key
    return key


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
        """Role names as groups, plus two that are not groups: `operator` (a superuser) and `admin`, a clinic's
        administrator as earlier versions made one and as migration accounts 0003 keeps them: a superuser who
        holds every clinic role (clinician, reviewer, auditor, clinic_admin) in their clinic, if they have one."""
        if create:
            self.save()
        for role in extracted or []:
            if role in ("admin", "operator"):
                self.is_superuser = self.is_staff = True
                self.save()
            if role == "admin" and self.organisation_id is not None:
                _add_groups(self, LEGACY_ADMIN_GROUPS)
            elif role not in ("admin", "operator"):
                _add_groups(self, [role])
            if role == "clinic_admin" and not self.is_staff:
                self.is_staff = True
                self.save()


def _add_groups(user: User, names: list[str]) -> None:
    # get_or_create: a transactional test's flush empties the groups the migration made.
    user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in names))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    patient_ref = factory.Sequence(lambda n: f"PT-{n:05d}")
    body_site = BodySite.BACK
    lesion_label = factory.Sequence(lambda n: f"L{n}")
    status = CaseStatus.NEW
    created_by = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))

    @factory.post_generation
    def diagnosis_vocabulary(self, create: bool, extracted: object, **kwargs: object) -> None:
        """A case's findings need the shared diagnosis classes, which a data migration writes; a transactional
        test's flush (live-server browser journeys, concurrency tests) empties them, so write them again."""
        if create and not DiagnosisClass.objects.filter(organisation__isnull=True).exists():
            diagnosis_vocabulary_seed()


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


def diagnosis_vocabulary_seed() -> None:
    """Write the shared diagnosis classes again, as their data migration does: a transactional test's flush empties
    every table, the migrations' data included (as with the role groups)."""
    from django.apps import apps

    seed = importlib.import_module("dermreview.cases.migrations.0004_seed_diagnosis_classes").seed
    seed(apps, None)


class DiagnosisClassFactory(factory.django.DjangoModelFactory):
    """A clinic's own diagnosis class (the shared ones come from the data migration)."""

    class Meta:
        model = DiagnosisClass

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"clinic-class-{n}")
    name = factory.Sequence(lambda n: f"Clinic lesion {n}")
    synonyms = factory.LazyFunction(list)
    abbreviations = factory.LazyFunction(list)
    high_risk = False


def _lesion_class(finding: object) -> DiagnosisClass | None:
    # The class the row's lesion type names in the shared vocabulary, as the sign-off would store it.
    return diagnosis_class_match(finding.lesion_type)  # type: ignore[attr-defined]


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
    lesion_class = factory.LazyAttribute(_lesion_class)


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
    lesion_class = factory.LazyAttribute(_lesion_class)
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

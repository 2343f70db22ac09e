"""Each photo as a DICOM image: a clinical photo as a VL Photographic Image, a dermoscopic one as a Dermoscopic
Photography Image (PS3.3 A.32.11, the dermoscopy IOD), with polarisation and contact where recorded.

highdicom has no builder for either IOD, so they are written with pydicom, module by module. Pixels are baseline
JPEG (8-bit, 4:2:2 YCbCr), encapsulated: the photo is lossy already, and a 12-megapixel photo uncompressed would
be 36 MB per object.
"""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, JPEGBaseline8Bit

from dermreview.pacs.dicom.codes import IMAGE_LATERALITY, body_site_code, laterality_code
from dermreview.pacs.dicom.content import CaseStudy, Photo

VL_PHOTOGRAPHIC_IMAGE = "1.2.840.10008.5.1.4.1.1.77.1.4"
DERMOSCOPIC_PHOTOGRAPHY_IMAGE = "1.2.840.10008.5.1.4.1.1.77.1.7"
MANUFACTURER = "DermReview"
JPEG_QUALITY = 95


def photo_jpeg(data: bytes) -> tuple[bytes, int, int]:
    """The stored photo (any format the upload accepted) as baseline JPEG bytes, with its rows and columns."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    buffer = io.BytesIO()
    # subsampling=1 is 4:2:2, which is what YBR_FULL_422 states.
    rgb.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=1, optimize=False, progressive=False)
    return buffer.getvalue(), rgb.height, rgb.width


def _dicom_date(moment: datetime) -> tuple[str, str]:
    return moment.strftime("%Y%m%d"), moment.strftime("%H%M%S")


def file_meta(sop_class: str, sop_instance: str, transfer_syntax: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    return meta


def patient_and_study(study: CaseStudy, dataset: Dataset) -> None:
    """Patient, General Study and General Equipment: the pseudonym only (PatientName is the same pseudonym)."""
    dataset.SpecificCharacterSet = "ISO_IR 192"
    # The pseudonym as the family name (the trailing caret says it is one component, not a malformed name).
    dataset.PatientName = f"{study.patient_id}^"
    dataset.PatientID = study.patient_id
    dataset.IssuerOfPatientID = study.issuer_of_patient_id
    dataset.PatientBirthDate = ""  # a year alone is no DICOM date; the year stays in DermReview
    dataset.PatientSex = study.patient_sex
    dataset.StudyInstanceUID = study.uids.study
    dataset.StudyDate, dataset.StudyTime = _dicom_date(study.study_started_at)
    dataset.StudyID = str(study.case_id)[-16:]
    dataset.AccessionNumber = ""
    dataset.ReferringPhysicianName = ""
    dataset.StudyDescription = f"Dermatology review, case {study.case_id}"[:64]
    dataset.Manufacturer = MANUFACTURER
    dataset.InstitutionName = study.institution_name[:64]


def _anatomy(study: CaseStudy, dataset: Dataset) -> None:
    region = Dataset()
    site = body_site_code(study.body_site, study.body_site_label)
    region.CodeValue, region.CodingSchemeDesignator, region.CodeMeaning = site.value, site.scheme_designator, site.meaning
    side = laterality_code(study.laterality)
    if side is not None:
        modifier = Dataset()
        modifier.CodeValue, modifier.CodingSchemeDesignator = side.value, side.scheme_designator
        modifier.CodeMeaning = side.meaning
        region.AnatomicRegionModifierSequence = [modifier]
    dataset.AnatomicRegionSequence = [region]
    if study.laterality in IMAGE_LATERALITY:
        dataset.ImageLaterality = IMAGE_LATERALITY[study.laterality]
    dataset.BodyPartExamined = ""  # the coded region above says it; the defined terms have no skin sites


def _dermoscopy(photo: Photo, dataset: Dataset) -> None:
    """Dermoscopic Image module: polarisation and contact where recorded (Type 2: empty when not)."""
    polarised = {True: "POLARIZED", False: "NON_POLARIZED", None: ""}
    contact = {True: "CONTACT", False: "NON_CONTACT", None: ""}
    dataset.LightSourcePolarization = polarised[photo.polarised]
    dataset.ContactMethod = contact[photo.contact]
    dataset.EmitterColorTemperature = None
    dataset.OpticalMagnificationFactor = None
    if photo.contact:
        dataset.ImmersionMedia = ""  # 2C: contact dermoscopy; which medium is not recorded
    # A photo of a lesion shows skin, not a face or a tattoo that would identify the patient.
    dataset.RecognizableVisualFeatures = "NO"


def photo_dataset(study: CaseStudy, photo: Photo) -> Dataset:
    """One photo as a complete DICOM object (file meta included), ready to write."""
    sop_class = DERMOSCOPIC_PHOTOGRAPHY_IMAGE if photo.dermoscopic else VL_PHOTOGRAPHIC_IMAGE
    instance = study.uids.images[photo.image_id]
    dataset = Dataset()
    dataset.file_meta = file_meta(sop_class, instance, JPEGBaseline8Bit)
    patient_and_study(study, dataset)
    dataset.SOPClassUID, dataset.SOPInstanceUID = sop_class, instance
    dataset.Modality = "DMS" if photo.dermoscopic else "XC"
    dataset.SeriesInstanceUID = study.uids.dermoscopic_series if photo.dermoscopic else study.uids.clinical_series
    dataset.SeriesNumber = 2 if photo.dermoscopic else 1
    dataset.SeriesDescription = "Dermoscopic photos" if photo.dermoscopic else "Clinical photos"
    if photo.dermoscopic:
        # Enhanced General Equipment: DermReview is the device that made these objects from the uploaded photo.
        dataset.ManufacturerModelName = MANUFACTURER
        dataset.DeviceSerialNumber = "0"
        dataset.SoftwareVersions = study.software_version
        _dermoscopy(photo, dataset)
        # Frame of Reference (mandatory for dermoscopy): the photos of one series share it; nothing positions them.
        dataset.FrameOfReferenceUID = study.uids.frame_of_reference
        dataset.PositionReferenceIndicator = ""
    dataset.InstanceNumber = photo.number
    dataset.PatientOrientation = ""
    dataset.ContentDate, dataset.ContentTime = _dicom_date(photo.taken_at)
    dataset.AcquisitionDateTime = photo.taken_at.strftime("%Y%m%d%H%M%S")
    # DERIVED: re-encoded by DermReview (upload without metadata, then JPEG here), not the camera's own file.
    dataset.ImageType = ["DERIVED", "PRIMARY"]
    dataset.ImageComments = f"Photo {photo.number} of case {study.case_id}"
    dataset.AcquisitionContextSequence = []
    _anatomy(study, dataset)
    _pixels(photo, dataset)
    return dataset


def _pixels(photo: Photo, dataset: Dataset) -> None:
    dataset.SamplesPerPixel = 3
    dataset.PhotometricInterpretation = "YBR_FULL_422"
    dataset.PlanarConfiguration = 0
    dataset.Rows, dataset.Columns = photo.rows, photo.columns
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 8, 8, 7, 0
    dataset.LossyImageCompression = "01"
    dataset.LossyImageCompressionMethod = "ISO_10918_1"
    dataset.PixelData = encapsulate([photo.jpeg])
    dataset["PixelData"].VR = "OB"
    dataset["PixelData"].is_undefined_length = True

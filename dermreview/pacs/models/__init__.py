from dermreview.pacs.models.dicom_send import DICOM_SEND_TRANSITIONS, DicomSend, DicomSendStatus

__all__ = ["DICOM_SEND_TRANSITIONS", "DicomSend", "DicomSendStatus"]

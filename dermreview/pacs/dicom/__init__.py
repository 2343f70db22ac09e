"""Building and sending DICOM objects: plain Python over pydicom and highdicom, no Django.

`content.py` holds what a study is built from (filled by `pacs/selectors.py` from the database), `uids.py` the
UIDs, `images.py` the photos (VL Photographic Image, Dermoscopic Photography Image), `report.py` the finding
(Comprehensive SR), `validate.py` the checks, `stow.py` the STOW-RS client.
"""

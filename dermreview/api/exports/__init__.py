"""Findings exports: records read in constant memory (`records`), written as JSON, CSV or a FHIR R4 bundle."""

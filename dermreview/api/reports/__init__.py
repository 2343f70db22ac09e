"""The PDF report of a final finding for the referring clinician (issue 14): data, rendering, the download."""

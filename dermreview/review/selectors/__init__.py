"""Read-only functions that assemble what the review area's pages show, as plain frozen dataclasses.

`case_page` (the case page: photos with their draft status, the signed finding, the audit history) and
`review_page` (the reviewer's page). They write nothing: the views record the reads they decide to show
(`case.view`, `draft.view`) once, in one place.
"""

"""`{% load draft_tags %}{% image_draft image %}` (what drafting/_image_draft.html does): an image's AI draft status (and draft, where allowed).

Used by the case page's image grid. The first use on a page also brings the draft stylesheet and the polling script
(static files, as the CSP requires), so pages that show images need no other change.
"""

from __future__ import annotations

from typing import Any

from django import template

from dermreview.drafting.services.display import draft_view_record, image_draft_views

register = template.Library()

_ASSETS_FLAG = "_dermreview_draft_assets_emitted"


@register.inclusion_tag("drafting/_image_draft_body.html", takes_context=True)
def image_draft(context: template.Context, image: Any) -> dict[str, Any]:
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    case = image.case
    views = image_draft_views(images=[image], case=case, user=user)
    draft_view_record(views=views, user=user, case=case)
    first = request is not None and not getattr(request, _ASSETS_FLAG, False)
    if request is not None:
        setattr(request, _ASSETS_FLAG, True)
    return {"view": views[0], "case": case, "assets": first}

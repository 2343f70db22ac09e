from dermreview.accounts.models.external_identity import ExternalIdentity
from dermreview.accounts.models.organisation import Organisation
from dermreview.accounts.models.user import User

__all__ = ["ExternalIdentity", "Organisation", "User"]

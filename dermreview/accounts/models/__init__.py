from dermreview.accounts.models.organisation import Organisation
from dermreview.accounts.models.user import User

__all__ = ["Organisation", "User"]

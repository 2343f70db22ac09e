from dermreview.api.models.api_token import ApiToken

__all__ = ["ApiToken"]

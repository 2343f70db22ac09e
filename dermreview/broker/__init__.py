"""The message broker's transports that DermReview ships itself (see `filesystem`, the `make run` default)."""

"""API views: thin (parse with a serializer, call a service, serialize the result)."""

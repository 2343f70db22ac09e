"""Input and output serializers, one module per resource. Serializers shape data; rules live in services."""

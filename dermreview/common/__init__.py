"""Plain helpers below every app: text normalisation and folding. Imports Django only, never a DermReview app."""

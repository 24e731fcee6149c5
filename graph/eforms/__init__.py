"""Public procurement notices in the eForms format: read, map to RDF, import."""

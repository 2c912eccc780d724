"""FHIR R4 interoperability: mapping tables (codes.yaml), import of FHIR resources as contract
cases, and export of an episode as a FHIR Bundle."""

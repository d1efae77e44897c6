# tests/: unit tests and data-driven profile cases.

"""Use cases, one module per capability. Each takes plain inputs and the caller, and returns domain results."""

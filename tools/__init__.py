"""Build tools run by the Makefile (`make requirements`, `make package`); never shipped."""

"""The local stack behind `make run`: moto, the app behind a local gateway, and local tokens. Never shipped."""

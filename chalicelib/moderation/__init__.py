"""The DSA transparency database's statement-of-reasons schema, kept here as a JSON Schema file the policy checks against."""

"""The DSA transparency database's statement-of-reasons schema, a JSON Schema file the policy checks against."""

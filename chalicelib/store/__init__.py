"""The only code that talks to DynamoDB. Item layouts are private to these modules."""

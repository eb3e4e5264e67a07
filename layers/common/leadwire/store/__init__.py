"""The table schema and the only code that talks to DynamoDB."""

"""Every door a lead comes through, and what happens before it is stored."""

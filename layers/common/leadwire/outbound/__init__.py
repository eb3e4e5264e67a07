"""Everything that leaves leadwire: email, domain events, calls to ad platforms."""

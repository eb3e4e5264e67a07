"""Follow-up on a clock: the plan of each lead, the scheduled sweep, unsubscribing."""

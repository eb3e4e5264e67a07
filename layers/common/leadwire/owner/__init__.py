"""The owner's side: managing leads, erasing people, the funnel."""

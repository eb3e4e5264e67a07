"""What people read: the rep's lead page and the emails to reps, rendered from the templates in this package."""

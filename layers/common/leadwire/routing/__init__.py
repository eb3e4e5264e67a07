"""Routing: the team, choosing a rep, and handing the lead over."""

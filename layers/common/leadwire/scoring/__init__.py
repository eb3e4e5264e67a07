"""Scoring: the score of a lead from its fit and engagement, and keeping it current."""

"""Settings every test suite shares."""

from __future__ import annotations

from hypothesis import settings

# Property tests judge answers, not speed: on a shared machine hypothesis' default 200 ms deadline per example fails
# at random (how fast things run is the bench's question, never a test's).
settings.register_profile("leadwire", deadline=None)
settings.load_profile("leadwire")

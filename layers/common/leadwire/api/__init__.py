"""The HTTP API of the intake function: Powertools routers by area, included by `leadwire.api.app`."""

"""The base of leadwire's pydantic models: each builds its validator the first time it is used, not when its module
is imported. A function imports many more models than its first event needs (the intake imports every route's), and
building them all took a tenth of a cold start."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)

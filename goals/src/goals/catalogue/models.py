"""What the catalogue routes answer, and the names the catalogue holds."""

import msgspec

# The metrics the catalogue migration loads, in its order (tests check them against the
# database): the names a goal may be set against, as the OpenAPI document lists them.
NAMES = ("distance", "muscle", "fat", "steps")


class Metric(msgspec.Struct):
    name: str
    unit: str

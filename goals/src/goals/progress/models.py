"""What the progress routes answer."""

import msgspec

from goals.numbers import Number


class Progress(msgspec.Struct):
    # Integers when whole, as the 2023 API answered.
    progress: Number

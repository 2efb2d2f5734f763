"""The metric catalogue goals are set against (distance km, muscle kg, fat kg, steps)."""

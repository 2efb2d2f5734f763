"""Events written with the change that causes them, published to a Redis Stream by a relay."""

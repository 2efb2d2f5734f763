"""Personal goals: create, list, edit (progress, completion), delete."""

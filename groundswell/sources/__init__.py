"""Source kinds: each one small class, registered in `registry`."""

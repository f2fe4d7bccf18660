"""govdash: operations dashboard for grassroots social governance."""

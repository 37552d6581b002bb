"""The sweeper of the sim package (a Hydra plugin: Hydra finds plugins in hydra_plugins)."""

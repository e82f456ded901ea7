"""Stage 1, discover: the catalog of models, the scan cache's use, the bundled snapshot and
what is known of each model from public leaderboards."""

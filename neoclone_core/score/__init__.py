"""Stage 2, score: combining the scoring plugins' components into one ranking per task."""

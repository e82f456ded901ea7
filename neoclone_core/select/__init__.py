"""Stage 3, select: turning a ranking into a plan of attempts (hard needs, last resort)."""

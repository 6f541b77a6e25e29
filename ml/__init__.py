"""Machine-learning and statistical code as plain Python (no Dagster imports), unit-testable on frames."""

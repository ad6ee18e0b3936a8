"""The dashboard: reads every app (it sits above them in the layering)."""

"""Anywidget-based views (imported lazily by spurwidgets)."""

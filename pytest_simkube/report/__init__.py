"""report part of pytest-simkube (see DESIGN.md §2)."""

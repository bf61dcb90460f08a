// StyxyEngine: see DESIGN.md; filled in by its own change.

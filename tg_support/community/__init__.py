"""The community layer: courses, study circles, peer-review swaps, events, recognition."""

"""Analyses of experiment outputs: fits, depth scales, finite- vs infinite-width agreement."""

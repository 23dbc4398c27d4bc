"""Test helpers shared by every app's tests: builders with good defaults, paths to the corpus."""

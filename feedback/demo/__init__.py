"""The demo workspace `make run` shows: surveys, six months of responses and worked cases."""

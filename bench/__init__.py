"""Benchmarks (issue #12): `make bench`. Never part of `make test`, beyond a smoke run."""

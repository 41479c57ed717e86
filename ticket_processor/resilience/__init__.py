"""The one retry layer: retries, circuit breakers, pacing from rate-limit headers, adaptive
concurrency.
"""

"""Deciding what a ticket is: text preparation and redaction, the engine chain, rules, taxonomy,
routing.
"""

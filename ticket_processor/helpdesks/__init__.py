"""The helpdesks: the ``Helpdesk`` protocol, the registry of kinds, the one HTTP transport, one
folder per helpdesk.
"""

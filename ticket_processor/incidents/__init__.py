"""Many tickets about one thing: a customer's repeat tickets, and incidents across customers.

Modules: ``policy`` (the settings' values, tag names, the rule's constants), ``window`` (the
recent tickets remembered in the state directory: quantised encoder vectors, requester,
category, time), ``fault`` (pure: a fault report or a request, from the encoder's vector),
``grouping`` (pure: the bursts judged against the window's baseline, and the
repeats), ``plan`` (pure: the writes each finding needs, never over an agent's own link),
``notes`` (what the notes and alerts say), ``book`` (the known incidents and the journal of
writes in flight), ``labelled`` (the grouping's score on a labelled file).
"""

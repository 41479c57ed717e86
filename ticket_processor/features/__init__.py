"""The features a run is made of, listed in order (``registry``): one descriptor each, in the
feature's folder (``<feature>/feature.py``, ``steps.feature``)."""

"""Pulling a ModelKit into a notebook: the pickle safety scanner (``pickle_safety``, never unpickles) and
the notebook builder (``notebook``) that loads each model, part and dataset of an unpacked kit safely."""

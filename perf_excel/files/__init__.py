"""Files on disk: reading a user's input (regular files only, bounded) and writing outputs
(names from data, atomic writes, modes, never over an input)."""

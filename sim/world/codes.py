"""Codes and sentinel values shared by the mechanisms, the agents and the map.

A leaf module (no imports), so that the pure mechanisms can use the control codes without
pulling in the map code.
"""

#: Control codes used in every control array.
GOVERNMENT, HTS, NLF, TURKEY = 0, 1, 2, 3
CONTROL_NAMES = {GOVERNMENT: "government", HTS: "HTS", NLF: "NLF", TURKEY: "Turkey"}

#: A day long before any run starts: "never happened" for last-change and last-move days.
NEVER_DAY = -(10**6)
#: People a day an unlimited passage lets through (far above any population; still an int64).
UNLIMITED_PEOPLE = 2**62

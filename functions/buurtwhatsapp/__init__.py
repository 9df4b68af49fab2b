"""Sign-up backend of the Buurt WhatsApp neighbourhood-watch groups."""

from .common.compiled_classes import use_compiled_classes

# First, before any module of the package makes a dataclass: in an upload the deploy staged,
# those classes' methods come compiled (common/compiled_classes.py); elsewhere nothing changes.
use_compiled_classes()

"""Runs Ironic's API and conductor in one process for the project's tests.

Two changes to a plain `ironic` start: eventlet binds without SO_REUSEPORT, so a busy port is an
error instead of a second server silently sharing it (eventlet's default), and the
process ends by itself when the test process that started it is gone.
"""
import os
import sys

sys.argv[0] = 'ironic'
import ironic.cmd  # noqa: E402,F401  (eventlet monkey-patching happens here)
import eventlet  # noqa: E402

_listen = eventlet.listen


def _listen_exclusively(addr, family=2, backlog=50, reuse_addr=True, reuse_port=None):
    return _listen(addr, family, backlog=backlog, reuse_addr=reuse_addr, reuse_port=False)


eventlet.listen = _listen_exclusively

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lab_watchdog import watch_parent  # noqa: E402

watch_parent('IRONIC_LAB_PARENT', eventlet.spawn)

from ironic.cmd import singleprocess  # noqa: E402

sys.exit(singleprocess.main())

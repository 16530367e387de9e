"""Ends a lab server by itself once the test process that started it is gone.

The test harness puts its pid in an environment variable; `spawn` runs the watch loop beside the
server (a thread, or a greenthread under eventlet).
"""
import os
import time


def watch_parent(variable, spawn):
    parent = int(os.environ.get(variable, '0'))
    if not parent:
        return

    def watch():
        while True:
            try:
                os.kill(parent, 0)
            except OSError:
                os._exit(0)
            time.sleep(1)

    spawn(watch)

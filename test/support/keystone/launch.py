"""Serves Keystone's WSGI application on 127.0.0.1 for the project's tests.

Keystone is a WSGI application (what keystone-wsgi-public hands to a web server); here Python's own
WSGI server runs it, on the port given, without the `keystone` package's service set-up. One
request at a time: Keystone's sqlite session is not shared across threads, and Keystone never
calls itself. The process ends by itself when the test process that started it is gone.

    KEYSTONE_LAB_PARENT=<pid> python3 launch.py CONFIG_FILE PORT
"""
import os
import sys
import threading
import time
from wsgiref import simple_server

config_file, port = sys.argv[1], int(sys.argv[2])
os.environ['OS_KEYSTONE_CONFIG_FILES'] = config_file
sys.argv = ['keystone-lab']  # oslo.config reads the command line too

from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()


class QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # Keystone logs each request itself
        pass


_parent = int(os.environ.get('KEYSTONE_LAB_PARENT', '0'))


def _watch_parent():
    while True:
        try:
            os.kill(_parent, 0)
        except OSError:
            os._exit(0)
        time.sleep(1)


if _parent:
    threading.Thread(target=_watch_parent, daemon=True).start()

server = simple_server.make_server('127.0.0.1', port, application, handler_class=QuietHandler)
print(f'keystone-lab listening on 127.0.0.1:{port}', flush=True)
server.serve_forever()

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
from wsgiref import simple_server

config_file, port = sys.argv[1], int(sys.argv[2])
os.environ['OS_KEYSTONE_CONFIG_FILES'] = config_file
sys.argv = ['keystone-lab']  # oslo.config reads the command line too

from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()


class QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # Keystone logs each request itself
        pass


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lab_watchdog import watch_parent  # noqa: E402

watch_parent('KEYSTONE_LAB_PARENT', lambda watch: threading.Thread(target=watch, daemon=True).start())

server = simple_server.make_server('127.0.0.1', port, application, handler_class=QuietHandler)
print(f'keystone-lab listening on 127.0.0.1:{port}', flush=True)
server.serve_forever()

"""Runs Ironic for the project's tests: API and conductor in one process, or one of them.

    launch.py [all|api|conductor] --config-file FILE

`all` (the default) is `ironic.cmd.singleprocess` with `rpc_transport = none`. `api` and
`conductor` are the split services of a lab with several conductors, talking JSON-RPC. Changes to
a plain start:
- eventlet binds without SO_REUSEPORT, so a busy port is an error instead of a second server
  silently sharing it (eventlet's default);
- with `IRONIC_LAB_CONDUCTORS` (JSON: conductor host name -> JSON-RPC port on 127.0.0.1), an RPC
  to a conductor goes to its own port. Ironic 21's JSON-RPC client calls
  `http://<conductor host>:<[json_rpc]port>`, one port for all conductors, and reaches each
  conductor through its host name; newer Ironic puts the port into the conductor's host name
  instead. Here every conductor listens on 127.0.0.1 and a free port of its own, and the names
  stay readable (`node.conductor`);
- the process ends by itself when the test process that started it is gone.
"""
import json
import os
import sys
import urllib.parse

role = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in ('all', 'api', 'conductor') else 'all'
sys.argv[0] = 'ironic'
import ironic.cmd  # noqa: E402,F401  (eventlet monkey-patching happens here)
import eventlet  # noqa: E402

_listen = eventlet.listen


def _listen_exclusively(addr, family=2, backlog=50, reuse_addr=True, reuse_port=None):
    return _listen(addr, family, backlog=backlog, reuse_addr=reuse_addr, reuse_port=False)


eventlet.listen = _listen_exclusively

_routes = json.loads(os.environ.get('IRONIC_LAB_CONDUCTORS', '{}'))
if _routes:
    from ironic_lib.json_rpc import client as _rpc_client

    _session = _rpc_client._get_session

    class _Routed:
        """The client's session, posting to the conductor's own port."""

        def __init__(self, session):
            self._session = session

        def post(self, url, **kwargs):
            parts = urllib.parse.urlsplit(url)
            port = _routes.get(parts.hostname)
            if port is not None:
                url = urllib.parse.urlunsplit((parts.scheme, f'127.0.0.1:{port}', parts.path, parts.query, parts.fragment))
            return self._session.post(url, **kwargs)

    _rpc_client._get_session = lambda: _Routed(_session())

if role != 'all':
    # Several processes share one sqlite database. oslo.db begins each transaction with a plain
    # (deferred) BEGIN: one that reads and then writes fails at once with "database is locked" when
    # another process wrote in between (the busy timeout does not cover that upgrade). BEGIN
    # IMMEDIATE takes the write lock first, so the processes wait their turn instead.
    from oslo_db.sqlalchemy import engines
    from sqlalchemy import event

    _init_events = engines._init_events

    def _init_events_immediate(engine, **kwargs):
        if engine.dialect.name == 'sqlite':
            # Registered before oslo.db's own listeners, so they run first.
            @event.listens_for(engine, 'connect')
            def _wait_for_the_lock(dbapi_connection, _record):
                dbapi_connection.execute('PRAGMA busy_timeout = 30000')

            @event.listens_for(engine, 'begin')
            def _begin_immediate(connection):
                if 'in_transaction' not in connection.info:
                    connection.exec_driver_sql('BEGIN IMMEDIATE')
                    connection.info['in_transaction'] = True  # oslo.db's listener then emits no BEGIN

        return _init_events(engine, **kwargs)

    engines._init_events = _init_events_immediate

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lab_watchdog import watch_parent  # noqa: E402

watch_parent('IRONIC_LAB_PARENT', eventlet.spawn)

if role == 'all':
    from ironic.cmd import singleprocess  # noqa: E402

    sys.exit(singleprocess.main())
if role == 'conductor':
    from ironic.cmd import conductor  # noqa: E402

    sys.exit(conductor.main())

# The API served by this process (`ironic.cmd.api` forks a worker): one process per service to watch and stop.
from oslo_config import cfg  # noqa: E402
from oslo_service import service  # noqa: E402
from ironic.common import service as ironic_service  # noqa: E402
from ironic.common import wsgi_service  # noqa: E402

ironic_service.prepare_service('ironic_api', sys.argv)
ironic_service.ensure_rpc_transport()
launcher = service.ServiceLauncher(cfg.CONF, restart_method='mutate')
launcher.launch_service(wsgi_service.WSGIService('ironic_api', cfg.CONF.api.enable_ssl_api))
sys.exit(launcher.wait())

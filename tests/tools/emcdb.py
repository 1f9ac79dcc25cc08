"""emcdb.py - a DB-API connection from a glance-emc style URL, for the test tools (imported, not
run). Runs with the system Python: sqlite3, psycopg2, pymysql.

URL: sqlite:///path, postgresql://user:pw@host:port/db or mysql://user:pw@host:port/db (a
SQLAlchemy driver suffix such as +psycopg2 or +pymysql is accepted; the password is
percent-decoded).
"""
from urllib.parse import unquote, urlsplit


def parse_url(url):
    scheme, rest = url.split('://', 1)
    backend = scheme.split('+', 1)[0]
    if backend == 'sqlite':
        path = rest[1:] if rest.startswith('/') else rest
        return backend, {'path': path.split('?', 1)[0]}
    u = urlsplit('x://' + rest)
    return backend, {
        'host': u.hostname or '127.0.0.1',
        'port': u.port,
        'user': unquote(u.username or ''),
        'password': unquote(u.password or ''),
        'database': u.path.lstrip('/').split('?', 1)[0],
    }


def connect(url, autocommit=False, timeout=10):
    """(backend, connection). autocommit=True makes every statement its own transaction."""
    backend, a = parse_url(url)
    if backend == 'sqlite':
        import sqlite3
        c = sqlite3.connect(a['path'], timeout=timeout,
                            isolation_level=None if autocommit else 'DEFERRED')
        c.execute('PRAGMA foreign_keys = ON')
        return backend, c
    if backend == 'postgresql':
        import psycopg2
        c = psycopg2.connect(host=a['host'], port=a['port'] or 5432, user=a['user'],
                             password=a['password'], dbname=a['database'],
                             connect_timeout=timeout)
        c.autocommit = autocommit
        return backend, c
    if backend == 'mysql':
        import pymysql
        c = pymysql.connect(host=a['host'], port=a['port'] or 3306, user=a['user'],
                            password=a['password'], database=a['database'], charset='utf8',
                            autocommit=autocommit, connect_timeout=timeout)
        return backend, c
    raise SystemExit('unknown backend in URL: %s' % backend)


def ph(backend):
    """The parameter placeholder of the backend's DB-API module."""
    return '?' if backend == 'sqlite' else '%s'


def boolv(backend, v):
    """A Python bool (or None) as the backend's driver wants it for a BOOLEAN column."""
    if v is None or backend == 'postgresql':
        return v
    return 1 if v else 0


def as_bool(v):
    """A BOOLEAN read back (True/False, 1/0) as 0/1, None kept."""
    if v is None:
        return None
    return 1 if v else 0

#!/usr/bin/python3
"""schema_dump.py - print a normalized, sorted, line-per-fact dump of a Glance database schema.

    schema_dump.py URL

URL: sqlite:////abs/path.db, postgresql://user:pw@host:port/db, mysql://user:pw@host:port/db
(plain postgresql:// and mysql:// are mapped to psycopg2 and pymysql; +driver forms work too;
the password is percent-decoded as in any SQLAlchemy URL).

Two databases built by different tools print the same lines exactly when their schemas match:
tables, columns (type, nullability, default, order), primary keys, indexes, unique, foreign-key
and check constraints, enum types and sequences (PostgreSQL), triggers (name, table, timing,
event, and a hash of the whitespace-normalized body), engine and collation (MySQL/MariaDB), the
normalized CREATE text where the backend keeps one (SQLite's sqlite_master, MySQL's SHOW CREATE
TABLE), the rows of alembic_version and the row count of every table. Tables whose name starts
with `emc_` (glance-emc's journal) are left out.

Runs with the system Python (Debian's SQLAlchemy 1.4, psycopg2, pymysql).
"""
import hashlib
import re
import sys

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url


def engine_for(url):
    u = make_url(url)
    name = u.drivername
    if name in ('postgresql', 'postgres'):
        u = u.set(drivername='postgresql+psycopg2')
    elif name in ('mysql', 'mariadb'):
        u = u.set(drivername='mysql+pymysql')
        if 'charset' not in u.query:
            u = u.update_query_dict({'charset': 'utf8mb4'})
    return create_engine(u)


def norm_ws(s):
    """Collapse whitespace; no space after '(' nor before ')' or ','."""
    if s is None:
        return None
    s = re.sub(r'\s+', ' ', s).strip()
    s = re.sub(r'\(\s+', '(', s)
    s = re.sub(r'\s+([),])', r'\1', s)
    return s


def body_hash(s):
    return hashlib.sha256(norm_ws(s or '').encode()).hexdigest()[:16]


def skip_table(name):
    return name.startswith('emc_')


def q(conn, sql, **kw):
    return conn.execute(text(sql), kw).fetchall()


def quote_ident(dialect, name):
    return '`%s`' % name if dialect == 'mysql' else '"%s"' % name


def common(conn, dialect, tables, out):
    for t in tables:
        n = conn.execute(text('SELECT COUNT(*) FROM %s' % quote_ident(dialect, t))).scalar()
        out.append('table %s rows=%d' % (t, n))
    if 'alembic_version' in tables:
        for (v,) in q(conn, 'SELECT version_num FROM alembic_version'):
            out.append('alembic_version %s' % v)


# ---------------------------------------------------------------- SQLite
def dump_sqlite(conn, out):
    insp = inspect(conn)
    rows = q(conn, "SELECT type, name, tbl_name, sql FROM sqlite_master "
                   "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    tables = [r.name for r in rows if r.type == 'table' and not skip_table(r.name)]
    for r in rows:
        if skip_table(r.tbl_name):
            continue
        if r.type == 'table':
            out.append('table %s' % r.name)
            out.append('table %s sql %s' % (r.name, norm_ws(r.sql)))
        elif r.type == 'index' and r.sql is not None:
            out.append('table %s index_sql %s' % (r.tbl_name, norm_ws(r.sql)))
        elif r.type == 'trigger':
            m = re.match(r'\s*CREATE\s+(?:TEMP\w*\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+'
                         r'(BEFORE|AFTER|INSTEAD\s+OF)?\s*(DELETE|INSERT|UPDATE)', r.sql, re.I)
            timing = (m.group(1) or 'BEFORE').upper() if m else '?'
            event = m.group(2).upper() if m else '?'
            out.append('trigger %s table=%s timing=%s event=%s' % (r.name, r.tbl_name, timing, event))
            out.append('trigger %s body_sha256=%s' % (r.name, body_hash(r.sql)))
        elif r.type == 'view':
            out.append('view %s sql_sha256=%s' % (r.name, body_hash(r.sql)))
    for t in tables:
        cols = q(conn, 'PRAGMA main.table_xinfo("%s")' % t)
        for c in cols:
            out.append('table %s column %s type=%s nullable=%s default=%s pk=%d hidden=%d' % (
                t, c[1], c[2], 'NO' if c[3] else 'YES', c[4], c[5], c[6]))
        out.append('table %s column_order %s' % (t, ','.join(c[1] for c in cols)))
        pk = insp.get_pk_constraint(t)
        out.append('table %s primary_key name=%s columns=%s' % (
            t, pk.get('name'), ','.join(pk.get('constrained_columns') or [])))
        for ix in q(conn, 'PRAGMA main.index_list("%s")' % t):
            icols = [r[2] for r in q(conn, 'PRAGMA main.index_info("%s")' % ix[1])]
            out.append('table %s index %s columns=%s unique=%d origin=%s partial=%d' % (
                t, ix[1], ','.join(str(c) for c in icols), ix[2], ix[3], ix[4]))
        for uc in insp.get_unique_constraints(t):
            out.append('table %s unique %s columns=%s' % (t, uc['name'], ','.join(uc['column_names'])))
        fks = {}  # PRAGMA foreign_key_list: id, seq, table, from, to, on_update, on_delete, match
        for fk in q(conn, 'PRAGMA main.foreign_key_list("%s")' % t):
            fks.setdefault(fk[0], []).append(fk)
        named = {(tuple(f['constrained_columns']), f['referred_table']): f.get('name')
                 for f in insp.get_foreign_keys(t)}
        for fid, parts in fks.items():
            parts.sort(key=lambda p: p[1])
            src = tuple(p[3] for p in parts)
            out.append('table %s foreign_key %s columns=%s -> %s(%s) ondelete=%s onupdate=%s match=%s' % (
                t, named.get((src, parts[0][2])), ','.join(src), parts[0][2],
                ','.join(str(p[4]) for p in parts), parts[0][6], parts[0][5], parts[0][7]))
        for ck in insp.get_check_constraints(t):
            out.append('table %s check %s %s' % (t, ck.get('name'), norm_ws(ck['sqltext'])))
    common(conn, 'sqlite', tables, out)


# ---------------------------------------------------------------- PostgreSQL
def dump_postgresql(conn, out):
    schema = 'public'
    for r in q(conn, """SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
                        JOIN pg_namespace n ON n.oid = t.typnamespace
                        WHERE n.nspname = :s GROUP BY t.typname""", s=schema):
        out.append('enum_type %s labels=%s' % (r[0], r[1]))
    for r in q(conn, """SELECT t.typname, t.typtype FROM pg_type t
                        JOIN pg_namespace n ON n.oid = t.typnamespace
                        WHERE n.nspname = :s AND t.typtype IN ('d', 'c')
                          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)""",
                 s=schema):
        out.append('type %s kind=%s' % (r[0], r[1]))
    for r in q(conn, """SELECT s.relname, d.refobjid::regclass::text, a.attname,
                               format_type(sq.seqtypid, NULL)
                        FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
                        JOIN pg_sequence sq ON sq.seqrelid = s.oid
                        LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
                             AND d.classid = 'pg_class'::regclass
                        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                        WHERE s.relkind = 'S' AND n.nspname = :s""", s=schema):
        if r[1] and skip_table(r[1]):
            continue
        out.append('sequence %s owned_by=%s type=%s' % (
            r[0], '%s.%s' % (r[1], r[2]) if r[1] else None, r[3]))
    for r in q(conn, """SELECT p.proname, pg_get_function_identity_arguments(p.oid),
                               format_type(p.prorettype, NULL), l.lanname, p.prosrc
                        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                        JOIN pg_language l ON l.oid = p.prolang
                        WHERE n.nspname = :s""", s=schema):
        out.append('function %s(%s) returns=%s language=%s body_sha256=%s' % (
            r[0], r[1], r[2], r[3], body_hash(r[4])))
    tables = [r[0] for r in q(conn, """SELECT c.relname FROM pg_class c
                                       JOIN pg_namespace n ON n.oid = c.relnamespace
                                       WHERE n.nspname = :s AND c.relkind IN ('r', 'p')
                                       ORDER BY c.relname""", s=schema)
              if not skip_table(r[0])]
    for t in tables:
        out.append('table %s' % t)
        cols = q(conn, """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                 pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                                 co.collname
                          FROM pg_attribute a
                          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                          LEFT JOIN pg_collation co ON co.oid = a.attcollation
                               AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'default')
                          WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0
                            AND NOT a.attisdropped ORDER BY a.attnum""", t='%s.%s' % (schema, t))
        for c in cols:
            out.append('table %s column %s type=%s nullable=%s default=%s identity=%s generated=%s collation=%s' % (
                t, c[0], c[1], 'NO' if c[2] else 'YES', c[3], c[4] or '-', c[5] or '-', c[6]))
        out.append('table %s column_order %s' % (t, ','.join(c[0] for c in cols)))
        for r in q(conn, """SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique,
                                   x.indisprimary,
                                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
                            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                            WHERE x.indrelid = CAST(:t AS regclass)""", t='%s.%s' % (schema, t)):
            out.append('table %s index %s unique=%d primary=%d constraint=%d def=%s' % (
                t, r[0], r[2], r[3], r[4], norm_ws(r[1])))
        for r in q(conn, """SELECT conname, contype, pg_get_constraintdef(oid), condeferrable,
                                   condeferred, convalidated
                            FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)""",
                   t='%s.%s' % (schema, t)):
            kind = {'p': 'primary_key', 'u': 'unique', 'f': 'foreign_key', 'c': 'check',
                    'x': 'exclusion', 't': 'trigger'}.get(r[1], r[1])
            out.append('table %s %s %s def=%s deferrable=%d deferred=%d validated=%d' % (
                t, kind, r[0], norm_ws(r[2]), r[3], r[4], r[5]))
        for r in q(conn, """SELECT tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled, p.proname
                            FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
                            WHERE tg.tgrelid = CAST(:t AS regclass) AND NOT tg.tgisinternal""",
                   t='%s.%s' % (schema, t)):
            m = re.search(r'\b(BEFORE|AFTER|INSTEAD OF)\s+(.+?)\s+ON\s', r[1])
            out.append('trigger %s table=%s timing=%s event=%s' % (
                r[0], t, m.group(1) if m else '?', m.group(2) if m else '?'))
            out.append('trigger %s def=%s enabled=%s' % (r[0], norm_ws(r[1]), r[2]))
    common(conn, 'postgresql', tables, out)


# ---------------------------------------------------------------- MySQL / MariaDB
def dump_mysql(conn, out):
    db = conn.execute(text('SELECT DATABASE()')).scalar()
    r = q(conn, """SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME
                   FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :d""", d=db)[0]
    out.append('database charset=%s collation=%s' % (r[0], r[1]))
    trows = q(conn, """SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_TYPE, CREATE_OPTIONS
                       FROM information_schema.TABLES WHERE TABLE_SCHEMA = :d
                       ORDER BY TABLE_NAME""", d=db)
    tables = [t[0] for t in trows if t[3] == 'BASE TABLE' and not skip_table(t[0])]
    for t in trows:
        if t[0] not in tables:
            if t[3] != 'BASE TABLE' and not skip_table(t[0]):
                out.append('view %s' % t[0])
            continue
        out.append('table %s' % t[0])
        out.append('table %s options engine=%s collation=%s create_options=%s' % (
            t[0], t[1], t[2], t[4] or ''))
    for t in tables:
        cols = q(conn, """SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA,
                                 CHARACTER_SET_NAME, COLLATION_NAME
                          FROM information_schema.COLUMNS
                          WHERE TABLE_SCHEMA = :d AND TABLE_NAME = :t ORDER BY ORDINAL_POSITION""",
                 d=db, t=t)
        for c in cols:
            out.append('table %s column %s type=%s nullable=%s default=%s extra=%s charset=%s collation=%s' % (
                t, c[0], c[1], c[2], c[3], c[4], c[5], c[6]))
        out.append('table %s column_order %s' % (t, ','.join(c[0] for c in cols)))
        idx = {}
        for s in q(conn, """SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART,
                                   INDEX_TYPE
                            FROM information_schema.STATISTICS
                            WHERE TABLE_SCHEMA = :d AND TABLE_NAME = :t
                            ORDER BY INDEX_NAME, SEQ_IN_INDEX""", d=db, t=t):
            e = idx.setdefault(s[0], {'unique': 0 if int(s[1]) else 1, 'cols': [], 'type': s[5]})
            e['cols'].append(s[3] + ('(%s)' % s[4] if s[4] else ''))
        for name, e in idx.items():
            out.append('table %s index %s columns=%s unique=%d type=%s' % (
                t, name, ','.join(e['cols']), e['unique'], e['type']))
        kcu = {}
        for k in q(conn, """SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME,
                                   REFERENCED_COLUMN_NAME
                            FROM information_schema.KEY_COLUMN_USAGE
                            WHERE TABLE_SCHEMA = :d AND TABLE_NAME = :t
                            ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION""", d=db, t=t):
            kcu.setdefault(k[0], []).append(k)
        for c in q(conn, """SELECT CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS
                            WHERE TABLE_SCHEMA = :d AND TABLE_NAME = :t""", d=db, t=t):
            parts = kcu.get(c[0], [])
            cols_ = ','.join(p[1] for p in parts)
            if c[1] == 'PRIMARY KEY':
                out.append('table %s primary_key name=%s columns=%s' % (t, c[0], cols_))
            elif c[1] == 'UNIQUE':
                out.append('table %s unique %s columns=%s' % (t, c[0], cols_))
            elif c[1] == 'FOREIGN KEY':
                rc = q(conn, """SELECT UPDATE_RULE, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS
                                WHERE CONSTRAINT_SCHEMA = :d AND TABLE_NAME = :t AND CONSTRAINT_NAME = :c""",
                       d=db, t=t, c=c[0])[0]
                out.append('table %s foreign_key %s columns=%s -> %s(%s) ondelete=%s onupdate=%s' % (
                    t, c[0], cols_, parts[0][2] if parts else None,
                    ','.join(p[3] for p in parts), rc[1], rc[0]))
            elif c[1] == 'CHECK':
                pass  # below, with the clause
        try:
            checks = q(conn, """SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
                                WHERE CONSTRAINT_SCHEMA = :d AND TABLE_NAME = :t""", d=db, t=t)
        except Exception:  # MySQL < 8.0.16: no CHECK_CONSTRAINTS
            checks = []
        for c in checks:
            out.append('table %s check %s %s' % (t, c[0], norm_ws(c[1])))
        create = conn.execute(text('SHOW CREATE TABLE `%s`' % t)).fetchone()[1]
        create = re.sub(r' AUTO_INCREMENT=\d+', '', create)
        out.append('table %s create %s' % (t, norm_ws(create)))
    for tr in q(conn, """SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,
                                ACTION_ORIENTATION, ACTION_STATEMENT, SQL_MODE
                         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = :d""", d=db):
        if skip_table(tr[1]):
            continue
        out.append('trigger %s table=%s timing=%s event=%s' % (tr[0], tr[1], tr[2], tr[3]))
        out.append('trigger %s body_sha256=%s orientation=%s' % (tr[0], body_hash(tr[5]), tr[4]))
    for r in q(conn, """SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES
                        WHERE ROUTINE_SCHEMA = :d""", d=db):
        out.append('routine %s type=%s body_sha256=%s' % (r[0], r[1], body_hash(r[2])))
    common(conn, 'mysql', tables, out)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: schema_dump.py URL\n')
        return 2
    eng = engine_for(argv[1])
    out = ['backend %s' % eng.dialect.name]
    with eng.connect() as conn:
        {'sqlite': dump_sqlite, 'postgresql': dump_postgresql, 'mysql': dump_mysql}[eng.dialect.name](conn, out)
    eng.dispose()
    sys.stdout.write(''.join(line + '\n' for line in sorted(out)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

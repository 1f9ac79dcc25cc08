#!/usr/bin/python3
"""apply_sql.py - apply glance-emc's migrations/ SQL files to a database directly (dev/test helper).

    apply_sql.py [options] URL TARGET[,TARGET...]

TARGET: a revision id, `heads` (every head of the graph), or several ids separated by commas.
Applies, in graph order, every schema revision the targets need that the database does not have
yet (read from alembic_version; legacy heads ocata01 / pike01 count as ocata_contract01 /
pike_contract01), then rewrites alembic_version with alembic's rows: one per head, leaving out a
head that is an ancestor of another through down_revision or depends_on.

Options:
  --migrations DIR  the migrations folder (default: ../../migrations beside this script)
  --triggers        install triggers.DIALECT.sql after an expand revision that has one (what
                    `expand` does; sync never does)
  --no-data         skip the data migrations (by default each data migration whose `after` is
                    applied runs to completion just before its `before` revision)
  --batch N         the :batch size of data migrations (default 1000)
  --migrate-only    apply no schema revision; run the data migrations whose `after` is applied
                    and whose `before` is not
  --dry-run         print the statements instead of running them
  -v                print each statement as it runs

It follows migrations/README.md: statements end with the delimiter at the end of a line
(outside quotes, comments and PostgreSQL dollar-quoted bodies), `DELIMITER xx` lines change the
delimiter, chunks holding only comments are no statements, `DIALECT.after-REV.sql` variants
replace `DIALECT.sql` when REV is applied, drop_triggers.DIALECT.sql runs before a revision's
DIALECT.sql. SQLite: foreign keys off around each revision, one transaction per revision, a
foreign-key check after. PostgreSQL: one transaction per revision. MySQL: DDL commits itself.
"""
import configparser
import os
import re
import sys

from sqlalchemy.engine import make_url

HERE = os.path.dirname(os.path.abspath(__file__))
LEGACY = {'ocata01': 'ocata_contract01', 'pike01': 'pike_contract01'}
BRANCH_ORDER = {'none': 0, 'expand': 1, 'contract': 2}


# ------------------------------------------------------------------ statement splitting
def split_sql(text, dialect):
    """Split SQL text into statements per migrations/README.md."""
    stmts = []
    delim = ';'
    buf = []          # characters of the current statement
    i = 0
    n = len(text)
    at_line_start = True
    while i < n:
        if at_line_start:
            # a DELIMITER line (only between statements)
            eol = text.find('\n', i)
            eol = n if eol < 0 else eol
            line = text[i:eol]
            m = re.match(r'\s*DELIMITER\s+(\S+)\s*$', line, re.I)
            if m and only_comments(''.join(buf)):
                buf = []
                delim = m.group(1)
                i = eol + 1
                continue
        at_line_start = False
        c = text[i]
        # comments
        if text.startswith('--', i):
            eol = text.find('\n', i)
            eol = n if eol < 0 else eol
            buf.append(text[i:eol])
            i = eol
            continue
        if c == '#' and dialect == 'mysql':
            eol = text.find('\n', i)
            eol = n if eol < 0 else eol
            buf.append(text[i:eol])
            i = eol
            continue
        if text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            buf.append(text[i:end])
            i = end
            continue
        # quoted strings and identifiers
        if c in ("'", '"') or (c == '`' and dialect == 'mysql'):
            j = i + 1
            while j < n:
                if text[j] == '\\' and dialect == 'mysql' and c != '`':
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(text[i:j + 1])
            i = j + 1
            continue
        # PostgreSQL dollar quotes
        if c == '$' and dialect == 'postgresql':
            m = re.match(r'\$([A-Za-z_][A-Za-z_0-9]*)?\$', text[i:])
            if m:
                tag = m.group(0)
                end = text.find(tag, i + len(tag))
                end = n if end < 0 else end + len(tag)
                buf.append(text[i:end])
                i = end
                continue
        # the delimiter at the end of a line
        if text.startswith(delim, i):
            rest_end = text.find('\n', i)
            rest_end = n if rest_end < 0 else rest_end
            if text[i + len(delim):rest_end].strip() == '':
                s = ''.join(buf).strip()
                if not only_comments(s):
                    stmts.append(s)
                buf = []
                i = rest_end
                continue
        if c == '\n':
            at_line_start = True
        buf.append(c)
        i += 1
    s = ''.join(buf).strip()
    if not only_comments(s):
        raise ValueError('statement without a terminating %r at the end: %s' % (delim, s[:200]))
    return stmts


def only_comments(s):
    s = re.sub(r'/\*.*?\*/', '', s, flags=re.S)
    s = re.sub(r'--[^\n]*', '', s)
    return s.strip() == ''


# ------------------------------------------------------------------ the graph
class Rev:
    def __init__(self, path):
        cp = configparser.ConfigParser(inline_comment_prefixes=(';',), interpolation=None)
        cp.read(os.path.join(path, 'revision.ini'))
        r = cp['revision']
        self.path = path
        self.id = r['id'].strip()
        self.kind = r.get('kind', 'schema').strip()
        self.release = r.get('release', '').strip()
        self.summary = r.get('summary', '').strip()
        self.down = r.get('down_revision', '').strip() or None
        self.branch = r.get('branch', 'none').strip()
        self.depends = r.get('depends_on', '').strip() or None
        self.after = r.get('after', '').strip() or None
        self.before = r.get('before', '').strip() or None
        if os.path.basename(path) != self.id:
            raise ValueError('%s: folder name and id differ' % path)


def load(mdir):
    revs, data = {}, {}
    for name in sorted(os.listdir(mdir)):
        p = os.path.join(mdir, name)
        if os.path.isfile(os.path.join(p, 'revision.ini')):
            r = Rev(p)
            (data if r.kind == 'data' else revs)[r.id] = r
    for r in revs.values():
        for x in (r.down, r.depends):
            if x and x not in revs:
                raise ValueError('%s refers to unknown revision %s' % (r.id, x))
    return revs, data


def parents(revs, rid):
    r = revs[rid]
    return [x for x in (r.down, r.depends) if x]


def ancestors(revs, rid):
    """rid and everything it needs."""
    seen, stack = set(), [rid]
    while stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        stack.extend(parents(revs, x))
    return seen


def depth(revs, rid):
    """Length of the longest path from the root (graph order within a branch)."""
    return 1 + max([depth(revs, p) for p in parents(revs, rid)] or [0])


def heads_of(revs, applied):
    """alembic's rows: applied revisions that are no ancestor of another applied revision."""
    anc = set()
    for a in applied:
        anc |= ancestors(revs, a) - {a}
    return sorted(applied - anc)


def graph_heads(revs):
    return heads_of(revs, set(revs))


def order(revs, ids):
    """Graph order: trunk, then the expand branch, then the contract branch (what db sync does);
    within a branch, by depth. Always a topological order of this graph."""
    return sorted(ids, key=lambda x: (BRANCH_ORDER.get(revs[x].branch, 3), depth(revs, x), x))


# ------------------------------------------------------------------ database access
class DB:
    def __init__(self, url, dry_run=False, verbose=False):
        u = make_url(url)
        self.dialect = u.get_backend_name()
        if self.dialect == 'mariadb':
            self.dialect = 'mysql'
        self.dry_run = dry_run
        self.verbose = verbose
        if self.dialect == 'sqlite':
            import sqlite3
            self.conn = sqlite3.connect(u.database, isolation_level=None)
        elif self.dialect == 'postgresql':
            import psycopg2
            self.conn = psycopg2.connect(host=u.host or '127.0.0.1', port=u.port or 5432,
                                         user=u.username, password=u.password, dbname=u.database)
        elif self.dialect == 'mysql':
            import pymysql
            self.conn = pymysql.connect(host=u.host or '127.0.0.1', port=u.port or 3306,
                                        user=u.username, password=u.password, database=u.database,
                                        charset=u.query.get('charset', 'utf8'), autocommit=True)
        else:
            raise ValueError('unsupported backend %s' % self.dialect)

    def query(self, sql):
        cur = self.conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
        cur.close()
        return rows

    def execute(self, sql):
        """Run one statement; return the rows it changed (or -1)."""
        if self.verbose or self.dry_run:
            print('%s;' % sql if '\n' not in sql or self.dialect != 'mysql' else sql + '\n//')
        if self.dry_run:
            return 0
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
        except Exception as e:
            raise RuntimeError('%s\n  in statement:\n%s' % (e, sql))
        n = cur.rowcount
        cur.close()
        return n

    def begin(self):
        if self.dry_run:
            return
        if self.dialect == 'sqlite':
            self.conn.execute('PRAGMA foreign_keys = OFF')
            self.conn.execute('BEGIN')
        elif self.dialect == 'mysql':
            self.conn.begin()

    def commit(self):
        if self.dry_run:
            return
        if self.dialect == 'sqlite':
            self.conn.execute('COMMIT')
            bad = self.conn.execute('PRAGMA foreign_key_check').fetchall()
            if bad:
                raise RuntimeError('foreign key check failed: %r' % bad[:5])
        else:
            self.conn.commit()

    def rollback(self):
        try:
            if self.dialect == 'sqlite':
                self.conn.execute('ROLLBACK')
            else:
                self.conn.rollback()
        except Exception:
            pass

    def has_table(self, name):
        if self.dialect == 'sqlite':
            return bool(self.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name='%s'" % name))
        if self.dialect == 'postgresql':
            return bool(self.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
                                   "AND tablename = '%s'" % name))
        return bool(self.query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                               "AND TABLE_NAME = '%s'" % name))


# ------------------------------------------------------------------ applying
class Runner:
    def __init__(self, db, mdir, revs, data, triggers, run_data, batch):
        self.db, self.mdir, self.revs, self.data = db, mdir, revs, data
        self.triggers, self.run_data, self.batch = triggers, run_data, batch

    def read(self, path):
        with open(path) as f:
            return split_sql(f.read(), self.db.dialect)

    def file(self, rev, name, required=True):
        p = os.path.join(rev.path, name)
        if not os.path.exists(p):
            if required:
                raise RuntimeError('missing %s' % p)
            return None
        return p

    def current(self):
        if not self.db.has_table('alembic_version'):
            return set()
        rows = [LEGACY.get(r[0], r[0]) for r in self.db.query('SELECT version_num FROM alembic_version')]
        applied = set()
        for r in rows:
            if r not in self.revs:
                raise RuntimeError('alembic_version holds %s, unknown to migrations/' % r)
            applied |= ancestors(self.revs, r)
        return applied

    def write_version(self, applied):
        d = self.db.dialect
        if not self.db.dry_run and not self.db.has_table('alembic_version'):
            for s in self.read(os.path.join(self.mdir, 'alembic_version.%s.sql' % d)):
                self.db.execute(s)
        self.db.execute('DELETE FROM alembic_version')
        for h in heads_of(self.revs, applied):
            self.db.execute("INSERT INTO alembic_version (version_num) VALUES ('%s')" % h)

    def schema_file(self, rev, applied):
        """DIALECT.sql, or the DIALECT.after-REV.sql variant of the deepest applied REV."""
        d = self.db.dialect
        best = None
        for name in os.listdir(rev.path):
            m = re.match(r'^%s\.after-(.+)\.sql$' % re.escape(d), name)
            if m and m.group(1) in applied:
                if m.group(1) not in self.revs:
                    raise RuntimeError('%s: variant for unknown revision %s' % (rev.id, m.group(1)))
                if best is None or best in ancestors(self.revs, m.group(1)):
                    best = m.group(1)
        if best:
            return os.path.join(rev.path, '%s.after-%s.sql' % (d, best))
        return self.file(rev, '%s.sql' % d)

    def apply_rev(self, rev, applied):
        d = self.db.dialect
        stmts = []
        p = self.file(rev, 'drop_triggers.%s.sql' % d, required=False)
        if p:
            stmts += self.read(p)
        stmts += self.read(self.schema_file(rev, applied))
        if self.triggers and rev.branch == 'expand':
            p = self.file(rev, 'triggers.%s.sql' % d, required=False)
            if p:
                stmts += self.read(p)
        self.db.begin()
        try:
            for s in stmts:
                self.db.execute(s)
            applied.add(rev.id)
            self.write_version(applied)
            self.db.commit()
        except Exception:
            self.db.rollback()
            raise
        print('applied %s (%d statements)' % (rev.id, len(stmts)), file=sys.stderr)

    def run_data_migration(self, dm):
        d = self.db.dialect
        pending = self.read(self.file(dm, 'pending.%s.sql' % d))
        batch = self.read(self.file(dm, 'batch.%s.sql' % d))
        if len(pending) != 1:
            raise RuntimeError('%s: pending.%s.sql must hold one SELECT' % (dm.id, d))
        total = 0
        if self.db.dry_run:
            for s in batch:
                self.db.execute(s.replace(':batch', str(self.batch)))
            return
        with open(self.file(dm, 'batch.%s.sql' % d)) as f:
            m = re.search(r'^-- emc:window (\w+)\.(\w+)\s*$', f.read(), re.M)
        if m:
            self.run_windows(dm, pending[0], batch, m.group(1), m.group(2))
            return
        while True:
            changed = 0
            self.db.begin()
            try:
                for s in batch:
                    n = self.db.execute(s.replace(':batch', str(self.batch)))
                    if n > 0:
                        changed += n
                self.db.commit()
            except Exception:
                self.db.rollback()
                raise
            if changed > self.batch:
                raise RuntimeError('%s: a batch changed %d rows, more than :batch=%d' % (dm.id, changed, self.batch))
            total += changed
            if changed == 0:
                break
        left = self.db.query(pending[0])[0][0]
        print('migrated %s: %d rows, %s pending' % (dm.id, total, left), file=sys.stderr)
        if left:
            raise RuntimeError('%s: %s rows still pending after the batches' % (dm.id, left))

    def run_windows(self, dm, pending, batch, table, col):
        """A window batch file (migrations/README.md): every statement once per window of at
        most :batch keys, :lo <= key <= :hi (the window's first and last keys), until no key is
        left; passes until nothing is pending (three at most)."""
        def lit(v):
            if col == 'rowid':
                return str(int(v))
            v = str(v).replace("'", "''")
            return "'%s'" % (v.replace('\\', '\\\\') if self.db.dialect == 'mysql' else v)
        def windows():
            if col == 'ctid':  # PostgreSQL: lo < ctid <= hi, a batch of row versions at a time
                npages = self.db.query("SELECT pg_relation_size('%s') / "
                                       "current_setting('block_size')::int" % table)[0][0]
                after = '(0,0)'
                while True:
                    hi = self.db.query("SELECT max(k)::text FROM (SELECT ctid AS k FROM %s WHERE "
                                       "ctid > '%s'::tid AND ctid < '(%d,0)'::tid ORDER BY ctid "
                                       "LIMIT %d) w" % (table, after, npages, self.batch))[0][0]
                    if hi is None:
                        return
                    yield after, hi
                    after = hi
            after = None
            while True:
                where = ' WHERE %s > %s' % (col, lit(after)) if after is not None else ''
                lo, hi = self.db.query('SELECT MIN(k), MAX(k) FROM (SELECT %s AS k FROM %s%s ORDER '
                                       'BY %s LIMIT %d) w' % (col, table, where, col,
                                                              self.batch))[0]
                if hi is None:
                    return
                yield lo, hi
                after = hi
        total = 0
        for _ in range(3):
            for lo, hi in windows():
                self.db.begin()
                try:
                    for s in batch:
                        s = s.replace(':batch', str(self.batch))
                        s = re.sub(r':lo\b', lit(lo), s)
                        s = re.sub(r':hi\b', lit(hi), s)
                        n = self.db.execute(s)
                        if n > 0:
                            total += n
                    self.db.commit()
                except Exception:
                    self.db.rollback()
                    raise
            if not self.db.query(pending)[0][0]:
                break
        left = self.db.query(pending)[0][0]
        print('migrated %s: %d rows, %s pending' % (dm.id, total, left), file=sys.stderr)
        if left:
            raise RuntimeError('%s: %s rows still pending after the windows' % (dm.id, left))

    def data_for(self, before, applied):
        return [dm for dm in sorted(self.data.values(), key=lambda x: x.id)
                if dm.before == before and dm.after in applied]

    def upgrade(self, targets):
        applied = self.current()
        want = set()
        for t in targets:
            want |= ancestors(self.revs, t)
        todo = order(self.revs, want - applied)
        for rid in todo:
            if self.run_data:
                for dm in self.data_for(rid, applied):
                    self.run_data_migration(dm)
            self.apply_rev(self.revs[rid], applied)
        return applied

    def migrate_only(self):
        applied = self.current()
        for dm in sorted(self.data.values(), key=lambda x: x.id):
            if dm.after in applied and dm.before not in applied:
                self.run_data_migration(dm)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--migrations', default=os.path.join(HERE, '..', '..', 'migrations'))
    ap.add_argument('--triggers', action='store_true')
    ap.add_argument('--no-data', action='store_true')
    ap.add_argument('--batch', type=int, default=1000)
    ap.add_argument('--migrate-only', action='store_true')
    ap.add_argument('--dry-run', action='store_true')
    ap.add_argument('-v', action='store_true')
    ap.add_argument('url')
    ap.add_argument('target', nargs='?', default='heads')
    a = ap.parse_args(argv[1:])
    mdir = os.path.abspath(a.migrations)
    revs, data = load(mdir)
    for dm in data.values():
        if dm.after not in revs or dm.before not in revs:
            raise SystemExit('%s: after/before name unknown revisions' % dm.id)
    db = DB(a.url, dry_run=a.dry_run, verbose=a.v)
    r = Runner(db, mdir, revs, data, a.triggers, not a.no_data, a.batch)
    if a.migrate_only:
        r.migrate_only()
        return 0
    targets = graph_heads(revs) if a.target == 'heads' else [LEGACY.get(t, t) for t in a.target.split(',')]
    for t in targets:
        if t not in revs:
            raise SystemExit("unknown revision '%s'" % t)
    r.upgrade(targets)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except RuntimeError as e:
        print('apply_sql: %s' % e, file=sys.stderr)
        sys.exit(1)

"""DuckDB's side of `cargo xtask bench analytics`: loads the dumped demo events, resolves
identities, and runs the bench's segmentation, funnel and retention in SQL written to Amplitude's
semantics. Prints one JSON object: timings in seconds, peak RSS in MB, and the answers.

Usage: python3 analytics.py EVENTS.jsonl FIRST_DAY LAST_DAY   (days as YYYY-MM-DD, UTC)
"""

import json
import resource
import sys
import time

import duckdb

path, first_day, last_day = sys.argv[1:4]
con = duckdb.connect(":memory:")
con.execute("SET threads = 2")

# The whole file, every column, as the emulator loads it: it answers any query, not just these.
LOAD = f"""
CREATE TABLE raw AS SELECT * FROM read_json('{path}', format = 'newline_delimited');
-- A device-only event belongs to the first user its device was seen with, else to a user of
-- its own.
CREATE TABLE devices AS
    SELECT device_id, arg_min(user_id, event_time) AS first_user
    FROM raw WHERE user_id IS NOT NULL AND device_id IS NOT NULL GROUP BY device_id;
CREATE TABLE ev AS
    SELECT coalesce(r.user_id, d.first_user, 'device:' || r.device_id) AS uid,
           r.event_type, CAST(r.event_time AS TIMESTAMP) AS t,
           coalesce(r.country, '(none)') AS country, r.event_properties.genre AS genre
    FROM raw r LEFT JOIN devices d USING (device_id);
DROP TABLE raw;
DROP TABLE devices;
"""

FROM = f"TIMESTAMP '{first_day} 00:00:00'"
TO = f"(DATE '{last_day}' + INTERVAL 1 DAY)"

# Daily distinct users playing jazz, by the country each event was sent from.
SEGMENTATION = f"""
SELECT country, CAST(t AS DATE) AS day, count(DISTINCT uid) AS users
FROM ev
WHERE event_type = 'Play Song or Video' AND genre = 'jazz' AND t >= {FROM} AND t < {TO}
GROUP BY ALL
"""
SEGMENTATION_TOTALS = f"""
SELECT country, count(DISTINCT uid) FROM ev
WHERE event_type = 'Play Song or Video' AND genre = 'jazz' AND t >= {FROM} AND t < {TO}
GROUP BY ALL
"""

# Ordered funnel, 30-day window: from each Search in the range, the first Select after it, then
# the first Play after that, both within 30 days of the Search; each user's furthest attempt.
FUNNEL = f"""
WITH s1 AS (SELECT uid, t AS t1 FROM ev
            WHERE event_type = 'Search Song or Video' AND t >= {FROM} AND t < {TO}),
     s2 AS (SELECT uid, t FROM ev WHERE event_type = 'Select Song or Video'),
     s3 AS (SELECT uid, t FROM ev WHERE event_type = 'Play Song or Video'),
     a2 AS (SELECT s1.uid, s1.t1, s2.t AS t2 FROM s1 ASOF LEFT JOIN s2
            ON s1.uid = s2.uid AND s2.t > s1.t1),
     a3 AS (SELECT a2.uid, a2.t1, a2.t2, s3.t AS t3 FROM a2 ASOF LEFT JOIN s3
            ON a2.uid = s3.uid AND s3.t > a2.t2),
     depth AS (SELECT uid, max(CASE
                 WHEN t2 IS NULL OR t2 > t1 + INTERVAL 30 DAY THEN 1
                 WHEN t3 IS NULL OR t3 > t1 + INTERVAL 30 DAY THEN 2
                 ELSE 3 END) AS reached
               FROM a3 GROUP BY uid)
SELECT count(*) FILTER (WHERE reached >= 1), count(*) FILTER (WHERE reached >= 2),
       count(*) FILTER (WHERE reached >= 3)
FROM depth
"""

# N-day retention of new users: the cohort of the day of their first event, and on each day N
# after it, whether they had any event (on day 0, after the first).
RETENTION = f"""
WITH firsts AS (SELECT uid, min(t) AS t0 FROM ev GROUP BY uid),
     cohort AS (SELECT uid, t0, CAST(t0 AS DATE) AS day FROM firsts
                WHERE t0 >= {FROM} AND t0 < {TO}),
     returns AS (SELECT DISTINCT c.uid, c.day, datediff('day', c.day, CAST(e.t AS DATE)) AS n
                 FROM cohort c JOIN ev e ON e.uid = c.uid AND e.t > c.t0)
SELECT day, -1 AS n, count(*) FROM cohort GROUP BY day
UNION ALL
SELECT day, n, count(*) FROM returns GROUP BY day, n
"""


def timed(sql, fetch=True):
    best, rows = None, None
    for _ in range(3):
        started = time.perf_counter()
        rows = con.execute(sql).fetchall() if fetch else con.execute(sql)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, rows


started = time.perf_counter()
con.execute(LOAD)
load = time.perf_counter() - started
events = con.execute("SELECT count(*) FROM ev").fetchone()[0]

segmentation_time, segmentation = timed(SEGMENTATION)
_, segmentation_totals = timed(SEGMENTATION_TOTALS)
funnel_time, funnel = timed(FUNNEL)
retention_time, retention = timed(RETENTION)


def label(day):
    return day.strftime("%b ") + str(day.day)


by_country = {}
for country, day, users in segmentation:
    by_country.setdefault(country, {})[day.isoformat()] = users
cohorts = {}
for day, n, users in retention:
    cohorts.setdefault(label(day), {})[n] = users

print(json.dumps({
    "events": events,
    "load": load,
    "segmentation": segmentation_time,
    "funnel": funnel_time,
    "retention": retention_time,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "answers": {
        "segmentation": by_country,
        "segmentation_totals": {country: users for country, users in segmentation_totals},
        "funnel": list(funnel[0]),
        "retention": cohorts,
    },
}))

"""Live clustering at ingest: each new mention joins the cluster it near-duplicates, or opens one.

Two calls from the ingestion pipeline, both set-based:

- `clusters_plan`, before the mentions' INSERT: one query finds every candidate cluster of the batch
  (`bands && keys`), the batch is assigned in memory (`inbox.clustering`), one INSERT opens the new
  clusters, and each row gets its `cluster_id`, so the mention is written once, with its cluster.
- `clusters_record`, after it, with the rows really inserted: one INSERT appends the batch's tallies
  (per cluster: count, authors and their followers, sentiment mix, last seen, sample), one DELETE
  drops the clusters opened for mentions that turned out to be duplicates.
- `clusters_fold`, after the commit, by whichever worker takes the fold lock: the pending tallies
  are added to the counters in one UPDATE; the (cluster, author) pairs are inserted into
  `MentionClusterAuthor` first and only those really inserted add an author and reach. No ingest
  transaction holds a cluster row lock, so two workers on one channel never queue on a cluster.

Clusters are per channel (replies go out through its connector) and so per brand. A closed cluster,
or one silent for `INBOX_CLUSTER_WINDOW_HOURS`, takes no new mentions; a cluster of one mention is a
candidate for `INBOX_CLUSTER_SINGLETON_MINUTES` only, which keeps each lookup small. Two batches of one channel
committed at the same instant may open twin clusters for a new topic; later mentions join one of them.
Clustering needs PostgreSQL (array overlap, GIN); elsewhere it is off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crisisdesk.locks import transaction_lock_try
from crisisdesk.transactions import commit_asynchronously
from inbox import clustering
from inbox.cluster_models import ClusterStatus, MentionCluster, MentionClusterAuthor, MentionClusterTally
from inbox.models import Channel

TABLE = MentionCluster._meta.db_table
AUTHORS_TABLE = MentionClusterAuthor._meta.db_table
TALLIES_TABLE = MentionClusterTally._meta.db_table
FOLD_LOCK = "inbox.clusters_fold"
FOLD_CHUNK = 2000


@dataclass
class ClusterPlan:
    """What `clusters_plan` decided for one batch, for `clusters_record` to count."""

    new_cluster_ids: set[int] = field(default_factory=set)
    now: datetime | None = None


def clustering_enabled() -> bool:
    return bool(getattr(settings, "INBOX_CLUSTERING", True)) and connection.vendor == "postgresql"


def cluster_window() -> timedelta:
    return timedelta(hours=float(getattr(settings, "INBOX_CLUSTER_WINDOW_HOURS", 24)))


def singleton_window() -> timedelta:
    """A mention nothing joined stays a candidate this long: it bounds the lookup to recent traffic."""
    return timedelta(minutes=float(getattr(settings, "INBOX_CLUSTER_SINGLETON_MINUTES", 60)))


def clusters_plan(*, channel: Channel, rows: dict[str, dict[str, Any]]) -> ClusterPlan | None:
    """Give every row of the batch a `cluster_id`, opening clusters where nothing matches.

    Costs one SELECT and at most one INSERT per batch (per 1,000 new clusters), never a query per mention.
    """
    if not rows or not clustering_enabled():
        return None
    values = list(rows.values())
    now = values[0]["received_at"]
    # Copies (retweets, copy-pasted complaints) are fingerprinted and placed once.
    distinct: dict[str, int] = {}
    positions = [distinct.setdefault(clustering.text_normalise(row["text"]), len(distinct)) for row in values]
    firsts = {position: index for index, position in reversed(list(enumerate(positions)))}
    signatures = clustering.normalised_signatures(list(distinct))
    bands = clustering.band_keys(signatures)
    existing = _candidates(channel=channel, keys=np.unique(bands).tolist(), now=now)
    choices, opened = clustering.batch_assign(existing, signatures, bands)
    new_ids = _clusters_open(
        channel=channel,
        representatives=[(values[firsts[i]]["text"], signatures[i].tolist(), bands[i].tolist()) for i in opened],
        now=now,
    )
    for row, position in zip(values, positions, strict=True):
        choice = choices[position]
        row["cluster_id"] = new_ids[-1 - choice] if choice < 0 else choice
    return ClusterPlan(new_cluster_ids=set(new_ids), now=now)


def _candidates(*, channel: Channel, keys: list[int], now: datetime) -> list[tuple[int, list[int], list[int]]]:
    """The open clusters of the channel sharing a band key with the batch: (id, signature, bands), one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, signature, bands FROM {TABLE} WHERE channel_id = %s AND status <> %s "
            "AND last_seen_at >= %s AND (mention_count > 1 OR first_seen_at >= %s) AND bands && %s::bigint[]",
            [channel.pk, ClusterStatus.CLOSED.value, now - cluster_window(), now - singleton_window(), _array(keys)],
        )
        return cursor.fetchall()


def _array(values: list[int]) -> str:
    """A bigint[] literal: thousands of keys go as one string, not as one adapted parameter each."""
    return "{" + ",".join(map(str, values)) + "}"


def _clusters_open(
    *, channel: Channel, representatives: list[tuple[str, list[int], list[int]]], now: datetime
) -> list[int]:
    """INSERT the batch's new clusters with empty counters (`clusters_record` fills them); their ids in order."""
    if not representatives:
        return []
    columns = (
        "brand, channel_id, signature, bands, representative_text, mention_count, author_count, reach, "
        "negative, neutral, positive, first_seen_at, last_seen_at, status"
    )
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(representatives), 1000):
            chunk = representatives[start : start + 1000]
            params: list[Any] = []
            for text, signature, bands in chunk:
                params += [channel.brand, channel.pk, _array(signature), _array(bands), text[:1000]]
                params += [now, now, ClusterStatus.OPEN.value]
            slots = "(%s, %s, %s::bigint[], %s::bigint[], %s, 0, 0, 0, 0, 0, 0, %s, %s, %s)"
            cursor.execute(
                f"INSERT INTO {TABLE} ({columns}) VALUES {', '.join([slots] * len(chunk))} RETURNING id", params
            )
            ids += [int(row[0]) for row in cursor.fetchall()]
    return ids


def clusters_record(
    *, plan: ClusterPlan | None, inserted: list[tuple[int, str]], rows: dict[str, dict[str, Any]]
) -> None:
    """Tally the mentions really inserted for their clusters; drop clusters opened for duplicates only.

    The tallies are new rows (no lock on a shared cluster row); `clusters_fold` adds them to the
    counters once the batch has committed.
    """
    if plan is None:
        return
    totals: dict[int, dict[str, Any]] = {}
    for mention_id, external_id in inserted:
        row = rows[external_id]
        _total_add(
            totals,
            cluster_id=row["cluster_id"],
            count=1,
            sample=mention_id,
            authors={row["author_id"]: row.get("_followers", 0)},
            sentiment={row["sentiment"] or "neutral": 1},
            seen=plan.now,
        )
    unused = plan.new_cluster_ids - totals.keys()
    with connection.cursor() as cursor:
        if unused:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = ANY(%s)", [sorted(unused)])
        if totals:
            _tallies_insert(cursor, totals=totals)
    if totals:
        transaction.on_commit(clusters_fold)


def _total_add(
    totals: dict[int, dict[str, Any]],
    *,
    cluster_id: int,
    count: int,
    sample: int,
    authors: dict[int, int],
    sentiment: dict[str, int],
    seen: datetime | None,
) -> None:
    """Merge one mention or one tally into the per-cluster totals (`clusters_record`, `clusters_fold`)."""
    total = totals.setdefault(
        cluster_id, {"count": 0, "sample": sample, "authors": {}, "sentiment": defaultdict(int), "seen": seen}
    )
    total["count"] += count
    total["sample"] = min(total["sample"], sample)
    for author, followers in authors.items():
        total["authors"].setdefault(author, followers)
    for label, number in sentiment.items():
        total["sentiment"][label] += number
    if seen is not None and (total["seen"] is None or seen > total["seen"]):
        total["seen"] = seen


def _tallies_insert(cursor, *, totals: dict[int, dict[str, Any]]) -> None:
    params: list[Any] = []
    for cluster_id, total in totals.items():
        sentiment = total["sentiment"]
        params += [cluster_id, total["count"], sentiment["negative"], sentiment["neutral"], sentiment["positive"]]
        params += [total["sample"], _array(list(total["authors"])), _array(list(total["authors"].values()))]
        params.append(total["seen"] or timezone.now())
    slots = ", ".join(["(%s, %s, %s, %s, %s, %s, %s::bigint[], %s::bigint[], %s)"] * len(totals))
    cursor.execute(
        f"INSERT INTO {TALLIES_TABLE} (cluster_id, mentions, negative, neutral, positive, sample_mention_id, "
        f"author_ids, author_followers, seen_at) VALUES {slots}",
        params,
    )


def clusters_fold(*, rounds: int = 20) -> int:
    """Add every pending tally to its cluster's counters; the mentions folded.

    Whoever takes the fold lock folds for everyone, in short transactions of up to `FOLD_CHUNK`
    tallies, until none is left; a worker that finds the lock taken goes on at once (the holder
    folds its tallies too, or the next batch or the beat's `inbox.clusters_fold` does).
    """
    folded = 0
    for _ in range(rounds):
        with transaction.atomic():
            if not transaction_lock_try(FOLD_LOCK):
                return folded
            commit_asynchronously()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {TALLIES_TABLE} WHERE id IN (SELECT id FROM {TALLIES_TABLE} ORDER BY id LIMIT %s) "
                    "RETURNING cluster_id, mentions, negative, neutral, positive, sample_mention_id, author_ids, "
                    "author_followers, seen_at",
                    [FOLD_CHUNK],
                )
                taken = cursor.fetchall()
                if not taken:
                    return folded
                totals: dict[int, dict[str, Any]] = {}
                for cluster_id, count, negative, neutral, positive, sample, authors, followers, seen in taken:
                    _total_add(
                        totals,
                        cluster_id=cluster_id,
                        count=count,
                        sample=sample,
                        authors=dict(zip(authors, followers, strict=True)),
                        sentiment={"negative": negative, "neutral": neutral, "positive": positive},
                        seen=seen,
                    )
                    folded += count
                counted = _authors_count(cursor, totals=totals)
                _counters_add(cursor, totals=totals, counted=counted)
    return folded


def _authors_count(cursor, *, totals: dict[int, dict[str, Any]]) -> set[tuple[int, int]]:
    """The (cluster, author) pairs this batch counts for the first time, so an author's reach counts once.

    Inserted in key order: two batches waiting on each other's pairs always wait in the same order,
    so they queue instead of deadlocking.
    """
    pairs = sorted((cluster_id, author) for cluster_id, total in totals.items() for author in total["authors"])
    counted: set[tuple[int, int]] = set()
    for start in range(0, len(pairs), 1000):
        chunk = pairs[start : start + 1000]
        cursor.execute(
            f"INSERT INTO {AUTHORS_TABLE} (cluster_id, author_id) VALUES {', '.join(['(%s, %s)'] * len(chunk))} "
            "ON CONFLICT DO NOTHING RETURNING cluster_id, author_id",
            [value for pair in chunk for value in pair],
        )
        counted.update((int(cluster_id), int(author_id)) for cluster_id, author_id in cursor.fetchall())
    return counted


def _counters_add(cursor, *, totals: dict[int, dict[str, Any]], counted: set[tuple[int, int]]) -> None:
    """One UPDATE … FROM (VALUES …) for every cluster the batch touched, in id order."""
    params: list[Any] = []
    for cluster_id in sorted(totals):
        total = totals[cluster_id]
        new_authors = {a: f for a, f in total["authors"].items() if (cluster_id, a) in counted}
        sentiment = total["sentiment"]
        params += [cluster_id, total["count"], len(new_authors), sum(new_authors.values())]
        params += [sentiment["negative"], sentiment["neutral"], sentiment["positive"], total["sample"]]
        params.append(total["seen"] or timezone.now())
    slots = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s::timestamptz)"] * len(totals))
    cursor.execute(
        f"WITH batch(id, n, authors, reach, negative, neutral, positive, sample, seen) AS (VALUES {slots}) "
        f"UPDATE {TABLE} SET mention_count = {TABLE}.mention_count + batch.n, "
        f"author_count = {TABLE}.author_count + batch.authors, reach = {TABLE}.reach + batch.reach, "
        f"negative = {TABLE}.negative + batch.negative, neutral = {TABLE}.neutral + batch.neutral, "
        f"positive = {TABLE}.positive + batch.positive, last_seen_at = GREATEST({TABLE}.last_seen_at, batch.seen), "
        f"sample_mention_id = COALESCE({TABLE}.sample_mention_id, batch.sample) "
        f"FROM batch WHERE {TABLE}.id = batch.id",
        params,
    )

"""The inbox's rollups: volumes per minute and per hour, and first-response times per hour."""

from __future__ import annotations

from django.db import models

from inbox.models import Channel


class MentionMinuteStat(models.Model):
    """Per-minute rollup of incoming mentions, kept by the pipeline in bulk; dashboards and detection read it."""

    minute = models.DateTimeField()
    brand = models.CharField(max_length=80)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=80, default="", blank=True)
    volume = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    high_reach = models.PositiveIntegerField(default=0)
    # The sum of the minute's mentions' reach weights (`inbox.stats.reach_weight`): followers and engagement.
    reach = models.FloatField(default=0.0, db_default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["minute", "brand", "channel", "topic"], name="minute_stat_unique")
        ]
        indexes = [models.Index(fields=["brand", "topic", "minute"])]

    def __str__(self) -> str:
        return f"{self.brand}/{self.topic or '*'} {self.minute:%Y-%m-%d %H:%M}: {self.volume}"


class MentionHourStat(models.Model):
    """The per-minute rollup summed per hour (`inbox.stats.hour_stats_roll`, every minute by beat).

    A year holds as many minute rows as mentions (a row per minute, channel and topic); a dashboard
    range of days reads its whole hours here, 60 times fewer rows, and only its ragged ends per minute.
    Hours are rolled oldest first without a gap, so every hour between the first and the last is here.
    """

    hour = models.DateTimeField()
    brand = models.CharField(max_length=80)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    topic = models.CharField(max_length=80, default="", blank=True)
    volume = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    positive = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)
    high_reach = models.PositiveIntegerField(default=0)
    reach = models.FloatField(default=0.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "brand", "channel", "topic"], name="hour_stat_unique")]

    def __str__(self) -> str:
        return f"{self.brand}/{self.topic or '*'} {self.hour:%Y-%m-%d %H}h: {self.volume}"


class MentionResponseStat(models.Model):
    """How many of a brand's mentions received in an hour were first answered after how long.

    A histogram of first-response times (`inbox.stats.response_bucket`: buckets 25% wide), counted by
    the reply services as a first response is given or taken back: the dashboard's response times over
    weeks read it instead of every mention of the range.
    """

    hour = models.DateTimeField()
    brand = models.CharField(max_length=80)
    bucket = models.PositiveSmallIntegerField()
    answered = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "brand", "bucket"], name="response_stat_unique")]

    def __str__(self) -> str:
        return f"{self.brand} {self.hour:%Y-%m-%d %H}h bucket {self.bucket}: {self.answered}"

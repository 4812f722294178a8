"""The response histogram: each first response is counted as it is given and taken back with an undo,
so the dashboard's response times over weeks never read every mention of the range."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox import services
from inbox.models import MentionResponseStat
from inbox.stats import histogram_percentile, hour_floor, response_bucket, response_bucket_bounds
from tests.factories import ChannelFactory, MentionFactory

pytestmark = pytest.mark.django_db


def test_a_first_reply_is_counted_once_in_its_hour_and_an_undo_takes_it_back(community_manager, settings):
    # given a mention that arrived ten minutes ago, and replies that wait ten seconds before they are sent
    settings.REPLY_UNDO_SECONDS = 10
    received = timezone.now() - timedelta(minutes=10)
    mention = MentionFactory(channel=ChannelFactory(brand="Telco"), received_at=received, posted_at=received)

    # when Ana replies twice
    first = services.reply_queue(mention_id=mention.pk, author=community_manager, body="Lo miramos")
    services.reply_queue(mention_id=mention.pk, author=community_manager, body="Ya está resuelto")

    # then the mention counts once, in its hour, in the bucket of about ten minutes
    (stat,) = MentionResponseStat.objects.all()
    assert (stat.hour, stat.brand, stat.answered) == (hour_floor(received), "Telco", 1)
    low, high = response_bucket_bounds(stat.bucket)
    assert low <= 600 < high * 1.01

    # when she undoes both replies, then the first response is taken back from the histogram
    services.reply_cancel(reply_id=first.pk, actor=community_manager)
    assert MentionResponseStat.objects.get().answered == 1
    second = mention.replies.exclude(pk=first.pk).get()
    services.reply_cancel(reply_id=second.pk, actor=community_manager)
    assert MentionResponseStat.objects.get().answered == 0


def test_histogram_quantiles_are_within_a_few_percent_of_the_exact_ones():
    # given a thousand response times from one second to about three hours
    seconds = [1.0 + (index**2) / 100 for index in range(1000)]
    counts: dict[int, int] = {}
    for value in seconds:
        counts[response_bucket(value)] = counts.get(response_bucket(value), 0) + 1

    # then the histogram's median and 90th percentile are within 6% of the exact ones
    exact = sorted(seconds)
    assert histogram_percentile(counts, 0.5) == pytest.approx(exact[499], rel=0.06)
    assert histogram_percentile(counts, 0.9) == pytest.approx(exact[899], rel=0.06)
    assert histogram_percentile({}, 0.5) is None

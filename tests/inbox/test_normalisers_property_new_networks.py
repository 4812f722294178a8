"""Bluesky, Discourse, YouTube, Threads and Google Business Profile normalisers fed arbitrary Unicode and
JSON shapes (see test_normalisers_property.py): a storable mention, ItemInvalid, or for a whole payload
ConnectorError."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from inbox.connectors.bluesky import BlueskyConnector
from inbox.connectors.discourse import DiscourseConnector
from inbox.connectors.google_business import GoogleBusinessConnector
from inbox.connectors.threads import ThreadsConnector
from inbox.connectors.youtube import YouTubeConnector
from tests.inbox.test_normalisers_property import (
    SETTINGS,
    anything,
    dates,
    ids,
    json_values,
    loose,
    normalise_path,
    parse_path,
    text,
)

bluesky_records = anything(
    loose(
        **{"$type": st.sampled_from(["app.bsky.feed.post", "app.bsky.feed.like"])},
        text=text,
        createdAt=dates,
        langs=json_values,
        reply=anything(loose(root=anything(loose(uri=ids, cid=ids)), parent=anything(loose(uri=ids, cid=ids)))),
    )
)
bluesky_posts = anything(
    loose(
        uri=ids,
        cid=ids,
        reason=st.sampled_from(["mention", "reply", "quote", "like"]),
        indexedAt=dates,
        author=anything(loose(did=ids, handle=text, displayName=text, createdAt=dates)),
        record=bluesky_records,
    )
)
discourse_posts = anything(
    loose(
        id=ids,
        topic_id=ids,
        post_number=json_values,
        post_type=st.sampled_from([1, 2, 3, None]),
        cooked=text,
        raw=text,
        created_at=dates,
        user_id=ids,
        username=text,
        name=text,
        topic_title=text,
        topic_slug=text,
    )
)
youtube_comments = anything(
    loose(
        id=ids,
        snippet=anything(
            loose(
                textOriginal=text,
                textDisplay=text,
                publishedAt=dates,
                authorChannelId=anything(loose(value=ids)),
                authorDisplayName=text,
                parentId=ids,
                videoId=text,
            )
        ),
    )
)
youtube_threads = anything(
    loose(
        id=ids,
        snippet=anything(loose(topLevelComment=youtube_comments)),
        replies=anything(loose(comments=st.lists(youtube_comments, max_size=2))),
    )
)
threads_posts = anything(
    loose(
        id=ids,
        text=text,
        username=text,
        permalink=text,
        timestamp=dates,
        is_reply_owned_by_me=json_values,
        root_post=anything(loose(id=ids)),
        replied_to=anything(loose(id=ids)),
    )
)
google_reviews = anything(
    loose(
        reviewId=ids,
        comment=text,
        starRating=st.sampled_from(["ONE", "THREE", "FIVE", "STAR_RATING_UNSPECIFIED", None]),
        createTime=dates,
        updateTime=dates,
        reviewer=anything(loose(displayName=text, isAnonymous=json_values)),
        reviewReply=anything(loose(comment=text, updateTime=dates)),
    )
)


@SETTINGS
@given(bluesky_posts)
def test_bluesky_normaliser(post):
    normalise_path(lambda: BlueskyConnector().normalise(post))


@SETTINGS
@given(anything(loose(notifications=st.lists(bluesky_posts, max_size=3)) | st.lists(bluesky_posts, max_size=3)))
def test_bluesky_payloads(payload):
    parse_path(BlueskyConnector(), payload)


@SETTINGS
@given(discourse_posts)
def test_discourse_normaliser(post):
    normalise_path(lambda: DiscourseConnector(base_url="https://forum.example").normalise(post))


@SETTINGS
@given(anything(loose(post=discourse_posts) | loose(latest_posts=st.lists(discourse_posts, max_size=3))))
def test_discourse_payloads(payload):
    parse_path(DiscourseConnector(base_url="https://forum.example"), payload)


@SETTINGS
@given(youtube_comments, text)
def test_youtube_normaliser(comment, thread_id):
    normalise_path(lambda: YouTubeConnector().normalise(comment, thread_id=thread_id))


@SETTINGS
@given(anything(loose(items=st.lists(st.one_of(youtube_threads, youtube_comments), max_size=3))))
def test_youtube_payloads(payload):
    parse_path(YouTubeConnector(), payload)


@SETTINGS
@given(threads_posts)
def test_threads_normaliser(post):
    normalise_path(lambda: ThreadsConnector().normalise(post))


@SETTINGS
@given(
    anything(
        loose(data=st.lists(threads_posts, max_size=3))
        | loose(values=anything(loose(field=st.sampled_from(["replies", "mentions", "publish"]), value=threads_posts)))
    )
)
def test_threads_payloads(payload):
    parse_path(ThreadsConnector(), payload)


@SETTINGS
@given(google_reviews)
def test_google_business_normaliser(review):
    normalise_path(lambda: GoogleBusinessConnector().normalise(review))


@SETTINGS
@given(anything(loose(reviews=st.lists(google_reviews, max_size=3)) | st.lists(google_reviews, max_size=3)))
def test_google_business_payloads(payload):
    parse_path(GoogleBusinessConnector(), payload)

"""Crisis clusters over HTTP: the list by size, one cluster with its trend and mentions, bulk actions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.conditional import ConditionalListMixin
from crisisdesk.roles import CONSOLE_STAFF
from inbox import cluster_actions, cluster_selectors, selectors, services
from inbox.api.views import ACTORS
from inbox.cluster_models import MentionCluster


class ClusterSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.kind", read_only=True)
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    sentiment = serializers.DictField(source="sentiment_mix", child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = MentionCluster
        fields = [
            "id",
            "brand",
            "channel",
            "channel_name",
            "representative_text",
            "sample_mention",
            "mention_count",
            "author_count",
            "reach",
            "sentiment",
            "first_seen_at",
            "last_seen_at",
            "status",
        ]
        read_only_fields = fields


class ClusterMentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.SerializerMethodField()
    followers = serializers.IntegerField(source="author.followers")
    sentiment = serializers.CharField()
    status = serializers.CharField()
    is_hidden = serializers.BooleanField()
    received_at = serializers.DateTimeField()

    def get_author(self, mention) -> str:
        return f"@{mention.author.handle or mention.author.external_id}"


class ClusterDetailSerializer(ClusterSerializer):
    trend = serializers.SerializerMethodField(help_text="Mentions per minute over the last 30 minutes, oldest first.")
    mentions = serializers.SerializerMethodField()

    class Meta(ClusterSerializer.Meta):
        fields = [*ClusterSerializer.Meta.fields, "trend", "mentions"]
        read_only_fields = fields

    def get_trend(self, cluster) -> list[int]:
        return cluster_selectors.cluster_trend(cluster_id=cluster.pk)

    def get_mentions(self, cluster) -> list[dict]:
        mentions = cluster_selectors.cluster_mentions(cluster_id=cluster.pk, limit=100)
        return list(ClusterMentionSerializer(mentions, many=True).data)


class ClusterAnswerSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    zone_fallback = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class ClusterHideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    as_troll = serializers.BooleanField(required=False, default=False)


class ClusterAssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True, required=False)


class ClusterActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    total = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    percent = serializers.IntegerField()
    finished = serializers.BooleanField()


class ClusterListView(ConditionalListMixin, generics.ListAPIView):
    """Polled by wallboards: a weak ETag from the clusters as read (with their channel), 304 when unchanged."""

    allowed_roles = CONSOLE_STAFF
    serializer_class = ClusterSerializer
    pagination_class = None

    def get_queryset(self):
        status_filter = self.request.query_params.get("status", "")
        if status_filter not in ("", "open", "answered", "closed"):
            raise ValidationError({"status": "One of open, answered, closed."})
        return cluster_selectors.clusters_list(status=status_filter, brand=self.request.query_params.get("brand", ""))


class ClusterDetailView(generics.RetrieveAPIView):
    allowed_roles = CONSOLE_STAFF
    serializer_class = ClusterDetailSerializer

    def get_object(self):
        cluster = cluster_selectors.cluster_detail(cluster_id=self.kwargs["pk"])
        if cluster is None:
            raise NotFound("No cluster with that id.")
        return cluster


def _run(action):
    try:
        return action()
    except services.MentionNotFound as error:
        raise NotFound(str(error)) from error
    except services.InboxError as error:
        raise ValidationError({"detail": str(error)}) from error


def _progress(action_id: int) -> Response:
    progress = cluster_selectors.cluster_action_progress(action_id=action_id)
    if progress is None:
        raise NotFound("No cluster action with that id.")
    return Response(ClusterActionSerializer(progress).data)


class ClusterAnswerView(APIView):
    allowed_roles = ACTORS

    @extend_schema(request=ClusterAnswerSerializer, responses={202: ClusterActionSerializer})
    def post(self, request, pk: int):
        serializer = ClusterAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = _run(
            lambda: cluster_actions.cluster_answer(cluster_id=pk, actor=request.user, **serializer.validated_data)
        )
        response = _progress(action.pk)
        response.status_code = status.HTTP_202_ACCEPTED
        return response


class ClusterHideView(APIView):
    allowed_roles = ACTORS

    @extend_schema(request=ClusterHideSerializer, responses=ClusterActionSerializer)
    def post(self, request, pk: int):
        serializer = ClusterHideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action = _run(
            lambda: cluster_actions.cluster_hide(cluster_id=pk, actor=request.user, **serializer.validated_data)
        )
        return _progress(action.pk)


class ClusterAssignView(APIView):
    allowed_roles = ACTORS

    @extend_schema(request=ClusterAssignSerializer, responses=ClusterActionSerializer)
    def post(self, request, pk: int):
        serializer = ClusterAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee = request.user
        if "assignee" in serializer.validated_data:
            assignee_id = serializer.validated_data["assignee"]
            assignee = None if assignee_id is None else selectors.community_managers().filter(pk=assignee_id).first()
            if assignee_id is not None and assignee is None:
                raise ValidationError({"assignee": "No community manager with that id."})
        action = _run(lambda: cluster_actions.cluster_assign(cluster_id=pk, actor=request.user, assignee=assignee))
        return _progress(action.pk)


class ClusterActionProgressView(APIView):
    allowed_roles = CONSOLE_STAFF

    @extend_schema(responses=ClusterActionSerializer)
    def get(self, request, pk: int):
        return _progress(pk)

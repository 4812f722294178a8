"""Scheduled posts, the publishing suspension and publishing a statement over HTTP: parse, authorise by
role, call one service. The same services as the calendar page, so the same four eyes and checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.models import User
from inbox.models import ScheduledPost, ScheduledPostStatus
from inbox.post_checks import post_check, publishing_in_crisis
from playbooks import publishing_selectors as selectors
from playbooks import services
from playbooks.api.views import NewestFirst
from playbooks.models import PublishingSuspension
from playbooks.services.posts import MAX_POST_LENGTH
from playbooks.services.suspension import MAX_REASON_LENGTH

T = TypeVar("T")


class TimePassed(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "time_passed"


def _run(action: Callable[[], T]) -> T:
    """Call a service, turning its refusals into 404, 403, 409 (a held post's time passed) and 400."""
    try:
        return action()
    except (services.OutboxNotFound, services.CrisisNotFound) as error:
        raise NotFound(str(error)) from error
    except (services.OutboxForbidden, services.CrisisForbidden) as error:
        raise PermissionDenied(str(error)) from error
    except services.PostTimePassed as error:
        raise TimePassed(str(error)) from error
    except (services.OutboxError, services.CrisisError) as error:
        raise ValidationError({"detail": str(error)}) from error


def _user(request: Request) -> User:
    return cast(User, request.user)


class ScheduledPostSerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", default=None, read_only=True)
    checks = serializers.SerializerMethodField(help_text="The composer's pre-send checks: refusal and warnings.")

    class Meta:
        model = ScheduledPost
        fields = [
            "id", "channel", "channel_name", "body", "scheduled_at", "status", "created_by", "approved_by",
            "approved_at", "held_at", "external_id", "error", "published_at", "checks",
        ]

    def get_checks(self, post: ScheduledPost) -> dict[str, Any]:
        return post_check(kind=post.channel.kind, text=post.body, in_crisis=self.context.get("in_crisis")).as_dict()


class PostWriteSerializer(serializers.Serializer):
    channel = serializers.IntegerField()
    scheduled_at = serializers.DateTimeField()
    body = serializers.CharField(max_length=MAX_POST_LENGTH)


class PostEditSerializer(serializers.Serializer):
    channel = serializers.IntegerField(required=False)
    scheduled_at = serializers.DateTimeField(required=False)
    body = serializers.CharField(max_length=MAX_POST_LENGTH, required=False)


class ReleaseSerializer(serializers.Serializer):
    publish_now = serializers.BooleanField(default=False)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class SuspensionSerializer(serializers.ModelSerializer):
    started_by = serializers.CharField(source="started_by.username", default=None, read_only=True)

    class Meta:
        model = PublishingSuspension
        fields = ["id", "reason", "crisis", "started_by", "started_at", "ended_at"]


class SuspensionStateSerializer(serializers.Serializer):
    suspension = SuspensionSerializer(allow_null=True)
    held = ScheduledPostSerializer(many=True)


class SuspendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH)


class StatementPublishSerializer(serializers.Serializer):
    channels = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20)


class PostListView(generics.ListCreateAPIView):
    allowed_roles = services.PUBLISHERS
    serializer_class = ScheduledPostSerializer
    pagination_class = NewestFirst

    def get_serializer_context(self) -> dict[str, Any]:
        """Whether a crisis is on is read once for the page, not once per post."""
        return {**super().get_serializer_context(), "in_crisis": publishing_in_crisis()}

    def get_queryset(self) -> QuerySet[ScheduledPost]:
        queryset = ScheduledPost.objects.select_related("channel", "created_by", "approved_by")
        status_filter = self.request.query_params.get("status")
        if status_filter and status_filter not in ScheduledPostStatus.values:
            raise ValidationError({"status": f"Choose one of: {', '.join(ScheduledPostStatus.values)}."})
        return queryset.filter(status=status_filter) if status_filter else queryset

    @extend_schema(request=PostWriteSerializer, responses={201: ScheduledPostSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PostWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        post = _run(
            lambda: services.scheduled_post_create(
                channel_id=data["channel"], body=data["body"], scheduled_at=data["scheduled_at"], actor=_user(request)
            )
        )
        return Response(ScheduledPostSerializer(post).data, status=status.HTTP_201_CREATED)


class PostDetailView(APIView):
    allowed_roles = services.PUBLISHERS

    def _get(self, pk: int) -> ScheduledPost:
        post = selectors.post_get(post_id=pk)
        if post is None:
            raise NotFound("No scheduled post with that id.")
        return post

    @extend_schema(responses=ScheduledPostSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ScheduledPostSerializer(self._get(pk)).data)

    @extend_schema(request=PostEditSerializer, responses=ScheduledPostSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        serializer = PostEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        _run(
            lambda: services.scheduled_post_edit(
                post_id=pk, actor=_user(request), body=data.get("body"), scheduled_at=data.get("scheduled_at"),
                channel_id=data.get("channel"),
            )
        )
        return Response(ScheduledPostSerializer(self._get(pk)).data)


class PostActionView(APIView):
    """POST …/submit/, …/approve/ (not by its author), …/cancel/, …/release/ (a held post)."""

    allowed_roles = services.PUBLISHERS

    @extend_schema(operation_id="scheduled_posts_action", request=ReleaseSerializer, responses=ScheduledPostSerializer)
    def post(self, request: Request, pk: int, action: str) -> Response:
        actor = _user(request)
        if action == "release":
            serializer = ReleaseSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            _run(
                lambda: services.scheduled_post_release(
                    post_id=pk, actor=actor, publish_now=data["publish_now"], scheduled_at=data["scheduled_at"]
                )
            )
        else:
            actions = {
                "submit": services.scheduled_post_submit,
                "approve": services.scheduled_post_approve,
                "cancel": services.scheduled_post_cancel,
            }
            if action not in actions:
                raise NotFound("Unknown action: use submit, approve, cancel or release.")
            _run(lambda: actions[action](post_id=pk, actor=actor))
        return Response(ScheduledPostSerializer(selectors.post_get(post_id=pk)).data)


class SuspensionView(APIView):
    """GET: the open suspension (or null) and the held posts. POST {"reason"}: suspend all scheduled publishing."""

    allowed_roles = services.PUBLISHERS

    @extend_schema(responses=SuspensionStateSerializer)
    def get(self, request: Request) -> Response:
        suspension = selectors.publishing_suspension_active()
        return Response(
            {
                "suspension": SuspensionSerializer(suspension).data if suspension else None,
                "held": ScheduledPostSerializer(selectors.posts_held(), many=True).data,
            }
        )

    @extend_schema(request=SuspendSerializer, responses={201: SuspensionSerializer})
    def post(self, request: Request) -> Response:
        serializer = SuspendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suspension = _run(
            lambda: services.publishing_suspend(actor=_user(request), reason=serializer.validated_data["reason"])
        )
        return Response(SuspensionSerializer(suspension).data, status=status.HTTP_201_CREATED)


class SuspensionResumeView(APIView):
    allowed_roles = services.PUBLISHERS

    @extend_schema(request=None, responses=SuspensionSerializer)
    def post(self, request: Request) -> Response:
        suspension = _run(lambda: services.publishing_resume(actor=_user(request)))
        return Response(SuspensionSerializer(suspension).data)


class StatementPublishView(APIView):
    allowed_roles = services.DECLARERS

    @extend_schema(request=StatementPublishSerializer, responses={201: ScheduledPostSerializer(many=True)})
    def post(self, request: Request, pk: int, statement_id: int) -> Response:
        serializer = StatementPublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        posts = _run(
            lambda: services.statement_publish(
                crisis_id=pk, statement_id=statement_id, actor=_user(request),
                channel_ids=serializer.validated_data["channels"],
            )
        )
        return Response(ScheduledPostSerializer(posts, many=True).data, status=status.HTTP_201_CREATED)

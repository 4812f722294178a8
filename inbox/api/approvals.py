"""Reply approvals over HTTP, as on the approvals page: the queue, approve (or edit and approve), reject.

The same rules as the page: a department head has no access, only the approvers a reply names decide it,
never its author; a colleague who decided first, or a conflict with the mention, is a 409 with the reason.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.roles import CONSOLE_STAFF
from inbox import approval_selectors, services
from inbox.api.serializers import ReplyApproveSerializer, ReplyRejectSerializer, ReplySerializer


class ReplyApprovalListView(APIView):
    """The replies waiting for approval that this person may decide, closest to their time limit first."""

    allowed_roles = CONSOLE_STAFF

    @extend_schema(responses=ReplySerializer(many=True))
    def get(self, request):
        pending = approval_selectors.approvals_pending(user=request.user)
        if not approval_selectors.user_is_approver(user=request.user) and not any(p.may_decide for p in pending):
            raise PermissionDenied("You are not an approver of replies.")
        return Response(ReplySerializer([item.reply for item in pending if item.may_decide], many=True).data)


class _DecisionView(APIView):
    allowed_roles = CONSOLE_STAFF

    def decide(self, action) -> Response:
        try:
            reply = action()
        except services.ApprovalConflict as conflict:
            return Response({"detail": str(conflict), "conflicts": conflict.conflicts}, status=status.HTTP_409_CONFLICT)
        except services.ApprovalAlreadyDecided as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except services.MentionNotFound as error:
            raise NotFound(str(error)) from error
        except services.InboxError as error:
            raise ValidationError({"detail": str(error)}) from error
        return Response(ReplySerializer(reply).data)


class ReplyApproveView(_DecisionView):
    @extend_schema(request=ReplyApproveSerializer, responses={200: ReplySerializer})
    def post(self, request, pk: int):
        serializer = ReplyApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data.get("body") or None
        confirm = serializer.validated_data["confirm"]
        return self.decide(lambda: services.reply_approve(reply_id=pk, actor=request.user, body=body, confirm=confirm))


class ReplyRejectView(_DecisionView):
    @extend_schema(request=ReplyRejectSerializer, responses={200: ReplySerializer})
    def post(self, request, pk: int):
        serializer = ReplyRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = serializer.validated_data["comment"]
        return self.decide(lambda: services.reply_reject(reply_id=pk, actor=request.user, comment=comment))

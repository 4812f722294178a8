"""API tokens and outgoing webhooks over HTTP: parse, authorise (roles), call one selector or service."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crisisdesk.login_policy import LoginHeld, login_retry_after_seconds
from crisisdesk.models import Role
from crisisdesk.roles import EVERYONE, public, user_role
from crisisdesk.throttling import AnonRateThrottle
from integrations import selectors, services
from integrations.api.serializers import (
    ApiLoginSerializer,
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
)
from integrations.services import (
    WebhookError,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)

ADMINS = frozenset({Role.ADMIN})


class ApiTokenView(APIView):
    """The current user's API token: see when it was made, create a new one (shown once), revoke it."""

    allowed_roles = EVERYONE

    @extend_schema(responses={200: ApiTokenSerializer, 404: None})
    def get(self, request):
        token = selectors.api_token_for_user(user=request.user)
        if token is None:
            raise NotFound("You have no API token.")
        return Response(ApiTokenSerializer(token).data)

    @extend_schema(request=None, responses={201: ApiTokenCreatedSerializer})
    def post(self, request):
        token = services.api_token_create(user=request.user, via="api")
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 404: None})
    def delete(self, request):
        if not services.api_token_revoke(user=request.user):
            raise NotFound("You have no API token.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenLoginView(APIView):
    """Exchange a username and password for a new token (replacing the old one).

    Held logins (crisisdesk.login_policy) answer 429 with `detail` and Retry-After, even with the right
    password; anonymous calls are rate-limited per address as well."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=ApiLoginSerializer, responses={201: ApiTokenCreatedSerializer}, auth=[])
    def post(self, request):
        serializer = ApiLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if getattr(request, "axes_locked_out", False):
            raise LoginHeld(wait=login_retry_after_seconds(request, serializer.validated_data))
        if user is None or user_role(user) is None:
            raise ValidationError({"detail": "Wrong username or password."})
        token = services.api_token_create(user=user, via="api_login")
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


api_token_login_view = public(ApiTokenLoginView.as_view())


class WebhookEndpointListView(APIView):
    """Administrators register the URLs that are told about crises, overdue escalations and hot mentions."""

    allowed_roles = ADMINS

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def get(self, request):
        return Response(WebhookEndpointSerializer(selectors.webhook_endpoint_list(), many=True).data)

    @extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        description=(
            "Register an endpoint; the response carries its signing secret, shown only this once. Every POST "
            "to the endpoint has X-CrisisDesk-Event, X-CrisisDesk-Event-Id (deduplicate on it), "
            "X-CrisisDesk-Delivery, X-CrisisDesk-Timestamp and X-CrisisDesk-Signature: "
            "sha256=hex(HMAC-SHA256(secret, timestamp + '.' + raw body)). Reject old timestamps to stop "
            "replays. URLs must be http(s) and public."
        ),
    )
    def post(self, request):
        serializer = WebhookEndpointWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint = webhook_endpoint_create(actor=request.user, **serializer.validated_data)
        except WebhookError as error:
            raise ValidationError({error.field: str(error)}) from error
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(APIView):
    allowed_roles = ADMINS

    def endpoint(self, pk: int):
        endpoint = selectors.webhook_endpoint_get(endpoint_id=pk)
        if endpoint is None:
            raise NotFound("No webhook endpoint with that id.")
        return endpoint

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, pk: int):
        return Response(WebhookEndpointSerializer(self.endpoint(pk)).data)

    @extend_schema(request=WebhookEndpointWriteSerializer(partial=True), responses=WebhookEndpointSerializer)
    def patch(self, request, pk: int):
        self.endpoint(pk)
        serializer = WebhookEndpointWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint = webhook_endpoint_update(
                endpoint_id=pk, actor=request.user, changes=dict(serializer.validated_data)
            )
        except WebhookError as error:
            raise ValidationError({error.field: str(error)}) from error
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        self.endpoint(pk)
        try:
            webhook_endpoint_delete(endpoint_id=pk, actor=request.user)
        except WebhookError as error:
            raise NotFound(str(error)) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class WebhookDeliveryListView(generics.ListAPIView):
    """The delivery log of one endpoint: every event, its attempts and the last answer received."""

    allowed_roles = ADMINS
    serializer_class = WebhookDeliverySerializer
    pagination_class = DeliveryCursorPagination
    filterset_class = None
    filter_backends: list = []

    def get_queryset(self):
        if selectors.webhook_endpoint_get(endpoint_id=self.kwargs["pk"]) is None:
            raise NotFound("No webhook endpoint with that id.")
        return selectors.webhook_delivery_list(endpoint_id=self.kwargs["pk"])

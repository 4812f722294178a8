"""factory_boy factories for the domain."""

from __future__ import annotations

import factory
from django.utils import timezone

from crisisdesk.models import User
from escalation.models import Department
from inbox.models import Author, Channel, ChannelKind, Mention


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="es_ES")
    email = factory.LazyAttribute(lambda user: f"{user.username}@telco.example")
    role = "community_manager"
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"department-{n}")
    name = factory.LazyAttribute(lambda department: department.slug.title())


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"Simulated channel {n}")
    kind = ChannelKind.SIMULATOR
    brand = "Telco"
    config = factory.LazyFunction(lambda: {"brand": "Telco", "speed": 60})


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    platform = ChannelKind.SIMULATOR
    external_id = factory.Sequence(lambda n: f"author-{n}")
    handle = factory.Sequence(lambda n: f"cliente{n}")
    display_name = factory.Faker("name", locale="es_ES")


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mention

    channel = factory.SubFactory(ChannelFactory)
    author = factory.SubFactory(AuthorFactory)
    external_id = factory.Sequence(lambda n: f"mention-{n}")
    conversation_id = factory.LazyAttribute(lambda mention: mention.external_id)
    text = "Llevo dos días sin servicio de fibra en Madrid"
    posted_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)
    sentiment = "negative"
    category = "complaint"
    priority = 50

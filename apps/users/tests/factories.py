import factory
from allauth.account.models import EmailAddress

from apps.core.address import City
from apps.users.models import Address, User

PASSWORD = "Sahra-Najd-2026!"


class UserFactory(factory.django.DjangoModelFactory):
    """A customer who signed up and confirmed their e-mail address (allauth requires it)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "نورة"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.save()  # keep the password set above
        EmailAddress.objects.create(
            user=obj, email=obj.email, verified=extracted is not False, primary=True
        )


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = "نورة العتيبي"
    phone = "+966512345678"
    city = City.RIYADH
    district = "العليا"
    street = "طريق الملك فهد"
    building_number = "1234"
    postal_code = "12211"
    additional_number = "5678"

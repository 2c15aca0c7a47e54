from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .phones import normalize_phone

# HQ staff roles are Django groups carrying permissions (see migrations/0002).
HQ_ROLES = ("admin", "operator", "finance", "warehouse")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra) -> User:
        user = self.model(phone=normalize_phone(phone), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(phone, password, **extra)

    def get_by_natural_key(self, phone: str | None) -> User:
        return self.get(phone=phone)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in by phone. Roles: HQ staff (is_staff + groups), agent (has an
    agents.Agent), supplier (supplier set), consumer (everyone can buy)."""

    phone = models.CharField(_("phone number"), max_length=20, unique=True,
                             help_text=_("Mainland China or Taiwan mobile, stored as +86… / +886…"))
    name = models.CharField(_("name"), max_length=60, blank=True)
    is_staff = models.BooleanField(_("HQ staff"), default=False,
                                   help_text=_("Can log in to the HQ back office."))
    is_active = models.BooleanField(_("active"), default=True)
    supplier = models.ForeignKey("catalog.Supplier", verbose_name=_("supplier"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="users")
    time_zone = models.CharField(_("time zone"), max_length=40, default=settings.TIME_ZONE,
                                 choices=settings.USER_TIME_ZONES)
    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.name} {self.phone}".strip() if self.name else self.phone

    def get_full_name(self) -> str:
        return self.name or self.phone

    def get_short_name(self) -> str:
        return self.name or self.phone

    def clean(self) -> None:
        super().clean()
        if self.phone:
            self.phone = normalize_phone(self.phone)

    @property
    def is_supplier(self) -> bool:
        return self.supplier_id is not None

    @property
    def is_agent(self) -> bool:
        return hasattr(self, "agent")

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.is_staff:
            roles.append("hq")
            roles.extend(g.name for g in self.groups.all() if g.name in HQ_ROLES)
            if self.is_superuser and "admin" not in roles:
                roles.append("admin")
        if self.is_agent:
            roles.append("agent")
        if self.is_supplier:
            roles.append("supplier")
        roles.append("consumer")
        return roles


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """Bearer token for mobile clients. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    name = models.CharField(_("device"), max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=_hash_token(key), prefix=key[:8], name=name[:60])
        return token, key

    @classmethod
    def authenticate(cls, key: str) -> User | None:
        token = cls.objects.select_related("user").filter(key_hash=_hash_token(key)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user

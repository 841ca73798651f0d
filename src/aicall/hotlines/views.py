"""Public API: the caller's hotline pools (`poolHotlineKey`) and SIP trunks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from aicall.errors import Conflict, NotFound, ValidationFailed
from aicall.hotlines import service as hotline_service
from aicall.hotlines.api_models import PoolList, PoolRead, TrunkList, TrunkRead
from aicall.hotlines.models import HotlinePool, SipTrunk
from aicall.jsontypes import JsonModel
from aicall.telephony.session import TRUNK_TRANSPORTS
from aicall.web.deps import CurrentApp, StateDep
from aicall.web.envelope import ok
from aicall.web.openapi import Envelope, answers

router = APIRouter(prefix="/api/v1/public-api", tags=["hotlines"])


class _Body(JsonModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class PoolCreate(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"key": "POOL_HN", "numbers": ["02473001234"], "perNumberConcurrency": 10}]
        }
    )

    key: str = Field(min_length=1, max_length=100)
    numbers: list[str] = Field(min_length=1, max_length=1000)
    trunk_id: str | None = None
    per_number_concurrency: int = Field(default=10, ge=1, le=1000)
    # The owner declares its numbers registered brand-name numbers (Decree 91/2020/ND-CP): only
    # such a pool may carry an advertising campaign.
    advertising_registered: bool = False
    # For a trunk in the carrier's trust domain that asks for them (RFC 3325 §9.1, RFC 3323 §4.2).
    asserted_identity: str | None = Field(
        default=None,
        max_length=257,
        description="P-Asserted-Identity of every INVITE: a sip:, sips: or global tel: URI",
        examples=["tel:+842473001234"],
    )
    privacy: str | None = Field(
        default=None,
        max_length=64,
        description="Privacy header of every INVITE: id, header, session, user, critical or none, "
        "several joined by ';'",
        examples=["id"],
    )


class PoolUpdate(_Body):
    """Changes to a pool; a field left out keeps its value, `null` clears a nullable one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"numbers": ["02473001234", "02473001235"], "privacy": None}]}
    )

    # Not nullable: a value left out keeps what is stored (the defaults are never applied).
    numbers: list[str] = Field(
        default_factory=list,
        min_length=1,
        max_length=1000,
        description="the pool's whole new list of numbers",
    )
    trunk_id: str | None = Field(default=None, description="null: the simulator")
    per_number_concurrency: int = Field(
        default=10, ge=1, le=1000, description="calls at once per number, for every number"
    )
    advertising_registered: bool = False
    asserted_identity: str | None = Field(
        default=None,
        max_length=257,
        description="P-Asserted-Identity of every INVITE: a sip:, sips: or global tel: URI; null: none",
    )
    privacy: str | None = Field(default=None, max_length=64, description="Privacy header; null: none")

    def changes(self) -> hotline_service.PoolChanges:
        """The fields the request named, as the service takes them."""
        given = self.model_fields_set
        keep = hotline_service.Keep.UNCHANGED
        return hotline_service.PoolChanges(
            numbers=self.numbers if "numbers" in given else keep,
            per_number_concurrency=self.per_number_concurrency if "per_number_concurrency" in given else keep,
            advertising_registered=self.advertising_registered if "advertising_registered" in given else keep,
            trunk_id=self.trunk_id if "trunk_id" in given else keep,
            asserted_identity=self.asserted_identity if "asserted_identity" in given else keep,
            privacy=self.privacy if "privacy" in given else keep,
        )


class TrunkCreate(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "carrier", "host": "sip.example.net", "transport": "udp", "username": "hn01"}
            ]
        }
    )

    host: str = Field(min_length=1, max_length=253)  # the longest DNS name
    port: int = Field(default=5060, ge=1, le=65535)
    transport: str = Field(default="udp", json_schema_extra={"enum": list(TRUNK_TRANSPORTS)})
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=255)
    # `register` itself would shadow BaseModel's ABC `register`.
    register_with_trunk: bool = Field(default=False, alias="register")
    from_domain: str | None = Field(default=None, max_length=255)
    name: str = Field(default="", max_length=200)
    max_concurrent: int = Field(default=100, ge=1, le=10000)


@router.get("/hotline-pools", summary="Pools this application may dial from", **answers(Envelope[PoolList]))
def list_pools(state: StateDep, app: CurrentApp) -> dict[str, Any]:
    with state.db.reading() as session:
        pools = hotline_service.visible_pools(session=session, account_id=app.account_id)
        return ok({"pools": [hotline_service.pool_dict(session, p) for p in pools]})


@router.post("/hotline-pools", summary="Create a pool of caller numbers", **answers(Envelope[PoolRead]))
def create_pool(state: StateDep, app: CurrentApp, body: PoolCreate) -> dict[str, Any]:
    with state.db.transaction() as session:
        if body.trunk_id is not None:
            trunk = session.get(SipTrunk, body.trunk_id)
            if trunk is None or trunk.account_id not in (None, app.account_id):
                raise ValidationFailed("no such SIP trunk", field="trunkId")
        try:
            pool = hotline_service.create_pool(
                session=session,
                key=body.key,
                numbers=body.numbers,
                trunk_id=body.trunk_id,
                account_id=app.account_id,
                per_number_concurrency=body.per_number_concurrency,
                advertising_registered=body.advertising_registered,
                asserted_identity=body.asserted_identity,
                privacy=body.privacy,
            )
        except hotline_service.HotlineError as exc:
            raise ValidationFailed(str(exc), field=to_camel(exc.field) if exc.field else None) from exc
        return ok(hotline_service.pool_dict(session, pool))


@router.patch(
    "/hotline-pools/{pool_id}",
    summary="Change a pool: its numbers, trunk, concurrency, caller identity",
    **answers(Envelope[PoolRead], 404, 409),
)
def update_pool(state: StateDep, app: CurrentApp, pool_id: str, body: PoolUpdate) -> dict[str, Any]:
    """A field left out keeps its value. Only the account's own pools: a shared pool belongs to
    the platform's operator (`aicall pool`), and another account's pool is not found."""
    changes = body.changes()
    with state.db.transaction() as session:
        pool = session.get(HotlinePool, pool_id)
        if pool is None or pool.account_id not in (None, app.account_id):
            raise NotFound("Hotline pool not found")
        if pool.account_id is None:
            raise Conflict(
                "a shared pool is changed by the platform's operator (aicall pool), not by the API"
            )
        try:
            hotline_service.update_pool(session=session, pool=pool, changes=changes)
        except hotline_service.HotlineError as exc:
            raise ValidationFailed(str(exc), field=to_camel(exc.field) if exc.field else None) from exc
        return ok(hotline_service.pool_dict(session, pool))


@router.get("/sip-trunks", summary="SIP trunks of this account", **answers(Envelope[TrunkList]))
def list_trunks(state: StateDep, app: CurrentApp) -> dict[str, Any]:
    with state.db.reading() as session:
        trunks = hotline_service.account_trunks(session=session, account_id=app.account_id)
        return ok({"trunks": [hotline_service.trunk_dict(t) for t in trunks]})


@router.post(
    "/sip-trunks",
    summary="Add a SIP trunk (password stored encrypted, never returned)",
    **answers(Envelope[TrunkRead]),
)
def create_trunk(state: StateDep, app: CurrentApp, body: TrunkCreate) -> dict[str, Any]:
    with state.db.transaction() as session:
        try:
            fields = body.model_dump(exclude={"register_with_trunk"})
            trunk = hotline_service.create_trunk(
                session=session,
                box=state.box,
                account_id=app.account_id,
                register=body.register_with_trunk,
                allow_private=state.settings.sip_allow_private,
                **fields,
            )
        except hotline_service.HotlineError as exc:
            raise ValidationFailed(str(exc), field=exc.field) from exc
        return ok(hotline_service.trunk_dict(trunk))

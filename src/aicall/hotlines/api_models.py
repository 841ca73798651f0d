"""The hotline API's answers as the OpenAPI document shows them (built as dicts by
`hotlines.service`; Schemathesis checks the two agree)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["PoolList", "PoolRead", "TrunkList", "TrunkRead"]


class PoolNumber(BaseModel):
    number: str = Field(description="E.164 caller number")
    max_concurrent: int


class PoolRead(BaseModel):
    id: str
    key: str = Field(description="what scenarios name in `call_config.pool_hotline_key`")
    shared: bool = Field(description="a platform pool every account may use")
    trunk_id: str | None
    advertising_registered: bool = Field(
        default=False, description="registered brand-name numbers: may carry advertising campaigns"
    )
    asserted_identity: str | None = Field(
        default=None,
        description="P-Asserted-Identity of every INVITE (RFC 3325), a sip: or tel: URI; null: none",
    )
    privacy: str | None = Field(
        default=None, description="Privacy header of every INVITE (RFC 3323 §4.2), e.g. id; null: none"
    )
    numbers: list[PoolNumber]


class PoolList(BaseModel):
    pools: list[PoolRead]


class TrunkRead(BaseModel):
    """A SIP trunk; its password is never returned."""

    id: str
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    # `register` itself would shadow BaseModel's ABC `register`.
    register_with_trunk: bool = Field(alias="register", description="REGISTER with the trunk")
    from_domain: str | None
    max_concurrent: int


class TrunkList(BaseModel):
    trunks: list[TrunkRead]

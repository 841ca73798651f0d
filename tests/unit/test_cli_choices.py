"""The CLI's fixed choices are the domain's own sets: an option spelled out as a Literal (typer
lists its values and refuses others) must not drift from what the service takes."""

from __future__ import annotations

import typing

from aicall import cli
from aicall.accounts import cli as account_cli
from aicall.campaigns import cli as campaign_cli
from aicall.campaigns import export
from aicall.campaigns.settings import CampaignSettings
from aicall.dashboard.i18n import LANGUAGES
from aicall.speech.selection import VENDORS
from aicall.telephony.session import TRUNK_TRANSPORTS


def test_each_cli_choice_is_the_set_the_domain_takes():
    assert account_cli.LANGUAGES == LANGUAGES
    assert account_cli.VOICE_VENDORS == VENDORS
    assert cli.TRANSPORTS == TRUNK_TRANSPORTS
    assert typing.get_args(CampaignSettings.model_fields["amd_mode"].annotation) == cli.AMD_MODES
    assert tuple(export.FORMATS) == campaign_cli.EXPORT_FORMATS

"""Links between the public API's operations, as the OpenAPI document declares them: the id an
answer returns and the operations that take it. Named by operation id (the handler's name)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LINKS", "Link"]


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    name: str
    target: str
    description: str
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: dict[str, str] = field(default_factory=dict)


def _each(source: str, expression: str, parameter: str, targets: dict[str, str]) -> list[Link]:
    return [
        Link(source, name, target, f"`{parameter}` from this answer", parameters={parameter: expression})
        for name, target in targets.items()
    ]


_SCENARIO = "$response.body#/result/id"
_ACTION = "$response.body#/result/id"
_CAMPAIGN = "$response.body#/result/id"
_CONTACT = "$response.body#/result/0/contact_id"
_EVENT = "$response.body#/result/events/0/id"

LINKS: tuple[Link, ...] = (
    *_each(
        "create_scenario",
        _SCENARIO,
        "scenario_id",
        {
            "GetScenario": "get_scenario",
            "UpdateScenario": "update_scenario",
            "SubmitScenario": "submit_scenario",
            "ResumeScenario": "resume_scenario",
            "PreviewAction": "preview_action",
            "DeleteScenario": "delete_scenario",
        },
    ),
    Link(
        "create_scenario",
        "ListActions",
        "list_actions",
        "the new scenario's actions (its OUTBOUND_CALL root and `start` menu)",
        parameters={"query.scenarioId": _SCENARIO},
    ),
    Link(
        "create_scenario",
        "CreateAction",
        "create_action",
        "an action of the new scenario",
        request_body={"scenarioId": _SCENARIO},
    ),
    Link(
        "create_scenario",
        "CreateCampaign",
        "create_campaign",
        "a campaign calling with the new scenario",
        request_body={"scenarioId": _SCENARIO},
    ),
    *_each(
        "create_action",
        _ACTION,
        "action_id",
        {"GetAction": "get_action", "UpdateAction": "update_action", "DeleteAction": "delete_action"},
    ),
    *_each(
        "create_campaign",
        _CAMPAIGN,
        "campaign_id",
        {
            "GetCampaign": "get_campaign",
            "UpdateCampaign": "update_campaign",
            "StartCampaign": "start_campaign",
            "PauseCampaign": "pause_campaign",
            "ResumeCampaign": "resume_campaign",
            "StopCampaign": "stop_campaign",
            "CancelCampaign": "cancel_campaign",
            "ListContacts": "list_contacts",
            "ExportContacts": "export_contacts",
            "ImportContacts": "import_contacts_file",
        },
    ),
    Link(
        "create_campaign",
        "AddContacts",
        "add_contacts",
        "contacts for the new campaign",
        request_body={"campaign_id": _CAMPAIGN},
    ),
    *_each(
        "add_contacts",
        _CONTACT,
        "contact_id",
        {"GetContact": "get_contact", "CancelContact": "cancel_contact"},
    ),
    *_each(
        "list_events",
        _EVENT,
        "event_id",
        {"GetEvent": "get_event", "ReplayEvent": "replay_event"},
    ),
    Link(
        "create_trunk",
        "CreatePool",
        "create_pool",
        "a pool of caller numbers dialling through the new trunk",
        request_body={"trunkId": "$response.body#/result/id"},
    ),
)

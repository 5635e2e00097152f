"""The answers of ``new-service`` as CLI options: flag, metavar, help and default, declared once.

Pure data (nothing but the standard library), so the CLI builds ``new-service``'s options from it
without importing pydantic or jinja2; the answers model (``scaffold.answers.Answers``) takes each
field's help and default from here by name, and a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ENTITY = "item"
DEFAULT_FIELDS = ("name:str",)


@dataclass(frozen=True)
class AnswerOption:
    """One answer as a ``new-service`` option (``argument``: its positional argument)."""

    name: str
    help: str
    flag: str = ""  # "" -> --NAME with '-' for '_'
    metavar: str | None = None
    default: str | int | bool | None = None
    required: bool = False
    repeatable: bool = False  # a list answer: the option may be given several times
    is_flag: bool = False  # a bool answer: --flag, no value
    show_default: bool | str = True
    argument: bool = False

    @property
    def cli_name(self) -> str:
        """What the user types (and what error messages name): ``NAME`` or ``--flag``."""
        if self.argument:
            return "NAME"
        return self.flag or f"--{self.name.replace('_', '-')}"


OPTIONS: tuple[AnswerOption, ...] = (
    AnswerOption(
        "name", argument=True, required=True, show_default=False,
        help="Service name: a DNS-1123 label (lowercase letters, digits, '-', starting with a "
        "letter, at most 32 characters); its Python package is the name with '_' for '-'."),
    AnswerOption(
        "datastore", default="postgres", metavar="postgres|none",
        help="postgres: a PostgreSQL database of its own; none: no database (stateless or "
        "events only, no entity). documentdb is refused until the template supports it."),
    AnswerOption(
        "publishes", metavar="TOPIC", repeatable=True,
        help="A topic this service publishes (repeatable); the first one carries the entity's "
        "created/updated/deleted events through the outbox."),
    AnswerOption(
        "consumes", metavar="TOPIC", repeatable=True,
        help="A topic this service consumes (repeatable); failures are parked on TOPIC.dlq."),
    AnswerOption(
        "entity", metavar="NAME", show_default=DEFAULT_ENTITY,
        help="The entity the CRUD API manages (snake_case)."),
    AnswerOption(
        "fields", flag="--field", metavar="NAME:TYPE", repeatable=True,
        help="An entity field NAME:TYPE, repeatable; TYPE is str, int, float, bool, decimal, "
        "datetime (timezone-aware), date or uuid; append '?' for an optional field "
        "(price:decimal?). Default: name:str."),
    AnswerOption("port", default=8000, metavar="N", help="HTTP port (1024-65535)."),
    AnswerOption("path", default="", metavar="/PREFIX", show_default="/NAME",
                 help="Route prefix at the gateway and in the app."),
    AnswerOption("owner", default="", metavar="TEAM", show_default="team-NAME",
                 help="Owning team (Backstage catalog owner)."),
    AnswerOption(
        "issues_tokens", default=False, is_flag=True,
        help="This service issues the platform's tokens: it holds the signing key and "
        "publishes the JWKS (one service per platform)."),
    AnswerOption(
        "public_routes", flag="--public-route", metavar="'METHOD /PATH'", repeatable=True,
        help="A route the gateway lets through without a token, under the prefix (repeatable; "
        "'/PATH/*' covers everything below it)."),
    AnswerOption(
        "sends", metavar="sms|push", repeatable=True,
        help="A notification channel the service sends through besides e-mail (repeatable): "
        "sms (Amazon SNS; its role may sns:Publish) or push (Web Push; it gets a VAPID key). "
        "The sending code is the team's."),
)
BY_NAME: dict[str, AnswerOption] = {o.name: o for o in OPTIONS}

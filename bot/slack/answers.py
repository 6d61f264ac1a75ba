"""What napkin answers, as plain functions of the request's text: no Bolt, no network.

``bot.slack.app`` registers thin Bolt listeners that call these; tests and the console call them too.
Every path returns an :class:`Answer` — a usage error is an answer, and so is an internal error
(logged, then answered politely) — so no request ever goes unanswered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.logs import clip, log_fields
from bot.render.blocks import SlackMessage, parse_share_value, render_error, render_reply, render_shared
from bot.render.forms import (
    MAX_ERROR_CHARS,
    FormError,
    FormSubmission,
    FormTarget,
    cost_form_fields,
    estimate_form,
    field_for_error,
    read_form,
)
from bot.render.home import home_view
from estimator.catalog import Catalog
from estimator.commands import Reply, UsageError, execute, short_usage
from estimator.defaults import Defaults
from estimator.grammar import GrammarError
from estimator.phrasing import Reading, explain, read_question
from estimator.vocabulary import DIRECT_SLASH_COMMANDS, SHARE_WORDS, UMBRELLA_SLASH_COMMAND, CommandName

Outcome = Literal["ok", "usage_error", "internal_error"]
Executor = Callable[..., Reply]

logger = logging.getLogger("napkin.handlers")

# `<@U123>` or `<@U123|name>`: a user mention as Slack writes it into message text.
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")

INTERNAL_ERROR_TEXT = (
    "Sorry, napkin hit an unexpected error and could not answer that. It has been logged; "
    "try again, or `/napkin help` for usage."
)


@dataclass(frozen=True)
class Answer:
    """One reply: the message, whether it goes to the whole channel, and how it went."""

    command: str
    message: SlackMessage
    in_channel: bool = False
    outcome: Outcome = "ok"

    @property
    def response_type(self) -> Literal["in_channel", "ephemeral"]:
        """Slack's ``response_type`` for this answer."""
        return "in_channel" if self.in_channel else "ephemeral"


def internal_error_message() -> SlackMessage:
    """The polite answer to a request napkin failed on."""
    return SlackMessage(
        text=INTERNAL_ERROR_TEXT,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {INTERNAL_ERROR_TEXT}"}}],
    )


def unknown_command_message() -> SlackMessage:
    """The answer to a slash command napkin has no listener for (e.g. a mismatched suffix)."""
    text = "napkin does not handle this command here. Try `/napkin help`."
    return SlackMessage(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def log_unexpected(error: BaseException, **fields: object) -> None:
    """One ERROR line for an unexpected exception: its type, message and where it was raised."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else None
    log_fields(
        logger,
        logging.ERROR,
        "unexpected error",
        error_type=type(error).__name__,
        error=clip(str(error), 200),
        where=where,
        **fields,
    )


def split_command(text: str) -> tuple[str, str]:
    """``"traincost 70B 2T"`` → ``("traincost", "70B 2T")``; empty text means ``help``.

    A leading ``/`` is dropped, so ``/fits 20B`` typed in a mention works too.
    """
    words = text.strip().split(maxsplit=1)
    if not words:
        return "help", ""
    command = words[0].lower().lstrip("/") or "help"
    return command, words[1] if len(words) > 1 else ""


def mention_text(text: str, bot_user_id: str | None) -> str:
    """A mention's text without the bot's own mention (and without leading user mentions)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    stripped = " ".join(text.split())
    while (match := _USER_MENTION.match(stripped)) is not None:
        stripped = stripped[match.end() :].strip()
    return stripped


def thread_ts_for(event: Mapping[str, Any]) -> str | None:
    """The thread to answer in: the event's thread, or a new thread under a channel message.

    A DM is answered inline (a thread only when the question was asked in one).
    """
    if event.get("channel_type") == "im":
        thread = event.get("thread_ts")
        return str(thread) if thread else None
    thread = event.get("thread_ts") or event.get("ts")
    return str(thread) if thread else None


def is_answerable_dm(event: Mapping[str, Any]) -> bool:
    """A direct message from a person: not from a bot, not an edit/join/other subtype."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and not event.get("bot_profile")
        and bool(event.get("user"))
        and bool(str(event.get("text") or "").strip())
    )


def is_answerable_mention(event: Mapping[str, Any]) -> bool:
    """An ``app_mention`` outside DMs (those arrive as ``message.im`` and are answered there)."""
    channel = str(event.get("channel") or "")
    return bool(channel) and not channel.startswith("D") and not event.get("bot_id")


class Answerer:
    """Runs the estimator for Slack requests and renders the answers: commands, mentions, the answer
    buttons (share, Details, Cost, Page), the estimate form and the App Home view."""

    def __init__(self, catalog: Catalog, defaults: Defaults, *, executor: Executor = execute) -> None:
        self._catalog = catalog
        self._defaults = defaults
        self._execute = executor
        self._home: dict[str, Any] | None = None

    def _run(
        self,
        command: str,
        text: str,
        *,
        user_id: str | None,
        shareable: bool,
        context: Mapping[str, object],
        asked: tuple[str, Reading] | None = None,
        detail: bool = False,
    ) -> Answer:
        try:
            reply = self._execute(command, text, catalog=self._catalog, defaults=self._defaults)
            message = render_reply(
                reply, command_text=text, user_id=user_id, shareable=shareable and not reply.share, detail=detail
            )
            return Answer(reply.command, message, in_channel=reply.share)
        except UsageError as err:
            if asked is not None:  # say how the question was read: "I read this as `fits …`; …"
                err = UsageError(explain(asked[1], asked[0], err.message), err.usage, err.suggestion)
            return Answer(command, render_error(err), outcome="usage_error")
        except Exception as err:  # answer politely whatever went wrong; the log has the details
            log_unexpected(err, command=clip(command, 40), **context)
            return Answer(command, internal_error_message(), outcome="internal_error")

    def slash(self, name: str, text: str, *, user_id: str | None = None) -> Answer:
        """The answer to ``/<name> <text>`` (``name`` without the slash or the suffix).

        ``/napkin <command> …`` takes the command as its first word (``/napkin models``).
        """
        if name in DIRECT_SLASH_COMMANDS:
            return self._run(name, text, user_id=user_id, shareable=True, context={"slash": name})
        return self._ask(text, user_id=user_id, shareable=True, context={"slash": name})

    def mention(self, text: str, *, user_id: str | None = None, bot_user_id: str | None = None) -> Answer:
        """The answer to ``@napkin <question or command>`` or a DM; always in a thread, never ephemeral.

        Plain English is read as the command it asks for (``how much to train a 13B on 1T tokens?``).
        """
        question = mention_text(text, bot_user_id)
        answer = self._ask(question, user_id=user_id, shareable=False, context={"kind": "mention"})
        return Answer(answer.command, answer.message, in_channel=True, outcome=answer.outcome)

    def _ask(self, question: str, *, user_id: str | None, shareable: bool, context: Mapping[str, object]) -> Answer:
        """Read ``question`` as a command (:func:`estimator.phrasing.read_question`) and answer it."""
        try:
            reading = read_question(question, self._catalog)
        except GrammarError as err:
            command = split_command(question)[0]
            error = UsageError(err.message, short_usage(command), err.suggestion)
            return Answer(command, render_error(error), outcome="usage_error")
        return self._run(
            reading.command,
            reading.text,
            user_id=user_id,
            shareable=shareable,
            context=context,
            asked=(question, reading),
        )

    def action(self, value: str, *, user_id: str | None, detail: bool) -> Answer:
        """The ephemeral answer to an answer's button: its details, its training cost, a listing's next page."""
        try:
            command, text = parse_share_value(value)
        except ValueError:
            err = UsageError("that button is no longer valid", "/napkin help")
            return Answer("action", render_error(err), outcome="usage_error")
        # Private to whoever clicked, even under a shared answer: its share word is not repeated.
        text = " ".join(word for word in text.split() if word.lower() not in SHARE_WORDS)
        answer = self._run(command, text, user_id=user_id, shareable=True, context={"kind": "action"}, detail=detail)
        return Answer(answer.command, answer.message, outcome=answer.outcome)

    def home(self) -> dict[str, Any]:
        """The App Home tab: the napkin math in plain words, worked by the real estimator (computed once)."""
        if self._home is None:
            self._home = home_view(self._catalog, self._defaults, self._execute)
        return self._home

    def form(
        self, command: CommandName, *, target: FormTarget, initial: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The modal a bare ``/traincost``, ``/fits`` or ``/servecost`` opens; ``initial`` pre-fills it."""
        return estimate_form(command, self._catalog, self._defaults, target=target, initial=initial)

    def cost_form(self, value: str, *, target: FormTarget) -> dict[str, Any] | None:
        """The traincost form for a fits answer's "Cost to train / fine-tune this" button; None if the value is bad."""
        try:
            command, text = parse_share_value(value)
        except ValueError:
            return None
        return self.form(command, target=target, initial=cost_form_fields(text)) if command == "traincost" else None

    @staticmethod
    def read_form(view: Mapping[str, Any]) -> FormSubmission | dict[str, str]:
        """A submitted form as the command it stands for, or the errors to show on its fields."""
        try:
            return read_form(view)
        except FormError as err:
            return err.errors

    def answer_form(
        self, submission: FormSubmission, view: Mapping[str, Any], *, user_id: str | None
    ) -> Answer | dict[str, str]:
        """The answer to a submitted form, as the typed command's; a usage error as the field it is about."""
        try:
            reply = self._execute(submission.command, submission.text, catalog=self._catalog, defaults=self._defaults)
        except UsageError as err:
            hint = f" Did you mean {err.suggestion}?" if err.suggestion else ""
            return {field_for_error(err.message, view): clip(err.message.replace("`", "") + hint, MAX_ERROR_CHARS)}
        except Exception as err:  # answer politely whatever went wrong; the log has the details
            log_unexpected(err, command=submission.command, kind="form")
            return Answer(submission.command, internal_error_message(), outcome="internal_error")
        message = render_reply(reply, command_text=submission.text, user_id=user_id, shareable=not reply.share)
        return Answer(reply.command, message, in_channel=reply.share)

    def share(self, value: str, *, user_id: str, command_names: Mapping[str, str]) -> Answer:
        """Recompute a shared answer from the button's value, attributed to ``user_id``.

        ``command_names`` maps napkin's command names to the slash commands as registered, to
        show ``/traincost-dev …`` where a suffix is configured.
        """
        try:
            command, text = parse_share_value(value)
        except ValueError:
            err = UsageError("that share button is no longer valid", "/napkin help")
            return Answer("share", render_error(err), outcome="usage_error")
        answer = self._run(command, text, user_id=user_id, shareable=False, context={"kind": "share"})
        if answer.outcome != "ok":
            return answer
        slash = command_names.get(command)
        umbrella = command_names.get(UMBRELLA_SLASH_COMMAND, f"/{UMBRELLA_SLASH_COMMAND}")
        typed = f"{slash} {text}" if slash else f"{umbrella} {command} {text}"
        typed = typed.strip()
        shared = render_shared(answer.message, user_id=user_id, command_text=typed)
        return Answer(answer.command, shared, in_channel=True)

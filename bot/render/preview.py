"""A small HTML approximation of how Slack lays out Block Kit, for screenshots in docs/slack.md.

Not Slack's renderer: Lato, Slack's colours and spacing, mrkdwn (bold, italic, code, links, channel links,
entities, the emoji natobot uses), sections with fields and accessories, context, actions, headers, dividers,
input blocks, and the message / App Home / modal chrome around them. Good enough for a reviewer to see what a
person sees; benchmarks.screenshots turns the HTML into PNGs with headless Chromium.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

EMOJI = {
    "books": "📚", "warning": "⚠️", "speech_balloon": "💬", "white_check_mark": "✅", "newspaper": "📰",
    "dart": "🎯", "scroll": "📜", "mag": "🔍", "+1": "👍", "-1": "👎", "calendar": "📅",
}
_LINK = re.compile(r"<(https?://[^|<>]+)\|([^<>]*)>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^<>]*))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
# Channel names to show for channel ids (Slack shows the name; the payload carries the id).
CHANNEL_NAMES: dict[str, str] = {}

CSS = """
body { margin: 0; background: #fff; font-family: Lato, 'Noto Color Emoji', sans-serif; font-size: 15px;
       color: #1d1c1d; line-height: 1.46668; }
.pane { width: 640px; padding: 12px 0; }
.pane.wide { width: 860px; }
.msg { display: flex; padding: 8px 20px; }
.msg.question { background: #fff; }
.avatar { width: 36px; height: 36px; border-radius: 6px; flex: none; margin-right: 8px; margin-top: 3px;
          color: #fff; font-weight: 900; font-size: 15px; display: flex; align-items: center; justify-content: center; }
.avatar.bot { background: #004990; }
.avatar.person { background: #c46a2b; }
.content { flex: 1; min-width: 0; }
.who { font-weight: 900; }
.badge { font-size: 10px; background: #e8e8e8; color: #616061; border-radius: 2px; padding: 1px 3px;
         margin-left: 4px; font-weight: 700; vertical-align: 1px; }
.time { color: #616061; font-size: 12px; margin-left: 6px; }
.only { color: #616061; font-size: 13px; margin-bottom: 2px; }
.block { margin: 4px 0; }
.section { display: flex; gap: 12px; }
.section .text { flex: 1; white-space: normal; overflow-wrap: anywhere; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 4px; }
.context { color: #616061; font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 8px; }
.header { font-size: 18px; font-weight: 900; margin: 8px 0 4px; }
.divider { border-top: 1px solid #dddddd; margin: 12px 0; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; }
.button { border: 1px solid #bbbabb; border-radius: 4px; padding: 3px 12px; font-size: 14px; font-weight: 700;
          background: #fff; color: #1d1c1d; height: 28px; line-height: 28px; white-space: nowrap;
          overflow: hidden; text-overflow: ellipsis; max-width: 560px; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
a { color: #1264a3; text-decoration: none; }
.channel { color: #1264a3; background: #e8f5fa; border-radius: 3px; padding: 0 2px; }
code { font-family: Monaco, Menlo, monospace; font-size: 12px; color: #e01e5a; background: #f8f8f8;
       border: 1px solid #e8e8e8; border-radius: 3px; padding: 1px 3px; }
.home-tabs { display: flex; gap: 24px; padding: 12px 20px 0; border-bottom: 1px solid #dddddd; font-weight: 700; }
.home-tabs span { padding-bottom: 10px; color: #616061; }
.home-tabs span.on { color: #1d1c1d; border-bottom: 2px solid #1264a3; }
.home { padding: 8px 20px; }
.modal { width: 520px; margin: 20px; border-radius: 8px; box-shadow: 0 0 0 1px rgba(0,0,0,.13),
         0 4px 12px rgba(0,0,0,.2); overflow: hidden; }
.modal-title { font-size: 22px; font-weight: 900; padding: 18px 24px; border-bottom: 1px solid #dddddd; }
.modal-body { padding: 12px 24px; }
.modal-foot { display: flex; justify-content: flex-end; gap: 12px; padding: 16px 24px; border-top: 1px solid #dddddd; }
.input label { display: block; font-weight: 700; margin: 10px 0 6px; }
.input .optional { color: #616061; font-weight: 400; }
.control { border: 1px solid #bbbabb; border-radius: 4px; padding: 8px 10px; color: #616061; }
.hint { color: #616061; font-size: 13px; margin-top: 4px; }
.check { margin: 4px 0; }
.thread-head { padding: 10px 20px; font-weight: 900; border-bottom: 1px solid #dddddd; }
"""


def mrkdwn(text: str) -> str:
    """Slack mrkdwn (already escaped the way Slack wants: &amp; &lt; &gt;) as HTML."""
    out = text
    out = _LINK.sub(lambda m: f'\x01a href="{html.escape(m.group(1))}"\x02{m.group(2)}\x01/a\x02', out)
    out = _CHANNEL.sub(lambda m: '\x01span class="channel"\x02#'
                       f'{m.group(2) or CHANNEL_NAMES.get(m.group(1), m.group(1).lower())}\x01/span\x02', out)
    out = _USER.sub(lambda m: f'\x01span class="channel"\x02@{m.group(1).lower()}\x01/span\x02', out)
    out = out.replace("<", "&lt;").replace(">", "&gt;")  # anything else stays text
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"<i>\1</i>", out)
    out = re.sub(r"(?<![\w~])~([^~\n]+)~(?![\w~])", r"<s>\1</s>", out)
    out = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), out)
    out = out.replace("\x01", "<").replace("\x02", ">")
    return out.replace("\n", "<br>")


def _text(obj: dict[str, Any] | None) -> str:
    if not obj:
        return ""
    if obj.get("type") == "plain_text":
        return html.escape(str(obj.get("text", ""))).replace("\n", "<br>")
    return mrkdwn(str(obj.get("text", "")))


def _plain(obj: dict[str, Any] | None) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), _text(obj))


def _button(element: dict[str, Any]) -> str:
    style = element.get("style", "")
    return f'<span class="button {style}">{_plain(element.get("text"))}</span>'


def _select(element: dict[str, Any]) -> str:
    chosen = (element.get("initial_option") or {}).get("text")
    return f'<div class="control">{_plain(chosen or element.get("placeholder")) or "Select"} ▾</div>'


def _timepicker(element: dict[str, Any]) -> str:
    return f'<div class="control">🕘 {html.escape(str(element.get("initial_time", "")))}</div>'


def _text_input(element: dict[str, Any]) -> str:
    value = element.get("initial_value") or ""
    shown = html.escape(str(value)) if value else _plain(element.get("placeholder"))
    height = ' style="height: 60px"' if element.get("multiline") else ""
    return f'<div class="control"{height}>{shown}</div>'


def _checkboxes(element: dict[str, Any]) -> str:
    initial = {o.get("value") for o in element.get("initial_options") or []}
    return "".join(f'<div class="check">{"☑" if o.get("value") in initial else "☐"} {_plain(o.get("text"))}</div>'
                   for o in element.get("options", []))


def _inline_text(element: dict[str, Any]) -> str:
    return f"<span>{_plain(element)}</span>"


Render = Callable[[dict[str, Any]], str]
_ELEMENTS: dict[str, Render] = {
    "button": _button,
    **dict.fromkeys(("static_select", "external_select", "conversations_select", "users_select", "channels_select"),
                    _select),
    "timepicker": _timepicker,
    "plain_text_input": _text_input,
    "checkboxes": _checkboxes,
    "mrkdwn": _inline_text,
    "plain_text": _inline_text,
}


def _dispatch(table: dict[str, Render], item: dict[str, Any]) -> str:
    """The item drawn by the renderer for its type; nothing for a type the preview does not draw."""
    kind = item.get("type")
    render = table.get(kind) if isinstance(kind, str) else None
    return render(item) if render is not None else ""


def _element(element: dict[str, Any]) -> str:
    return _dispatch(_ELEMENTS, element)


def _section(block: dict[str, Any]) -> str:
    parts = []
    if "text" in block:
        parts.append(f'<div class="text">{_plain(block["text"])}')
        if block.get("fields"):
            parts.append('<div class="fields">' + "".join(f"<div>{_plain(f)}</div>" for f in block["fields"])
                         + "</div>")
        parts.append("</div>")
    elif block.get("fields"):
        parts.append('<div class="text"><div class="fields">'
                     + "".join(f"<div>{_plain(f)}</div>" for f in block["fields"]) + "</div></div>")
    if block.get("accessory"):
        parts.append(f"<div>{_element(block['accessory'])}</div>")
    return f'<div class="block section">{"".join(parts)}</div>'


def _context(block: dict[str, Any]) -> str:
    return '<div class="block context">' + "".join(_element(e) for e in block.get("elements", [])) + "</div>"


def _actions(block: dict[str, Any]) -> str:
    return '<div class="block actions">' + "".join(_element(e) for e in block.get("elements", [])) + "</div>"


def _header(block: dict[str, Any]) -> str:
    return f'<div class="block header">{_plain(block.get("text"))}</div>'


def _divider(block: dict[str, Any]) -> str:
    return '<div class="divider"></div>'


def _input(block: dict[str, Any]) -> str:
    optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
    hint = f'<div class="hint">{_plain(block.get("hint"))}</div>' if block.get("hint") else ""
    return (f'<div class="block input"><label>{_plain(block.get("label"))}{optional}</label>'
            f"{_element(block.get('element') or {})}{hint}</div>")


_BLOCKS: dict[str, Render] = {
    "section": _section,
    "context": _context,
    "actions": _actions,
    "header": _header,
    "divider": _divider,
    "input": _input,
}


def block_html(block: dict[str, Any]) -> str:
    return _dispatch(_BLOCKS, block)


def blocks_html(blocks: list[dict[str, Any]]) -> str:
    return "".join(block_html(b) for b in blocks)


def page(body: str, *, wide: bool = False) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><style>{CSS}</style></head><body>'
            f'<div class="pane{" wide" if wide else ""}">{body}</div></body></html>')


def message(blocks: list[dict[str, Any]], *, who: str = "natobot", bot: bool = True, time: str = "9:41 AM",
            only_you: bool = False) -> str:
    avatar = "N" if bot else who[:1].upper()
    badge = '<span class="badge">APP</span>' if bot else ""
    note = '<div class="only">👁 Only visible to you</div>' if only_you else ""
    return (f'<div class="msg"><div class="avatar {"bot" if bot else "person"}">{avatar}</div>'
            f'<div class="content">{note}<span class="who">{html.escape(who)}</span>{badge}'
            f'<span class="time">{time}</span>{blocks_html(blocks)}</div></div>')


def person(text: str, *, who: str = "Alex Martin", time: str = "9:41 AM") -> str:
    return message([{"type": "section", "text": {"type": "mrkdwn", "text": text}}], who=who, bot=False, time=time)


def thread(question: str, answer_blocks: list[dict[str, Any]], *, channel: str = "staff-questions") -> str:
    return (f'<div class="thread-head">Thread <span class="time">#{html.escape(channel)}</span></div>'
            + person(question) + message(answer_blocks))


def home(view: dict[str, Any]) -> str:
    return ('<div class="home-tabs"><span class="on">Home</span><span>Messages</span><span>About</span></div>'
            f'<div class="home">{blocks_html(view["blocks"])}</div>')


def modal(view: dict[str, Any]) -> str:
    foot = ""
    if view.get("close") or view.get("submit"):
        foot = '<div class="modal-foot">'
        if view.get("close"):
            foot += f'<span class="button">{_plain(view["close"])}</span>'
        if view.get("submit"):
            foot += f'<span class="button primary">{_plain(view["submit"])}</span>'
        foot += "</div>"
    return (f'<div class="modal"><div class="modal-title">{_plain(view.get("title"))}</div>'
            f'<div class="modal-body">{blocks_html(view["blocks"])}</div>{foot}</div>')

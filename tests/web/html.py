"""A tiny HTML reader for page tests: elements by id, by tag and attribute, and their text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found += child.iter()
        return found

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element:
        found = self.find_all(id=element_id)
        assert found, f"no element with id {element_id!r}"
        return found[0]

    def has_id(self, element_id: str) -> bool:
        return bool(self.find_all(id=element_id))


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def field_value(page: Element, element_id: str) -> str:
    """What an input, textarea or select shows."""
    element = page.by_id(element_id)
    if element.tag == "textarea":
        return "".join(c for c in element.children if isinstance(c, str))
    if element.tag == "select":
        chosen = [o for o in element.find_all("option") if "selected" in o.attrs]
        return chosen[0].attrs.get("value", "") if chosen else ""
    return element.attrs.get("value", "")


def error_at(page: Element, element_id: str) -> str:
    """The error shown at a field: the text of ``<id>-error``, which the field points to."""
    element = page.by_id(element_id)
    described = element.attrs.get("aria-describedby", "").split()
    assert f"{element_id}-error" in described, f"{element_id} does not point to its error"
    if element.tag != "fieldset":
        assert element.attrs.get("aria-invalid") == "true", f"{element_id} is not marked invalid"
    return page.by_id(f"{element_id}-error").text

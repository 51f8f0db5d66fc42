"""Reading a rendered page the way a shopper does (alerts, field errors, form values, links),
with BeautifulSoup."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


class Html:
    @staticmethod
    def is_arabic(text: str) -> bool:
        """Written in Arabic: Arabic letters and no Latin word (a number mask such as
        05XXXXXXXX is not a word)."""
        text = re.sub(r"\b[0-9]+X+\b", "", text)
        return bool(re.search(r"[\u0621-\u064a]", text)) and not re.search(r"[A-Za-z]{2,}", text)

    @staticmethod
    def content(response) -> str:
        return response.content.decode()

    def soup(self, response) -> BeautifulSoup:
        return BeautifulSoup(self.content(response), "html.parser")

    def alerts(self, response) -> list[str]:
        """Texts of the error messages (role="alert") on the page."""
        return [_text(node) for node in self.soup(response).select('[role="alert"]')]

    def field_errors(self, response, name: str) -> list[str]:
        """Error messages shown beside the form field `name` (in its `.field` box)."""
        field = self.soup(response).find(id=f"id_{name}")
        if field is None:
            raise AssertionError(f"no field {name} on the page")
        box = field.find_parent(class_="field")
        return [_text(error) for error in box.select("p.error")] if box else []

    def input_value(self, response, name: str) -> str | None:
        node = self.soup(response).find("input", attrs={"name": name})
        return None if node is None else node.get("value", "")

    def hidden_fields(self, response) -> dict[str, str]:
        """The hidden inputs a page's forms send back (the CSRF token aside)."""
        return {node["name"]: node.get("value", "")
                for node in self.soup(response).find_all("input", attrs={"type": "hidden"})
                if node.get("name") and node["name"] != "csrfmiddlewaretoken"}

    def texts(self, response, css_class: str) -> list[str]:
        """Texts of the elements with `css_class`, e.g. the product titles of a listing."""
        return [_text(node) for node in self.soup(response).find_all(class_=css_class)]

    def links(self, response, css_class: str) -> list[str]:
        return [node.get("href", "") for node in
                self.soup(response).find_all("a", class_=css_class)]

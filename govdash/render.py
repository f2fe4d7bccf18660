"""HTML from the Jinja2 templates in govdash/templates/: every value is escaped unless it is already markup."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one template environment: autoescape on, undefined names raise, block tags leave no blank lines."""
    return Environment(
        loader=PackageLoader("govdash", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page(template: str, **context) -> Markup:
    """A whole template rendered with ``context`` (e.g. the briefing document)."""
    return Markup(environment().get_template(template).render(**context))


def macro(template: str, name: str, *args, **kwargs) -> Markup:
    """One macro of a template of macros (e.g. ``macro("wall.html", "ticker", ...)``) called with the arguments.

    Text arguments are escaped where the macro prints them; ``Markup`` arguments (another macro's
    output) are inserted as they are.
    """
    return getattr(environment().get_template(template).module, name)(*args, **kwargs)

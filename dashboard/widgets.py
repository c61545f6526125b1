"""Form widgets that write the same HTML as WTForms' own, cheaper where every page renders them.

WTForms builds each attribute through ``Markup.format`` and each field's validation flags through ``dir()``:
~50 µs a field and ~25 µs a ``<select>`` option. The transaction filter (eleven fields, one of them offering
every category) spent more on that than the page spent on its fifty rows; the report filter is on every report.
"""
from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets.core import clean_key


def html_params(**attributes) -> Markup:
    """What ``wtforms.widgets.html_params`` writes (sorted names, ``True`` bare, ``False`` left out), by f-strings."""
    written = []
    for name, value in sorted(attributes.items()):
        if value is True:
            written.append(clean_key(name))
        elif value is not False:
            text = str(escape(value)).replace('"', "&quot;")  # a Markup value keeps its own quotes
            written.append(f'{escape(clean_key(name))}="{text}"')
    return Markup(" ".join(written))  # nosec B704: every name and value escaped above


def _writing_cheaply(widget: type) -> type:
    """``widget`` with its attributes written by :func:`html_params`."""
    return type(widget.__name__, (widget,), {"html_params": staticmethod(html_params)})


TextInput, SubmitInput, SearchInput, DateInput, MonthInput, NumberInput = map(_writing_cheaply, (
    widgets.TextInput, widgets.SubmitInput, widgets.SearchInput, widgets.DateInput, widgets.MonthInput,
    widgets.NumberInput))


class Select(widgets.Select):
    """WTForms' ``Select`` for a flat, single choice: one f-string per plain option, no signature inspected."""

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        for name, value in vars(field.flags).items():  # the flags WTForms reads through dir()
            if name in self.validation_attrs and name not in kwargs:
                kwargs[name] = value
        options = "".join(self.render_option(choice) for choice in field.iter_choices())
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")  # nosec B704: escaped

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or isinstance(choice.value, bool) or hasattr(choice.value, "__html__"):
            return super().render_option(choice, **kwargs)  # attributes, True/False or markup: WTForms' own way
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')  # nosec B704: escaped

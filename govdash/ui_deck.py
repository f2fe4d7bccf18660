"""Decks for the pages, built once per view (a Streamlit edge module beside ui.py)."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from govdash import maps


def deck(build, *args, **kwargs):
    """``build(*args, **kwargs)`` (a deck builder passed by reference, e.g. ``maps_heat.heat_deck``) built once
    per view: cached by its qualified name and the arguments, data frames by content. A builder draws only
    what it is given, so the database version is no part of the key: a write that leaves a view's data as it
    was (the feed adding today's cases under last month's map) leaves its deck cached too.
    The deck comes back frozen (``maps.FrozenDeck``); a builder returning ``(deck, legend, …)`` gets the rest
    back as it was.

    The frames passed are the ones the page already holds (masked and scoped by ``ui.cached``), so a
    masked view never gets a deck drawn from unmasked data. On a rerun the same view's spec is sent
    unchanged: no rebuild on the server, and the browser keeps the map it has (Streamlit sends a large
    unchanged element by reference).
    """
    key = f"{build.__module__}.{build.__qualname__}"
    return _deck(key, build, *args, **kwargs)


def frame_digest(frame: pd.DataFrame) -> str:
    """A content hash of a frame whose cells may be lists (polygons), which Streamlit's own hash would pickle."""
    plain = frame.astype({c: str for c in frame.columns if frame[c].dtype == object})
    return hashlib.blake2b(pd.util.hash_pandas_object(plain).values.tobytes(), digest_size=16).hexdigest()


# a basemap's layers (pydeck objects, unhashable) by what they were read from
@st.cache_data(
    show_spinner=False,
    ttl=600,
    max_entries=64,
    hash_funcs={pd.DataFrame: frame_digest, "govdash.basemap.Layers": lambda layers: layers.key},
)
def _deck(key: str, _build, *args, **kwargs):
    out = _build(*args, **kwargs)
    return (maps.FrozenDeck(out[0]), *out[1:]) if isinstance(out, tuple) else maps.FrozenDeck(out)

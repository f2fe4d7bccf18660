"""15-minute service circle: who lives within a walk of a doorstep station (first version)."""

import streamlit as st

from govdash import ui

lang = ui.lang()
db = ui.database()
ui.header("page_coverage", db)
st.info("…")

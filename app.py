"""govdash entry point: page setup, navigation, language switch and the shared filter bar."""

from contextlib import nullcontext

import streamlit as st

from govdash import ui, ui_sign_in
from govdash.i18n import t
from govdash.settings import PROJECT_ROOT

ui.frame()  # first: pages run without this mark are re-run through app.py (see ui._leave_pages_folder_mode)
st.set_page_config(
    page_title="govdash",
    page_icon=str(PROJECT_ROOT / "data" / "icon.png"),
    layout="wide",
    initial_sidebar_state="collapsed" if ui.wall_mode() else "auto",
)
lang = ui.lang()
ui_sign_in.require_sign_in()  # a sign-in form until signed in (settings.auth local / oidc; not the public wall)
if ui.wall_mode():  # the wall screen: one hidden page, no sidebar, no filter bar; its state is the URL
    if ui.empty_district():
        st.stop()
    st.navigation(
        [
            # the default page answers at "/" only (Streamlit): "/wall" is a hidden copy, not "Page not found"
            st.Page("pages/wall.py", title=ui.app_title(lang), url_path="wall_home", default=True),
            st.Page("pages/wall.py", title=ui.app_title(lang), url_path="wall", visibility="hidden"),
        ],
        position="hidden",
    ).run()
    st.stop()
pages = [
    st.Page("pages/overview.py", title=t("page_overview", lang), url_path="home", default=True),
    st.Page("pages/map.py", title=t("page_map", lang), url_path="map"),
    st.Page("pages/grid.py", title=t("page_grid", lang), url_path="grid"),
    st.Page("pages/heatmap.py", title=t("page_heatmap", lang), url_path="heatmap"),
    st.Page("pages/trends.py", title=t("page_trends", lang), url_path="trends"),
    st.Page("pages/rankings.py", title=t("page_rankings", lang), url_path="rankings"),
    st.Page("pages/lifecycle.py", title=t("page_lifecycle", lang), url_path="lifecycle"),
    st.Page("pages/coverage.py", title=t("page_coverage", lang), url_path="coverage"),
]
# natural paths (the default page answers at "/" only): "/overview" and "/index" are hidden copies of it,
# "/wall" opens the wall screen
pages += [
    st.Page("pages/overview.py", title=t("page_overview", lang), url_path=alias, visibility="hidden")
    for alias in ("overview", "index")
]
pages.append(st.Page(ui.open_wall, title=ui.app_title(lang), url_path="wall", visibility="hidden"))
if ui.can("cases"):  # roles: viewers get no case list (personal data), admins also the admin (import) page
    pages.append(st.Page("pages/cases.py", title=t("page_cases", lang), url_path="cases"))
if ui.can("import"):
    pages.append(st.Page("pages/admin.py", title=t("page_admin", lang), url_path="admin"))
page = ui_sign_in.return_to_wanted_page(pages, st.navigation(pages))
ui.language_switch()
ui_sign_in.account_box()
db = ui.database()
# on a lake, the page's reads share one snapshot (Database.one_snapshot); not the admin page's, which reads back
# its own imports and undos
with db.one_snapshot() if page.url_path != "admin" else nullcontext():
    if page.url_path != "admin" and ui.empty_district():  # nothing imported yet: say how, on every page
        st.stop()
    ui.filter_bar(db)
    page.run()

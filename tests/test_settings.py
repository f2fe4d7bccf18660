"""Settings: environment overrides work and every setting is documented in the README."""

from dataclasses import fields

from govdash import settings
from govdash.settings import PROJECT_ROOT


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("GOVDASH_WALK_KMH", "5.1")
    monkeypatch.setenv("GOVDASH_LANG", "en")
    monkeypatch.setenv("GOVDASH_WALK_MINUTES", "10")
    s = settings.load()
    assert s.walk_kmh == 5.1 and s.lang == "en" and s.walk_minutes == 10


def test_empty_variable_keeps_default(monkeypatch):
    monkeypatch.setenv("GOVDASH_WALK_KMH", "")
    assert settings.load().walk_kmh == settings.Settings.walk_kmh


def test_every_setting_has_a_doc_and_a_readme_row():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = []
    for f in fields(settings.Settings):
        assert f.metadata.get("doc"), f"setting {f.name} has no doc"
        var = f"GOVDASH_{f.name.upper()}"
        documented = var in readme or (f.name.startswith("target_") and "GOVDASH_TARGET_*" in readme)
        if not documented:
            missing.append(var)
    assert not missing, f"settings missing from README's configuration table: {missing}"

"""Which dbt project a command uses, and where its mutable state goes: like dbt,
`--project-dir`, then $WEBSTATS_PROJECT_DIR, then the current directory or a parent with a
`dbt_project.yml` named webstats, then the copy shipped with the code; state in the
project when it is the user's, in $WEBSTATS_HOME when it is the packaged copy."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from webstats.core import settings as st
from webstats.jobs.dbt import dbt_project_dir, state_dir


def _project(path: Path, name: str = "webstats") -> Path:
    path.mkdir(parents=True)
    (path / "dbt_project.yml").write_text(f"name: {name}\nversion: '1'\n")
    return path


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in ("WEBSTATS_PROJECT_DIR", "WEBSTATS_DUCKDB", "WEBSTATS_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def test_the_project_is_found_in_dbts_order(clean_env, tmp_path):
    mine = _project(tmp_path / "mine")
    other = _project(tmp_path / "other")
    (mine / "models" / "deep").mkdir(parents=True)
    clean_env.chdir(mine / "models" / "deep")
    assert st.find_project() == (mine, False)  # a parent of the current directory
    clean_env.setenv("WEBSTATS_PROJECT_DIR", str(other))
    assert st.find_project() == (other, False)  # the environment beats the directory
    assert st.find_project(str(mine)) == (mine, False)  # the option beats both
    with pytest.raises(st.ProjectNotFound, match="--project-dir"):
        st.find_project(str(tmp_path))


def test_another_dbt_project_is_not_taken_for_this_one(clean_env, tmp_path):
    foreign = _project(tmp_path / "analytics", name="jaffle_shop")
    clean_env.chdir(foreign)
    assert st.find_project() == (st.packaged_project(), False)  # a checkout: its own tree


def test_state_of_a_users_project_stays_in_it(clean_env, tmp_path):
    mine = _project(tmp_path / "mine")
    cfg = st.settings(project_dir=str(mine))
    assert not cfg.packaged and cfg.state_dir == mine
    assert cfg.duckdb_path == mine / "webstats.duckdb"
    assert cfg.manifest_file == cfg.manifest_store == mine / "seeds" / "packages.csv"
    assert state_dir(cfg).is_relative_to(mine / "target" / "webstats")


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path.relative_to(root)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def test_the_packaged_copy_is_never_written(clean_env, tmp_path):
    """Installed from a wheel: state, dbt's working copy and an updated manifest go to
    $WEBSTATS_HOME (default ~/.local/share/webstats); the package's files stay as shipped."""
    shipped = st.copy_project(tmp_path / "site-packages" / "webstats" / "_project")
    clean_env.setattr(st, "PACKAGED_COPY", shipped)
    clean_env.chdir(tmp_path)  # no project here or above
    before = _tree_digest(shipped)

    cfg = st.settings()
    home = tmp_path / "home" / ".local" / "share" / "webstats"
    assert cfg.packaged and cfg.project_dir == shipped and cfg.state_dir == home
    assert cfg.duckdb_path == home / "webstats.duckdb"
    assert cfg.manifest_file == shipped / "seeds" / "packages.csv"
    assert cfg.manifest_store == home / "packages.csv"
    assert "packaged copy" in cfg.describe()["project"]

    work = dbt_project_dir(cfg)  # where dbt runs: a synced working copy
    assert work == home / "project"
    assert _tree_digest(work / "models") == _tree_digest(shipped / "models")
    (work / "models" / "stale.sql").write_text("select 1")  # a file the package dropped
    cfg.manifest_store.write_text("package,category,first_version,last_version\nX,bioc,3.0,\n")
    dbt_project_dir(cfg)
    assert not (work / "models" / "stale.sql").exists()
    assert (work / "seeds" / "packages.csv").read_text() == cfg.manifest_store.read_text()
    assert st.settings().manifest_file == cfg.manifest_store  # the updated manifest rules
    assert _tree_digest(shipped) == before

    clean_env.setenv("WEBSTATS_HOME", str(tmp_path / "elsewhere"))
    assert st.settings().state_dir == tmp_path / "elsewhere"

"""`export_site`: every file of the site, the same bytes the server answers."""

from __future__ import annotations

from renderer.app import create_app
from renderer.export import export_site


def test_export_equals_served_bytes(handmade_settings, tmp_path):
    out = tmp_path / "site"
    written = export_site(handmade_settings, out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == len(files)
    # 1 css + 4 index pages; bioc: page, 4 lists, 16 years x (tab + png), 4 packages x
    # (moved, page, all-years tab) + 5 package-years x (tab + png); annotation and experiment:
    # page, 4 lists, 16 x 2; workflows: page, 4 lists, 10 x 2, wf1: 3 + 1 x 2.
    assert written == 1 + 4 + (1 + 4 + 32 + 12 + 10) + 2 * (1 + 4 + 32) + (1 + 4 + 20 + 3 + 2)
    assert "bioc/index.html" in files and "bioc/alpha.pkg/alpha.pkg_2023_stats.png" in files
    assert not any(name.startswith(".") or "/." in name for name in files)  # no temp files
    client = create_app(handmade_settings).test_client()
    for rel in files:
        served = client.get("/packages/stats/" + rel)
        assert served.status_code == 200, rel
        assert served.data == (out / rel).read_bytes(), rel
    # Re-exporting over an existing tree replaces files in place.
    assert export_site(handmade_settings, out) == written

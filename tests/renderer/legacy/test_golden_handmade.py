"""Every file kind of the legacy site on hand-made marts, expected bytes worked out by hand.

The data (tests/renderer/conftest.py, `MartWriter.handmade`) is tiny on purpose: as-of day
2024-03-05, built 2024-03-05 04:30:15 UTC; bioc has ABC, abc, alpha.pkg and Beta2; annotation and
experiment are empty; workflows has wf1 (2015 only). Runs on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import struct

import pytest

from renderer.app import create_app

GEN = "2024-03-05 04:30:15 -0000 (Tue, 05 Mar 2024)"
DOCTYPE = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
    '"http://www.w3.org/TR/html4/loose.dtd">\n'
)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HEADER = "Year\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n"


def year_lines(year: int, months: dict[str, tuple[int, int]], year_ips: int, prefix="") -> str:
    """13 lines of one year; `months` lists the non-zero months only."""
    out = ""
    for m in MONTHS:
        ip, dl = months.get(m, (0, 0))
        out += f"{prefix}{year}\t{m}\t{ip}\t{dl}\n"
    total = sum(dl for _, dl in months.values())
    return out + f"{prefix}{year}\tall\t{year_ips}\t{total}\n"


@pytest.fixture
def client(handmade_settings):
    return create_app(handmade_settings).test_client()


def get(client, path: str) -> tuple[int, str, bytes]:
    resp = client.get("/packages/stats/" + path)
    return resp.status_code, resp.headers.get("Content-Type", ""), resp.data


# --- text files ------------------------------------------------------------------------


def test_package_year_and_all_years_tab(client):
    y2024 = year_lines(2024, {"Jan": (1, 10)}, 1)
    y2023 = year_lines(2023, {"Mar": (3, 4), "Nov": (2, 2)}, 4)
    assert y2024.splitlines()[-1] == "2024\tall\t1\t10"
    assert get(client, "bioc/alpha.pkg/alpha.pkg_2023_stats.tab") == (
        200,
        "text/plain; charset=utf-8",
        (HEADER + y2023).encode(),
    )
    assert get(client, "bioc/alpha.pkg/alpha.pkg_stats.tab")[2] == (HEADER + y2024 + y2023).encode()


def test_one_year_file_literally(client):
    expected = (
        "Year\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n"
        "2022\tJan\t0\t0\n2022\tFeb\t0\t0\n2022\tMar\t0\t0\n2022\tApr\t0\t0\n"
        "2022\tMay\t0\t0\n2022\tJun\t5\t5\n2022\tJul\t0\t0\n2022\tAug\t0\t0\n"
        "2022\tSep\t0\t0\n2022\tOct\t0\t0\n2022\tNov\t0\t0\n2022\tDec\t0\t0\n"
        "2022\tall\t5\t5\n"
    )
    assert get(client, "bioc/Beta2/Beta2_2022_stats.tab")[2] == expected.encode()


def test_category_tabs_cover_every_year_from_first_year(client):
    zero = {}
    body = HEADER + year_lines(2024, {"Jan": (1, 10), "Feb": (2, 3)}, 3)
    body += year_lines(2023, {"Mar": (3, 4), "Nov": (2, 2)}, 4)
    body += year_lines(2022, {"Jun": (5, 5)}, 5)
    body += year_lines(2021, {"Dec": (1, 1)}, 1)
    for y in range(2020, 2008, -1):
        body += year_lines(y, zero, 0)
    assert get(client, "bioc/bioc_stats.tab")[2] == body.encode()
    one = HEADER + year_lines(2010, zero, 0)
    assert get(client, "bioc/bioc_2010_stats.tab")[2] == one.encode()
    wf = HEADER + "".join(year_lines(y, zero, 0) for y in range(2024, 2015, -1))
    wf += year_lines(2015, {"Jan": (1, 2)}, 1)
    assert get(client, "workflows/workflows_stats.tab")[2] == wf.encode()
    assert get(client, "workflows/workflows_2014_stats.tab")[0] == 404
    empty = HEADER + "".join(year_lines(y, zero, 0) for y in range(2024, 2008, -1))
    assert get(client, "data-annotation/annotation_stats.tab")[2] == empty.encode()


def test_multi_package_files_in_case_insensitive_order(client):
    body = "Package\tYear\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n"
    body += year_lines(2024, {"Feb": (2, 3)}, 2, "ABC\t")
    body += year_lines(2021, {"Dec": (1, 1)}, 1, "abc\t")
    body += year_lines(2024, {"Jan": (1, 10)}, 1, "alpha.pkg\t")
    body += year_lines(2023, {"Mar": (3, 4), "Nov": (2, 2)}, 4, "alpha.pkg\t")
    body += year_lines(2022, {"Jun": (5, 5)}, 5, "Beta2\t")
    assert get(client, "bioc/bioc_pkg_stats.tab")[2] == body.encode()
    assert get(client, "bioc/bioc_pkg_scores.tab")[2] == (
        b"Package\tDownload_score\nABC\t5\nabc\t0\nalpha.pkg\t7\nBeta2\t5\n"
    )
    assert get(client, "bioc/bioc_packages.txt") == (
        200,
        "text/plain; charset=utf-8",
        b"ABC\nabc\nalpha.pkg\nBeta2\n",
    )


def test_empty_category_files(client):
    assert get(client, "data-experiment/experiment_packages.txt")[2] == b""
    assert get(client, "data-experiment/experiment_pkg_scores.tab")[2] == (
        b"Package\tDownload_score\n"
    )
    assert get(client, "data-experiment/experiment_pkg_stats.tab")[2] == (
        b"Package\tYear\tMonth\tNb_of_distinct_IPs\tNb_of_downloads\n"
    )


# --- HTML ------------------------------------------------------------------------------


def head(title: str, css: str) -> str:
    return (
        DOCTYPE + "<HTML>\n"
        f'<HEAD><TITLE>{title}</TITLE><LINK rel="stylesheet" href="{css}" type="text/css">'
        "</HEAD>\n<BODY>\n"
    )


TAIL = "</BODY>\n</HTML>\n"
GENERATED = f'<P style="text-align: center;">\n<I>This page was generated on {GEN}.</I>\n</P>\n'
TD_COL = '<TD style="vertical-align: top; width:300px;">\n'


def column(entries: list[tuple[str, str, int]]) -> str:
    """One of the three index columns; entries are (rank text, name, score)."""
    if not entries:
        return TD_COL + "</TD>\n"
    rows = "".join(
        f'<TR class="pkg_index"><TD style="width:25px; text-align: right">{rank}</TD>'
        f'<TD><A HREF="bioc/{name}/">{name}&nbsp;({score})</A></TD></TR>\n'
        for rank, name, score in entries
    )
    return TD_COL + "<TABLE>\n" + rows + "</TABLE>\n</TD>\n"


def table(*cols) -> str:
    return '<TABLE class="pkg_index"><TR>\n' + "".join(column(c) for c in cols) + "</TR></TABLE>\n"


def test_software_index_page(client):
    others = "".join(
        f'&nbsp;&nbsp;&nbsp;&nbsp;<I><A HREF="{page}">Bioconductor {label} packages</A></I>'
        for page, label in [
            ("data-annotation.html", "annotation"),
            ("data-experiment.html", "experiment"),
            ("workflows.html", "workflow"),
        ]
    )
    h3 = '<H3 style="font-family: monospace; font-size: larger;">{}</H3>\n'
    expected = (
        head("Download stats for Bioconductor software packages", "main.css")
        + '<TABLE style="width: 100%; border-spacing: 0px; border-collapse: collapse;"><TR>'
        '<TD style="padding: 0px; text-align: right;"><I>See download stats for:</I>'
        + others
        + "</TD></TR></TABLE>\n"
        '<H1 style="text-align: center;">Download stats for Bioconductor software packages</H1>\n'
        + GENERATED
        + "<P>The number reported next to each package name is the <I>download score</I>, that "
        "is, the average number of distinct IPs that &ldquo;hit&rdquo; the package each month "
        "for the last 12 months (not counting the current month). </P>\n"
        "<HR>\n<H2>Top 75</H2>\n"
        + table([("1", "alpha.pkg", 7), ("2", "ABC", 5)], [("3", "Beta2", 5), ("4", "abc", 0)], [])
        + "<HR>\n<H2>All software packages</H2>"
        '<P>All software package stats in one file:&nbsp;<A HREF="bioc/bioc_pkg_stats.tab">'
        "bioc_pkg_stats.tab</A></P>\n"
        "<P>All software package download scores in one file:&nbsp;"
        '<A HREF="bioc/bioc_pkg_scores.tab">bioc_pkg_scores.tab</A></P>\n'
        '<P style="text-align: center"><A HREF="bioc/index.html">See Download stats for '
        "Bioconductor software repository (all packages combined)</A></P>\n"
        + h3.format("A")
        + table([("", "ABC", 5)], [("", "abc", 0)], [("", "alpha.pkg", 7)])
        + h3.format("B")
        + table([("", "Beta2", 5)], [], [])
        + TAIL
    )
    status, ctype, body = get(client, "")
    assert (status, ctype) == (200, "text/html; charset=utf-8")
    assert body.decode() == expected
    assert get(client, "index.html")[2] == body


def test_empty_category_index_has_empty_top_table_and_no_letters(client):
    body = get(client, "data-annotation.html")[2].decode()
    empty = '<TABLE class="pkg_index"><TR>\n' + (TD_COL + "</TD>\n") * 3 + "</TR></TABLE>\n"
    assert "<H2>Top 30</H2>\n" + empty + "<HR>\n<H2>All annotation packages</H2><P>" in body
    assert "<H3" not in body
    assert body.endswith("(all packages combined)</A></P>\n" + TAIL)


def test_workflow_index_is_flat(client):
    body = get(client, "workflows.html")[2].decode()
    assert "<HR>" not in body and "<H2>" not in body and "<H3" not in body
    assert body.endswith(
        "month). </P>\n"
        "<P>All workflow package stats in one file:&nbsp;"
        '<A HREF="workflows/workflows_pkg_stats.tab">'
        "workflows_pkg_stats.tab</A></P>\n"
        "<P>All workflow package download scores in one file:&nbsp;"
        '<A HREF="workflows/workflows_pkg_scores.tab">workflows_pkg_scores.tab</A></P>\n'
        '<P style="text-align: center"><A HREF="workflows/index.html">See Download stats for '
        "Bioconductor workflow repository (all packages combined)</A></P>\n"
        + table([("", "wf1", 0)], [], []).replace("bioc/", "workflows/")
        + TAIL
    )


def year_section(stem: str, year: int, months: dict[str, tuple[int, int]], ips: int) -> str:
    td = '<TD style="text-align: right">'
    ip_td = '<TD style="text-align: right; background: #aaaaff">'
    dl_td = '<TD style="text-align: right; background: #ddddff">'
    rows = "".join(
        f"<TR>{td}{m}/{year}</TD>{ip_td}{months.get(m, (0, 0))[0]}</TD>"
        f"{dl_td}{months.get(m, (0, 0))[1]}</TD></TR>\n"
        for m in MONTHS
    )
    total = sum(dl for _, dl in months.values())
    return (
        f'<H2 style="text-align: center;">{year}</H2>\n'
        '<TABLE WIDTH="90%" align="center"><TR>\n'
        f'<TD style="text-align: center"><IMG SRC="{stem}_{year}_stats.png" WIDTH="720px" '
        'HEIGHT="400px"></TD><TD style="text-align: center"><TABLE class="stats" align="center">\n'
        '<TR><TH style="text-align: right">Month</TH><TH style="text-align: right; background: '
        '#aaaaff">Nb&nbsp;of&nbsp;distinct&nbsp;IPs</TH><TH style="text-align: right; '
        'background: #ddddff">Nb&nbsp;of&nbsp;downloads</TH></TR>\n'
        + rows
        + f'<TR><TH style="text-align: right">{year}</TH><TH style="text-align: right; '
        f'background: #aaaaff">{ips}</TH><TH style="text-align: right; background: #ddddff">'
        f"{total}</TH></TR>\n"
        "</TABLE>\n"
        f'<A HREF="{stem}_{year}_stats.tab">{stem}_{year}_stats.tab</A></TD></TR></TABLE>\n'
    )


def test_package_page_with_devel_link_only(client):
    title = "Download stats for software package Beta2"
    body = "".join(
        "<HR>\n" + (year_section("Beta2", y, {"Jun": (5, 5)}, 5) if y == 2022 else "")
        for y in range(2024, 2008, -1)
    )
    expected = (
        head(title, "../../main.css")
        + '<TABLE style="width: 100%; border-spacing: 0px; border-collapse: collapse;"><TR>'
        '<TD style="padding: 0px; text-align: left;"><I><A HREF="../../">Back to the &quot;'
        "Download stats for Bioconductor software packages&quot;</A></I></TD></TR></TABLE>\n"
        f'<H1 style="text-align: center;">{title}</H1>\n'
        + GENERATED
        + '<P style="text-align: center;"><B>Beta2</B> home page: '
        '<A HREF="/packages/devel/bioc/html/Beta2.html">devel version</A>.</P>\n'
        '<P style="text-align: center">Number of downloads for software package Beta2, year by '
        "year, from 2024 back to 2009 (years with no downloads are omitted):</P>\n"
        + body
        + "<HR>\n"
        '<P style="text-align: center">All years in one file:&nbsp;'
        '<A HREF="Beta2_stats.tab">Beta2_stats.tab</A></P>\n' + TAIL
    )
    assert get(client, "bioc/Beta2/") == (200, "text/html; charset=utf-8", expected.encode())
    assert get(client, "bioc/Beta2/index.html")[2] == expected.encode()


def test_home_page_links(client):
    release_only = get(client, "bioc/ABC/")[2].decode()
    assert (
        '<P style="text-align: center;"><B>ABC</B> home page: <A HREF="/packages/release/'
        'bioc/html/ABC.html">release version</A>.</P>\n'
    ) in release_only
    both = get(client, "bioc/alpha.pkg/")[2].decode()
    assert (
        '<B>alpha.pkg</B> home page: <A HREF="/packages/release/bioc/html/alpha.pkg.html">'
        'release version</A>, <A HREF="/packages/devel/bioc/html/alpha.pkg.html">'
        "devel version</A>.</P>\n"
    ) in both
    gone = get(client, "bioc/abc/")[2].decode()
    assert (
        '<P style="text-align: center;">Note that <B>abc</B> doesn\'t belong to the current '
        "release or devel version of Bioconductor anymore.</P>\n"
    ) in gone
    wf = get(client, "workflows/wf1/")[2].decode()
    assert "from 2024 back to 2015 (years" in wf
    assert wf.count("<HR>\n") == 11
    assert '<A HREF="../../workflows.html">Back to the' in wf


def test_category_page(client):
    body = get(client, "workflows/")[2].decode()
    title = "Download stats for Bioconductor workflow repository (all packages combined)"
    sections = "".join(
        "<HR>\n"
        + year_section("workflows", y, {"Jan": (1, 2)} if y == 2015 else {}, 1 if y == 2015 else 0)
        for y in range(2024, 2014, -1)
    )
    expected = (
        head(title, "../main.css")
        + '<TABLE style="width: 100%; border-spacing: 0px; border-collapse: collapse;"><TR>'
        '<TD style="padding: 0px; text-align: left;"><I><A HREF="../workflows.html">Back to the '
        "&quot;Download stats for Bioconductor workflow packages&quot;</A></I></TD></TR></TABLE>\n"
        f'<H1 style="text-align: center">{title}</H1>\n'
        + GENERATED
        + '<P style="text-align: center">Number of package downloads from the Bioconductor '
        "workflow package repository, year by year, from 2024 back to 2015 (years with no "
        "downloads are omitted):</P>\n" + sections + "<HR>\n"
        '<P style="text-align: center">All years in one file:&nbsp;'
        '<A HREF="workflows_stats.tab">workflows_stats.tab</A></P>\n' + TAIL
    )
    assert body == expected
    assert get(client, "workflows/index.html")[2].decode() == expected
    assert '<A HREF="../">Back to the' in get(client, "bioc/")[2].decode()


def test_moved_page(client):
    expected = (
        head("Download stats for software package alpha.pkg", "../main.css")
        + "<P>Sorry, this page has moved to "
        '<A HREF="https://bioconductor.org/packages/stats/bioc/alpha.pkg/">'
        "https://bioconductor.org/packages/stats/bioc/alpha.pkg/</A></P>\n"
        "<P>Please update your bookmarks.</P>\n<P>Thanks!</P>\n" + TAIL
    )
    assert get(client, "bioc/alpha.pkg.html") == (
        200,
        "text/html; charset=utf-8",
        expected.encode(),
    )


def test_moved_page_base_url_is_configuration(handmade_settings):
    import dataclasses

    cfg = dataclasses.replace(handmade_settings, public_base_url="https://mirror.example.org/")
    body = create_app(cfg).test_client().get("/packages/stats/bioc/ABC.html").data
    assert b'<A HREF="https://mirror.example.org/packages/stats/bioc/ABC/">' in body


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_charts(client):
    for path in (
        "bioc/alpha.pkg/alpha.pkg_2023_stats.png",
        "bioc/bioc_2024_stats.png",
        "bioc/bioc_2009_stats.png",
        "workflows/wf1/wf1_2015_stats.png",
    ):
        status, ctype, data = get(client, path)
        assert (status, ctype) == (200, "image/png"), path
        assert png_size(data) == (720, 400)
    assert get(client, "bioc/alpha.pkg/alpha.pkg_2022_stats.png")[0] == 404
    assert get(client, "bioc/bioc_2008_stats.png")[0] == 404


def test_stylesheet(client):
    status, ctype, data = get(client, "main.css")
    assert (status, ctype) == (200, "text/css; charset=utf-8")
    assert b"table.stats" in data and b"http" not in data


@pytest.mark.parametrize(
    "path",
    [
        "bioc/bioc_2008_stats.tab",
        "bioc/bioc_2025_stats.tab",
        "bioc/Beta2/Beta2_2023_stats.tab",
        "bioc/wf1/",
        "bioc/wf1.html",
        "bioc/Alpha.pkg/",
        "bioc/abc/ABC_stats.tab",
        "bioc/ABC/abc_2024_stats.tab",
        "software/",
        "bioc/nothere/",
        "bioc/bioc_stats.txt",
        "bioc/alpha.pkg/extra/",
        "bioc/alpha.pkg/alpha.pkg_2023_stats.tab/",
        "index.htm",
        "data-annotation/annotation_2024_stats.png.tab",
        "bioc/bioc_99999_stats.tab",
        "bioc/ANF/",
    ],
)
def test_unknown_files_are_404(client, path):
    status, ctype, body = get(client, path)
    assert (status, ctype) == (404, "text/html; charset=utf-8")
    assert b"404" in body and len(body) < 2000

"""The dashboard in a real browser: headless Chromium loads each page of our `peaqos up`'s MCR
service for a demo-like fleet; the DOM must show the API's numbers (ratings, scores, counts,
table rows), every chart must have data (a score path with one vertex per day, bars), and
screenshots are saved (DASHBOARD_SCREENSHOTS, default target/dashboard-screenshots)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import Fleet, Stack, screenshot_dir


def api(stack: Stack, path: str) -> dict:
    r = requests.get(f"{stack.mcr_url}{path}", timeout=30)
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
    return r.json()


def shoot(browser, name: str) -> None:
    """A full-page screenshot: the window is made as tall as the page first."""
    h = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(h) + 40, 600), 6000))
    path = screenshot_dir() / f"{name}.png"
    assert browser.save_screenshot(str(path)), path
    assert path.stat().st_size > 10_000, f"{path} looks empty"
    browser.set_window_size(1280, 1000)


def text(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text.strip()


def chart_bars(browser, chart_id: str) -> list[tuple[str, str]]:
    bars = browser.find_elements(By.CSS_SELECTOR, f"svg#{chart_id} rect.bar")
    assert bars, f"chart {chart_id} is empty (no bars)"
    return [(b.get_attribute("data-label"), b.get_attribute("data-value")) for b in bars]


def usd(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


def test_network_view(stack: Stack, fleet: Fleet, browser) -> None:
    browser.get(f"{stack.mcr_url}/dashboard")
    assert "peaqOS machine network" in browser.title or "Network" in browser.title
    ratings = {m.machine_id: api(stack, f"/mcr/{m.did}")["mcr"] for m in fleet.machines}
    assert int(text(browser, "#machine-count")) == len(fleet.machines)
    want = {r: list(ratings.values()).count(r) for r in
            ["AAA", "AA", "A", "BBB", "BB", "B", "NR", "Provisioned"]}
    rows = browser.find_elements(By.CSS_SELECTOR, "#distribution tbody tr")
    got = {r.get_attribute("data-rating"): int(r.find_elements(By.TAG_NAME, "td")[1].text) for r in rows}
    assert got == want
    assert dict(chart_bars(browser, "chart-distribution")) == {k: str(v) for k, v in want.items()}
    ops = browser.find_elements(By.CSS_SELECTOR, "#operators tbody tr")
    assert [o.find_element(By.TAG_NAME, "a").text for o in ops] == [
        api(stack, f"/operator/{fleet.operator_did}/summary")["operator_did"]
    ]
    listed = {int(r.find_elements(By.TAG_NAME, "td")[0].text): r.find_elements(By.TAG_NAME, "td")[2].text
              for r in browser.find_elements(By.CSS_SELECTOR, "#machines tbody tr")}
    assert listed == ratings
    shoot(browser, "network")


def follow(browser, element, url_part: str) -> None:
    """Clicks a link or submit button and waits until the browser has loaded the page it leads
    to (its URL names `url_part` and the document is complete), so the next read sees it."""
    element.click()
    WebDriverWait(browser, 30).until(
        lambda d: url_part in d.current_url
        and d.execute_script("return document.readyState") == "complete"
    )


def fleet_rows(browser) -> list[dict]:
    out = []
    for r in browser.find_elements(By.CSS_SELECTOR, "#fleet-table tbody tr"):
        out.append({
            "machine_id": int(r.get_attribute("data-machine-id")),
            "did": r.get_attribute("data-did"),
            "mcr": r.find_element(By.CSS_SELECTOR, "td.rating").text,
            "score": int(r.find_element(By.CSS_SELECTOR, "td.score").text),
            "trend": r.find_element(By.CSS_SELECTOR, "td.trend").text,
            "flags": r.find_element(By.CSS_SELECTOR, "td.flags").text,
            "fx": r.find_element(By.CSS_SELECTOR, "td.fx").text,
            "bond": r.find_element(By.CSS_SELECTOR, "td.bond").text,
        })
    return out


def test_operator_view(stack: Stack, fleet: Fleet, browser) -> None:
    op = fleet.operator_did
    summary = api(stack, f"/operator/{op}/summary")
    browser.get(f"{stack.mcr_url}/dashboard/operator/{quote(op)}")
    assert int(text(browser, "#fleet-size")) == summary["machine_count"] == len(fleet.machines)
    assert int(text(browser, "#unrated-count")) == len(summary["unrated"])
    assert int(text(browser, "#low-count")) == len(summary["low_rated"])
    assert int(text(browser, "#flagged-count")) == len(summary["flagged"]) == 1
    assert int(text(browser, "#degraded-count")) == len(summary["fx_degraded"])
    rows = fleet_rows(browser)
    assert [r["machine_id"] for r in rows] == sorted(m.machine_id for m in fleet.machines)
    for r in rows:
        m = api(stack, f"/mcr/{r['did']}")
        assert (r["mcr"], r["score"], r["trend"]) == (m["mcr"], m["mcr_score"], m["revenue_trend"]), r
        assert r["flags"].startswith("flagged") == m["negative_flag"], r
        assert (r["fx"] == "yes") == m["mcr_degraded"], r
        assert r["bond"].startswith("bonded") == (m["bond_status"] == "bonded"), r
    dist = summary["rating_distribution"]
    assert {k: int(v) for k, v in chart_bars(browser, "chart-distribution")} == dist
    shoot(browser, "operator")

    # sorting by the Score header (a plain link): ascending, then descending
    follow(browser, browser.find_element(By.LINK_TEXT, "Score"), "sort=score")
    scores = [r["score"] for r in fleet_rows(browser)]
    assert scores == sorted(scores)
    follow(browser, browser.find_element(By.LINK_TEXT, "Score"), "order=desc")
    scores = [r["score"] for r in fleet_rows(browser)]
    assert scores == sorted(scores, reverse=True)
    assert "sort=score" in browser.current_url and "order=desc" in browser.current_url

    # filtering with the form: flagged only, then machines without a rating
    browser.find_element(By.ID, "filter-flagged").click()
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"), "flagged=1")
    flagged = fleet_rows(browser)
    assert [r["machine_id"] for r in flagged] == [m["machine_id"] for m in summary["flagged"]]
    assert int(text(browser, "#row-count")) == 1
    browser.get(f"{stack.mcr_url}/dashboard/operator/{quote(op)}?rating=unrated")
    assert sorted(r["machine_id"] for r in fleet_rows(browser)) == sorted(
        m["machine_id"] for m in summary["unrated"])


@pytest.mark.parametrize("story", ["steady earner", "EUR reporter"])
def test_machine_view(stack: Stack, fleet: Fleet, browser, story: str) -> None:
    m = next(x for x in fleet.machines if x.story == story)
    mcr = api(stack, f"/mcr/{m.did}")
    explain = api(stack, f"/mcr/{m.did}/explain")
    hist = api(stack, f"/mcr/{m.did}/history")
    browser.get(f"{stack.mcr_url}/dashboard/machine/{quote(m.did)}")
    assert text(browser, "#did") == mcr["did"]
    assert int(text(browser, "#machine-id")) == mcr["machine_id"]
    assert text(browser, "#mcr") == mcr["mcr"]
    assert int(text(browser, "#mcr-score")) == mcr["mcr_score"]
    assert text(browser, "#revenue-trend") == mcr["revenue_trend"]
    assert int(text(browser, "#event-count")) == mcr["event_count"] == len(m.events)
    assert int(text(browser, "#revenue-event-count")) == mcr["revenue_event_count"]
    assert int(text(browser, "#activity-event-count")) == mcr["activity_event_count"]
    assert int(browser.find_element(By.ID, "total-revenue").get_attribute("data-cents")) == mcr["total_revenue"]

    # the score chart: a path with one vertex per day, markers with the history's scores
    days = hist["days"]
    assert len(days) == 30
    path = browser.find_element(By.CSS_SELECTOR, "svg#chart-score path.line")
    d = path.get_attribute("d") or ""
    assert len(re.findall(r"[ML]", d)) == len(days), f"score path has no data: {d!r}"
    points = browser.find_elements(By.CSS_SELECTOR, "svg#chart-score circle.point")
    assert [(p.get_attribute("data-label"), int(p.get_attribute("data-score")), p.get_attribute("data-rating"))
            for p in points] == [(x["date"], x["mcr_score"], x["mcr"]) for x in days]
    assert days[-1]["mcr_score"] == mcr["mcr_score"] and days[-1]["mcr"] == mcr["mcr"]
    # daily revenue (USD) and activity bars: the history's figures
    assert chart_bars(browser, "chart-revenue") == [(x["date"], usd(x["revenue_usd_cents"])) for x in days]
    assert chart_bars(browser, "chart-activity") == [(x["date"], str(x["activity_event_count"])) for x in days]
    assert sum(x["revenue_usd_cents"] for x in days) > 0, "the fleet has revenue in the window"
    # the table below the charts
    rows = browser.find_elements(By.CSS_SELECTOR, "#history-table tbody tr")
    assert [r.get_attribute("data-date") for r in rows] == [x["date"] for x in days]
    for r, x in zip(rows, days):
        assert int(r.find_element(By.CSS_SELECTOR, "td.score").text) == x["mcr_score"]
        assert int(r.find_element(By.CSS_SELECTOR, "td.revenue").get_attribute("data-cents")) == x["revenue_usd_cents"]
        assert int(r.find_element(By.CSS_SELECTOR, "td.activity-events").text) == x["activity_event_count"]
    # trust levels: counted from what the fleet loader submitted
    want = [sum(1 for e in m.events if e["trust"] == lvl) for lvl in range(3)]
    assert [int(v) for _, v in chart_bars(browser, "chart-trust")] == want
    # the source-chain checks of on-chain claims (none in this fleet: levels 0 and 2 only)
    sv = explain.get("source_verification") or {"verified": 0, "unverified": 0, "pending": 0}
    for k in ("verified", "unverified", "pending"):
        assert int(text(browser, f"#sv-{k}")) == sv[k], k
    # the /explain terms
    terms = {r.get_attribute("data-term"): r.find_elements(By.TAG_NAME, "td")[1].text
             for r in browser.find_elements(By.CSS_SELECTOR, "#explain-table tbody tr")}
    t = explain["terms"]
    assert terms["computed_score"] == str(t["computed_score"])
    assert terms["gates.status"] == t["gates"]["status"]
    assert terms["revenue.counted_days"] == str(t["revenue"]["counted_days"])
    assert terms["event_count"] == str(t["event_count"])
    assert text(browser, "#gate-reason") == t["gates"]["reason"]
    # where the Machine NFT is: the profile's fields, as /machine/{did} answers them
    prof = api(stack, f"/machine/{m.did}")["peaqos"]
    nft = {r.get_attribute("data-field"): r.find_elements(By.TAG_NAME, "td")[1].text
           for r in browser.find_elements(By.CSS_SELECTOR, "#nft-table tbody tr")}
    assert nft["nft_token_id"] == ("null" if prof["nft_token_id"] is None else str(prof["nft_token_id"]))
    assert prof["nft_token_id"] == m.nft_token_id
    loc = prof.get("machine_nft")
    if loc is not None:
        for k, v in loc.items():
            shown = "null" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
            assert nft[f"machine_nft.{k}"] == shown, (k, nft)
    if m.nft_token_id is None:
        assert browser.find_elements(By.ID, "nft-none")
    else:
        assert not browser.find_elements(By.ID, "nft-none")
        if loc is not None:
            assert loc["chain"] == "peaq" and loc["owner"].lower() == m.address.lower(), loc
    shoot(browser, f"machine-{story.replace(' ', '-')}")


def test_untrusted_text_is_escaped(stack: Stack, fleet: Fleet, browser) -> None:
    payload = '"><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
    browser.get(f"{stack.mcr_url}/dashboard/operator/{quote(fleet.operator_did)}?q={quote(payload)}")
    assert browser.title != "pwned"
    assert browser.find_elements(By.CSS_SELECTOR, "main script, main img") == []
    assert browser.find_element(By.ID, "filter-q").get_attribute("value") == payload
    assert fleet_rows(browser) == []
    browser.get(f"{stack.mcr_url}/dashboard/machine/{quote('<b>x</b>', safe='')}")
    assert browser.find_elements(By.CSS_SELECTOR, "main b") == []
    assert "did:" in text(browser, "#error") or "DID" in text(browser, "#error")

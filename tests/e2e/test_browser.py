"""A real Chromium walks every page a signed-in admin can reach, at 1440, 1280, 390 and 360 px: no failed request,
no console error, no serious or critical axe-core finding, nothing wider than the screen; and does what people do on a phone and with a keyboard.

Every page's screenshots go to ``SCREENSHOT_DIR`` (default ``tests/e2e/browser/screenshots``, kept by CI);
``make screenshots`` writes the README's pictures into ``docs/`` from the demo data.
"""
from __future__ import annotations

import base64
import re
from decimal import Decimal
from datetime import date, timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import func, select

from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_TRANSACTIONS, seed_demo
from dashboard.models import Transaction
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, SMALL_PHONE, WIDE

MAX_PAGES = 100  # a guard against a loop of generated links; the walk must end before it
NOT_PAGES = ("/logout", "/static/")
AXE_BLOCKING = ("serious", "critical")
WIDTHS = (WIDE, DESKTOP, PHONE, SMALL_PHONE)  # 1440 to 360 px


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _axe_findings(page, axe_source: str, where: str) -> list[str]:
    """The serious and critical axe-core violations on the page as it is now, one line each.

    Swagger UI's own markup on the API docs page is left out (a vendored widget); the page around it is not.
    """
    if page.evaluate("document.contentType") != "text/html":
        return []  # the OpenAPI document is JSON, not a page
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)  # the context bypasses the CSP: the app never serves axe
    result = page.evaluate("axe.run({exclude: [['.swagger-ui']]}, {resultTypes: ['violations']})")
    return [f"{where}: axe {v['impact']} {v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in result["violations"] if v["impact"] in AXE_BLOCKING]


def _screenshot_name(path: str, width: int) -> str:
    return (re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "dashboard") + f"-{width}.png"


def _is_page(url: str, base: str) -> bool:
    parts = urlsplit(url)
    return (url.startswith(base) and not parts.path.startswith(NOT_PAGES)
            and not parts.path.endswith((".csv", ".xlsx", "/export"))
            and "format=csv" not in parts.query and "format=xlsx" not in parts.query)


def _page_kind(url: str) -> str:
    """One visit per route: /accounts/3 and /accounts/4, or sort and filter variants, load the same files."""
    return re.sub(r"/\d+", "/<id>", urlsplit(url).path)


def test_every_page_loads_cleanly_and_passes_axe_from_1440_to_360_px(live_server, browser, axe_source):
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # A request the next navigation cancels (the favicon, often) is not a failure of the page.
    page.on("requestfailed", lambda request: problems.append(f"failed request: {request.url} {request.failure}")
            if request.failure != "net::ERR_ABORTED" else None)
    page.on("response", lambda response: problems.append(f"{response.status}: {response.url}")
            if response.status >= 400 else None)

    page.goto(f"{live_server}/login")
    problems += _axe_findings(page, axe_source, "/login")
    _log_in(page, live_server)
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    to_visit, visited = [f"{live_server}/"], set()
    while to_visit and len(visited) < MAX_PAGES:
        url = to_visit.pop(0)
        if _page_kind(url) in visited:
            continue
        visited.add(_page_kind(url))
        page.goto(url, wait_until="networkidle")
        path = urlsplit(url).path
        untitled = page.eval_on_selector_all("table", "tables => tables.filter(t => !t.caption?.textContent.trim()).length")
        if untitled:
            problems.append(f"{path}: {untitled} table(s) without a caption")
        for size in WIDTHS:
            page.set_viewport_size(size)
            # The page answers a resize in its next frame (tables that now scroll take focus): check after it.
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            problems += _axe_findings(page, axe_source, f"{path} at {size['width']} px")
            # Nothing sticks out past the screen's edge, where an action would be out of reach (charts redraw
            # for the new width a moment after the resize: they are given a second).
            try:
                page.wait_for_function(f"document.documentElement.scrollWidth <= {size['width']}", timeout=1000)
            except PlaywrightTimeout:
                page_width = page.evaluate("document.documentElement.scrollWidth")
                problems.append(f"{path} at {size['width']} px: the page is {page_width} px wide")
            page.screenshot(path=SCREENSHOTS / _screenshot_name(path, size["width"]), full_page=True)
        page.set_viewport_size(DESKTOP)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urljoin(url, href).split("#")[0]
            if _is_page(target, live_server) and _page_kind(target) not in visited:
                to_visit.append(target)
    assert len(visited) >= 5
    assert not [url for url in to_visit if _page_kind(url) not in visited], "pages left unvisited"
    assert problems == [], "\n".join(problems)
    favicon = page.request.get(f"{live_server}/static/favicon.svg")
    assert favicon.ok

    page.goto(f"{live_server}/")  # the walk may end on a page without the navigation (the API document)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login")


def test_a_user_adds_edits_deletes_links_a_transfer_and_closes_an_account(live_server, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, live_server)

    page.locator("#accounts-table").get_by_role("link", name="Rainy Day Savings").click()
    savings = page.url
    balance = page.locator("#computed-balance")
    before = _pounds(balance.inner_text())
    expect(page.locator("#stated-balance")).to_contain_text("agrees")
    page.get_by_role("link", name="Add transaction").click()
    page.get_by_label("Date").fill("2025-03-04")
    page.get_by_label("Description").fill("Birthday money")
    page.get_by_label("Money").select_option("in")
    page.get_by_label("Amount").fill("75.25")
    page.get_by_role("button", name="Save transaction").click()
    expect(page.get_by_role("link", name="Birthday money").first).to_be_visible()
    page.goto(savings)
    assert _pounds(balance.inner_text()) == before + Decimal("75.25")
    expect(page.locator("#stated-balance")).to_contain_text("differs by -£75.25")  # the bank has not seen it

    page.get_by_role("link", name="Birthday money").first.click()
    page.get_by_role("link", name="Edit all fields").click()
    page.get_by_label("Description").fill("Birthday gift")
    page.get_by_role("button", name="Save transaction").click()
    expect(page.get_by_text("Transaction saved.")).to_be_visible()

    page.get_by_role("link", name="Birthday gift").first.click()
    page.get_by_role("button", name="Delete transaction").click()
    expect(page.get_by_text("The transaction was deleted.")).to_be_visible()
    assert _pounds(balance.inner_text()) == before
    expect(page.locator("#stated-balance")).to_contain_text("agrees")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Transaction restored.")).to_be_visible()
    expect(page.get_by_role("link", name="Birthday gift").first).to_be_visible()
    assert _pounds(balance.inner_text()) == before + Decimal("75.25")

    page.goto(f"{live_server}/transfers")
    suggestions = page.locator("#transfer-suggestions tbody tr")
    assert suggestions.count() > 0
    linked = suggestions.first.inner_text()
    suggestions.first.get_by_role("button", name="Link").click()
    expect(page.get_by_role("alert").get_by_text("Linked as a transfer:")).to_be_visible()
    assert linked not in page.locator("#transfer-suggestions tbody tr").all_inner_texts()

    page.goto(f"{live_server}/")
    page.locator("#accounts-table").get_by_role("link", name="Euro Travel Account").click()
    page.get_by_role("link", name="Edit account").click()
    page.get_by_role("button", name="Close account").click()
    expect(page.get_by_text("is closed")).to_be_visible()
    page.goto(f"{live_server}/")
    assert not page.locator("#accounts-table").get_by_role("link", name="Euro Travel Account").count()
    assert page.locator("#closed-accounts").get_by_text("Euro Travel Account").count() == 1
    savings_row = page.locator("#accounts-table tbody tr", has_text="Rainy Day Savings")
    assert _pounds(savings_row.locator("td").nth(3).inner_text()) == before + Decimal("75.25")
    assert errors == []


def _pounds(text: str) -> Decimal:
    """The first amount in a cell as a user reads it: "£18,913.25 pending …" is 18913.25."""
    return Decimal(re.search(r"-?£-?[\d,]+\.\d\d", text).group().replace("£", "").replace(",", ""))


def _first_account_url(page, base: str) -> str:
    page.goto(f"{base}/")
    return urljoin(base, page.locator("#accounts-table tbody a").first.get_attribute("href"))


def test_a_filter_past_the_totals_limit_shows_its_exact_totals_once_they_are_computed(live_server, browser, app, db):
    app.config["FILTERED_TOTALS_LIMIT"] = 5  # the demo account holds hundreds of payments
    page = browser.new_page(viewport=DESKTOP)  # under the app's own CSP: the script's request must be allowed
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, live_server)
    account_url = _first_account_url(page, live_server)
    account_id = int(urlsplit(account_url).path.rsplit("/", 1)[1])
    payments = db.session.scalar(select(func.count()).select_from(Transaction).where(
        Transaction.account_id == account_id, Transaction.amount < 0))
    assert payments > 5
    page.goto(f"{account_url}?direction=out")
    summary = page.locator("#result-summary")
    expect(summary).to_contain_text(f"{payments:,} transactions match")  # the script replaced "More than 5"
    expect(page.locator("#compute-totals")).to_have_count(0)
    assert "totals=all" not in page.url
    by_script = " ".join(summary.inner_text().split())
    page.goto(f"{account_url}?direction=out&totals=all")  # what the link gives without the script
    assert " ".join(page.locator("#result-summary").inner_text().split()) == by_script
    assert problems == []


@pytest.mark.parametrize("phone", [PHONE, SMALL_PHONE], ids=["390px", "360px"])
def test_on_a_phone_balances_show_filters_fold_and_charts_stay_legible(live_server, browser, phone):
    page = browser.new_page(viewport=phone)
    _log_in(page, live_server)
    table = page.locator("#accounts-table")
    balance = table.get_by_role("columnheader", name="Balance").bounding_box()
    assert balance["x"] + balance["width"] <= phone["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= phone["width"]
    wrapper = page.locator("#accounts-table").locator("xpath=..")
    assert wrapper.evaluate("region => region.scrollWidth <= region.clientWidth")

    # Every account's table keeps its amounts and balances on the screen.
    for account_url in [urljoin(live_server, href) for href in page.eval_on_selector_all(
            "#accounts-table tbody a", "links => links.map(a => a.getAttribute('href'))")]:
        page.goto(account_url)
        for column in ("Amount", "Balance"):
            header = page.locator("#transactions-table thead th").filter(has_text=column).bounding_box()
            assert header["x"] + header["width"] <= phone["width"], (account_url, column)

    account_url = _first_account_url(page, live_server)
    page.goto(account_url)
    expect(page.get_by_label("Search")).not_to_be_visible()  # folded away: the table is on the first screen
    page.get_by_role("button", name="Filters").click()
    # A click while Bootstrap still animates the fold open could be lost on a loaded machine: wait for it to open.
    expect(page.locator("#filter-fields")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_label("Money in or out").select_option("out")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]direction=out(&|$)"))
    expect(page.get_by_label("Search")).to_be_visible()  # a filter is set: the filters stay open and say so
    expect(page.get_by_role("button", name="Filters 1 active")).to_be_visible()
    expect(page.locator("#result-summary")).to_contain_text("transactions match")
    amount = page.locator("#transactions-table thead th").filter(has_text="Amount").bounding_box()
    widths = page.eval_on_selector_all("#transactions-table thead th",
                                       "cells => cells.map(c => [c.textContent.trim(), c.offsetWidth])")
    assert amount["x"] + amount["width"] <= phone["width"], widths

    page.goto(f"{live_server}/recurring/")
    amount = page.locator("#recurring-payments thead th").filter(has_text="Amount").bounding_box()
    assert amount["x"] + amount["width"] <= phone["width"]

    page.goto(f"{live_server}/reports/income-and-expenses")
    net = page.locator(".report-table thead th").filter(has_text=re.compile("^Net$")).first.bounding_box()
    assert net["x"] + net["width"] <= phone["width"]

    page.goto(f"{live_server}/reports/balances", wait_until="networkidle")
    chart = page.locator("canvas").first.bounding_box()
    assert chart["height"] >= 250, chart  # not a flat line under a tall legend
    legend_position = page.evaluate("Chart.getChart(document.querySelector('canvas')).options.plugins.legend.position")
    assert legend_position == "bottom"


def _tab_to(page, focused: str, most: int, what: str) -> None:
    """Press Tab until the script ``focused`` is true of the page, at most ``most`` times."""
    for _ in range(most):
        if page.evaluate(focused):
            return
        page.keyboard.press("Tab")
    assert page.evaluate(focused), f"{what} is not reachable in {most} presses of Tab"


def test_the_keyboard_reaches_the_first_transaction_in_a_few_presses_then_edits_imports_and_reports(live_server, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server}/login")
    presses = 0
    while page.evaluate("document.activeElement.id") != "email":  # past "Skip to content" and the brand
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 3, "the Email field is more than three presses away"
    page.keyboard.type(DEMO_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")

    account_url = _first_account_url(page, live_server)
    page.goto(account_url)
    first_link = page.locator("#transactions-table tbody a").first.get_attribute("href")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to transactions"
    page.keyboard.press("Enter")
    presses = 1
    while page.evaluate("document.activeElement.getAttribute('href')") != first_link:
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 5, "the first transaction is more than five presses away"
    page.keyboard.press("Enter")  # it opens, and its category is edited from the keyboard too
    page.wait_for_url(re.compile(r".*/transactions/\d+.*"))
    presses = 0
    while page.evaluate("document.activeElement.id") != "category":
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 25, "the Category field is not reachable with Tab"
    page.keyboard.press("Control+A")
    page.keyboard.type("Keyboard test")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Transaction saved.")).to_be_visible()

    # A statement is imported from the keyboard: the link, the file chooser, Preview, then Import.
    page.goto(account_url)
    _tab_to(page, "document.activeElement.textContent.trim() === 'Import a file'", 60, "the Import a file link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/import$"))
    _tab_to(page, "document.activeElement.type === 'file'", 25, "the Statement file field")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files=[{"name": "keyboard.csv", "mimeType": "text/csv",
                                    "buffer": b"Date,Description,Amount\n2031-02-01,Typed by keyboard,-3.00\n"}])
    _tab_to(page, "document.activeElement.value === 'Preview'", 10, "the Preview button")
    page.keyboard.press("Enter")
    expect(page.locator("#import-counts")).to_contain_text("1 new")
    _tab_to(page, "document.activeElement.textContent.trim() === 'Import 1 new transaction'", 60,
            "the Import button")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Imported keyboard.csv")).to_be_visible()

    # The filters: Search is typed into and Enter applies it.
    page.goto(account_url)
    _tab_to(page, "document.activeElement.id === 'q'", 40, "the Search field")
    page.keyboard.type("typed by keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("#result-summary")).to_contain_text("1 transaction matches")

    page.goto(f"{live_server}/reports/income-and-expenses")
    presses = 0
    while page.evaluate("document.activeElement.id") != "period":
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 30, "the report's Period is not reachable with Tab"
    page.keyboard.type("Last month")  # a focused select picks the option typed
    while page.evaluate("document.activeElement.textContent.trim()") != "Show":
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 40, "the report's Show button is not reachable with Tab"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*period=last_month.*"))
    expect(page.get_by_label("Period")).to_have_value("last_month")


def test_readme_screenshots(live_server, browser, db):
    """`make screenshots` writes these into docs/ for the README; a normal run keeps them with the others.
    They show what `make run` seeds (the suite's smaller demo stops part-way through its history)."""
    seed_demo(db.session, DEMO_TRANSACTIONS)
    db.session.commit()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, name in ((DESKTOP, "screenshot.png"), (PHONE, "screenshot-phone.png")):
        page = browser.new_page(viewport=size, device_scale_factor=1 if size is DESKTOP else 2)
        _log_in(page, live_server)
        page.goto(f"{live_server}/", wait_until="networkidle")
        card = page.locator("#accounts-table tbody tr", has_text="Rewards Credit Card").locator("td").nth(3)
        expect(card).to_contain_text(re.compile(r"owed £[\d,]+\.\d\d"))  # in debt, as the seed makes it
        page.screenshot(path=SCREENSHOTS / name, full_page=size is DESKTOP)
        assert (SCREENSHOTS / name).stat().st_size > 10_000
        page.close()




def test_a_user_splits_a_transaction_and_sets_a_budget(live_server, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/transactions")
    page.locator("#transactions-table tbody a.link-body-emphasis").first.click()
    page.get_by_role("link", name="Split").click()
    total = page.locator("#split-form").get_attribute("data-total")
    page.get_by_label("Amount of part 1").fill("-1.00")
    page.get_by_label("Category of part 1").fill("Household")
    remaining = page.locator("#split-remaining")
    expect(remaining).to_contain_text("Remaining:")
    expect(remaining).not_to_contain_text("add up exactly")
    rest = f"{float(total) + 1:.2f}"  # the demo's amounts have two places
    page.get_by_label("Amount of part 2").fill(rest)
    page.get_by_label("Category of part 2").fill("Groceries")
    expect(remaining).to_contain_text("The parts add up exactly")
    page.get_by_role("button", name="Save split").click()
    expect(page.get_by_text("Split into 2 parts.")).to_be_visible()
    expect(page.locator("#transaction-splits").get_by_text("Household")).to_be_visible()

    page.get_by_role("link", name="Budgets").first.click()
    page.get_by_label("Category").select_option(label="Housing › Rent")
    page.get_by_label("Amount a month").fill("1")
    month = (date.today().replace(day=1) - timedelta(days=40)).strftime("%Y-%m")  # two months ago: rent was paid
    page.get_by_label("Only for the month (YYYY-MM)").fill(month)
    page.get_by_label("Carry an overspend into the next month").check()
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_text("Budget for Rent saved.")).to_be_visible()
    page.goto(f"{live_server}/budgets/?month={month}")
    row = page.locator("#budget-lines tbody tr", has_text="Housing › Rent")
    assert row.count() == 1 and "Over budget" in row.inner_text()
    page.get_by_label("The budget month starts on").select_option(label="Day 25")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("The budget month now starts on the day you chose.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page.locator("#budget-summary").get_by_role("link", name="Set a budget")).to_be_visible()
    page.goto(f"{live_server}/recurring/")
    expect(page.get_by_role("heading", name="Recurring payments")).to_be_visible()
    assert errors == []


def test_a_user_sees_a_euro_budget_and_a_report_in_pounds(live_server, browser, axe_source):
    """The demo's rates convert: the "Show in GBP" switch on the budgets and income and expenses pages."""
    page = browser.new_page(bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _log_in(page, live_server)
    page.goto(f"{live_server}/budgets/")
    page.get_by_label("Category").select_option(label="Housing › Rent")
    page.get_by_label("Amount a month").fill("250")
    page.get_by_label("Currency").fill("EUR")
    month = (date.today().replace(day=1) - timedelta(days=40)).strftime("%Y-%m")  # two months ago: rent was paid
    page.get_by_label("Only for the month (YYYY-MM)").fill(month)
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_text("Budget for Rent saved.")).to_be_visible()
    page.goto(f"{live_server}/budgets/?month={month}")
    page.get_by_role("link", name="Show in GBP").click()
    converted = page.locator("#budgets-converted tbody tr", has_text="Housing › Rent")
    expect(converted).to_contain_text("€250.00 available")
    expect(converted).to_contain_text("GBP on")
    expect(converted).not_to_contain_text("not converted")
    expect(page.get_by_role("link", name="Show each currency apart")).to_be_visible()
    problems = _axe_findings(page, axe_source, "/budgets/?in_home=1")
    page.goto(f"{live_server}/reports/income-and-expenses")
    page.get_by_role("link", name="Show in GBP").click()
    expect(page.locator("#income-expenses-converted")).to_be_visible()
    expect(page.locator("#income-expenses-converted tfoot")).to_contain_text("£")
    problems += _axe_findings(page, axe_source, "/reports/income-and-expenses?in_home=1")
    assert problems == [] and errors == []


def test_a_rule_applied_to_existing_rows_and_to_an_import_reaches_the_budget_page(live_server, browser):
    """Issue 17's walk: create a rule → apply it to existing rows → import a file → the budget page counts what
    the rule categorised."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    _log_in(page, live_server)

    page.get_by_role("link", name="Rules").first.click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name").fill("Lettings agent")
    page.locator("#conditions-0-field").select_option("description")
    page.locator("#conditions-0-op").select_option("contains")
    page.locator("#conditions-0-value").fill("parkside LETTINGS")  # the demo's rows say "Rent - Parkside Lettings"
    page.locator("#actions-0-action").select_option("set_category")
    page.locator("#actions-0-value").fill("Flat")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#apply-counts")).to_contain_text("would change")
    expect(page.locator("#apply-counts")).not_to_contain_text(" 0 would change")
    expect(page.locator("#apply-rows")).to_contain_text("Rent - Parkside Lettings")
    page.locator("#apply-confirm").click()
    expect(page.get_by_text("Rules matched")).to_be_visible()
    expect(page.locator("#apply-counts")).to_contain_text("0 would change")

    page.goto(f"{live_server}/")
    page.locator("#accounts-table").get_by_role("link", name="Everyday Checking").click()
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("Statement file").set_input_files(files=[{
        "name": "january.csv", "mimeType": "text/csv",
        "buffer": b"Date,Description,Amount\n2031-01-01,RENT - PARKSIDE LETTINGS,-1200.00\n"
                  b"2031-01-03,Bookshop,-12.00\n2031-01-20,Parkside Lettings late fee,-30.00\n"}])
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-rows tbody tr", has_text="RENT - PARKSIDE LETTINGS")).to_contain_text("Flat")
    page.get_by_role("button", name="Import 3 new transactions").click()
    expect(page.get_by_role("heading", name="Imported january.csv")).to_be_visible()

    page.get_by_role("link", name="Budgets").first.click()
    page.get_by_label("Category").select_option(label="Flat")
    page.get_by_label("Amount a month").fill("1000")
    page.get_by_label("Only for the month (YYYY-MM)").fill("2031-01")
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_text("Budget for Flat saved.")).to_be_visible()
    page.goto(f"{live_server}/budgets/?month=2031-01")
    line = page.locator("#budget-lines tbody tr", has_text="Flat")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("£1,230.00")  # the imported rent and fee, categorised by the rule on arrival
    expect(line).to_contain_text("Over budget by £230.00")
    page.goto(f"{live_server}/rules")
    expect(page.locator("#rules").get_by_role("link", name="Lettings agent")).to_be_visible()
    assert errors == []


PASSKEY_CONFIG = {"ENCRYPTION_KEY": Fernet.generate_key().decode(), "WTF_CSRF_ENABLED": True}


def _virtual_authenticator(context, page) -> tuple:
    """Chromium's own WebAuthn authenticator (the DevTools protocol's), standing in for a fingerprint reader."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})
    return cdp, added["authenticatorId"]


def _password_step(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _add_passkey(page, base: str, name: str) -> None:
    page.goto(f"{base}/settings/two-factor")
    page.get_by_label("Passkey name").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("alert").filter(has_text=f'The passkey "{name}" is added')).to_be_visible()
    expect(page.locator("#passkeys").get_by_role("cell", name=name, exact=True)).to_be_visible()


@pytest.mark.parametrize("app_config", [PASSKEY_CONFIG])
def test_a_passkey_is_enrolled_and_then_signs_in_as_the_second_factor(live_server, browser):
    """Enrol TOTP, add a passkey with Chromium's virtual authenticator, log in with password + passkey; a removed
    passkey and a replayed answer are refused with a message, and nothing else opens."""
    base = live_server.replace("127.0.0.1", "localhost")  # an IP address cannot be a WebAuthn relying party
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    cdp, authenticator = _virtual_authenticator(context, page)

    _password_step(page, base)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/two-factor")
    key = page.get_by_label("Key").input_value()
    page.get_by_label("Code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_text("Two-factor sign-in is on")).to_be_visible()

    _add_passkey(page, base, "Laptop")
    laptop, = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    page.get_by_role("button", name="Remove Laptop").click()
    expect(page.get_by_role("alert").filter(has_text="The passkey is removed")).to_be_visible()
    expect(page.locator("#no-passkeys")).to_be_visible()
    _add_passkey(page, base, "Phone")
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert").filter(has_text="You are logged out.")).to_be_visible()

    # A device that still holds the removed "Laptop" (registering "Phone" replaced it in this authenticator, so it
    # is put back) signs with it when offered it, as one listing every passkey it has for the site would; the
    # server refuses it.
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator,
                                        "credential": {**laptop, "isResidentCredential": False}})
    removed_id = base64.urlsafe_b64encode(base64.b64decode(laptop["credentialId"])).decode().rstrip("=")

    def offer_the_removed_passkey(route):
        options = route.fetch().json()
        options["allowCredentials"] = [{"id": removed_id, "type": "public-key"}]
        route.fulfill(json=options)

    _password_step(page, base)
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    expect(page.get_by_label("Code")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "login-code-passkey-1280.png")
    page.route("**/login/passkey/options", offer_the_removed_passkey)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("alert").filter(has_text="not registered to your account")).to_be_visible()
    page.unroute("**/login/passkey/options")
    assert urlsplit(page.url).path == "/login/passkey"
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login"))  # still signed out

    page.goto(f"{base}/login/code")
    with page.expect_request(lambda request: request.url.endswith("/login/passkey")) as sent:
        page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Your accounts")).to_be_visible()
    answer = parse_qs(sent.value.post_data)["credential"][0]
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert").filter(has_text="You are logged out.")).to_be_visible()

    # The same signed answer sent again after a new password step: its challenge was used up.
    _password_step(page, base)
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    page.evaluate("""answer => { const form = document.getElementById('passkey-login');
        form.querySelector('input[name=credential]').value = answer; form.requestSubmit(); }""", answer)
    expect(page.get_by_role("alert").filter(has_text="expired or was already used")).to_be_visible()
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login"))

    page.goto(f"{base}/login/code")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/two-factor")
    phone_row = page.locator("#passkeys tbody tr", has_text="Phone")
    expect(phone_row).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC"))
    page.screenshot(path=SCREENSHOTS / "settings-two-factor-passkeys-1280.png", full_page=True)
    assert errors == []
    context.close()

"""The catalog site in a real browser: Debian's chromium, headless, driven by Selenium
(PyPI `selenium`, pinned by scripts/test) through Debian's chromedriver.

Run by crates/cli/tests/it/site.rs:
    browser.py BASE_URL ARTIFACTS AXE_TGZ
BASE_URL serves the site (`buckle site --serve`); ARTIFACTS receives the screenshots;
AXE_TGZ is the axe-core package from the npm registry (`npm pack`, by scripts/test),
checked here against its pinned integrity. Prints `ok CHECK` lines and a `weight`
line; exits non-zero, naming the check, on the first failure.
"""

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BASE, ARTIFACTS, AXE_TGZ = sys.argv[1].rstrip("/") + "/", sys.argv[2], sys.argv[3]
AXE_VERSION = "4.11.0"
AXE_INTEGRITY = "sha512-ilYanEU8vxxBexpJd8cWM4ElSQq4QctCLKih0TSfjIfCQTeyH/6zVrmIJfLPrKTKJRbiG+cfnZbQIjAlJmF1jQ=="
DESKTOP, PHONE = (1280, 900), (390, 844)


def ok(what):
    print(f"ok {what}", flush=True)


def axe_source():
    data = open(AXE_TGZ, "rb").read()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert integrity == AXE_INTEGRITY, f"{AXE_TGZ} is not axe-core {AXE_VERSION}: {integrity}"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return tar.extractfile("package/axe.min.js").read().decode()


def browser(javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--disable-extensions", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def load(driver, url):
    """Loads `url`; fails on a console error (CSP violations included) or a request that
    failed, went elsewhere or got an error status. Returns (bytes, requests)."""
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(url)
    driver.execute_script("return document.readyState")
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, f"{url}: console: {errors}"
    requests, received, failed = {}, 0, []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            failed.append((params["response"]["url"], params["response"]["status"]))
        elif message["method"] == "Network.loadingFailed":
            failed.append((requests.get(params["requestId"]), params.get("errorText")))
        elif message["method"] == "Network.loadingFinished":
            received += int(params.get("encodedDataLength", 0))
    assert not failed, f"{url}: failed requests: {failed}"
    elsewhere = [u for u in requests.values() if not u.startswith(BASE)]
    assert not elsewhere, f"{url}: requests outside the site: {elsewhere}"
    return received, len(requests)


def screenshot(driver, name, size):
    driver.set_window_size(*size)
    width = driver.execute_script("return window.innerWidth")
    scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{name}: the page is {scroll_width}px wide in a {width}px window"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size[0], min(max(height + 140, size[1]), 6000))
    driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))
    driver.set_window_size(*DESKTOP)


def rows(driver, table_id):
    return driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")


def visible_rows(driver, table_id):
    return [r for r in rows(driver, table_id) if r.is_displayed()]


def table_counts(driver):
    return {t.get_attribute("id"): len(rows(driver, t.get_attribute("id")))
            for t in driver.find_elements(By.TAG_NAME, "table")}


def check_axe(driver, source, page):
    driver.execute_script(source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), f"{page}: axe failed: {result}"
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page}: accessibility violations: {bad}"
    return [(v["id"], v["impact"]) for v in result]


def main():
    axe = axe_source()
    driver = browser()
    try:
        index = BASE + "index.html"
        weight, requests = load(driver, index)
        print(f"weight index.html {weight} bytes {requests} requests", flush=True)
        ok("the index loads with no console error and no failed request")
        image_links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#images tbody a")]
        assert image_links, "the index links no image page"
        pages = [index] + image_links
        counts = {index: table_counts(driver)}
        minor = check_axe(driver, axe, index)
        screenshot(driver, "index-desktop", DESKTOP)
        screenshot(driver, "index-phone", PHONE)

        # Filtering: the box appears with JavaScript and hides the rows that do not match.
        box = driver.find_element(By.ID, "images-filter")
        assert box.is_displayed(), "the filter box is hidden with JavaScript on"
        total = len(rows(driver, "images"))
        box.send_keys("dev")
        shown = visible_rows(driver, "images")
        assert 0 < len(shown) < total, f"filtering 'dev' shows {len(shown)} of {total}"
        assert all("dev" in r.text for r in shown), [r.text for r in shown]
        box.clear()
        box.send_keys(" ")  # an input event with no words: every row again
        assert len(visible_rows(driver, "images")) == total
        ok(f"filtering the index shows {len(shown)} of {total} images for 'dev'")

        links, charts = set(), 0
        for number, page in enumerate(pages):
            load(driver, page)
            counts[page] = table_counts(driver)
            links.update(a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]"))
            if page == index:
                continue
            for section in ("use", "tags", "packages", "findings", "advisories", "attestations",
                            "smoke-test", "compare"):
                assert driver.find_elements(By.ID, section), f"{page}: no section #{section}"
            if driver.find_elements(By.ID, "side-by-side"):
                assert driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect"), f"{page}: no chart"
                charts += 1
            minor += check_axe(driver, axe, page)
            if number == 1:
                screenshot(driver, "image-desktop", DESKTOP)
                screenshot(driver, "image-phone", PHONE)
                packages = rows(driver, "package-table")
                name = packages[0].find_element(By.TAG_NAME, "th").text
                driver.find_element(By.ID, "package-table-filter").send_keys(name)
                shown = visible_rows(driver, "package-table")
                assert shown and all(name in r.text for r in shown) and len(shown) <= len(packages)
                ok(f"filtering the packages of an image by '{name}'")
        assert charts, "no page compares its image with a reference"
        ok(f"{len(pages)} pages load with no console error and no failed request; {charts} with a chart")
        ok(f"axe-core {AXE_VERSION}: no serious or critical violation on {len(pages)} pages; minor: {minor}")

        for link in sorted(links):
            assert link.startswith(BASE), f"a link leaves the site: {link}"
            with urllib.request.urlopen(urllib.parse.urldefrag(link)[0]) as response:
                body = response.read()
                assert response.status == 200, link
            if link.endswith(".json"):
                json.loads(body)
            anchor = urllib.parse.urldefrag(link)[1]
            if anchor:
                assert f'id="{anchor}"'.encode() in body, f"{link}: no #{anchor}"
        ok(f"all {len(links)} links resolve")
    finally:
        driver.quit()

    # With JavaScript off every table is whole and the filter boxes stay hidden.
    driver = browser(javascript=False)
    try:
        for page in pages:
            load(driver, page)
            assert table_counts(driver) == counts[page], f"{page}: tables differ without JavaScript"
            for table_id in counts[page]:
                assert len(visible_rows(driver, table_id)) == counts[page][table_id], f"{page}: #{table_id}"
            boxes = driver.find_elements(By.CSS_SELECTOR, "form.filter")
            assert all(not b.is_displayed() for b in boxes), f"{page}: a filter box shows without JavaScript"
        ok(f"with JavaScript off, every table of the {len(pages)} pages shows every row")
    finally:
        driver.quit()


main()
